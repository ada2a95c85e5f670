//! Who may use the admin API, against a real livegate on 127.0.0.1: the admin token, or a
//! browser session from a one-time link, never an agent's grant token; the CSRF and
//! DNS-rebinding defences; the static UI; and the CLI commands that use the API.
//! (`admin_areas.rs` drives each area of the API.)

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::admin::{error_text, send, session_cookie, Admin};
use common::process::{livegate, serve_in, KillOnDrop, Lines};
use common::{echo, start, tool_text};
use livegate::settings::{Paths, Settings};
use reqwest::Method;
use serde_json::{json, Value};

const POLICY: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"action":"approve"},
    "add":{"action":"approve","approval":{"remember":"once"}},
    "fail":{"action":"allow"}}}"#;

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
