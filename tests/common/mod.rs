//! Shared by the gateway tests: a real livegate on 127.0.0.1 with a temporary home, a
//! grant token, and a small HTTP client that speaks raw JSON-RPC.

#![allow(dead_code)] // each test binary uses a different part of this

pub mod admin;
pub mod process;

use std::path::Path;

use livegate::server::{self, Running, ServerOptions};
use livegate::settings::{Paths, Settings, UpstreamConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

/// A running livegate for one test.
pub struct TestGateway {
    pub running: Running,
    pub token: String,
    pub url: String,
    home: std::path::PathBuf,
    _owned_home: Option<tempfile::TempDir>,
    pub http: reqwest::Client,
}

/// Starts livegate in a fresh temporary home with `policy` and the given upstreams.
pub async fn start(policy: &str, upstreams: Vec<UpstreamConfig>) -> TestGateway {
    let home = tempfile::tempdir().expect("temp dir");
    let mut gw = start_in(home.path(), policy, upstreams).await;
    gw._owned_home = Some(home);
    gw
}

/// Starts livegate in `home` (kept between runs: pins and grants survive), with `policy`
/// and the given upstreams, and a new grant.
pub async fn start_in(home: &Path, policy: &str, upstreams: Vec<UpstreamConfig>) -> TestGateway {
    start_with(home, policy, upstreams, None).await
}

/// Like [`start_in`], choosing the real or simulated Live for the `ableton` built-in.
pub async fn start_with(
    home: &Path,
    policy: &str,
    upstreams: Vec<UpstreamConfig>,
    simulator: Option<livegate::settings::SimulatorMode>,
) -> TestGateway {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let paths = Paths::under(home);
    paths.ensure().expect("folders");
    let mut settings = Settings::load(&paths.settings_file()).expect("settings");
    settings.upstreams = upstreams;
    settings
        .save(&paths.settings_file())
        .expect("settings saved");
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let token = livegate::grants::add(&paths.settings_file(), &format!("tester-{run}"))
        .expect("grant added");
    std::fs::write(paths.policy_file(), policy).expect("policy written");
    let running = server::start(ServerOptions {
        policy_file: paths.policy_file(),
        paths,
        listen: Some(([127, 0, 0, 1], 0).into()),
        catalogs: Vec::new(),
        simulator,
    })
    .await
    .expect("livegate starts");
    let url = running.mcp_url();
    TestGateway {
        running,
        token,
        url,
        home: home.to_path_buf(),
        _owned_home: None,
        http: reqwest::Client::new(),
    }
}

/// The echo built-in upstream.
pub fn echo(name: &str) -> UpstreamConfig {
    UpstreamConfig::Builtin {
        name: name.to_string(),
        builtin: "echo".to_string(),
    }
}

/// A reply: status, headers and body (JSON when it parses, else `Value::String`).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestGateway {
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// POSTs `body` with the grant token, JSON content type and both Accept types.
    pub async fn post(&self, body: &Value, extra: &[(&str, &str)]) -> Reply {
        self.post_raw(body.to_string().into_bytes(), &self.token, extra)
            .await
    }

    pub async fn post_raw(&self, body: Vec<u8>, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        for (k, v) in extra {
            request = request.header(
                HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        reply(request.send().await.expect("request sent")).await
    }

    /// Initializes a handshake session in `revision`; returns its session id.
    pub async fn initialize(&self, revision: &str) -> String {
        let r = self
            .post(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": revision, "capabilities": {},
                    "clientInfo": {"name": "livegate-tests", "version": "1"}}}),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["protocolVersion"], revision);
        let session = r
            .headers
            .get("mcp-session-id")
            .expect("session id")
            .to_str()
            .expect("ascii")
            .to_string();
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let r = self.post(&note, &[("mcp-session-id", &session)]).await;
        assert_eq!(r.status, 202);
        session
    }

    /// A request in a handshake session.
    pub async fn call(&self, session: &str, id: u64, method: &str, params: Value) -> Reply {
        self.post(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            &[
                ("mcp-session-id", session),
                ("mcp-protocol-version", "2025-11-25"),
            ],
        )
        .await
    }

    /// `tools/call` of `name` with `arguments` in a handshake session.
    pub async fn call_tool(&self, session: &str, id: u64, name: &str, arguments: Value) -> Reply {
        self.call(
            session,
            id,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        )
        .await
    }

    /// `tools/call` with `params` in a handshake session, in the background (for calls that
    /// wait, e.g. for an approval).
    pub fn call_in_background(
        &self,
        session: &str,
        id: u64,
        params: Value,
    ) -> tokio::task::JoinHandle<Reply> {
        let request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25")
            .body(
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
                    .to_string(),
            );
        tokio::spawn(async move { reply(request.send().await.expect("sent")).await })
    }

    /// A request in the stateless revision, with correct `_meta` and headers.
    pub async fn stateless(&self, id: u64, method: &str, mut params: Value) -> Reply {
        params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2026-07-28");
        params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!({});
        let name = params
            .get("name")
            .or_else(|| params.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut headers = vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
        ];
        if let Some(name) = name.as_deref() {
            headers.push(("mcp-name", name));
        }
        self.post(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            &headers,
        )
        .await
    }
}

/// Waits until exactly `n` approvals are pending in `queue` and returns them.
pub async fn pending(
    queue: &livegate::approval::ApprovalQueue,
    n: usize,
) -> Vec<livegate::approval::PendingApproval> {
    for _ in 0..500 {
        let list = queue.list();
        if list.len() == n {
            return list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("expected {n} pending approvals, have {:?}", queue.list());
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = if headers
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"))
    {
        // The last `data:` event of an SSE response is the JSON-RPC response.
        text.lines()
            .rev()
            .filter_map(|l| l.strip_prefix("data:"))
            .find_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .unwrap_or(Value::Null)
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// The text of a tool result's first content item.
pub fn tool_text(reply: &Reply) -> String {
    reply.body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A test peer installed by `scripts/test.sh` under `.test-env/` (or `$LIVEGATE_TEST_ENV`).
/// `None` means it is not installed; with `LIVEGATE_REQUIRE_PEERS=1` (as CI sets) that fails
/// the test instead, so CI can never skip it silently.
pub fn peer(relative: &str) -> Option<std::path::PathBuf> {
    let root = std::env::var_os("LIVEGATE_TEST_ENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-env"));
    let path = root.join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("LIVEGATE_REQUIRE_PEERS").is_none(),
        "test peer {} is missing; run ./scripts/test.sh to install it",
        path.display()
    );
    eprintln!(
        "skipping: test peer {} is not installed (./scripts/test.sh installs it)",
        path.display()
    );
    None
}

/// Adds a grant to a running test gateway's settings and returns its token.
pub fn new_grant(gw: &TestGateway, name: &str) -> String {
    livegate::grants::add(&Paths::under(gw.home()).settings_file(), name).expect("grant added")
}

/// The tool names in a `tools/list` reply.
pub fn tool_names(reply: &Reply) -> Vec<String> {
    reply.body["result"]["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
