//! The admin API against a real livegate on 127.0.0.1: who may use it (the admin token, or a
//! browser session from a one-time link; never an agent's grant token), the CSRF and
//! DNS-rebinding defences, and each area doing what `docs/admin-api.md` says: policy,
//! approvals (completing calls agents are waiting on), grants, pause, settings, the event
//! stream, the static UI, and the CLI commands that use it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::process::{livegate, serve_in, KillOnDrop, Lines};
use common::{echo, start, start_in, tool_text, Reply, TestGateway};
use futures::StreamExt;
use livegate::settings::{Paths, Settings};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"action":"approve"},
    "add":{"action":"approve","approval":{"remember":"once"}},
    "fail":{"action":"allow"}}}"#;

/// The admin side of a test gateway: its origin and admin token, and a client that never
/// follows redirects nor keeps cookies (each test handles those itself).
struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    fn of(gw: &TestGateway) -> Self {
        let file = Paths::under(gw.home()).admin_token_file();
        let token = std::fs::read_to_string(&file)
            .expect("the admin token is written at start")
            .trim()
            .to_string();
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: format!("http://{}", gw.running.addr),
            token,
        }
    }

    /// A request to `path`, with no credential yet.
    fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// A request to `path` with the admin token.
    fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path).bearer_auth(&self.token)
    }

    async fn get(&self, path: &str) -> Reply {
        send(self.authed(Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.authed(Method::POST, path).json(body)).await
    }

    async fn put(&self, path: &str, body: &str) -> Reply {
        send(
            self.authed(Method::PUT, path)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    async fn delete(&self, path: &str) -> Reply {
        send(self.authed(Method::DELETE, path)).await
    }

    /// Waits until exactly `n` approvals are pending (as the API lists them).
    async fn pending(&self, n: usize) -> Vec<Value> {
        for _ in 0..500 {
            let list = self.get("/api/approvals").await;
            assert_eq!(list.status, 200, "{list:?}");
            let items = list.body.as_array().cloned().unwrap_or_default();
            if items.len() == n {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} pending approvals");
    }

    /// Signs a browser in through a fresh login link; the session cookie's value.
    async fn sign_in(&self, gw: &TestGateway) -> String {
        let r = send(self.http.get(gw.running.login_url())).await;
        assert_eq!(r.status, 303, "{r:?}");
        session_cookie(&r).expect("a session cookie")
    }
}

async fn send(request: RequestBuilder) -> Reply {
    common::reply(request.send().await.expect("request sent")).await
}

/// The `livegate_admin` value a reply sets, if any.
fn session_cookie(reply: &Reply) -> Option<String> {
    let set = reply.headers.get("set-cookie")?.to_str().ok()?;
    let first = set.split(';').next()?;
    first
        .strip_prefix("livegate_admin=")
        .map(|v| v.trim().to_string())
}

fn error_text(reply: &Reply) -> &str {
    reply.body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn without_the_admin_token_everything_is_401_and_a_grant_token_is_not_enough() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let ok = admin.get("/api/status").await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.body["mcp_url"], gw.url);

    let mut almost = admin.token.clone();
    almost.pop();
    almost.push(if admin.token.ends_with('A') { 'B' } else { 'A' });
    let refused: [(&str, Option<&str>); 4] = [
        ("no token", None),
        ("a wrong token", Some("not-the-admin-token")),
        ("a token one character off", Some(&almost)),
        ("an agent's grant token", Some(&gw.token)),
    ];
    for (what, token) in refused {
        for (method, path) in [
            (Method::GET, "/api/status"),
            (Method::GET, "/api/approvals"),
            (Method::GET, "/api/events"),
            (Method::GET, "/api/policy"),
            (Method::POST, "/api/pause"),
            (Method::POST, "/api/grants"),
            (Method::GET, "/api/no-such-endpoint"),
        ] {
            let mut request = admin.bare(method.clone(), path);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let r = send(request).await;
            assert_eq!(r.status, 401, "{what} on {method} {path}: {r:?}");
            assert!(!error_text(&r).is_empty(), "{what}: a JSON error: {r:?}");
        }
    }
    let grant = send(
        admin
            .bare(Method::GET, "/api/status")
            .bearer_auth(&gw.token),
    )
    .await;
    assert!(error_text(&grant).contains("grant token"), "{grant:?}");
    let made_up = send(
        admin
            .bare(Method::GET, "/api/status")
            .bearer_auth(format!("{}x", gw.token)),
    )
    .await;
    assert_eq!(
        error_text(&made_up),
        error_text(&grant),
        "no oracle: a valid grant token and a made-up one read the same"
    );
    let cookie = send(
        admin
            .bare(Method::GET, "/api/status")
            .header("cookie", "livegate_admin=made-up"),
    )
    .await;
    assert_eq!(cookie.status, 401, "{cookie:?}");
    assert!(!gw.running.gateway.is_paused(), "no refused request paused");

    // The admin token is no grant either: agents cannot use it on /mcp.
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}});
    let r = gw
        .post_raw(init.to_string().into_bytes(), &admin.token, &[])
        .await;
    assert_eq!(r.status, 401, "{r:?}");
}

#[tokio::test]
async fn a_login_link_works_once_and_gives_an_http_only_strict_cookie() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let url = gw.running.login_url();
    assert!(
        url.starts_with(&format!("{}/login?code=", admin.base)),
        "{url}"
    );
    let r = send(admin.http.get(&url)).await;
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.headers["location"], "/");
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    let set = r.headers["set-cookie"].to_str().expect("ascii");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.split(';').any(|p| p.trim() == part), "{part} in {set}");
    }
    let session = session_cookie(&r).expect("session cookie");
    assert!(!url.contains(&session), "the session is not the code");
    let cookie = format!("livegate_admin={session}");
    let status = send(
        admin
            .bare(Method::GET, "/api/status")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status.status, 200, "{status:?}");

    // Single use.
    let again = send(admin.http.get(&url)).await;
    assert_eq!(again.status, 401, "{again:?}");
    assert!(again.headers.get("set-cookie").is_none());
    assert!(again.text.contains("livegate ui"), "{}", again.text);
    let no_code = send(admin.bare(Method::GET, "/login")).await;
    assert_eq!(no_code.status, 401);

    // A signed-in browser (and the CLI) can make further links.
    let link = send(
        admin
            .bare(Method::POST, "/api/login-links")
            .header("cookie", &cookie)
            .header("origin", &admin.base),
    )
    .await;
    assert_eq!(link.status, 200, "{link:?}");
    let next = link.body["url"].as_str().expect("url").to_string();
    assert_ne!(next, url);
    let link = admin.post("/api/login-links", &json!({})).await;
    let from_cli = link.body["url"].as_str().expect("url").to_string();
    for url in [next, from_cli] {
        let r = send(admin.http.get(&url)).await;
        assert!(session_cookie(&r).is_some(), "{r:?}");
    }
}

#[tokio::test]
async fn changes_need_the_servers_own_origin_and_every_request_a_served_host() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let cookie = format!("livegate_admin={}", admin.sign_in(&gw).await);
    let by_cookie = |origin: Option<&str>| {
        let mut request = admin
            .bare(Method::POST, "/api/pause")
            .header("cookie", &cookie);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        send(request)
    };
    for origin in [
        Some("http://evil.example"),
        Some("http://127.0.0.1:1"),
        Some("null"),
        None,
    ] {
        let r = by_cookie(origin).await;
        assert_eq!(r.status, 403, "{origin:?}: {r:?}");
        assert!(!error_text(&r).is_empty());
    }
    assert!(
        !gw.running.gateway.is_paused(),
        "no refused change happened"
    );
    let r = send(
        admin
            .authed(Method::POST, "/api/pause")
            .header("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(r.status, 403, "a foreign page, even with the token: {r:?}");
    // Reading needs no Origin.
    let r = send(
        admin
            .bare(Method::GET, "/api/status")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = by_cookie(Some(&admin.base)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["paused"], true);
    assert!(gw.running.gateway.is_paused());
    let localhost = format!("http://localhost:{}", gw.running.addr.port());
    let r = send(
        admin
            .bare(Method::POST, "/api/resume")
            .header("cookie", &cookie)
            .header("origin", &localhost),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");

    // DNS rebinding: a name that resolves here but is not ours is refused everywhere.
    for path in ["/api/status", "/", "/login?code=x"] {
        let r = send(
            admin
                .authed(Method::GET, path)
                .header("host", format!("evil.example:{}", gw.running.addr.port())),
        )
        .await;
        assert_eq!(r.status, 403, "{path}: {r:?}");
    }
}

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

    let r = admin
        .put(
            "/api/settings",
            r#"{"approval_timeout_s": 7, "notifications": {"read": true}, "start_at_login": true}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
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

/// Server-Sent Events read one at a time.
struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Events {
    /// The next event of type `kind` (others are skipped), with its data.
    async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event:") {
                        event = Some(e.trim().to_string());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if event.as_deref() == Some(kind) {
                    let value: Value = serde_json::from_str(&data).expect("JSON data");
                    assert_eq!(value["type"], kind);
                    return value;
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} event within 10 s"))
                .expect("stream open")
                .expect("chunk");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn the_event_stream_carries_approvals_grants_and_pauses() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let response = admin
        .authed(Method::GET, "/api/events")
        .send()
        .await
        .expect("stream opens");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let mut events = Events {
        stream: response.bytes_stream().boxed(),
        buffer: String::new(),
    };

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

/// Every file under `dir`, as paths relative to it with `/` separators.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(relative) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = relative.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            } else {
                found.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_ui_folder_is_served_without_sign_in_and_never_framed() {
    let gw = start(POLICY, vec![echo("echo")]).await;
    let admin = Admin::of(&gw);
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let index = admin.bare(Method::GET, "/").send().await.expect("sent");
    let headers = index.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let status = index.status().as_u16();
    let body = index.bytes().await.expect("body");
    match std::fs::read(ui.join("index.html")) {
        Ok(expected) => {
            assert_eq!(status, 200);
            assert_eq!(body.as_ref(), expected.as_slice());
            assert!(headers["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html"));
        }
        Err(_) => {
            assert_eq!(status, 404);
            assert!(String::from_utf8_lossy(&body).contains("built without its web UI"));
        }
    }
    for file in files_under(&ui) {
        let expected = std::fs::read(ui.join(&file)).expect("ui file");
        let r = admin
            .bare(Method::GET, &format!("/{file}"))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200, "{file}");
        let kind = r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_string();
        if file.ends_with(".js") {
            assert!(kind.starts_with("text/javascript"), "{file}: {kind}");
        }
        assert_eq!(
            r.bytes().await.expect("body").as_ref(),
            expected.as_slice(),
            "{file}"
        );
    }
    let missing = send(admin.bare(Method::GET, "/no-such-file.js")).await;
    assert_eq!(missing.status, 404);
    let escape = send(admin.bare(Method::GET, "/..%2fCargo.toml")).await;
    assert_eq!(escape.status, 404);
    let api = admin.get("/api/no-such-thing").await;
    assert_eq!(api.status, 404);
    assert!(error_text(&api).contains("/api/no-such-thing"), "{api:?}");
}

/// Runs the `livegate` CLI in `home`, in the background (it blocks).
async fn cli(home: &Path, args: &[&str]) -> std::process::Output {
    let mut command = livegate();
    command.args(args).env("LIVEGATE_HOME", home);
    tokio::task::spawn_blocking(move || command.output().expect("livegate runs"))
        .await
        .expect("joined")
}

fn out(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn the_cli_lists_and_answers_approvals_and_makes_login_links() {
    let home = tempfile::tempdir().expect("temp dir");
    let paths = Paths::under(home.path());
    paths.ensure().expect("folders");
    let before = cli(home.path(), &["approvals", "list"]).await;
    assert!(!before.status.success());
    assert!(out(&before).contains("livegate serve"), "{}", out(&before));

    let mut settings = Settings::load(&paths.settings_file()).expect("settings");
    settings.upstreams = vec![echo("echo")];
    settings.save(&paths.settings_file()).expect("saved");
    std::fs::write(paths.policy_file(), POLICY).expect("policy");
    let token = livegate::grants::add(&paths.settings_file(), "agent").expect("grant");
    let (mut lines, guard): (Lines, KillOnDrop) = serve_in(home.path());
    let printed = lines.wait_for("/login?code=");
    let first_link = printed
        .split_whitespace()
        .last()
        .expect("a link")
        .to_string();
    let base = first_link
        .split("/login?code=")
        .next()
        .expect("base")
        .to_string();
    assert!(first_link.starts_with("http://127.0.0.1:"), "{printed}");

    let ui = cli(home.path(), &["ui"]).await;
    assert!(ui.status.success(), "{}", out(&ui));
    let link = String::from_utf8_lossy(&ui.stdout).trim().to_string();
    assert!(link.starts_with(&format!("{base}/login?code=")), "{link}");
    assert_ne!(link, first_link);

    // An agent's call waits; the terminal answers it.
    let http = reqwest::Client::new();
    let mcp = format!("{base}/mcp");
    let agent_call = |id: u64, text: &str| {
        let request = http
            .post(&mcp)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "echo")
            .body(
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                    "name": "echo", "arguments": {"text": text},
                    "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                              "io.modelcontextprotocol/clientCapabilities": {}}}})
                .to_string(),
            );
        tokio::spawn(async move { common::reply(request.send().await.expect("sent")).await })
    };
    let waiting_id = |home: PathBuf| async move {
        for _ in 0..100 {
            let list = cli(&home, &["approvals", "list", "--json"]).await;
            let list: Value = serde_json::from_slice(&list.stdout).unwrap_or(Value::Null);
            if let Some(id) = list[0]["id"].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no approval appeared");
    };
    let call = agent_call(1, "from the agent");
    let id = waiting_id(home.path().to_path_buf()).await;
    let listed = cli(home.path(), &["approvals", "list"]).await;
    assert!(out(&listed).contains(&id), "{}", out(&listed));
    assert!(out(&listed).contains("echo by agent"), "{}", out(&listed));
    let approved = cli(home.path(), &["approvals", "approve", &id]).await;
    assert!(approved.status.success(), "{}", out(&approved));
    assert_eq!(tool_text(&call.await.expect("call")), "from the agent");

    let call = agent_call(2, "again");
    let id = waiting_id(home.path().to_path_buf()).await;
    let denied = cli(
        home.path(),
        &["approvals", "deny", &id, "--reason", "from the terminal"],
    )
    .await;
    assert!(denied.status.success(), "{}", out(&denied));
    assert_eq!(
        tool_text(&call.await.expect("call")),
        "Denied by the user: from the terminal"
    );
    let twice = cli(home.path(), &["approvals", "deny", &id]).await;
    assert!(!twice.status.success());
    assert!(out(&twice).contains("no longer pending"), "{}", out(&twice));

    drop(guard);
    let gone = cli(home.path(), &["approvals", "list"]).await;
    assert!(!gone.status.success());
    assert!(
        out(&gone).contains("no livegate is running"),
        "{}",
        out(&gone)
    );
}
