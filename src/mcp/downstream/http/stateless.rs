//! The stateless revision (2026-07-28) over Streamable HTTP: no initialize and no sessions;
//! every request carries its protocol version and client capabilities in `_meta` and
//! repeats method and name in headers; every result says `resultType`, list results carry
//! cache hints; `server/discover` describes livegate; `subscriptions/listen` streams
//! notifications. Counters scoped to `session` fall back to the grant here.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, mpsc};

use super::reply::{self, rpc_body, rpc_error};
use super::{accepts_sse, header, Admitted, AppState, VERSION_HEADER};
use crate::mcp::downstream::revision::Revision;
use crate::mcp::gateway::{Caller, ClientInfo, Gateway};
use crate::mcp::jsonrpc::{notification, Message, RpcError, INVALID_PARAMS, METHOD_NOT_FOUND};

/// A required header is missing or disagrees with the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// The client lacks a capability the request needs.
pub const MISSING_CAPABILITY: i64 = -32021;
/// The requested protocol version is not supported.
pub const UNSUPPORTED_VERSION: i64 = -32022;

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";
const META_PREFIX: &str = "io.modelcontextprotocol/";

/// How long clients may cache list results, in milliseconds. Short: a policy edit can
/// hide tools at any moment (and listen streams announce changes).
const LIST_TTL_MS: u64 = 5_000;

/// Methods of this revision the gateway answers, and whether they need `Mcp-Name`.
const METHODS: &[(&str, bool)] = &[
    ("tools/list", false),
    ("tools/call", true),
    ("resources/list", false),
    ("resources/templates/list", false),
    ("resources/read", true),
    ("prompts/list", false),
    ("prompts/get", true),
    ("completion/complete", false),
];

pub(super) async fn post(state: &AppState, admitted: Admitted, value: Value) -> Response {
    if value.is_array() {
        let error = RpcError::invalid_request(
            "protocol revision 2026-07-28 takes one message per request, not a batch",
        );
        return rpc_error(StatusCode::BAD_REQUEST, Value::Null, &error);
    }
    match Message::parse(value) {
        Err((id, error)) => rpc_error(StatusCode::BAD_REQUEST, id, &error),
        // Cancelling is closing the request's stream; other notifications have no effect here.
        Ok(Message::Notification { .. }) => reply::accepted(),
        Ok(Message::Response { id, .. } | Message::Error { id, .. }) => {
            let error = RpcError::invalid_request(
                "clients do not send responses in protocol revision 2026-07-28",
            );
            rpc_error(StatusCode::BAD_REQUEST, id, &error)
        }
        Ok(Message::Request { id, method, params }) => {
            request(state, &admitted, id, &method, params).await
        }
    }
}

async fn request(
    state: &AppState,
    admitted: &Admitted,
    id: Value,
    method: &str,
    params: Option<Value>,
) -> Response {
    let mut params = params.unwrap_or_else(|| json!({}));
    if let Err(error) = check_meta(&params).and_then(|()| check_headers(admitted, method, &params))
    {
        return rpc_error(status_for(error.code), id, &error);
    }
    let gateway = &state.config.gateway;
    match method {
        "server/discover" => return json_result(id, Ok(discover(gateway))),
        "subscriptions/listen" => return listen(gateway, id, &params),
        _ => {}
    }
    if !METHODS.iter().any(|(m, _)| *m == method) {
        let error = RpcError::method_not_found(method);
        return rpc_error(StatusCode::NOT_FOUND, id, &error);
    }
    let client = params
        .pointer("/_meta/io.modelcontextprotocol~1clientInfo")
        .and_then(ClientInfo::from_value);
    strip_protocol_meta(&mut params);
    let caller = Caller {
        grant: admitted.grant.clone(),
        session: None,
        client,
        progress: None,
    };
    let wants_progress = params.pointer("/_meta/progressToken").is_some();
    let method_owned = method.to_string();
    if wants_progress && accepts_sse(&admitted.headers) {
        let (tx, rx) = mpsc::unbounded_channel();
        let caller = Caller {
            progress: Some(tx),
            ..caller
        };
        let gateway = Arc::clone(gateway);
        let method = method_owned.clone();
        let answer = async move { gateway.request(&caller, &method, Some(params)).await };
        return reply::sse_with_progress(rx, answer, move |result| {
            rpc_body(id, decorate(&method_owned, result))
        });
    }
    let result = gateway.request(&caller, method, Some(params)).await;
    json_result(id, decorate(method, result))
}

fn json_result(id: Value, result: Result<Value, RpcError>) -> Response {
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(error) => status_for(error.code),
    };
    reply::json_body(status, &rpc_body(id, result))
}

/// The HTTP status that goes with a JSON-RPC error in this revision.
fn status_for(code: i64) -> StatusCode {
    match code {
        METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        crate::mcp::jsonrpc::PARSE_ERROR
        | crate::mcp::jsonrpc::INVALID_REQUEST
        | INVALID_PARAMS
        | HEADER_MISMATCH
        | MISSING_CAPABILITY
        | UNSUPPORTED_VERSION => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// Every result says `resultType`; list results and reads carry cache hints.
fn decorate(method: &str, result: Result<Value, RpcError>) -> Result<Value, RpcError> {
    let mut result = result?;
    if let Value::Object(obj) = &mut result {
        obj.entry("resultType").or_insert_with(|| json!("complete"));
        if method.ends_with("/list") || method == "resources/read" {
            obj.insert("ttlMs".into(), json!(LIST_TTL_MS));
            obj.insert("cacheScope".into(), json!("private"));
        }
    }
    Ok(result)
}

/// `_meta` must say the protocol version (one livegate speaks) and the client's capabilities.
fn check_meta(params: &Value) -> Result<(), RpcError> {
    let meta = params.get("_meta").and_then(Value::as_object);
    let Some(version) = meta
        .and_then(|m| m.get(META_VERSION))
        .and_then(Value::as_str)
    else {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!("missing params._meta[\"{META_VERSION}\"]"),
        ));
    };
    if version != Revision::V2026_07_28.as_str() {
        let message = format!("unsupported protocol version {version:?} without a session; use 2026-07-28, or initialize for a handshake revision");
        return Err(RpcError::new(UNSUPPORTED_VERSION, message)
            .with_data(json!({"supported": Revision::supported(), "requested": version})));
    }
    if !meta.is_some_and(|m| m.get(META_CAPABILITIES).is_some_and(Value::is_object)) {
        return Err(RpcError::new(
            INVALID_PARAMS,
            format!("missing params._meta[\"{META_CAPABILITIES}\"] (an object; {{}} for none)"),
        ));
    }
    Ok(())
}

/// `MCP-Protocol-Version`, `Mcp-Method` and (where required) `Mcp-Name` must match the body.
fn check_headers(admitted: &Admitted, method: &str, params: &Value) -> Result<(), RpcError> {
    let mismatch = |what: String| {
        Err(RpcError::new(
            HEADER_MISMATCH,
            format!("Header mismatch: {what}"),
        ))
    };
    let version = params
        .pointer("/_meta/io.modelcontextprotocol~1protocolVersion")
        .and_then(Value::as_str);
    if header(&admitted.headers, VERSION_HEADER) != version {
        return mismatch(format!(
            "MCP-Protocol-Version must be present and equal _meta's {version:?}"
        ));
    }
    if header(&admitted.headers, "mcp-method") != Some(method) {
        return mismatch(format!(
            "Mcp-Method must be present and equal the method {method:?}"
        ));
    }
    let needs_name = METHODS.iter().any(|(m, needs)| *m == method && *needs);
    if needs_name {
        let body_name = params
            .get("name")
            .or_else(|| params.get("uri"))
            .and_then(Value::as_str);
        let header_name = header(&admitted.headers, "mcp-name").map(decode_header_value);
        if header_name.as_deref() != body_name {
            return mismatch(format!("Mcp-Name must be present and equal {body_name:?}"));
        }
    }
    Ok(())
}

/// Decodes `=?base64?…?=` header values (used for names that are not plain ASCII).
fn decode_header_value(value: &str) -> String {
    value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| value.to_string())
}

/// Removes this hop's protocol keys from `_meta`; the rest (progress token, tracing) passes.
fn strip_protocol_meta(params: &mut Value) {
    let Some(meta) = params.get_mut("_meta").and_then(Value::as_object_mut) else {
        return;
    };
    meta.retain(|k, _| !k.starts_with(META_PREFIX));
    if meta.is_empty() {
        if let Some(obj) = params.as_object_mut() {
            obj.remove("_meta");
        }
    }
}

fn discover(gateway: &Gateway) -> Value {
    json!({
        "supportedVersions": Revision::supported(),
        "capabilities": gateway.capabilities(),
        "instructions": "livegate checks every tool call against your policy before it reaches the server behind it; refused calls say why.",
        "resultType": "complete",
        "ttlMs": LIST_TTL_MS,
        "cacheScope": "private",
        "_meta": { META_SERVER_INFO: Gateway::server_info() }
    })
}

/// `subscriptions/listen`: an SSE stream acknowledging the filter, then every matching
/// notification tagged with the subscription id, until the client closes it.
fn listen(gateway: &Gateway, id: Value, params: &Value) -> Response {
    let wanted = params
        .get("notifications")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let flag = |key: &str| wanted.get(key).and_then(Value::as_bool).unwrap_or(false);
    let (tools, prompts, resources) = (
        flag("toolsListChanged"),
        flag("promptsListChanged"),
        flag("resourcesListChanged"),
    );
    let uris: Vec<String> = wanted
        .get("resourceSubscriptions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let agreed = json!({"toolsListChanged": tools, "promptsListChanged": prompts,
                        "resourcesListChanged": resources, "resourceSubscriptions": uris});
    let mut notes = gateway.subscribe();
    let tag = move |params: Option<Value>| {
        let mut params = match params {
            Some(Value::Object(obj)) => obj,
            _ => Map::new(),
        };
        let meta = params.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(META_SUBSCRIPTION.into(), id.clone());
        }
        Value::Object(params)
    };
    let stream = async_stream::stream! {
        let ack = notification("notifications/subscriptions/acknowledged", Some(tag(Some(json!({"notifications": agreed})))));
        yield Ok::<Event, Infallible>(Event::default().event("message").data(ack.to_string()));
        loop {
            let note = match notes.recv().await {
                Ok(note) => note,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let pass = match note.method.as_str() {
                "notifications/tools/list_changed" => tools,
                "notifications/prompts/list_changed" => prompts,
                "notifications/resources/list_changed" => resources,
                "notifications/resources/updated" => note.params.as_ref()
                    .and_then(|p| p.get("uri")).and_then(Value::as_str)
                    .is_some_and(|uri| uris.iter().any(|u| u == uri)),
                _ => false,
            };
            if pass {
                let message = notification(&note.method, Some(tag(note.params)));
                yield Ok(Event::default().event("message").data(message.to_string()));
            }
        }
    };
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_names_are_decoded() {
        assert_eq!(decode_header_value("=?base64?w6ljaG8=?="), "écho");
        assert_eq!(decode_header_value("echo"), "echo");
    }

    #[test]
    fn protocol_meta_is_stripped_and_the_rest_kept() {
        let mut params =
            json!({"name": "x", "_meta": {META_VERSION: "2026-07-28", "progressToken": 5}});
        strip_protocol_meta(&mut params);
        assert_eq!(params, json!({"name": "x", "_meta": {"progressToken": 5}}));
        let mut params = json!({"_meta": {META_VERSION: "2026-07-28"}});
        strip_protocol_meta(&mut params);
        assert_eq!(params, json!({}));
    }
}
