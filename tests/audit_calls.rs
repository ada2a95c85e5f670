//! Every call through the real HTTP gateway lands in the audit log with the right fields,
//! whatever was decided: allowed (with outcome, latency and summary), refused by a rule,
//! rate-limited, unknown, approved, denied, timed out, remembered, abandoned while waiting.
//! Admin events (policy reloads, pauses) are recorded too, and a gateway whose audit log
//! fails answers no call.

mod common;

use std::time::Duration;

use common::{echo, pending, start, tool_text, TestGateway};
use livegate::audit::{Decision, Outcome, Query, Record, REDACTED};
use serde_json::json;

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"action":"allow","limits":[{"counter":"echo_rate","window":"minute","max":2,"scope":"grant"}]},
    "add":{"action":"deny","reason":"no maths today"},
    "fail":{"action":"allow"}}}"#;

const APPROVALS: &str = r#"{"version":"1","default":"deny","tools":{
    "add":{"action":"approve","approval":{"remember":"session"}}}}"#;

/// The newest call records (newest first), waiting a little for ones committed after a
/// reply (abandoned calls are recorded in the background).
async fn calls(gw: &TestGateway, at_least: usize) -> Vec<Record> {
    let query = Query {
        kind: Some("call".into()),
        limit: 100,
        ..Query::default()
    };
    for _ in 0..300 {
        let page = gw.running.audit.query(&query).expect("query");
        if page.records.len() >= at_least {
            return page.records;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {at_least} call records");
}

/// The newest event record of `kind`, waiting for it to be committed.
async fn event(gw: &TestGateway, kind: &str) -> Record {
    let query = Query {
        kind: Some(kind.into()),
        ..Query::default()
    };
    for _ in 0..500 {
        let page = gw.running.audit.query(&query).expect("query");
        if let Some(record) = page.records.into_iter().next() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {kind} event recorded");
}

#[tokio::test]
async fn allowed_refused_and_limited_calls_are_recorded_before_the_reply() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    let reply = gw
        .call_tool(
            &session,
            1,
            "echo",
            json!({"text": "hello", "api_key": "sk-123", "nested": {"Password": "pw"}}),
        )
        .await;
    assert_eq!(tool_text(&reply), "hello");
    // The record is committed before the reply, so it is already there: no waiting.
    let page = gw
        .running
        .audit
        .query(&Query {
            kind: Some("call".into()),
            ..Query::default()
        })
        .expect("query");
    let r = &page.records[0];
    assert_eq!(r.tool.as_deref(), Some("echo"));
    assert_eq!(r.decision, Some(Decision::Allow));
    assert_eq!(r.outcome, Some(Outcome::Ok));
    assert_eq!(r.rule.as_deref(), Some("tools.echo"));
    assert_eq!(r.upstream.as_deref(), Some("echo"));
    assert_eq!(r.session.as_deref(), Some(session.as_str()));
    assert!(r.grant.as_deref().is_some_and(|g| g.starts_with("tester-")));
    let client = r.client.as_ref().expect("client info from initialize");
    assert_eq!(
        (client.name.as_str(), client.version.as_deref()),
        ("livegate-tests", Some("1"))
    );
    assert!(r.category.is_some());
    assert!(r.latency_us.is_some_and(|us| us > 0));
    assert!(r.summary.as_deref().is_some_and(|s| s.contains("hello")));
    let args = r.args.as_ref().expect("args");
    assert_eq!(args["text"], "hello");
    assert_eq!(args["api_key"], REDACTED);
    assert_eq!(args["nested"]["Password"], REDACTED);

    // A tool error, the limit (2 a minute) filling up, a rule's default deny, an unknown tool.
    let failed = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(failed.body["result"]["isError"], true);
    gw.call_tool(&session, 3, "echo", json!({"text": "two"}))
        .await;
    let limited = gw
        .call_tool(&session, 4, "echo", json!({"text": "three"}))
        .await;
    assert_eq!(
        limited.body["result"]["_meta"]["livegate"]["decision"],
        "rate_limited"
    );
    gw.call_tool(&session, 5, "add", json!({"a": 1, "b": 2}))
        .await;
    let unknown = gw.call_tool(&session, 6, "no_such_tool", json!({})).await;
    assert!(unknown.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Unknown tool")));

    let records = calls(&gw, 6).await;
    let by_tool = |tool: &str, nth: usize| {
        records
            .iter()
            .filter(|r| r.tool.as_deref() == Some(tool))
            .nth(nth)
            .unwrap_or_else(|| panic!("no record {nth} for {tool}: {records:?}"))
    };
    assert_eq!(by_tool("fail", 0).outcome, Some(Outcome::ToolError));
    let limited = by_tool("echo", 0);
    assert_eq!(limited.decision, Some(Decision::RateLimited));
    assert_eq!(limited.outcome, None, "a refused call did not run");
    assert!(limited
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("Rate limit")));
    let denied = by_tool("add", 0);
    assert_eq!(denied.decision, Some(Decision::Deny));
    assert_eq!(denied.rule.as_deref(), Some("tools.add"));
    assert_eq!(
        denied.reason.as_deref(),
        Some("Policy violation: no maths today")
    );
    let unknown = by_tool("no_such_tool", 0);
    assert_eq!(
        (unknown.decision, unknown.rule.as_deref()),
        (Some(Decision::Deny), Some("unknown_tool"))
    );
    // Newest first, ids increasing with commit order.
    assert!(records.windows(2).all(|w| w[0].id > w[1].id));
    assert!(gw.running.audit.verify().expect("verify").ok());
}

#[tokio::test]
async fn approvals_are_recorded_with_who_answered_and_when() {
    let gw = start(APPROVALS, vec![echo("echo")]).await;
    let queue = gw.running.approvals.clone();
    let session = gw.initialize("2025-11-25").await;

    // Denied by the human, with a reason.
    let call = gw.call_in_background(
        &session,
        1,
        json!({"name": "add", "arguments": {"a": 1, "b": 1}}),
    );
    let asked = pending(&queue, 1).await.remove(0);
    queue
        .deny(&asked.id, Some("not now".into()), "ui")
        .expect("pending");
    call.await.expect("call");
    // Approved (remember: session), then a remembered pass in the same session.
    let call = gw.call_in_background(
        &session,
        2,
        json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
    );
    let approved = pending(&queue, 1).await.remove(0);
    queue
        .approve(&approved.id, "notification")
        .expect("pending");
    assert_eq!(tool_text(&call.await.expect("call")), "3");
    let again = gw
        .call_tool(&session, 3, "add", json!({"a": 2, "b": 2}))
        .await;
    assert_eq!(tool_text(&again), "4");
    // Abandoned: the agent stops waiting; the call is still recorded.
    let other = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &other,
        4,
        json!({"name": "add", "arguments": {"a": 9, "b": 9}}),
    );
    pending(&queue, 1).await;
    call.abort();

    let records = calls(&gw, 4).await;
    let [abandoned, remembered, yes, no] = &records[..4] else {
        panic!("{records:?}");
    };
    let no_approval = no.approval.as_ref().expect("approval info");
    assert_eq!(
        (no_approval.id.as_str(), no_approval.via.as_str()),
        (asked.id.as_str(), "ui")
    );
    assert_eq!(no.decision, Some(Decision::Deny));
    assert_eq!(no.reason.as_deref(), Some("Denied by the user: not now"));
    assert!(no_approval.at_ms >= no.time_ms);

    let yes_approval = yes.approval.as_ref().expect("approval info");
    assert_eq!(
        (yes_approval.id.as_str(), yes_approval.via.as_str()),
        (approved.id.as_str(), "notification")
    );
    assert_eq!(
        (yes.decision, yes.outcome),
        (Some(Decision::Allow), Some(Outcome::Ok))
    );
    assert_eq!(
        remembered.approval.as_ref().map(|a| a.via.as_str()),
        Some("remembered"),
        "the log says the call passed by a remembered approval"
    );
    assert_eq!(abandoned.session.as_deref(), Some(other.as_str()));
    assert_eq!(abandoned.outcome, None);
    assert!(
        abandoned
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("stopped waiting")),
        "{abandoned:?}"
    );
}

#[tokio::test]
async fn policy_reloads_and_pauses_are_recorded() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let start = event(&gw, "start").await;
    assert!(start
        .summary
        .as_deref()
        .is_some_and(|s| s.contains("started")));
    std::fs::write(
        gw.home().join("config/policy.json"),
        r#"{"version":"1","default":"maybe"}"#,
    )
    .expect("write a broken policy");
    let rejected = event(&gw, "policy_rejected").await;
    let errors = rejected.detail.as_ref().expect("detail")["errors"].to_string();
    assert!(errors.contains("default"), "{errors}");
    std::fs::write(
        gw.home().join("config/policy.json"),
        r#"{"version":"1","default":"allow"}"#,
    )
    .expect("write a good policy");
    event(&gw, "policy_reload").await;
    gw.running.gateway.set_paused(true);
    event(&gw, "pause").await;
    gw.running.gateway.set_paused(false);
    event(&gw, "resume").await;
}

#[tokio::test]
async fn a_call_that_cannot_be_recorded_gets_no_answer() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    gw.running.audit.close().await.expect("closed");
    let reply = gw
        .call_tool(&session, 1, "echo", json!({"text": "x"}))
        .await;
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("could not write this call to its audit log"),
        "{reply:?}"
    );
    assert!(reply.body.get("result").is_none(), "no result leaks out");
}
