//! Crash safety for real: `livegate serve` runs as a child process under concurrent calls
//! and is killed with SIGKILL mid-load. After a restart, every call that got a reply is in
//! the audit log (none lost), the database opens cleanly, and its hash chain verifies.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::process::{livegate, serve_in};
use livegate::audit::{AuditLog, Query};
use livegate::settings::{Paths, Settings, UpstreamConfig};
use parking_lot::Mutex;
use serde_json::{json, Value};

/// Concurrent agents calling while livegate is killed.
const AGENTS: usize = 16;

/// Replies to collect before the kill, so the kill lands mid-load.
const REPLIES_BEFORE_KILL: usize = 300;

/// One stateless (2026-07-28) `tools/call` of `echo`; the text it echoed when it got an answer.
async fn echo(http: &reqwest::Client, url: &str, token: &str, text: &str) -> Option<String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "echo", "arguments": {"text": text},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "echo")
        .json(&body)
        .send()
        .await
        .ok()?;
    let reply: Value = response.json().await.ok()?;
    reply["result"]["content"][0]["text"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_answered_call_survives_a_sigkill() {
    let home = tempfile::tempdir().expect("temp dir");
    let paths = Paths::under(home.path());
    paths.ensure().expect("folders");
    let settings = Settings {
        upstreams: vec![UpstreamConfig::Builtin {
            name: "echo".into(),
            builtin: "echo".into(),
        }],
        ..Settings::default()
    };
    settings.save(&paths.settings_file()).expect("settings");
    std::fs::write(
        paths.policy_file(),
        r#"{"version":"1","default":"deny","tools":{"echo":{"action":"allow"}}}"#,
    )
    .expect("policy");
    let grant = livegate()
        .args(["grant", "add", "crash-test"])
        .env("LIVEGATE_HOME", home.path())
        .output()
        .expect("grant add runs");
    assert!(grant.status.success(), "{grant:?}");
    let token = String::from_utf8_lossy(&grant.stdout).trim().to_string();

    let (mut lines, mut server) = serve_in(home.path());
    let endpoint = lines.wait_for("MCP endpoint for agents:");
    let url = endpoint
        .rsplit(' ')
        .next()
        .expect("the endpoint URL")
        .to_string();

    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let http = reqwest::Client::new();
    let agents: Vec<_> = (0..AGENTS)
        .map(|agent| {
            let (http, url, token, answered) =
                (http.clone(), url.clone(), token.clone(), answered.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let text = format!("agent-{agent}-call-{n}");
                    match echo(&http, &url, &token, &text).await {
                        Some(echoed) => {
                            assert_eq!(echoed, text);
                            answered.lock().push(text);
                        }
                        None => return n,
                    }
                }
                unreachable!()
            })
        })
        .collect();
    while answered.lock().len() < REPLIES_BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.0.kill().expect("SIGKILL");
    server.0.wait().expect("reaped");
    let mut in_flight_at_kill = 0;
    for agent in agents {
        let answered_by_agent = tokio::time::timeout(Duration::from_secs(30), agent)
            .await
            .expect("agents notice the kill")
            .expect("agent task");
        in_flight_at_kill += usize::from(answered_by_agent > 0);
    }
    let answered: HashSet<String> = answered.lock().iter().cloned().collect();
    assert!(answered.len() >= REPLIES_BEFORE_KILL);
    println!(
        "{} calls answered before the kill; {in_flight_at_kill} agents had a call in flight",
        answered.len()
    );

    // Restart on the same data: the database opens and livegate serves again.
    let (mut lines, _server) = serve_in(home.path());
    lines.wait_for("MCP endpoint for agents:");
    let log = AuditLog::open_read_only(paths.audit_db()).expect("the database opens");
    let report = log.verify().expect("verify runs");
    assert!(report.ok(), "the hash chain verifies: {report:?}");
    let mut exported = Vec::new();
    log.export(
        &Query {
            kind: Some("call".into()),
            ..Query::default()
        },
        livegate::audit::ExportFormat::Jsonl,
        &mut exported,
        |_| {},
    )
    .expect("export");
    let recorded: HashSet<String> = String::from_utf8(exported)
        .expect("UTF-8")
        .lines()
        .filter_map(|line| {
            let record: Value = serde_json::from_str(line).expect("a JSON record");
            record["args"]["text"].as_str().map(str::to_string)
        })
        .collect();
    let lost: Vec<_> = answered.difference(&recorded).collect();
    assert!(
        lost.is_empty(),
        "{} answered calls are missing from the log, e.g. {:?}",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
}
