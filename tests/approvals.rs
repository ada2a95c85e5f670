//! Approve rules through the real HTTP gateway: the agent's request stays open while the
//! human decides (with progress when asked), a cancelled request withdraws its approval, a
//! deadline denies, and remembered approvals are scoped to tool, grant and session.
//! The human's side is the approval queue itself here; `admin_api.rs` drives it over HTTP.

mod common;

use std::time::Duration;

use common::{echo, pending, start, tool_text};
use livegate::events::Event;
use serde_json::json;

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"action":"approve","reason":"echo talks back"},
    "add":{"action":"approve","approval":{"remember":"session"}},
    "fail":{"action":"approve","approval":{"timeout_s":1}}}}"#;

#[tokio::test]
async fn a_call_waits_for_approval_with_progress_then_runs_the_shown_arguments() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let queue = gw.running.approvals.clone();
    let session = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &session,
        1,
        json!({"name": "echo", "arguments": {"text": "hello"}, "_meta": {"progressToken": "wait-1"}}),
    );
    let shown = pending(&queue, 1).await.remove(0);
    assert_eq!(shown.tool, "echo");
    assert_eq!(shown.args, json!({"text": "hello"}));
    assert_eq!(shown.reason.as_deref(), Some("echo talks back"));
    assert_eq!(shown.timeout_s, 120, "the default deadline");
    assert_eq!(
        shown.args_hash,
        livegate::approval::canonical::args_hash(&json!({"text": "hello"}))
    );
    // Still waiting: the agent has no answer yet.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!call.is_finished());
    queue.approve(&shown.id, "test").expect("pending");
    let reply = call.await.expect("call task");
    assert_eq!(tool_text(&reply), "hello");
    // The agent heard it was waiting, under its own progress token.
    let waiting: Vec<&str> = reply
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter(|d| d.contains("notifications/progress"))
        .collect();
    assert!(!waiting.is_empty(), "{}", reply.text);
    assert!(waiting[0].contains("\"wait-1\""), "{}", waiting[0]);
    assert!(waiting[0].contains("Waiting for the user to approve echo"));
    // `once`: the next call asks again, whatever its arguments.
    let again = gw.call_in_background(
        &session,
        2,
        json!({"name": "echo", "arguments": {"text": "changed"}}),
    );
    let asked = pending(&queue, 1).await.remove(0);
    assert_eq!(asked.args, json!({"text": "changed"}));
    assert_ne!(asked.args_hash, shown.args_hash);
    queue
        .deny(&asked.id, None, "test")
        .expect("pending the second time");
    let denied = again.await.expect("call task");
    assert_eq!(tool_text(&denied), "Denied by the user");
    assert_eq!(denied.body["result"]["isError"], true);
}

#[tokio::test]
async fn cancelling_the_request_withdraws_its_approval() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let queue = gw.running.approvals.clone();
    let mut events = gw.running.bus.subscribe();
    let session = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &session,
        9,
        json!({"name": "echo", "arguments": {"text": "never"}}),
    );
    let asked = pending(&queue, 1).await.remove(0);
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                        "params": {"requestId": 9, "reason": "user pressed stop"}});
    let r = gw.post(&cancel, &[("mcp-session-id", &session)]).await;
    assert_eq!(r.status, 202);
    pending(&queue, 0).await;
    let withdrawn = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::ApprovalWithdrawn { id }) = events.recv().await {
                return id;
            }
        }
    })
    .await
    .expect("a withdrawn event");
    assert_eq!(withdrawn, asked.id);
    let err = queue
        .approve(&asked.id, "test")
        .expect_err("no longer pending");
    assert!(err.to_string().contains("withdrawn"), "{err}");
    call.abort();
}

#[tokio::test]
async fn no_answer_by_the_deadline_denies() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    let reply = gw.call_tool(&session, 1, "fail", json!({})).await;
    assert_eq!(tool_text(&reply), "Denied: no answer within 1 s");
    assert_eq!(reply.body["result"]["isError"], true);
    assert!(gw.running.approvals.list().is_empty());
}

#[tokio::test]
async fn a_session_long_approval_covers_that_session_only() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let queue = gw.running.approvals.clone();
    let first = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &first,
        1,
        json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
    );
    let asked = pending(&queue, 1).await.remove(0);
    queue.approve(&asked.id, "test").expect("pending");
    assert_eq!(tool_text(&call.await.expect("call")), "3");
    // Same session, other arguments: passes without asking.
    let again = gw
        .call_tool(&first, 2, "add", json!({"a": 20, "b": 22}))
        .await;
    assert_eq!(tool_text(&again), "42");
    // Another session of the same grant asks again.
    let second = gw.initialize("2025-11-25").await;
    let other = gw.call_in_background(
        &second,
        3,
        json!({"name": "add", "arguments": {"a": 2, "b": 2}}),
    );
    let asked = pending(&queue, 1).await.remove(0);
    assert_eq!(asked.session.as_deref(), Some(second.as_str()));
    queue
        .deny(&asked.id, Some("not in this one".into()), "test")
        .expect("pending");
    assert_eq!(
        tool_text(&other.await.expect("call")),
        "Denied by the user: not in this one"
    );
}
