//! Each area of the admin API doing what `docs/admin-api.md` says, against a real livegate
//! on 127.0.0.1: the policy (checked, written atomically, obeyed by the next call),
//! approvals (completing the calls agents wait on), grants, pause, settings, the event
//! stream and the audit log.

mod common;

use std::time::Duration;

use common::admin::{error_text, records, send, Admin, Events};
use common::{echo, start, start_in, tool_text};
use livegate::settings::{Paths, Settings};
use reqwest::Method;
use serde_json::{json, Value};

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"action":"approve"},
    "add":{"action":"approve","approval":{"remember":"once"}},
    "fail":{"action":"allow"}}}"#;

#[tokio::test]
async fn policy_put_checks_writes_atomically_and_the_next_call_obeys() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let file = Paths::under(gw.home()).policy_file();
    let original = std::fs::read_to_string(&file).expect("policy");

    let got = admin.get("/api/policy").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["text"], original);
    assert_eq!(got.body["ok"], true);
    assert_eq!(got.body["in_force"], true);
    assert_eq!(got.body["policy"]["tools"]["fail"]["action"], "allow");
    assert_eq!(got.body["file"], file.display().to_string());

    let invalid = r#"{"version":"1","default":"deny","tools":{"echo":{"action":"alow"},
        "add":{"action":"allow","limits":[{"max":1,"window":"minite"}]}}}"#;
    let checked = send(
        admin
            .authed(Method::POST, "/api/policy/validate")
            .body(invalid),
    )
    .await;
    assert_eq!(checked.status, 200);
    assert_eq!(checked.body["ok"], false);
    let r = admin.put("/api/policy", invalid).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert!(error_text(&r).contains("nothing was saved"), "{r:?}");
    let paths: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(paths.contains(&"tools.echo.action"), "{paths:?}");
    assert!(paths.contains(&"tools.add.limits[0].window"), "{paths:?}");
    assert_eq!(checked.body["errors"], r.body["errors"]);
    let r = admin.put("/api/policy", "{ not json").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["path"], "(document)");
    assert_eq!(
        std::fs::read_to_string(&file).expect("policy"),
        original,
        "nothing written"
    );

    let session = gw.initialize("2025-11-25").await;
    let valid = r#"{"version": "1", "default": "deny", "tools": {
  "echo": {"action": "allow"},
  "fail": {"action": "deny", "reason": "not today"}}}"#;
    let r = admin.put("/api/policy", valid).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"ok": true}));
    assert_eq!(
        std::fs::read_to_string(&file).expect("policy"),
        format!("{valid}\n"),
        "written as sent"
    );
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().expect("folder"))
        .expect("folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // In force for the very next call: no approval asked any more, and the new refusal.
    let r = gw
        .call_tool(&session, 1, "echo", json!({"text": "hi"}))
        .await;
    assert_eq!(tool_text(&r), "hi");
    let r = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(tool_text(&r), "Policy violation: not today");
    assert_eq!(admin.get("/api/policy").await.body["in_force"], true);

    let why = admin
        .get("/api/policy/explain?tool=fail&args=%7B%7D&grant=someone")
        .await;
    assert_eq!(why.status, 200, "{why:?}");
    assert_eq!(why.body["rule"], "tools.fail");
    assert_eq!(why.body["outcome"]["decision"], "deny");
    assert!(why.body["reason"]
        .as_str()
        .is_some_and(|r| r.contains("not today")));
    assert!(why.body["steps"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(admin.get("/api/policy/explain").await.status, 400);
    let bad_args = admin.get("/api/policy/explain?tool=echo&args=%7B").await;
    assert_eq!(bad_args.status, 400, "{bad_args:?}");
}

#[tokio::test]
async fn approving_and_denying_through_the_api_completes_the_waiting_call() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let session = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &session,
        1,
        json!({"name": "echo", "arguments": {"text": "hello"}}),
    );
    let shown = admin.pending(1).await.remove(0);
    assert_eq!(shown["tool"], "echo");
    assert_eq!(shown["args"], json!({"text": "hello"}));
    assert_eq!(shown["session"], session.as_str());
    let id = shown["id"].as_str().expect("id").to_string();
    let one = admin.get(&format!("/api/approvals/{id}")).await;
    assert_eq!(one.body["id"], id.as_str());
    assert_eq!(admin.get("/api/status").await.body["pending_approvals"], 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!call.is_finished(), "the agent waits for the human");
    let r = admin
        .post(&format!("/api/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(tool_text(&call.await.expect("call")), "hello");
    let again = admin
        .post(&format!("/api/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(again.status, 409, "{again:?}");
    let unknown = admin
        .post("/api/approvals/no-such-id/deny", &json!({}))
        .await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert_eq!(admin.get("/api/approvals/no-such-id").await.status, 404);

    let call = gw.call_in_background(
        &session,
        2,
        json!({"name": "echo", "arguments": {"text": "again"}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Only a human's channel may answer, and only in the documented shape.
    for body in [
        json!({"via": "remembered"}),
        json!({"via": "timeout"}),
        json!({"remember": "forever"}),
        json!({"colour": "blue"}),
    ] {
        let r = admin
            .post(&format!("/api/approvals/{id}/approve"), &body)
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
    }
    assert_eq!(admin.pending(1).await.len(), 1, "still waiting");
    let r = admin
        .post(
            &format!("/api/approvals/{id}/deny"),
            &json!({"reason": "not now", "via": "cli"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let denied = call.await.expect("call");
    assert_eq!(tool_text(&denied), "Denied by the user: not now");
    assert_eq!(denied.body["result"]["isError"], true);

    let call = gw.call_in_background(
        &session,
        3,
        json!({"name": "echo", "arguments": {"text": "third"}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // A deny without a body is a plain denial.
    let r = send(admin.authed(Method::POST, &format!("/api/approvals/{id}/deny"))).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(tool_text(&call.await.expect("call")), "Denied by the user");
}

#[tokio::test]
async fn approve_for_the_session_and_deny_for_the_session() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let first = gw.initialize("2025-11-25").await;
    // The rule remembers once; the human says "for this session".
    let call = gw.call_in_background(
        &first,
        1,
        json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = admin
        .post(
            &format!("/api/approvals/{id}/approve"),
            &json!({"remember": "session"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(tool_text(&call.await.expect("call")), "3");
    let passes = tokio::time::timeout(
        Duration::from_secs(5),
        gw.call_tool(&first, 2, "add", json!({"a": 20, "b": 22})),
    )
    .await
    .expect("no asking in the same session");
    assert_eq!(tool_text(&passes), "42");

    // Another session asks; the human refuses for the rest of that session.
    let second = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &second,
        3,
        json!({"name": "add", "arguments": {"a": 2, "b": 2}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = admin
        .post(
            &format!("/api/approvals/{id}/deny"),
            &json!({"for_session": true, "reason": "enough"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let text = "Denied by the user for this session: enough";
    assert_eq!(tool_text(&call.await.expect("call")), text);
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        gw.call_tool(&second, 4, "add", json!({"a": 5, "b": 5})),
    )
    .await
    .expect("refused without asking");
    assert_eq!(tool_text(&refused), text);
    assert!(admin.pending(0).await.is_empty());
    // Other tools in that session still ask; the first session still passes.
    let call = gw.call_in_background(
        &second,
        5,
        json!({"name": "echo", "arguments": {"text": "x"}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin
        .post(&format!("/api/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(tool_text(&call.await.expect("call")), "x");
    let passes = gw
        .call_tool(&first, 6, "add", json!({"a": 1, "b": 1}))
        .await;
    assert_eq!(tool_text(&passes), "2");
}

#[tokio::test]
async fn grants_are_added_once_shown_and_revoked_at_once() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}})
    .to_string()
    .into_bytes();

    let r = admin.post("/api/grants", &json!({"name": "cursor"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["name"], "cursor");
    let token = r.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("lg_"));
    let works = gw.post_raw(init.clone(), &token, &[]).await;
    assert_eq!(works.status, 200, "{works:?}");
    let list = admin.get("/api/grants").await;
    let names: Vec<&str> = list
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(names.contains(&"cursor"), "{names:?}");
    assert!(
        list.body
            .as_array()
            .expect("list")
            .iter()
            .all(|g| g.get("token").is_none()
                && g.get("token_sha256").is_none()
                && g["created"].is_string()),
        "{list:?}"
    );
    let settings =
        std::fs::read_to_string(Paths::under(gw.home()).settings_file()).expect("settings");
    assert!(!settings.contains(&token), "only the hash is kept");

    assert_eq!(
        admin
            .post("/api/grants", &json!({"name": "cursor"}))
            .await
            .status,
        409
    );
    assert_eq!(
        admin
            .post("/api/grants", &json!({"name": "two words"}))
            .await
            .status,
        400
    );
    assert_eq!(admin.post("/api/grants", &json!({})).await.status, 400);

    let r = admin.delete("/api/grants/cursor").await;
    assert_eq!(r.status, 200, "{r:?}");
    let refused = gw.post_raw(init, &token, &[]).await;
    assert_eq!(refused.status, 401, "revoked at once: {refused:?}");
    assert_eq!(admin.delete("/api/grants/cursor").await.status, 404);
}

#[tokio::test]
async fn pause_refuses_calls_and_survives_a_restart() {
    let home = tempfile::tempdir().expect("temp dir");
    let gw = start_in(home.path(), POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let session = gw.initialize("2025-11-25").await;
    let before = gw.call_tool(&session, 1, "fail", json!({})).await;
    assert!(!tool_text(&before).contains("paused"), "{before:?}");

    let r = admin.post("/api/pause", &json!({})).await;
    assert_eq!(r.body, json!({"paused": true}));
    let settings = Settings::load(&Paths::under(home.path()).settings_file()).expect("settings");
    assert!(settings.paused, "saved");
    assert_eq!(admin.get("/api/status").await.body["paused"], true);
    let r = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(tool_text(&r), "Policy violation: paused by the user");
    // The settings follower reads the file it wrote; pausing stays.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(gw.running.gateway.is_paused());

    gw.running.stop().await;
    let gw = start_in(home.path(), POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    assert_eq!(admin.get("/api/status").await.body["paused"], true);
    let r = admin.post("/api/resume", &json!({})).await;
    assert_eq!(r.body, json!({"paused": false}));
    let session = gw.initialize("2025-11-25").await;
    let after = gw.call_tool(&session, 1, "fail", json!({})).await;
    assert!(!tool_text(&after).contains("paused"), "{after:?}");
    let settings = Settings::load(&Paths::under(home.path()).settings_file()).expect("settings");
    assert!(!settings.paused);
}

#[tokio::test]
async fn settings_are_checked_field_by_field_and_the_approval_wait_applies_at_once() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let file = Paths::under(gw.home()).settings_file();
    let got = admin.get("/api/settings").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["approval_timeout_s"], 120);
    assert_eq!(got.body["notifications"]["read"], false);
    assert_eq!(got.body["notifications"]["destructive"], true);
    assert_eq!(got.body["retention"], json!({"days": 90, "max_mb": 500}));
    assert_eq!(
        got.body["live"],
        json!({"host": "127.0.0.1", "osc_port": 11000, "reply_port": 11001, "simulator": "auto"})
    );
    assert_eq!(got.body["start_at_login"], false);
    assert!(got.body["listen"].as_str().is_some_and(|l| l.contains(':')));

    let before = std::fs::read_to_string(&file).expect("settings");
    let r = admin
        .put(
            "/api/settings",
            r#"{"approval_timeout_s": 0, "retention": {"days": "many"}, "live": {"simulator": "maybe"}, "bogus": 1}"#,
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let mut paths: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "approval_timeout_s",
            "bogus",
            "live.simulator",
            "retention.days"
        ]
    );
    assert_eq!(std::fs::read_to_string(&file).expect("settings"), before);

    let mut events = gw.running.bus.subscribe();
    let r = admin
        .put(
            "/api/settings",
            r#"{"approval_timeout_s": 7, "notifications": {"read": true}, "start_at_login": true}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        matches!(
            events.try_recv(),
            Ok(livegate::events::Event::SettingsChanged {
                start_at_login: true
            })
        ),
        "the desktop app hears of the change"
    );
    assert_eq!(r.body["restart_needed"], false);
    assert_eq!(r.body["settings"]["approval_timeout_s"], 7);
    assert_eq!(r.body["settings"]["notifications"]["write"], true);
    let saved = Settings::load(&file).expect("settings");
    assert_eq!(saved.approval_timeout_s, 7);
    assert!(saved.notifications.read && saved.start_at_login);
    assert_eq!(saved.grants.len(), 1, "other settings untouched");

    // An approve rule without its own wait now waits 7 s.
    let session = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &session,
        1,
        json!({"name": "echo", "arguments": {"text": "t"}}),
    );
    let shown = admin.pending(1).await.remove(0);
    assert_eq!(shown["timeout_s"], 7);
    let id = shown["id"].as_str().expect("id");
    admin
        .post(&format!("/api/approvals/{id}/deny"), &json!({}))
        .await;
    call.await.expect("call");

    let r = admin
        .put("/api/settings", r#"{"listen": "127.0.0.1:7555"}"#)
        .await;
    assert_eq!(r.body["restart_needed"], true, "{r:?}");
}

#[tokio::test]
async fn the_event_stream_carries_approvals_grants_and_pauses() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let mut events = Events::open(&admin).await;

    let session = gw.initialize("2025-11-25").await;
    let call = gw.call_in_background(
        &session,
        1,
        json!({"name": "echo", "arguments": {"text": "sse"}}),
    );
    let requested = events.next_of("approval_requested").await;
    assert_eq!(requested["approval"]["tool"], "echo");
    let id = requested["approval"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin
        .post(
            &format!("/api/approvals/{id}/approve"),
            &json!({"via": "notification"}),
        )
        .await;
    let resolved = events.next_of("approval_resolved").await;
    assert_eq!(resolved["id"], id.as_str());
    assert_eq!(resolved["approved"], true);
    assert_eq!(resolved["via"], "notification");
    assert_eq!(tool_text(&call.await.expect("call")), "sse");

    admin.post("/api/grants", &json!({"name": "watcher"})).await;
    let changed = events.next_of("grants_changed").await;
    assert!(changed["grants"]
        .as_array()
        .expect("names")
        .contains(&json!("watcher")));
    // The CLI's edits, seen by the running livegate, are announced too.
    livegate::grants::revoke(&Paths::under(gw.home()).settings_file(), "watcher").expect("revoked");
    let changed = events.next_of("grants_changed").await;
    assert!(!changed["grants"]
        .as_array()
        .expect("names")
        .contains(&json!("watcher")));

    admin.post("/api/pause", &json!({})).await;
    assert_eq!(events.next_of("paused_changed").await["paused"], true);
    admin
        .put("/api/policy", r#"{"version":"1","default":"deny"}"#)
        .await;
    assert_eq!(events.next_of("policy_reloaded").await["ok"], true);
}

#[tokio::test]
async fn the_audit_log_is_queried_paged_exported_and_streamed() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let mut events = Events::open(&admin).await;
    let session = gw.initialize("2025-11-25").await;
    let failed = gw.call_tool(&session, 1, "fail", json!({})).await;
    assert_eq!(failed.body["result"]["isError"], true);
    let streamed = loop {
        let record = events.next_of("audit_record").await;
        if record["record"]["kind"] == "call" {
            break record;
        }
    };
    assert_eq!(streamed["record"]["tool"], "fail", "{streamed}");
    assert_eq!(streamed["record"]["outcome"], "tool_error");
    let call = gw.call_in_background(
        &session,
        2,
        json!({"name": "add", "arguments": {"a": 2, "b": 3, "api_key": "s3cret"}}),
    );
    let id = admin.pending(1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    admin
        .post(
            &format!("/api/approvals/{id}/approve"),
            &json!({"via": "cli"}),
        )
        .await;
    assert_eq!(tool_text(&call.await.expect("call")), "5");

    let calls = admin.get("/api/audit?kind=call").await;
    assert_eq!(calls.status, 200, "{calls:?}");
    let list = records(&calls);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["tool"], "add", "newest first");
    assert_eq!(list[0]["approval"]["id"], id.as_str());
    assert_eq!(list[0]["approval"]["via"], "cli");
    assert_eq!(list[0]["decision"], "allow");
    assert_eq!(list[0]["args"]["api_key"], "[redacted]");
    assert_eq!(list[1]["tool"], "fail");
    assert_eq!(calls.body["next_cursor"], Value::Null);
    let one = admin.get("/api/audit?tool=fail&decision=allow").await;
    assert_eq!(records(&one).len(), 1);
    let record_id = records(&one)[0]["id"].as_i64().expect("id");
    let single = admin.get(&format!("/api/audit/{record_id}")).await;
    assert_eq!(single.body, records(&one)[0]);
    assert_eq!(admin.get("/api/audit/99999999").await.status, 404);
    assert_eq!(admin.get("/api/audit/abc").await.status, 400);
    assert!(admin.get("/api/status").await.body["calls_last_minute"].as_u64() >= Some(2));

    // Every page once, by cursor.
    let all = records(&admin.get("/api/audit?limit=1000").await);
    assert!(all.len() > 2, "admin events too: {all:?}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/audit?limit=1&cursor={c}"),
            None => "/api/audit?limit=1".to_string(),
        };
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200, "{page:?}");
        paged.extend(records(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, all);
    for bad in [
        "/api/audit?from=last+tuesday",
        "/api/audit?decision=maybe",
        "/api/audit?cursor=garbage",
        "/api/audit?limit=many",
        "/api/audit/export?format=xml",
    ] {
        let r = admin.get(bad).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert!(!error_text(&r).is_empty(), "{bad}");
    }

    // Exports: the same records, oldest first, as a download.
    let jsonl = admin
        .authed(Method::GET, "/api/audit/export?format=jsonl")
        .send()
        .await
        .expect("sent");
    assert_eq!(jsonl.status(), 200);
    assert_eq!(jsonl.headers()["content-type"], "application/jsonl");
    let disposition = jsonl.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".jsonl"),
        "{disposition}"
    );
    let text = jsonl.text().await.expect("body");
    let exported: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record per line"))
        .collect();
    let mut newest_first = exported.clone();
    newest_first.reverse();
    let all_now = records(&admin.get("/api/audit?limit=1000").await);
    assert_eq!(newest_first.len(), all_now.len());
    assert_eq!(
        newest_first.iter().map(|r| &r["id"]).collect::<Vec<_>>(),
        all_now.iter().map(|r| &r["id"]).collect::<Vec<_>>()
    );
    let csv = admin
        .authed(Method::GET, "/api/audit/export?format=csv&tool=fail")
        .send()
        .await
        .expect("sent");
    assert!(csv.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/csv"));
    let csv = csv.text().await.expect("body");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("id,time,"), "{}", rows[0]);
    assert!(rows[1].contains(",fail,"), "{}", rows[1]);

    // Admin actions are recorded too.
    admin.post("/api/grants", &json!({"name": "audited"})).await;
    let mut found = Vec::new();
    for _ in 0..100 {
        found = records(&admin.get("/api/audit?kind=grant_added").await);
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["detail"]["added"], json!(["audited"]));
}
