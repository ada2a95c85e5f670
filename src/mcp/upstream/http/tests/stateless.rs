//! The stateless revision: against livegate's own endpoint, and against a small server
//! that checks headers, streams `subscriptions/listen` and misbehaves on purpose.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::{bearer, json_reply, livegate, quick, serve, text_of};
use crate::mcp::upstream::http::{HttpOptions, HttpUpstream};
use crate::mcp::upstream::{Upstream, UpstreamError, UpstreamHealth};

#[tokio::test]
async fn speaks_the_stateless_revision_with_livegate() {
    let (url, token, _dir) = livegate().await;
    let upstream = HttpUpstream::connect("lg", &url, bearer(&token), HttpOptions::default());

    let tools = upstream
        .request("tools/list", None)
        .await
        .expect("tools/list");
    assert_eq!(upstream.protocol_version().as_deref(), Some("2026-07-28"));
    assert_eq!(upstream.health(), UpstreamHealth::Ready);
    assert!(upstream.capabilities().get("tools").is_some());
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["echo", "add", "fail"]);
    assert!(tools.get("resultType").is_none() && tools.get("ttlMs").is_none());

    let call = json!({"name": "echo", "arguments": {"text": "hi"}});
    let result = upstream
        .request("tools/call", Some(call))
        .await
        .expect("echo");
    assert_eq!(text_of(&result), "hi");
    assert!(result.get("resultType").is_none());

    // With a progress token livegate answers with an event stream; the _meta is merged.
    let call =
        json!({"name": "add", "arguments": {"a": 2, "b": 3}, "_meta": {"progressToken": "p1"}});
    let result = upstream
        .request("tools/call", Some(call))
        .await
        .expect("add");
    assert_eq!(result["structuredContent"]["sum"], json!(5.0));
    assert!(result.get("resultType").is_none());

    let read = json!({"uri": "echo://echo/readme"});
    let result = upstream
        .request("resources/read", Some(read))
        .await
        .expect("read");
    assert_eq!(result["contents"][0]["text"], json!("echo upstream"));
    assert!(result.get("resultType").is_none() && result.get("cacheScope").is_none());

    let get = json!({"name": "greet", "arguments": {"who": "Ann"}});
    let result = upstream
        .request("prompts/get", Some(get))
        .await
        .expect("prompt");
    assert_eq!(
        result["messages"][0]["content"]["text"],
        json!("Hello, Ann!")
    );
    assert!(result.get("resultType").is_none());

    // A non-ASCII name travels base64-encoded in Mcp-Name: livegate accepts the header and
    // answers about the tool itself.
    let call = json!({"name": "écho", "arguments": {}});
    match upstream.request("tools/call", Some(call)).await {
        Err(UpstreamError::Rpc { code, message, .. }) => {
            assert_eq!(code, crate::mcp::jsonrpc::INVALID_PARAMS, "{message}");
            assert!(message.contains("écho"), "{message}");
        }
        other => panic!("expected an unknown-tool error, got {other:?}"),
    }
    // Unknown methods come back as livegate's JSON-RPC error (sent with HTTP 404).
    match upstream.request("nope/nothing", None).await {
        Err(UpstreamError::Rpc { code, .. }) => {
            assert_eq!(code, crate::mcp::jsonrpc::METHOD_NOT_FOUND)
        }
        other => panic!("expected method not found, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_token_is_reported_not_retried_forever() {
    let (url, _token, _dir) = livegate().await;
    let upstream = HttpUpstream::connect("lg", &url, bearer("wrong"), quick());
    let error = upstream
        .request("tools/list", None)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("grant"), "{error}");
    assert!(matches!(upstream.health(), UpstreamHealth::Down { .. }));
}

/// A stateless-only server: `server/discover`, a `subscriptions/listen` stream, and a few
/// misbehaving tools.
#[derive(Default)]
struct Modern {
    seen: Mutex<Vec<(HeaderMap, Value)>>,
}

async fn modern(State(server): State<Arc<Modern>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    server.seen.lock().push((headers, body.clone()));
    let id = body["id"].clone();
    let ok = |result: Value| {
        json_reply(
            StatusCode::OK,
            &json!({"jsonrpc": "2.0", "id": id, "result": result}),
        )
    };
    match (
        body["method"].as_str().unwrap_or(""),
        body.pointer("/params/name").and_then(Value::as_str),
    ) {
        ("server/discover", _) => ok(json!({
            "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {"listChanged": true}},
            "resultType": "complete", "ttlMs": 1000, "cacheScope": "public",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern", "version": "1"}}})),
        ("subscriptions/listen", _) => {
            let tag = json!({"io.modelcontextprotocol/subscriptionId": id});
            let ack = json!({"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
                             "params": {"_meta": tag, "notifications": body["params"]["notifications"]}});
            let changed = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed",
                                 "params": {"_meta": tag}});
            let events =
                format!("event: message\ndata: {ack}\n\nevent: message\ndata: {changed}\n\n");
            let stream = futures::stream::iter([Ok::<_, std::convert::Infallible>(events)])
                .chain(futures::stream::pending());
            (
                StatusCode::OK,
                [("content-type", "text/event-stream")],
                axum::body::Body::from_stream(stream),
            )
                .into_response()
        }
        ("tools/call", Some("garbled")) => "not json".into_response(),
        ("tools/call", Some("stray")) => json_reply(
            StatusCode::OK,
            &json!({"jsonrpc": "2.0", "id": 999_999, "result": {}}),
        ),
        ("tools/call", Some("more")) => ok(json!({"resultType": "input_required"})),
        ("tools/call", _) => ok(json!({"content": [], "resultType": "complete"})),
        _ => json_reply(
            StatusCode::NOT_FOUND,
            &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}}),
        ),
    }
}

#[tokio::test]
async fn stateless_requests_carry_headers_and_listen_for_changes() {
    let server = Arc::new(Modern::default());
    let app = Router::new()
        .route("/mcp", any(modern))
        .with_state(Arc::clone(&server));
    let addr = serve(app).await;
    let upstream = HttpUpstream::connect(
        "modern",
        format!("http://{addr}/mcp"),
        BTreeMap::new(),
        quick(),
    );
    let mut notes = upstream.subscribe();

    let call = json!({"name": "ok", "arguments": {}, "_meta": {"progressToken": 7}});
    let result = upstream
        .request("tools/call", Some(call))
        .await
        .expect("call");
    assert_eq!(result, json!({"content": []}));
    assert_eq!(upstream.protocol_version().as_deref(), Some("2026-07-28"));

    let note = tokio::time::timeout(Duration::from_secs(2), notes.recv())
        .await
        .expect("a notification in time")
        .expect("a notification");
    assert_eq!(note.method, "notifications/tools/list_changed");
    assert_eq!(note.params, Some(json!({})));

    let seen = server.seen.lock().clone();
    let (headers, body) = seen
        .iter()
        .find(|(_, b)| b["method"] == "tools/call")
        .cloned()
        .expect("the call");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    assert_eq!(
        header("mcp-protocol-version").as_deref(),
        Some("2026-07-28")
    );
    assert_eq!(header("mcp-method").as_deref(), Some("tools/call"));
    assert_eq!(header("mcp-name").as_deref(), Some("ok"));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("accept").as_deref(),
        Some("application/json, text/event-stream")
    );
    let meta = &body["params"]["_meta"];
    assert_eq!(meta["progressToken"], json!(7));
    assert_eq!(
        meta["io.modelcontextprotocol/protocolVersion"],
        json!("2026-07-28")
    );
    assert_eq!(
        meta["io.modelcontextprotocol/clientCapabilities"],
        json!({})
    );
    let listen = seen
        .iter()
        .find(|(_, b)| b["method"] == "subscriptions/listen")
        .map(|(_, b)| b["params"]["notifications"].clone());
    assert_eq!(
        listen,
        Some(
            json!({"toolsListChanged": true, "promptsListChanged": false, "resourcesListChanged": false})
        )
    );

    for (name, expected) in [
        ("garbled", "not json"),
        ("stray", "999999"),
        ("more", "input_required"),
    ] {
        match upstream
            .request("tools/call", Some(json!({"name": name})))
            .await
        {
            Err(UpstreamError::Protocol { detail, .. }) => {
                assert!(detail.contains(expected), "{name}: {detail}")
            }
            other => panic!("{name}: expected a protocol error, got {other:?}"),
        }
    }
    assert_eq!(upstream.health(), UpstreamHealth::Ready);
}
