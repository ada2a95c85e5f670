//! The handshake fallback against a server that speaks only 2025-06-18: sessions, event
//! stream answers, cancellation, expired sessions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::{json_reply, quick, serve, text_of};
use crate::mcp::upstream::http::{HttpOptions, HttpUpstream};
use crate::mcp::upstream::{Upstream, UpstreamError, UpstreamHealth};

/// What a test server saw of one POST.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    session: Option<String>,
    version: Option<String>,
    body: Value,
}

/// A server that speaks only the handshake revisions (2025-06-18).
#[derive(Default)]
struct Legacy {
    seen: Mutex<Vec<Seen>>,
    initializes: AtomicUsize,
    /// Sessions answered with 404 from now on.
    expired: Mutex<Vec<String>>,
    /// Expire the first session as soon as it is minted.
    expire_first: bool,
}

impl Legacy {
    fn seen(&self, method: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .iter()
            .filter(|s| s.method == method)
            .cloned()
            .collect()
    }
}

async fn legacy(
    State(server): State<Arc<Legacy>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let rpc = body["method"].as_str().unwrap_or("").to_string();
    let session = header("mcp-session-id");
    server.seen.lock().push(Seen {
        method: rpc.clone(),
        session: session.clone(),
        version: header("mcp-protocol-version"),
        body: body.clone(),
    });
    let id = body["id"].clone();
    let error = |status, code: i64, message: &str| {
        json_reply(
            status,
            &json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        )
    };
    match rpc.as_str() {
        "server/discover" => return error(StatusCode::BAD_REQUEST, -32601, "Method not found"),
        "initialize" => {
            let n = server.initializes.fetch_add(1, Ordering::SeqCst) + 1;
            let session = format!("s{n}");
            if n == 1 && server.expire_first {
                server.expired.lock().push(session.clone());
            }
            let result = json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                "serverInfo": {"name": "legacy", "version": "1"}});
            let mut response = json_reply(
                StatusCode::OK,
                &json!({"jsonrpc": "2.0", "id": id, "result": result}),
            );
            if let Ok(value) = HeaderValue::from_str(&session) {
                response.headers_mut().insert("mcp-session-id", value);
            }
            return response;
        }
        _ => {}
    }
    let live = session
        .as_ref()
        .is_some_and(|s| !server.expired.lock().contains(s));
    if !live || rpc == "prompts/list" {
        return json_reply(
            StatusCode::NOT_FOUND,
            &json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32001, "message": "Session not found"}}),
        );
    }
    if rpc.starts_with("notifications/") {
        return StatusCode::ACCEPTED.into_response();
    }
    match (
        rpc.as_str(),
        body.pointer("/params/name").and_then(Value::as_str),
    ) {
        ("tools/list", _) => json_reply(
            StatusCode::OK,
            &json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [{"name": "work", "inputSchema": {"type": "object"}}]}}),
        ),
        ("tools/call", Some("slow")) => futures::future::pending().await,
        ("tools/call", _) => {
            let token = body
                .pointer("/params/_meta/progressToken")
                .cloned()
                .unwrap_or(Value::Null);
            let progress = json!({"jsonrpc": "2.0", "method": "notifications/progress",
                                  "params": {"progressToken": token, "progress": 1, "total": 2}});
            // The response spans two data: lines (JSON allows the line break).
            let sse = format!(
                ": keep-alive\n\nevent: message\ndata: {progress}\n\nevent: message\ndata: {{\"jsonrpc\":\"2.0\",\"id\":{id},\ndata: \"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\"done\"}}]}}}}\n\n"
            );
            (StatusCode::OK, [("content-type", "text/event-stream")], sse).into_response()
        }
        _ => error(StatusCode::OK, -32601, "Method not found"),
    }
}

async fn legacy_server(expire_first: bool) -> (String, Arc<Legacy>) {
    let server = Arc::new(Legacy {
        expire_first,
        ..Legacy::default()
    });
    let app = Router::new()
        .route("/mcp", any(legacy))
        .with_state(Arc::clone(&server));
    let addr = serve(app).await;
    (format!("http://{addr}/mcp"), server)
}

#[tokio::test]
async fn falls_back_to_the_handshake_and_reads_event_streams() {
    let (url, server) = legacy_server(false).await;
    let headers = BTreeMap::from([("X-Api-Key".to_string(), "k".to_string())]);
    let upstream = HttpUpstream::connect("legacy", &url, headers, HttpOptions::default());
    assert_eq!(upstream.health(), UpstreamHealth::Starting { detail: None });
    let mut notes = upstream.subscribe();

    let call = json!({"name": "work", "arguments": {}, "_meta": {"progressToken": "t1"}});
    let result = upstream
        .request("tools/call", Some(call))
        .await
        .expect("call");
    assert_eq!(text_of(&result), "done");
    assert_eq!(upstream.protocol_version().as_deref(), Some("2025-06-18"));
    assert_eq!(upstream.health(), UpstreamHealth::Ready);
    assert_eq!(upstream.capabilities(), json!({"tools": {}}));

    let note = tokio::time::timeout(Duration::from_secs(2), notes.recv())
        .await
        .expect("a notification in time")
        .expect("a notification");
    assert_eq!(note.upstream, "legacy");
    assert_eq!(note.method, "notifications/progress");
    assert_eq!(
        note.params,
        Some(json!({"progressToken": "t1", "progress": 1, "total": 2}))
    );

    assert_eq!(server.seen("server/discover").len(), 1);
    let init = server.seen("initialize");
    assert_eq!(init.len(), 1);
    assert_eq!(
        init[0].body["params"]["protocolVersion"],
        json!("2025-11-25")
    );
    assert_eq!(
        init[0].body["params"]["clientInfo"]["name"],
        json!("livegate")
    );
    let initialized = server.seen("notifications/initialized");
    assert_eq!(initialized.len(), 1);
    assert_eq!(initialized[0].session.as_deref(), Some("s1"));
    let calls = server.seen("tools/call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].session.as_deref(), Some("s1"));
    assert_eq!(calls[0].version.as_deref(), Some("2025-06-18"));
    // Handshake requests go out as given: no stateless _meta.
    assert_eq!(
        calls[0].body["params"]["_meta"],
        json!({"progressToken": "t1"})
    );
}

/// Waits until the server saw `count` cancellations.
async fn cancellations(server: &Legacy, count: usize) -> Vec<Seen> {
    for _ in 0..100 {
        let seen = server.seen("notifications/cancelled");
        if seen.len() >= count {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.seen("notifications/cancelled")
}

#[tokio::test]
async fn timed_out_and_dropped_requests_are_cancelled_at_the_server() {
    let (url, server) = legacy_server(false).await;
    let upstream = HttpUpstream::connect("legacy", &url, BTreeMap::new(), quick());
    upstream.request("tools/list", None).await.expect("connect");

    let slow = json!({"name": "slow", "arguments": {}});
    let error = upstream.request("tools/call", Some(slow.clone())).await;
    assert!(
        matches!(error, Err(UpstreamError::Timeout { after_ms: 1000, .. })),
        "{error:?}"
    );
    let seen = cancellations(&server, 1).await;
    assert_eq!(seen.len(), 1);
    let call_id = server.seen("tools/call")[0].body["id"].clone();
    assert_eq!(seen[0].body["params"]["requestId"], call_id);
    assert_eq!(seen[0].session.as_deref(), Some("s1"));

    // The agent gives up first: dropping the future cancels.
    let dropped = tokio::time::timeout(
        Duration::from_millis(100),
        upstream.request("tools/call", Some(slow)),
    )
    .await;
    assert!(dropped.is_err());
    let seen = cancellations(&server, 2).await;
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].body["params"]["reason"],
        json!("the client cancelled the request")
    );
    // A timeout is not a lost connection.
    assert_eq!(upstream.health(), UpstreamHealth::Ready);
}

#[tokio::test]
async fn an_expired_session_is_initialized_again_once() {
    let (url, server) = legacy_server(true).await;
    let upstream = HttpUpstream::connect("legacy", &url, BTreeMap::new(), HttpOptions::default());
    let tools = upstream.request("tools/list", None).await.expect("retried");
    assert_eq!(tools["tools"][0]["name"], json!("work"));
    assert_eq!(server.initializes.load(Ordering::SeqCst), 2);
    let sessions: Vec<Option<String>> = server
        .seen("tools/list")
        .into_iter()
        .map(|s| s.session)
        .collect();
    assert_eq!(sessions, [Some("s1".to_string()), Some("s2".to_string())]);
    // The handshake is known to work: no second discover probe.
    assert_eq!(server.seen("server/discover").len(), 1);
    assert_eq!(upstream.health(), UpstreamHealth::Ready);

    // A server that keeps answering 404 gets one retry, then the error.
    match upstream.request("prompts/list", None).await {
        Err(UpstreamError::Rpc { code, .. }) => assert_eq!(code, -32001),
        other => panic!("expected the session error, got {other:?}"),
    }
    assert_eq!(server.initializes.load(Ordering::SeqCst), 3);
    assert_eq!(server.seen("prompts/list").len(), 2);
}
