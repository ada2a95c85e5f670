//! Tests of [`StdioUpstream`] against a real child process: a small MCP server in
//! Python (standard library only) that logs every message it receives to a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::{StdioOptions, StdioUpstream};
use crate::mcp::upstream::{Upstream, UpstreamError, UpstreamHealth, UpstreamNotification};

/// The test server. Arguments: the protocol version to answer with, and the file
/// where it appends every message it receives (one JSON object per line).
const SERVER: &str = r#"
import json, os, sys, threading, time

version, log_path = sys.argv[1], sys.argv[2]
out_lock = threading.Lock()
log_lock = threading.Lock()

def log(entry):
    with log_lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")

def send(message):
    with out_lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

def text(request_id, value):
    send({"jsonrpc": "2.0", "id": request_id,
          "result": {"content": [{"type": "text", "text": value}]}})

def call(request_id, params):
    name = params.get("name")
    args = params.get("arguments") or {}
    if name == "echo":
        text(request_id, args.get("text", ""))
    elif name == "sleep":
        time.sleep(float(args.get("seconds", 1)))
        text(request_id, "slept")
    elif name == "crash":
        os._exit(3)
    elif name == "notify":
        send({"jsonrpc": "2.0", "method": "notifications/message",
              "params": {"level": "info", "data": args.get("text", "")}})
        text(request_id, "notified")
    else:
        send({"jsonrpc": "2.0", "id": request_id,
              "error": {"code": -32602, "message": "unknown tool " + str(name)}})

log({"pid": os.getpid()})
sys.stderr.write("test server starting\n")
sys.stderr.flush()
print("this line is not JSON-RPC", flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    message = json.loads(line)
    log(message)
    method = message.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": True}, "logging": {}},
            "serverInfo": {"name": "test-server", "version": "1.0",
                           "cwd": os.getcwd(),
                           "marker": os.environ.get("LIVEGATE_TEST_MARKER")}}})
    elif method == "notifications/initialized":
        send({"jsonrpc": "2.0", "id": "ping-1", "method": "ping"})
        send({"jsonrpc": "2.0", "id": 7, "method": "roots/list"})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"tools": [{
            "name": "echo", "description": "Echoes its text",
            "inputSchema": {"type": "object",
                            "properties": {"text": {"type": "string"}}}}]}})
    elif method == "tools/call":
        threading.Thread(target=call, args=(message["id"], message.get("params") or {}),
                         daemon=True).start()
    elif method is not None and "id" in message:
        send({"jsonrpc": "2.0", "id": message["id"],
              "error": {"code": -32601, "message": "no " + method}})
"#;

/// How long a condition may take to come true on a slow, shared machine.
const PATIENCE: Duration = Duration::from_secs(10);

/// A temporary folder with the test server script and its message log.
struct Server {
    dir: tempfile::TempDir,
    script: PathBuf,
    log: PathBuf,
}

fn server() -> Server {
    // Shown when a test fails (libtest captures it otherwise).
    drop(
        tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("livegate=debug")
            .try_init(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("server.py");
    std::fs::write(&script, SERVER).expect("script written");
    let log = dir.path().join("received.jsonl");
    Server { dir, script, log }
}

fn fast_options() -> StdioOptions {
    StdioOptions {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        ..StdioOptions::default()
    }
}

fn start(server: &Server, version: &str, options: StdioOptions) -> Arc<StdioUpstream> {
    StdioUpstream::spawn(
        "test".to_owned(),
        "python3".to_owned(),
        vec![
            server.script.display().to_string(),
            version.to_owned(),
            server.log.display().to_string(),
        ],
        BTreeMap::from([("LIVEGATE_TEST_MARKER".to_owned(), "marked".to_owned())]),
        Some(server.dir.path().to_path_buf()),
        options,
    )
}

/// Polls `condition` until it holds, for at most [`PATIENCE`].
async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready(upstream: &StdioUpstream) {
    wait_for("the upstream to be ready", || {
        upstream.health() == UpstreamHealth::Ready
    })
    .await;
}

/// The messages the server has received so far.
fn received(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Waits until the server has received a message satisfying `matches`.
async fn wait_received(log: &Path, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let mut found = None;
    wait_for(what, || {
        found = received(log).into_iter().find(|message| matches(message));
        found.is_some()
    })
    .await;
    found.unwrap_or_default()
}

async fn call(
    upstream: &StdioUpstream,
    tool: &str,
    arguments: Value,
) -> Result<Value, UpstreamError> {
    upstream
        .request(
            "tools/call",
            Some(json!({ "name": tool, "arguments": arguments })),
        )
        .await
}

fn text_of(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

/// Waits for a notification with `method` on `notifications`.
async fn next_notification(
    notifications: &mut broadcast::Receiver<UpstreamNotification>,
    method: &str,
) -> UpstreamNotification {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let notification = notifications
                .recv()
                .await
                .expect("notification channel open");
            if notification.method == method {
                return notification;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {method} notification"))
}

/// Waits until the server has received a `notifications/cancelled` for the
/// `tools/call` of the `sleep` tool, and returns its params.
async fn cancellation_of_sleep(log: &Path) -> Value {
    let sleep = wait_received(log, "the sleep call", |m| {
        m["method"] == "tools/call" && m["params"]["name"] == "sleep"
    })
    .await;
    let id = sleep["id"].clone();
    let cancelled = wait_received(log, "notifications/cancelled", |m| {
        m["method"] == "notifications/cancelled" && m["params"]["requestId"] == id
    })
    .await;
    cancelled["params"].clone()
}

#[tokio::test]
async fn handshake_lists_and_calls_tools_and_answers_server_requests() {
    let server = server();
    let upstream = start(&server, "2025-11-25", StdioOptions::default());
    assert_eq!(upstream.name(), "test");
    ready(&upstream).await;
    assert_eq!(upstream.protocol_version().as_deref(), Some("2025-11-25"));
    assert_eq!(upstream.capabilities()["tools"]["listChanged"], json!(true));
    let info = upstream.server_info();
    assert_eq!(info["name"], "test-server");
    assert_eq!(info["marker"], "marked", "env is passed: {info}");
    let cwd = std::fs::canonicalize(server.dir.path()).expect("temp dir path");
    assert_eq!(info["cwd"], cwd.display().to_string(), "cwd is set");

    let tools = upstream
        .request("tools/list", None)
        .await
        .expect("tools/list");
    assert_eq!(tools["tools"][0]["name"], "echo");
    let echoed = call(&upstream, "echo", json!({ "text": "hello" }))
        .await
        .expect("echo");
    assert_eq!(text_of(&echoed), "hello");
    let unknown = call(&upstream, "nope", json!({})).await;
    assert!(
        matches!(&unknown, Err(UpstreamError::Rpc { code: -32602, message, .. }) if message == "unknown tool nope"),
        "{unknown:?}"
    );

    let initialize =
        wait_received(&server.log, "initialize", |m| m["method"] == "initialize").await;
    assert_eq!(initialize["params"]["protocolVersion"], "2025-11-25");
    assert_eq!(initialize["params"]["clientInfo"]["name"], "livegate");
    wait_received(&server.log, "notifications/initialized", |m| {
        m["method"] == "notifications/initialized"
    })
    .await;
    wait_received(&server.log, "the answer to ping", |m| {
        m["id"] == "ping-1" && m["result"] == json!({})
    })
    .await;
    let refused = wait_received(&server.log, "the answer to roots/list", |m| m["id"] == 7).await;
    assert_eq!(refused["error"]["code"], -32601);
    assert_eq!(
        refused["error"]["message"],
        "livegate does not offer roots/list to upstream servers"
    );
    upstream.shutdown().await;
}

#[tokio::test]
async fn older_revisions_are_accepted() {
    for version in ["2025-06-18", "2025-03-26"] {
        let server = server();
        let upstream = start(&server, version, StdioOptions::default());
        ready(&upstream).await;
        assert_eq!(upstream.protocol_version().as_deref(), Some(version));
        assert_eq!(upstream.capabilities()["logging"], json!({}));
        let echoed = call(&upstream, "echo", json!({ "text": version }))
            .await
            .expect("echo");
        assert_eq!(text_of(&echoed), version);
        upstream.shutdown().await;
    }
}

#[tokio::test]
async fn an_unsupported_revision_is_down_with_a_clear_detail() {
    let server = server();
    let upstream = start(&server, "1999-01-01", fast_options());
    wait_for("Down for the revision", || {
        matches!(upstream.health(), UpstreamHealth::Down { detail } if detail.contains("1999-01-01") && detail.contains("does not support"))
    })
    .await;
    assert_eq!(upstream.protocol_version(), None);
    let result = upstream.request("tools/list", None).await;
    assert!(
        matches!(result, Err(UpstreamError::Unavailable { .. })),
        "{result:?}"
    );
    let initialized = received(&server.log)
        .iter()
        .any(|m| m["method"] == "notifications/initialized");
    assert!(!initialized, "the handshake is not completed");
    upstream.shutdown().await;
}

#[tokio::test]
async fn concurrent_requests_get_their_own_answers() {
    let server = server();
    let upstream = start(&server, "2025-11-25", StdioOptions::default());
    ready(&upstream).await;
    let calls = (0..20).map(|i| {
        let upstream = Arc::clone(&upstream);
        async move { call(&upstream, "echo", json!({ "text": format!("call {i}") })).await }
    });
    let results = futures::future::join_all(calls).await;
    for (i, result) in results.into_iter().enumerate() {
        let result = result.expect("echo");
        assert_eq!(text_of(&result), format!("call {i}"));
    }
    upstream.shutdown().await;
}

#[tokio::test]
async fn a_crash_fails_the_pending_request_and_the_server_restarts() {
    let server = server();
    let upstream = start(&server, "2025-11-25", fast_options());
    ready(&upstream).await;
    let mut notifications = upstream.subscribe();

    let crashed = tokio::time::timeout(PATIENCE, call(&upstream, "crash", json!({})))
        .await
        .expect("the crash is noticed promptly");
    match crashed {
        Err(UpstreamError::Unavailable { upstream, reason }) => {
            assert_eq!(upstream, "test");
            assert!(reason.contains("upstream test exited"), "{reason}");
            assert!(reason.contains("while the request was pending"), "{reason}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }

    let changed = next_notification(&mut notifications, "notifications/tools/list_changed").await;
    assert_eq!(changed.upstream, "test");
    assert_eq!(changed.params, None);
    ready(&upstream).await;
    let echoed = call(&upstream, "echo", json!({ "text": "again" }))
        .await
        .expect("echo");
    assert_eq!(text_of(&echoed), "again");
    let starts = received(&server.log)
        .iter()
        .filter(|m| m.get("pid").is_some())
        .count();
    assert_eq!(starts, 2, "started twice");
    upstream.shutdown().await;
}

#[tokio::test]
async fn a_missing_command_is_down_and_requests_fail_fast() {
    let upstream = StdioUpstream::spawn(
        "ghost".to_owned(),
        "livegate-test-no-such-command".to_owned(),
        Vec::new(),
        BTreeMap::new(),
        None,
        fast_options(),
    );
    wait_for("Down", || {
        matches!(upstream.health(), UpstreamHealth::Down { detail } if detail.starts_with("cannot start `livegate-test-no-such-command`: "))
    })
    .await;
    let result = tokio::time::timeout(PATIENCE, upstream.request("tools/list", None))
        .await
        .expect("fails fast");
    match result {
        Err(UpstreamError::Unavailable { upstream, reason }) => {
            assert_eq!(upstream, "ghost");
            assert!(reason.contains("cannot start"), "{reason}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let notified = upstream
        .notify("notifications/roots/list_changed", None)
        .await;
    assert!(
        matches!(notified, Err(UpstreamError::Unavailable { .. })),
        "{notified:?}"
    );
    upstream.shutdown().await;
    assert_eq!(
        upstream.health(),
        UpstreamHealth::Down {
            detail: "shut down".to_owned()
        }
    );
}

#[tokio::test]
async fn a_request_that_times_out_is_cancelled_on_the_server() {
    let server = server();
    let options = StdioOptions {
        request_timeout: Duration::from_millis(300),
        ..StdioOptions::default()
    };
    let upstream = start(&server, "2025-11-25", options);
    ready(&upstream).await;
    let result = call(&upstream, "sleep", json!({ "seconds": 5 })).await;
    assert!(
        matches!(result, Err(UpstreamError::Timeout { after_ms: 300, .. })),
        "{result:?}"
    );
    let cancelled = cancellation_of_sleep(&server.log).await;
    assert!(
        cancelled["reason"]
            .as_str()
            .is_some_and(|r| r.contains("300 ms")),
        "{cancelled}"
    );
    upstream.shutdown().await;
}

#[tokio::test]
async fn dropping_a_request_cancels_it_on_the_server() {
    let server = server();
    let upstream = start(&server, "2025-11-25", StdioOptions::default());
    ready(&upstream).await;
    let abandoned = tokio::time::timeout(
        Duration::from_millis(500),
        call(&upstream, "sleep", json!({ "seconds": 5 })),
    )
    .await;
    assert!(abandoned.is_err(), "the sleep outlasts the caller");
    cancellation_of_sleep(&server.log).await;
    let echoed = call(&upstream, "echo", json!({ "text": "still here" }))
        .await
        .expect("echo");
    assert_eq!(text_of(&echoed), "still here");
    upstream.shutdown().await;
}

#[tokio::test]
async fn server_notifications_reach_subscribers() {
    let server = server();
    let upstream = start(&server, "2025-11-25", StdioOptions::default());
    ready(&upstream).await;
    let mut notifications = upstream.subscribe();
    let result = call(&upstream, "notify", json!({ "text": "hello" }))
        .await
        .expect("notify");
    assert_eq!(text_of(&result), "notified");
    let message = next_notification(&mut notifications, "notifications/message").await;
    assert_eq!(message.upstream, "test");
    assert_eq!(
        message.params,
        Some(json!({ "level": "info", "data": "hello" }))
    );
    upstream
        .notify("notifications/roots/list_changed", None)
        .await
        .expect("notify");
    wait_received(&server.log, "the client notification", |m| {
        m["method"] == "notifications/roots/list_changed"
    })
    .await;
    upstream.shutdown().await;
}

/// Whether process `pid` is gone (or a zombie about to be reaped).
#[cfg(target_os = "linux")]
fn gone(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => true,
    }
}

#[cfg(target_os = "linux")]
async fn pid_of(log: &Path) -> u64 {
    let started = wait_received(log, "the pid", |m| m.get("pid").is_some()).await;
    started["pid"].as_u64().expect("pid")
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn shutdown_kills_the_child_and_fails_later_requests() {
    let server = server();
    let upstream = start(&server, "2025-11-25", fast_options());
    ready(&upstream).await;
    let pid = pid_of(&server.log).await;
    upstream.shutdown().await;
    wait_for("the child to be gone", || gone(pid)).await;
    let result = upstream.request("tools/list", None).await;
    assert!(
        matches!(result, Err(UpstreamError::Unavailable { .. })),
        "{result:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let starts = received(&server.log)
        .iter()
        .filter(|m| m.get("pid").is_some())
        .count();
    assert_eq!(starts, 1, "not restarted after shutdown");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_the_upstream_kills_the_child() {
    let server = server();
    let upstream = start(&server, "2025-11-25", fast_options());
    ready(&upstream).await;
    let pid = pid_of(&server.log).await;
    drop(upstream);
    wait_for("the child to be gone", || gone(pid)).await;
}
