//! Streamable HTTP at `/mcp`: one endpoint for every revision. A request carrying the
//! stateless revision's `_meta` (or its `MCP-Protocol-Version` header) is served statelessly
//! (`stateless.rs`); `initialize` and requests with an `Mcp-Session-Id` are served in the
//! handshake revisions (`handshake.rs`). Before any of that, every request passes the same
//! gate: loopback `Host`, allowed `Origin`, a valid grant token, a JSON body within the cap.

mod handshake;
mod reply;
mod stateless;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::Value;

use super::revision::Revision;
use crate::grants::GrantStore;
use crate::mcp::gateway::Gateway;
use crate::mcp::jsonrpc::RpcError;
use handshake::Sessions;
use reply::rpc_error;

/// The header carrying the session id in the handshake revisions.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The header carrying the protocol revision.
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// What the HTTP endpoint needs.
pub struct HttpConfig {
    /// The gateway core.
    pub gateway: Arc<Gateway>,
    /// Grant tokens.
    pub grants: Arc<GrantStore>,
    /// Browser origins allowed besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// The address served, for the `Host` check.
    pub listen: SocketAddr,
}

struct AppState {
    config: HttpConfig,
    sessions: Sessions,
}

/// The `/mcp` routes (GET, POST, DELETE), ready to serve or to merge into a larger router.
pub fn router(config: HttpConfig) -> Router {
    let state = Arc::new(AppState {
        config,
        sessions: Sessions::default(),
    });
    Router::new().route("/mcp", any(handle)).with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A request that passed the gate.
struct Admitted {
    grant: String,
    headers: HeaderMap,
}

async fn handle(State(state): State<Arc<AppState>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let admitted = match gate(&state.config, &parts.headers) {
        Ok(grant) => Admitted {
            grant,
            headers: parts.headers,
        },
        Err(response) => return response,
    };
    let modern = header(&admitted.headers, VERSION_HEADER) == Some(Revision::V2026_07_28.as_str());
    match parts.method {
        Method::POST => post(&state, admitted, body).await,
        Method::GET | Method::DELETE if modern => reply::method_not_allowed(),
        Method::GET => handshake::open_stream(&state, &admitted).await,
        Method::DELETE => handshake::end_session(&state, &admitted),
        _ => reply::method_not_allowed(),
    }
}

/// Host, Origin and token checks, shared by every method.
fn gate(config: &HttpConfig, headers: &HeaderMap) -> Result<String, Response> {
    if let Some(host) = header(headers, header::HOST.as_str()) {
        if !host_allowed(host, config.listen) {
            return Err(reply::plain(
                StatusCode::FORBIDDEN,
                &format!(
                    "Host {host:?} is not served here; connect to {}",
                    config.listen
                ),
            ));
        }
    }
    if let Some(origin) = header(headers, header::ORIGIN.as_str()) {
        if !origin_allowed(origin, &config.allowed_origins) {
            return Err(rpc_error(
                StatusCode::FORBIDDEN,
                Value::Null,
                &RpcError::invalid_request(format!(
                    "Origin {origin} is not allowed; add it to allowed_origins in settings.json if you trust it"
                )),
            ));
        }
    }
    let token = header(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match token.and_then(|t| config.grants.authenticate(t)) {
        Some(grant) => Ok(grant),
        None => Err(reply::unauthorized(token.is_some())),
    }
}

async fn post(state: &AppState, admitted: Admitted, body: Body) -> Response {
    let config = &state.config;
    let content_type = header(&admitted.headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return reply::plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /mcp takes Content-Type: application/json",
        );
    }
    if !accepts_json_or_sse(&admitted.headers) {
        return reply::plain(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must include application/json and text/event-stream",
        );
    }
    let bytes = match to_bytes(body, config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!(
                "request body larger than {} bytes; send less, or raise max_body_bytes in settings.json",
                config.max_body_bytes
            );
            return rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Value::Null,
                &RpcError::invalid_request(message),
            );
        }
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return rpc_error(StatusCode::BAD_REQUEST, Value::Null, &RpcError::parse(e)),
    };
    let is_initialize = value.get("method").and_then(Value::as_str) == Some("initialize");
    let has_session = header(&admitted.headers, SESSION_HEADER).is_some();
    let modern_meta = value
        .pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion")
        .is_some();
    let modern_header =
        header(&admitted.headers, VERSION_HEADER) == Some(Revision::V2026_07_28.as_str());
    if !is_initialize && !has_session && (modern_meta || modern_header) {
        stateless::post(state, admitted, value).await
    } else {
        handshake::post(state, admitted, value).await
    }
}

/// A header's value as text, if present and printable.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// True unless the client's `Accept` rules out both JSON and SSE.
fn accepts_json_or_sse(headers: &HeaderMap) -> bool {
    match header(headers, header::ACCEPT.as_str()) {
        None => true,
        Some(accept) => {
            let accept = accept.to_ascii_lowercase();
            [
                "application/json",
                "text/event-stream",
                "*/*",
                "application/*",
            ]
            .iter()
            .any(|t| accept.contains(t))
        }
    }
}

/// True when the client wants (or accepts) an SSE response.
fn accepts_sse(headers: &HeaderMap) -> bool {
    header(headers, header::ACCEPT.as_str())
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"))
}

fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Loopback names always; the listen address's own IP too, unless it listens on all.
pub(crate) fn host_allowed(host: &str, listen: SocketAddr) -> bool {
    let name = host_name(host);
    if listen.ip().is_unspecified() {
        return true;
    }
    matches!(name, "localhost" | "127.0.0.1" | "::1") || name == listen.ip().to_string()
}

/// Loopback origins (any scheme and port) and the configured ones.
fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && matches!(host_name(rest), "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_or_listed_origins_pass() {
        let allowed = vec!["https://studio.example".to_string()];
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://[::1]:8443",
            "https://studio.example",
        ] {
            assert!(origin_allowed(ok, &allowed), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "null",
            "http://localhost.evil.example",
            "file://",
            "http://127.0.0.2",
        ] {
            assert!(!origin_allowed(bad, &allowed), "{bad}");
        }
    }

    #[test]
    fn hosts_must_be_loopback_when_listening_on_loopback() {
        let listen: SocketAddr = ([127, 0, 0, 1], 7420).into();
        assert!(host_allowed("127.0.0.1:7420", listen));
        assert!(host_allowed("localhost:7420", listen));
        assert!(host_allowed("[::1]:7420", listen));
        assert!(!host_allowed("attacker.example:7420", listen));
        assert!(host_allowed("anything", ([0, 0, 0, 0], 7420).into()));
    }
}
