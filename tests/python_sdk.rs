//! The official Python MCP SDK as the agent: its 1.x line (handshake revisions) and its 2.x
//! line (legacy handshake, or 2026-07-28 negotiated by `mode="auto"`), over Streamable HTTP
//! and over stdio through `livegate connect`. Each run is a real Python process.

mod common;

use std::process::Command;

use common::{echo, new_grant, peer, start};
use serde_json::Value;

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"limits":[{"counter":"echo_rate","window":"minute","max":30,"scope":"grant"}]}}}"#;

/// Runs tests/peers/agent.py with one SDK and returns its report.
fn agent(
    python: &std::path::Path,
    url: &str,
    token: &str,
    transport: &str,
    mode: &str,
    extra_calls: u32,
) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/agent.py");
    let out = Command::new(python)
        .args([
            script,
            "--transport",
            transport,
            "--url",
            url,
            "--token",
            token,
            "--mode",
            mode,
        ])
        .args(["--livegate", env!("CARGO_BIN_EXE_livegate")])
        .args(["--rate-limit", &extra_calls.to_string()])
        .env("RUST_LOG", "warn")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "agent failed ({transport}, {mode}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("agent printed no report ({e}): {stdout}"))
}

fn check_basics(report: &Value, expected_revision: &str) {
    assert_eq!(report["protocol_version"], expected_revision, "{report}");
    assert_eq!(
        report["tools"],
        serde_json::json!(["echo", "add", "fail"]),
        "{report}"
    );
    assert_eq!(report["echo"]["text"], "hello from python");
    assert_eq!(report["echo"]["is_error"], false);
    assert_eq!(report["denied"]["is_error"], true);
    assert_eq!(
        report["denied"]["text"],
        "Policy violation: no rule allows fail and this policy denies everything else"
    );
    assert!(
        report["unknown"]
            .as_str()
            .unwrap_or("")
            .contains("Unknown tool: no_such_tool"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_1x_over_http_and_stdio_in_the_handshake_revision() {
    let Some(python) = peer("py-mcp1/bin/python") else {
        return;
    };
    let gw = start(POLICY, vec![echo("echo")]).await;
    for transport in ["http", "stdio"] {
        let token = new_grant(&gw, &format!("sdk1-{transport}"));
        let (url, python) = (gw.url.clone(), python.clone());
        let report = tokio::task::spawn_blocking(move || {
            agent(&python, &url, &token, transport, "legacy", 0)
        })
        .await
        .expect("agent ran");
        check_basics(&report, "2025-11-25");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_2x_legacy_and_2026_07_28_over_http_and_stdio() {
    let Some(python) = peer("py-mcp2/bin/python") else {
        return;
    };
    let gw = start(POLICY, vec![echo("echo")]).await;
    for (transport, mode, revision) in [
        ("http", "legacy", "2025-11-25"),
        ("http", "auto", "2026-07-28"),
        ("stdio", "legacy", "2025-11-25"),
        ("stdio", "auto", "2026-07-28"),
    ] {
        let token = new_grant(&gw, &format!("sdk2-{transport}-{mode}"));
        let (url, python) = (gw.url.clone(), python.clone());
        let report =
            tokio::task::spawn_blocking(move || agent(&python, &url, &token, transport, mode, 0))
                .await
                .expect("agent ran");
        check_basics(&report, revision);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_31st_call_of_a_minute_is_rate_limited_for_each_sdk() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    for (venv, transport, mode) in [("py-mcp1", "http", "legacy"), ("py-mcp2", "stdio", "auto")] {
        let Some(python) = peer(&format!("{venv}/bin/python")) else {
            return;
        };
        let token = new_grant(&gw, &format!("rate-{venv}"));
        let url = gw.url.clone();
        // One echo call in the scenario, then 30 more: calls 1-30 pass, the 31st is limited.
        let report =
            tokio::task::spawn_blocking(move || agent(&python, &url, &token, transport, mode, 30))
                .await
                .expect("agent ran");
        let calls = report["rate_limit"].as_array().expect("rate_limit results");
        assert_eq!(calls.len(), 30);
        assert!(
            calls[..29].iter().all(|c| c["is_error"] == false),
            "{report}"
        );
        let last = &calls[29];
        assert_eq!(last["is_error"], true, "{report}");
        let text = last["text"].as_str().unwrap_or("");
        assert!(
            text.starts_with(
                "Rate limit exceeded: echo_rate allows 30 per minute per grant; retry after"
            ),
            "{text}"
        );
    }
}
