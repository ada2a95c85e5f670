//! Tests of the approval queue: answers, deadlines, withdrawal, concurrency, remembering.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::seq::SliceRandom;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::*;
use crate::approval::canonical::args_hash;

/// A clock the test moves by hand.
#[derive(Debug)]
struct ManualClock(AtomicI64);

impl ManualClock {
    fn advance_s(&self, s: i64) {
        self.0.fetch_add(s * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn queue() -> (ApprovalQueue, broadcast::Receiver<Event>, Arc<ManualClock>) {
    let bus = EventBus::new();
    let rx = bus.subscribe();
    let clock = Arc::new(ManualClock(AtomicI64::new(1_700_000_000_000)));
    let q = ApprovalQueue::with_clock(bus, clock.clone());
    (q, rx, clock)
}

fn request(tool: &str, grant: &str, session: Option<&str>, remember: Remember) -> ApprovalRequest {
    ApprovalRequest {
        tool: tool.into(),
        args: json!({"track": 1, "name": "Bass"}),
        grant: grant.into(),
        session: session.map(str::to_string),
        rule: "rules[0]".into(),
        reason: Some("changes the set".into()),
        timeout_s: 60,
        remember,
    }
}

/// Waits (generously) until `n` approvals are pending.
async fn wait_pending(q: &ApprovalQueue, n: usize) -> Vec<PendingApproval> {
    for _ in 0..1000 {
        let list = q.list();
        if list.len() == n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("expected {n} pending approvals, have {}", q.list().len());
}

fn drain(rx: &mut broadcast::Receiver<Event>) -> Vec<Event> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// Asks, human answers via `answer`; returns the agent's answer.
async fn ask_and<F>(q: &ApprovalQueue, req: ApprovalRequest, answer: F) -> ApprovalAnswer
where
    F: FnOnce(&ApprovalQueue, &str),
{
    let asking = tokio::spawn({
        let q = q.clone();
        async move { q.ask(req).await }
    });
    let pending = wait_pending(q, 1).await;
    answer(q, &pending[0].id);
    asking.await.expect("ask task")
}

/// Whether the call passes without asking (by a remembered approval).
async fn passes_without_asking(q: &ApprovalQueue, req: ApprovalRequest) -> bool {
    match tokio::time::timeout(Duration::from_millis(100), q.ask(req)).await {
        Ok(ApprovalAnswer::Approved { via, .. }) => via == VIA_REMEMBERED,
        Ok(other) => panic!("unexpected answer {other:?}"),
        Err(_) => false,
    }
}

/// What a test expects an answer to be: approved via, or denied with reason.
#[derive(Debug)]
enum Expected {
    Approved(String),
    Denied(String),
}

impl PartialEq<Expected> for ApprovalAnswer {
    fn eq(&self, expected: &Expected) -> bool {
        match (self, expected) {
            (ApprovalAnswer::Approved { via, .. }, Expected::Approved(want)) => via == want,
            (ApprovalAnswer::Denied { reason, .. }, Expected::Denied(want)) => reason == want,
            _ => false,
        }
    }
}

fn approved(via: &str) -> Expected {
    Expected::Approved(via.into())
}

fn denied(reason: &str) -> Expected {
    Expected::Denied(reason.into())
}

#[tokio::test]
async fn approve_answers_approved_with_via_and_publishes() {
    let (q, mut rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    let answer = ask_and(&q, req, |q, id| q.approve(id, "ui").expect("approve")).await;
    assert_eq!(answer, approved("ui"));
    assert_eq!(
        answer.at_ms(),
        1_700_000_000_000,
        "answered at the queue's clock"
    );
    assert!(q.list().is_empty());
    let events = drain(&mut rx);
    let answered_id = answer.id().map(str::to_string);
    assert!(
        matches!(&events[..], [Event::ApprovalRequested { approval }, Event::ApprovalResolved { id, approved: true, via, reason: None }]
            if approval.id == *id && via == "ui" && approval.tool == "create_clip"
                && answered_id.as_deref() == Some(id.as_str())),
        "{events:?}"
    );
}

#[tokio::test]
async fn pending_shows_exact_args_hash_and_seconds_left() {
    let (q, _rx, clock) = queue();
    let mut req = request("create_clip", "claude", Some("s1"), Remember::Minutes(5));
    req.args = json!({"b": [1, {"y": 2, "x": 1}], "a": "A"});
    let asking = tokio::spawn({
        let q = q.clone();
        let req = req.clone();
        async move { q.ask(req).await }
    });
    let p = wait_pending(&q, 1).await.remove(0);
    assert_eq!(p.args, req.args);
    assert_eq!(
        p.args_hash,
        args_hash(&json!({"a": "A", "b": [1, {"x": 1, "y": 2}]}))
    );
    assert_eq!(
        (p.grant.as_str(), p.session.as_deref()),
        ("claude", Some("s1"))
    );
    assert_eq!(
        (p.rule.as_str(), p.reason.as_deref()),
        ("rules[0]", Some("changes the set"))
    );
    assert_eq!((p.timeout_s, p.seconds_left), (60, 60));
    assert_eq!(p.deadline_ms - p.created_ms, 60_000);
    clock.advance_s(10);
    assert_eq!(q.get(&p.id).map(|p| p.seconds_left), Some(50));
    let shown = serde_json::to_value(q.list()).expect("serializable");
    assert_eq!(shown[0]["remember"], json!("minutes:5"));
    assert_eq!(shown[0]["seconds_left"], json!(50));
    q.deny(&p.id, None, "ui").expect("deny");
    assert_eq!(asking.await.expect("ask"), denied(DENIED_BY_USER));
}

#[tokio::test]
async fn deny_without_and_with_reason_gives_exact_texts() {
    let (q, mut rx, _) = queue();
    let req = request("delete_track", "claude", None, Remember::Once);
    let answer = ask_and(&q, req.clone(), |q, id| {
        q.deny(id, None, "cli").expect("deny")
    })
    .await;
    assert_eq!(answer, denied("Denied by the user"));
    let answer = ask_and(&q, req, |q, id| {
        q.deny(id, Some("not that track".into()), "ui")
            .expect("deny")
    })
    .await;
    assert_eq!(answer, denied("Denied by the user: not that track"));
    let blank = request("delete_track", "claude", None, Remember::Once);
    let answer = ask_and(&q, blank, |q, id| {
        q.deny(id, Some("  ".into()), "ui").expect("deny")
    })
    .await;
    assert_eq!(
        answer,
        denied("Denied by the user"),
        "a blank reason is no reason"
    );
    let resolved: Vec<(bool, String, Option<String>)> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            Event::ApprovalResolved {
                approved,
                via,
                reason,
                ..
            } => Some((approved, via, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        resolved,
        vec![
            (false, "cli".to_string(), None),
            (false, "ui".to_string(), Some("not that track".to_string())),
            (false, "ui".to_string(), None),
        ]
    );
}

#[tokio::test]
async fn deadline_denies_with_text_and_expired_event() {
    let (q, mut rx, _) = queue();
    let mut req = request("delete_track", "claude", None, Remember::Session);
    req.timeout_s = 1;
    let answer = tokio::time::timeout(Duration::from_secs(10), q.ask(req))
        .await
        .expect("the deadline answers");
    assert_eq!(answer, denied("Denied: no answer within 1 s"));
    assert!(q.list().is_empty());
    let events = drain(&mut rx);
    let id = match &events[..] {
        [Event::ApprovalRequested { approval }, Event::ApprovalExpired { id }]
            if approval.id == *id =>
        {
            id.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (answer.id(), answer.via()),
        (Some(id.as_str()), VIA_TIMEOUT)
    );
    let err = q.approve(&id, "ui").expect_err("expired");
    assert!(
        matches!(err, ApprovalError::AlreadyResolved { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn expire_due_follows_the_injected_clock() {
    let (q, mut rx, clock) = queue();
    let req = request("delete_track", "claude", None, Remember::Once);
    let asking = tokio::spawn({
        let q = q.clone();
        async move { q.ask(req).await }
    });
    wait_pending(&q, 1).await;
    clock.advance_s(59);
    assert_eq!(q.expire_due(), 0);
    clock.advance_s(1);
    assert_eq!(q.expire_due(), 1);
    assert_eq!(
        asking.await.expect("ask"),
        denied("Denied: no answer within 60 s")
    );
    assert!(drain(&mut rx)
        .iter()
        .any(|e| matches!(e, Event::ApprovalExpired { .. })));
}

#[tokio::test]
async fn dropping_the_ask_withdraws_it() {
    let (q, mut rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    let asking = tokio::spawn({
        let q = q.clone();
        async move { q.ask(req).await }
    });
    let id = wait_pending(&q, 1).await.remove(0).id;
    asking.abort();
    wait_pending(&q, 0).await;
    let events = drain(&mut rx);
    assert!(
        matches!(events.last(), Some(Event::ApprovalWithdrawn { id: w }) if *w == id),
        "{events:?}"
    );
    let err = q.approve(&id, "ui").expect_err("withdrawn");
    assert_eq!(
        err,
        ApprovalError::AlreadyResolved {
            id: id.clone(),
            outcome: "withdrawn".into()
        }
    );
}

#[tokio::test]
async fn twenty_concurrent_approvals_each_get_their_own_answer() {
    let (q, _rx, _) = queue();
    let mut tasks = Vec::new();
    for n in 0..20 {
        let mut req = request("set_tempo", "claude", Some("s1"), Remember::Once);
        req.args = json!({"n": n});
        let q = q.clone();
        tasks.push((n, tokio::spawn(async move { q.ask(req).await })));
    }
    let mut pending = wait_pending(&q, 20).await;
    pending.shuffle(&mut rand::rng());
    for p in &pending {
        let n = p.args["n"].as_i64().expect("n");
        if n % 2 == 0 {
            q.approve(&p.id, format!("ui-{n}")).expect("approve");
        } else {
            q.deny(&p.id, Some(format!("no {n}")), "ui").expect("deny");
        }
    }
    for (n, task) in tasks {
        let answer = task.await.expect("ask");
        let want = if n % 2 == 0 {
            approved(&format!("ui-{n}"))
        } else {
            denied(&format!("Denied by the user: no {n}"))
        };
        assert_eq!(answer, want, "call {n}");
    }
    assert!(q.list().is_empty());
}

#[tokio::test]
async fn remember_once_asks_again() {
    let (q, _rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    let answer = ask_and(&q, req.clone(), |q, id| {
        q.approve(id, "ui").expect("approve")
    })
    .await;
    assert_eq!(answer, approved("ui"));
    assert!(!passes_without_asking(&q, req).await);
    wait_pending(&q, 0).await;
}

#[tokio::test]
async fn remember_session_passes_same_tool_grant_and_session_only() {
    let (q, mut rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Session);
    ask_and(&q, req.clone(), |q, id| {
        q.approve(id, "ui").expect("approve")
    })
    .await;
    drain(&mut rx);
    let mut other_args = req.clone();
    other_args.args = json!({"anything": "else"});
    assert!(passes_without_asking(&q, other_args).await);
    match drain(&mut rx).as_slice() {
        [Event::ApprovalRemembered {
            tool,
            grant,
            session,
            args_hash: h,
            ..
        }] => {
            assert_eq!((tool.as_str(), grant.as_str()), ("create_clip", "claude"));
            assert_eq!(session.as_deref(), Some("s1"));
            assert_eq!(*h, args_hash(&json!({"anything": "else"})));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !passes_without_asking(
            &q,
            request("delete_clip", "claude", Some("s1"), Remember::Session)
        )
        .await
    );
    assert!(
        !passes_without_asking(
            &q,
            request("create_clip", "cursor", Some("s1"), Remember::Session)
        )
        .await
    );
    assert!(
        !passes_without_asking(
            &q,
            request("create_clip", "claude", Some("s2"), Remember::Session)
        )
        .await
    );
    assert!(
        !passes_without_asking(
            &q,
            request("create_clip", "claude", None, Remember::Session)
        )
        .await
    );
    q.forget_session("s1");
    assert!(!passes_without_asking(&q, req).await);
}

#[tokio::test]
async fn remember_session_without_a_session_is_once() {
    let (q, _rx, _) = queue();
    let req = request("create_clip", "claude", None, Remember::Session);
    ask_and(&q, req.clone(), |q, id| {
        q.approve(id, "ui").expect("approve")
    })
    .await;
    assert!(!passes_without_asking(&q, req).await);
}

#[tokio::test]
async fn remember_minutes_passes_until_they_run_out() {
    let (q, _rx, clock) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Minutes(2));
    ask_and(&q, req.clone(), |q, id| {
        q.approve(id, "ui").expect("approve")
    })
    .await;
    assert!(passes_without_asking(&q, req.clone()).await);
    assert!(
        passes_without_asking(
            &q,
            request("create_clip", "claude", Some("s9"), Remember::Once)
        )
        .await
    );
    assert!(
        !passes_without_asking(
            &q,
            request("create_clip", "cursor", Some("s1"), Remember::Once)
        )
        .await
    );
    assert!(
        !passes_without_asking(
            &q,
            request("rename_clip", "claude", Some("s1"), Remember::Once)
        )
        .await
    );
    clock.advance_s(119);
    assert!(passes_without_asking(&q, req.clone()).await);
    clock.advance_s(1);
    assert!(!passes_without_asking(&q, req).await);
}

#[tokio::test]
async fn denials_are_not_remembered() {
    let (q, _rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Session);
    ask_and(&q, req.clone(), |q, id| {
        q.deny(id, None, "ui").expect("deny")
    })
    .await;
    assert!(!passes_without_asking(&q, req).await);
}

#[tokio::test]
async fn unknown_or_resolved_ids_are_errors() {
    let (q, _rx, _) = queue();
    let err = q.approve("nope", "ui").expect_err("unknown");
    assert_eq!(err, ApprovalError::NotFound { id: "nope".into() });
    assert!(err.to_string().contains("nope"));
    assert!(matches!(
        q.deny("nope", None, "ui"),
        Err(ApprovalError::NotFound { .. })
    ));
    let req = request("create_clip", "claude", None, Remember::Once);
    let mut id = String::new();
    ask_and(&q, req, |q, i| {
        id = i.to_string();
        q.approve(i, "ui").expect("approve")
    })
    .await;
    let err = q.approve(&id, "ui").expect_err("resolved");
    assert_eq!(
        err,
        ApprovalError::AlreadyResolved {
            id: id.clone(),
            outcome: "approved via ui".into()
        }
    );
    assert!(matches!(
        q.deny(&id, None, "cli"),
        Err(ApprovalError::AlreadyResolved { .. })
    ));
}

#[test]
fn args_hash_binds_the_shown_arguments() {
    let a: Value = serde_json::from_str(r#"{"x": 1, "y": {"b": 2, "a": 1}}"#).expect("json");
    let b: Value = serde_json::from_str(r#"{"y": {"a": 1, "b": 2}, "x": 1}"#).expect("json");
    assert_eq!(args_hash(&a), args_hash(&b));
    assert_ne!(
        args_hash(&a),
        args_hash(&json!({"x": 1, "y": {"a": 1, "b": 3}}))
    );
}

#[tokio::test]
async fn approving_with_a_remember_mode_overrides_the_rules() {
    let (q, _rx, clock) = queue();
    // The rule says once; the human says "for this session".
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    let answer = ask_and(&q, req.clone(), |q, id| {
        q.approve_with(id, Some(Remember::Session), "ui")
            .expect("approve")
    })
    .await;
    assert_eq!(answer, approved("ui"));
    assert!(passes_without_asking(&q, req.clone()).await);
    let mut elsewhere = req.clone();
    elsewhere.session = Some("s2".into());
    assert!(!passes_without_asking(&q, elsewhere).await);
    wait_pending(&q, 0).await;

    // The rule says session; the human says "for 10 minutes": other sessions pass too, until
    // the ten minutes are over.
    let other = request("delete_clip", "claude", Some("s1"), Remember::Session);
    ask_and(&q, other.clone(), |q, id| {
        q.approve_with(id, Some(Remember::Minutes(10)), "ui")
            .expect("approve")
    })
    .await;
    let mut in_s3 = other.clone();
    in_s3.session = Some("s3".into());
    assert!(passes_without_asking(&q, in_s3.clone()).await);
    clock.advance_s(601);
    assert!(!passes_without_asking(&q, in_s3).await);
    wait_pending(&q, 0).await;

    // The rule says session; the human says once.
    let third = request("rename", "claude", Some("s1"), Remember::Session);
    ask_and(&q, third.clone(), |q, id| {
        q.approve_with(id, Some(Remember::Once), "cli")
            .expect("approve")
    })
    .await;
    assert!(!passes_without_asking(&q, third).await);
}

#[tokio::test]
async fn deny_for_session_refuses_without_asking_until_the_session_ends() {
    let (q, mut rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    let answer = ask_and(&q, req.clone(), |q, id| {
        q.deny_with(id, Some("not now".into()), true, "ui")
            .expect("deny")
    })
    .await;
    assert_eq!(
        answer,
        denied("Denied by the user for this session: not now")
    );
    drain(&mut rx);
    // Same tool, grant and session: refused at once, nothing pending, no event.
    let again = tokio::time::timeout(Duration::from_millis(500), q.ask(req.clone()))
        .await
        .expect("answered without waiting");
    assert_eq!(
        again,
        denied("Denied by the user for this session: not now")
    );
    assert!(q.list().is_empty());
    assert!(drain(&mut rx).is_empty());
    // Another session, grant or tool still asks.
    for (tool, grant, session) in [
        ("create_clip", "claude", "s2"),
        ("create_clip", "cursor", "s1"),
        ("delete_clip", "claude", "s1"),
    ] {
        let other = request(tool, grant, Some(session), Remember::Once);
        let answer = ask_and(&q, other, |q, id| q.approve(id, "ui").expect("approve")).await;
        assert_eq!(answer, approved("ui"), "{tool} {grant} {session}");
    }
    // The session ends: the tool asks again there.
    q.forget_session("s1");
    let answer = ask_and(&q, req, |q, id| q.deny(id, None, "ui").expect("deny")).await;
    assert_eq!(answer, denied("Denied by the user"));
}

#[tokio::test]
async fn deny_for_session_without_a_session_is_a_plain_denial() {
    let (q, _rx, _) = queue();
    let req = request("create_clip", "claude", None, Remember::Once);
    let answer = ask_and(&q, req.clone(), |q, id| {
        q.deny_with(id, None, true, "ui").expect("deny")
    })
    .await;
    assert_eq!(answer, denied("Denied by the user"));
    // Not remembered: the next call asks again.
    let answer = ask_and(&q, req, |q, id| q.approve(id, "ui").expect("approve")).await;
    assert_eq!(answer, approved("ui"));
}

#[tokio::test]
async fn forget_remembered_also_forgets_session_denials() {
    let (q, _rx, _) = queue();
    let req = request("create_clip", "claude", Some("s1"), Remember::Once);
    ask_and(&q, req.clone(), |q, id| {
        q.deny_with(id, None, true, "ui").expect("deny")
    })
    .await;
    q.forget_remembered();
    let answer = ask_and(&q, req, |q, id| q.approve(id, "ui").expect("approve")).await;
    assert_eq!(answer, approved("ui"));
}
