//! [`HttpUpstream`] against real servers on 127.0.0.1: livegate's own Streamable HTTP
//! endpoint and small axum handlers playing a stateless-only server ([`stateless`]), a
//! handshake-only one ([`handshake`]), and servers that are dead or never answer (here).

mod handshake;
mod stateless;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::{HttpOptions, HttpUpstream};
use crate::approval::NoApprover;
use crate::events::EventBus;
use crate::grants::GrantStore;
use crate::mcp::downstream::http::{router, HttpConfig};
use crate::mcp::gateway::Gateway;
use crate::mcp::pins::PinStore;
use crate::mcp::upstream::{EchoUpstream, Upstream, UpstreamError, UpstreamHealth};
use crate::policy::{Catalog, CompiledPolicy, PolicyHandle};

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// livegate's own endpoint over an echo upstream; its URL, a grant token, and the temp dir
/// holding the settings (kept alive by the caller).
async fn livegate() -> (String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = dir.path().join("settings.json");
    let token = crate::grants::add(&settings, "test").expect("grant");
    let policy = CompiledPolicy::from_json(
        r#"{"version":"1","default":"allow"}"#,
        Arc::new(Catalog::empty()),
    )
    .expect("policy");
    let upstreams: Vec<Arc<dyn Upstream>> = vec![Arc::new(EchoUpstream::new("echo"))];
    let gateway = Gateway::new(
        Arc::new(PolicyHandle::new(policy)),
        upstreams,
        Arc::new(PinStore::in_memory()),
        Arc::new(NoApprover),
        crate::audit::AuditLog::open(dir.path().join("audit.db"), Default::default())
            .expect("audit log"),
        EventBus::new(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = router(HttpConfig {
        gateway,
        grants: Arc::new(GrantStore::open(&settings)),
        allowed_origins: vec![],
        max_body_bytes: 4 << 20,
        listen: addr,
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/mcp"), token, dir)
}

fn bearer(token: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("Authorization".to_string(), format!("Bearer {token}"))])
}

fn quick() -> HttpOptions {
    HttpOptions {
        request_timeout: Duration::from_millis(1000),
        connect_timeout: Duration::from_secs(2),
    }
}

fn text_of(result: &Value) -> &str {
    result
        .pointer("/content/0/text")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[tokio::test]
async fn a_dead_port_is_unavailable_quickly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{port}/mcp");
    let upstream = HttpUpstream::connect("dead", &url, BTreeMap::new(), HttpOptions::default());
    let started = Instant::now();
    match upstream.request("tools/list", None).await {
        Err(UpstreamError::Unavailable {
            upstream: name,
            reason,
        }) => {
            assert_eq!(name, "dead");
            assert_eq!(reason, format!("cannot reach {url}: connection refused"));
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(upstream.health(), UpstreamHealth::Down { detail } if detail.contains("connection refused"))
    );
    assert_eq!(upstream.protocol_version(), None);
    assert_eq!(upstream.capabilities(), json!({}));
}

#[tokio::test]
async fn unusable_configured_headers_are_reported() {
    let headers = BTreeMap::from([("bad name".to_string(), "x".to_string())]);
    let upstream = HttpUpstream::connect(
        "cfg",
        "http://127.0.0.1:9/mcp",
        headers,
        HttpOptions::default(),
    );
    match upstream.request("tools/list", None).await {
        Err(UpstreamError::Unavailable { reason, .. }) => {
            assert!(reason.contains("\"bad name\""), "{reason}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let app = Router::new().route(
        "/mcp",
        any(|| async { futures::future::pending::<Response>().await }),
    );
    let addr = serve(app).await;
    let upstream = HttpUpstream::connect(
        "mute",
        format!("http://{addr}/mcp"),
        BTreeMap::new(),
        quick(),
    );
    let started = Instant::now();
    match upstream.request("tools/list", None).await {
        Err(UpstreamError::Timeout { after_ms, .. }) => assert_eq!(after_ms, 1000),
        other => panic!("expected Timeout, got {other:?}"),
    }
    // The discover probe and initialize each waited once (in the negotiation started by
    // connect, whose failure the request shares rather than negotiating again).
    assert!(started.elapsed() < Duration::from_millis(3500));
    assert!(matches!(upstream.health(), UpstreamHealth::Down { .. }));
}
