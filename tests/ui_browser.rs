//! The web UI in a real browser (Debian chromium, headless, over WebDriver) against a real
//! livegate on 127.0.0.1, signed in through its one-time login link: rules edited in the form
//! decide the next call, a broken raw edit writes nothing, approvals appear live and Approve
//! lets the call finish, grants are created and revoked, the one-click Claude Desktop setup
//! writes a config that really connects, the audit log filters, tails, opens and exports
//! records, and every screen renders at 900×600 and 1280×800 in light and dark (screenshots
//! in `target/test-artifacts/ui/`).
//!
//! Without chromium and chromedriver these tests skip with a loud notice, unless
//! `LIVEGATE_REQUIRE_PEERS` is set (as `scripts/test.sh` sets it), where they fail.

mod browser;
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

use browser::{artifacts_dir, Browser, Scheme};
use common::TestGateway;
use livegate::policy::builtin::ABLETON_DEFAULT_JSON;
use livegate::settings::{Paths, SimulatorMode, UpstreamConfig};
use serde_json::{json, Value};

/// echo and add allowed, everything else denied.
const ECHO_ALLOWED: &str = r#"{
  "version": "1",
  "default": "deny",
  "tools": {
    "echo": { "action": "allow" },
    "add": { "action": "allow" }
  }
}
"#;

/// A browser signed in to `base` (`http://127.0.0.1:PORT`) through `login_url`.
async fn signed_in(login_url: &str, scheme: Scheme, width: u32, height: u32) -> Option<Browser> {
    let browser = Browser::launch(scheme, width, height).await?;
    browser.goto(login_url).await;
    browser.wait_for("#app:not([hidden]) .nav").await;
    Some(browser)
}

/// The UI's address for `screen`.
fn screen_url(gw: &TestGateway, screen: &str) -> String {
    format!("http://{}/#/{screen}", gw.running.addr)
}

/// `tools/call` of `name` in a new handshake session.
async fn call(gw: &TestGateway, name: &str, arguments: Value) -> common::Reply {
    let session = gw.initialize("2025-11-25").await;
    gw.call_tool(&session, 2, name, arguments).await
}

/// The HTTP status of a stateless `tools/list` made with `token`.
async fn list_tools_status(gw: &TestGateway, token: &str) -> u16 {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}}});
    gw.post_raw(
        body.to_string().into_bytes(),
        token,
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ],
    )
    .await
    .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_edited_in_the_form_decides_the_next_agent_call() {
    let gw = common::start(ECHO_ALLOWED, vec![common::echo("demo")]).await;
    let before = call(&gw, "echo", json!({"text": "hi"})).await;
    assert_eq!(common::tool_text(&before), "hi", "{before:?}");

    let Some(b) = signed_in(&gw.running.login_url(), Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&screen_url(&gw, "rules")).await;
    b.click("[data-tool='echo'] > summary").await;
    b.wait_for("select[data-path='tools.echo.action']")
        .await
        .select_by_value("deny")
        .await
        .expect("deny chosen");
    b.wait_for("input[data-path='tools.echo.reason']")
        .await
        .send_keys("No echoing today")
        .await
        .expect("reason typed");
    b.wait_until(
        "Save is enabled",
        "return !document.getElementById('rules-save').disabled",
    )
    .await;
    b.click("#rules-save").await;
    b.wait_until(
        "the policy is saved",
        "return document.getElementById('rules-state').textContent.startsWith('Saved')",
    )
    .await;

    let file = Paths::under(gw.home()).policy_file();
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("policy file")).expect("JSON");
    assert_eq!(saved["tools"]["echo"]["action"], "deny", "{saved}");
    assert_eq!(saved["tools"]["echo"]["reason"], "No echoing today");
    assert_eq!(saved["tools"]["add"]["action"], "allow", "the rest stays");

    let after = call(&gw, "echo", json!({"text": "hi"})).await;
    assert_eq!(after.body["result"]["isError"], true, "{after:?}");
    assert_eq!(
        common::tool_text(&after),
        "Policy violation: No echoing today"
    );
    let add = call(&gw, "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(add.body["result"]["isError"], Value::Null, "{add:?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_raw_edit_shows_where_it_is_wrong_and_writes_nothing() {
    let gw = common::start(ECHO_ALLOWED, vec![common::echo("demo")]).await;
    let file = Paths::under(gw.home()).policy_file();
    let original = std::fs::read(&file).expect("policy file");
    let Some(b) = signed_in(&gw.running.login_url(), Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&screen_url(&gw, "rules")).await;
    b.click("#tab-raw").await;
    let area = b.wait_for("#raw-policy").await;

    // Valid JSON, invalid policy: the server's error lands on its line, by JSON path.
    area.clear().await.expect("cleared");
    area.send_keys(concat!(
        "{\n",
        "  \"version\": \"1\",\n",
        "  \"default\": \"allow\",\n",
        "  \"tools\": {\n",
        "    \"echo\": {\n",
        "      \"limits\": [{ \"counter\": \"echoes\", \"window\": \"minite\", \"max\": 3 }]\n",
        "    }\n",
        "  }\n",
        "}\n",
    ))
    .await
    .expect("typed");
    let error = b
        .wait_for("#raw-errors li[data-error-path='tools.echo.limits[0].window']")
        .await;
    let text = error.text().await.expect("error text");
    assert!(text.contains("line 6"), "{text}");
    assert!(text.contains("minite") && text.contains("minute"), "{text}");
    b.wait_until(
        "the gutter marks line 6",
        "return [...document.querySelectorAll('.gutter .bad')].map(e => e.textContent).join() === '6'",
    )
    .await;
    let save_disabled = b
        .eval("const s = document.getElementById('rules-save'); s.click(); return s.disabled")
        .await;
    assert_eq!(save_disabled, true, "Save stays disabled while invalid");

    // Not JSON at all: the browser's own parse error, by line.
    area.clear().await.expect("cleared");
    area.send_keys("{\n  \"version\": \"1\"\n  \"default\": \"allow\"\n}\n")
        .await
        .expect("typed");
    b.wait_until(
        "the syntax error is shown on line 3",
        "return (document.getElementById('raw-errors').textContent || '').includes('line 3')",
    )
    .await;
    let save_disabled = b
        .eval("const s = document.getElementById('rules-save'); s.click(); return s.disabled")
        .await;
    assert_eq!(save_disabled, true);
    // The form cannot show text that is not JSON, so it stays on the raw tab.
    b.click("#tab-form").await;
    assert_eq!(
        b.eval("return document.getElementById('panel-raw').hidden")
            .await,
        false
    );

    // Give a stray save time to land, then check nothing changed anywhere.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        std::fs::read(&file).expect("policy file"),
        original,
        "nothing invalid is written"
    );
    // The broken edit said "default": "allow"; the policy in force still denies `fail`.
    let still = call(&gw, "fail", json!({})).await;
    assert_eq!(still.body["result"]["isError"], true, "{still:?}");
    assert!(
        common::tool_text(&still).starts_with("Policy violation: no rule allows fail"),
        "the policy in force is unchanged: {still:?}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_approval_appears_live_and_approve_lets_the_call_finish() {
    let policy = r#"{"version": "1", "default": "deny", "tools": {
        "echo": {"action": "approve", "reason": "Echo asks first", "approval": {"timeout_s": 90}}}}"#;
    let gw = common::start(policy, vec![common::echo("demo")]).await;
    let Some(b) = signed_in(&gw.running.login_url(), Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&screen_url(&gw, "approvals")).await;
    b.wait_for("#approval-list .empty").await;

    let session = gw.initialize("2025-11-25").await;
    let waiting = gw.call_in_background(
        &session,
        7,
        json!({"name": "echo", "arguments": {"text": "hello from the agent"}}),
    );
    // It appears without reloading the page.
    let card = b
        .wait_for("article[data-tool='echo'][data-approval-id]")
        .await;
    let text = card.text().await.expect("card text");
    assert!(text.contains("hello from the agent"), "{text}");
    assert!(text.contains("Echo asks first"), "{text}");
    assert!(text.contains("tools.echo"), "the rule is shown: {text}");
    assert_eq!(
        b.eval("return document.getElementById('pending-badge').textContent")
            .await,
        "1"
    );
    assert!(!waiting.is_finished(), "the call waits for the human");

    // Approve with the keyboard: focus the button, press Enter.
    let approve = b
        .wait_for("article[data-tool='echo'] .approval-actions button.primary")
        .await;
    approve
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("Enter on Approve");
    let reply = tokio::time::timeout(std::time::Duration::from_secs(15), waiting)
        .await
        .expect("the call finishes once approved")
        .expect("joined");
    assert_eq!(
        common::tool_text(&reply),
        "hello from the agent",
        "{reply:?}"
    );
    b.wait_until(
        "the card and the badge are gone",
        "return !document.querySelector('article[data-tool=echo]') && document.getElementById('pending-badge').hidden",
    )
    .await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_are_created_and_revoked_on_the_agents_screen() {
    let gw = common::start(ECHO_ALLOWED, vec![common::echo("demo")]).await;
    let Some(b) = signed_in(&gw.running.login_url(), Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&screen_url(&gw, "agents")).await;
    b.wait_for("#grant-name")
        .await
        .send_keys("cursor")
        .await
        .expect("name typed");
    b.click("#grant-create").await;
    let token = b
        .wait_for("#token-value")
        .await
        .text()
        .await
        .expect("token shown");
    assert!(token.starts_with("lg_"), "{token}");
    b.wait_for("tr[data-grant='cursor']").await;
    let snippet = b
        .wait_for("#cfg-snippet")
        .await
        .text()
        .await
        .expect("config");
    assert!(
        snippet.contains(&token),
        "the config carries the new token: {snippet}"
    );
    assert_eq!(list_tools_status(&gw, &token).await, 200, "the token works");

    b.click("tr[data-grant='cursor'] button").await;
    b.click("dialog[open] button.danger").await;
    b.wait_until(
        "the grant is gone from the list",
        "return !document.querySelector(\"tr[data-grant='cursor']\")",
    )
    .await;
    assert_eq!(
        list_tools_status(&gw, &token).await,
        401,
        "a revoked token stops working"
    );
    let left = livegate::grants::list(&Paths::under(gw.home()).settings_file()).expect("grants");
    assert!(left.iter().all(|g| g.name != "cursor"), "{left:?}");
    b.close().await;
}

/// Sends one JSON-RPC line to a stdio MCP server and reads its answer line.
fn rpc(stdin: &mut impl Write, stdout: &mut impl BufRead, message: &Value) -> Value {
    writeln!(stdin, "{message}").expect("sent");
    stdin.flush().expect("flushed");
    let mut line = String::new();
    stdout.read_line(&mut line).expect("answer");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_adds_livegate_to_claude_desktop_after_a_backup_and_the_config_connects() {
    let home = tempfile::tempdir().expect("home");
    let xdg = tempfile::tempdir().expect("config home");
    let claude = xdg.path().join("Claude").join("claude_desktop_config.json");
    std::fs::create_dir_all(claude.parent().expect("folder")).expect("Claude folder");
    let original = "{\n  \"globalShortcut\": \"\",\n  \"mcpServers\": {\"other\": {\"command\": \"other-server\"}}\n}\n";
    std::fs::write(&claude, original).expect("Claude config");
    let paths = Paths::under(home.path());
    paths.ensure().expect("folders");
    std::fs::write(paths.policy_file(), ECHO_ALLOWED).expect("policy");
    let mut settings =
        livegate::settings::Settings::load(&paths.settings_file()).expect("settings");
    settings.upstreams = vec![common::echo("demo")];
    settings.save(&paths.settings_file()).expect("saved");

    // A livegate process whose per-user config folder holds that Claude config.
    let child = common::process::livegate()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("LIVEGATE_HOME", home.path())
        .env("XDG_CONFIG_HOME", xdg.path())
        .env_remove("LIVEGATE_POLICY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("livegate serve starts");
    let mut child = common::process::KillOnDrop(child);
    let mut lines = common::process::Lines::of(&mut child.0);
    let line = lines.wait_for("/login?code=");
    let login = &line[line.find("http://").expect("a login URL")..];
    let base = &login[..login.find("/login").expect("the login path")];

    let Some(b) = signed_in(login, Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&format!("{base}/#/agents")).await;
    b.wait_for("#desktop-add:disabled").await;
    b.wait_for("#grant-name")
        .await
        .send_keys("claude-desktop")
        .await
        .expect("typed");
    b.click("#grant-create").await;
    let token = b
        .wait_for("#token-value")
        .await
        .text()
        .await
        .expect("token");
    b.click("#desktop-add:enabled").await;
    b.click("dialog[open] button.primary").await;
    b.wait_until(
        "the screen says livegate is in Claude Desktop's config",
        "return (document.getElementById('desktop-add')?.textContent || '').startsWith('Replace')",
    )
    .await;
    b.close().await;

    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(&claude).expect("config")).expect("JSON");
    assert_eq!(
        config["mcpServers"]["other"]["command"], "other-server",
        "{config}"
    );
    assert_eq!(config["globalShortcut"], "");
    let server = &config["mcpServers"]["livegate"];
    assert_eq!(server["args"], json!(["connect"]), "{server}");
    assert_eq!(server["env"]["LIVEGATE_TOKEN"], token.as_str());
    assert_eq!(server["env"]["LIVEGATE_URL"], format!("{base}/mcp"));
    let backups: Vec<_> = std::fs::read_dir(claude.parent().expect("folder"))
        .expect("folder")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(".livegate-backup-")
        })
        .collect();
    assert_eq!(backups.len(), 1, "one backup");
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).expect("backup"),
        original
    );

    // Launch the server exactly as Claude Desktop would, and talk MCP to it.
    let command = server["command"].as_str().expect("command");
    assert!(
        Path::new(command).is_file(),
        "the command is this livegate: {command}"
    );
    let mut connect = std::process::Command::new(command);
    connect.args(["connect"]).env_remove("LIVEGATE_TOKEN");
    for (k, v) in server["env"].as_object().expect("env") {
        connect.env(k, v.as_str().expect("text"));
    }
    let bridge = connect
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("livegate connect starts");
    let mut bridge = common::process::KillOnDrop(bridge);
    let mut stdin = bridge.0.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(bridge.0.stdout.take().expect("stdout"));
    let init = rpc(
        &mut stdin,
        &mut stdout,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "claude-desktop-stand-in", "version": "1"}}}),
    );
    assert!(init["result"]["serverInfo"].is_object(), "{init}");
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
    )
    .expect("sent");
    let echo = rpc(
        &mut stdin,
        &mut stdout,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "echo", "arguments": {"text": "via Claude Desktop's config"}}}),
    );
    assert_eq!(
        echo["result"]["content"][0]["text"], "via Claude Desktop's config",
        "{echo}"
    );
}

/// Empties a text field the way a person does (select all, delete), so `input` fires.
async fn clear_field(b: &Browser, css: &str) {
    let field = b.wait_for(css).await;
    field
        .send_keys(&(fantoccini::key::Key::Control + "a"))
        .await
        .expect("selected");
    field
        .send_keys(&fantoccini::key::Key::Backspace.to_string())
        .await
        .expect("deleted");
}

/// How many records the audit table shows.
const AUDIT_ROWS: &str = "document.querySelectorAll('#audit-rows tr[data-id]').length";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_tails_opens_and_exports_records() {
    let gw = common::start(ECHO_ALLOWED, vec![common::echo("demo")]).await;
    for (tool, args) in [
        ("echo", json!({"text": "alpha"})),
        ("add", json!({"a": 1, "b": 2})),
        ("fail", json!({})),
        ("echo", json!({"text": "bravo"})),
    ] {
        call(&gw, tool, args).await;
    }
    let Some(b) = signed_in(&gw.running.login_url(), Scheme::Light, 1280, 800).await else {
        return;
    };
    b.goto(&screen_url(&gw, "audit")).await;
    b.wait_until(
        "the four calls are listed",
        "return document.querySelectorAll(\"#audit-rows tr[data-kind='call']\").length === 4",
    )
    .await;

    // Filter by tool, then by words in the arguments.
    b.wait_for("#audit-tool")
        .await
        .send_keys("echo")
        .await
        .expect("typed");
    b.wait_until(
        "only the two echo calls are left",
        "const rows = [...document.querySelectorAll('#audit-rows tr[data-id]')]; \
         return rows.length === 2 && rows.every(r => r.querySelector('td.tool').textContent === 'echo')",
    )
    .await;
    b.wait_for("#audit-q")
        .await
        .send_keys("bravo")
        .await
        .expect("typed");
    b.wait_until(
        "one call matches the text",
        &format!("return {AUDIT_ROWS} === 1"),
    )
    .await;
    assert!(
        b.eval("return location.hash")
            .await
            .as_str()
            .is_some_and(|h| h.contains("tool=echo") && h.contains("q=bravo")),
        "the filters are in the address"
    );

    // The row opens the whole record.
    b.click("#audit-rows tr[data-id] button.rowlink").await;
    let detail = b
        .wait_for("dialog[open]")
        .await
        .text()
        .await
        .expect("detail");
    assert!(
        detail.contains("bravo") && detail.contains("tools.echo"),
        "{detail}"
    );
    assert!(detail.contains("tester-"), "the grant is shown: {detail}");
    b.click("dialog[open] .dialog-foot button").await;

    // Live tail: a new matching call appears on top without reloading.
    call(&gw, "echo", json!({"text": "bravo again"})).await;
    b.wait_until(
        "the new call is added live",
        &format!("return {} === 2 && document.querySelector('#audit-rows tr[data-id] td.summary').textContent.includes('bravo again')", AUDIT_ROWS),
    )
    .await;

    // Denied calls only, and the export holds exactly what the filters show.
    clear_field(&b, "#audit-tool").await;
    clear_field(&b, "#audit-q").await;
    b.wait_for("#audit-decision")
        .await
        .select_by_value("deny")
        .await
        .expect("deny chosen");
    b.wait_until(
        "only the refused call is left",
        &format!("return {} === 1 && document.querySelector('#audit-rows td.tool').textContent === 'fail'", AUDIT_ROWS),
    )
    .await;
    let jsonl = b
        .eval("return fetch(document.getElementById('export-jsonl').href).then(r => r.text())")
        .await;
    let lines: Vec<Value> = jsonl
        .as_str()
        .expect("text")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{jsonl}");
    assert_eq!(lines[0]["tool"], "fail");
    assert_eq!(lines[0]["decision"], "deny");
    let csv = b
        .eval("return fetch(document.getElementById('export-csv').href).then(r => r.text())")
        .await;
    let csv = csv.as_str().expect("text");
    assert_eq!(csv.lines().count(), 2, "a header and one record: {csv}");
    assert!(
        csv.lines().nth(1).is_some_and(|l| l.contains("fail")),
        "{csv}"
    );

    // Leaving the page lets go of its event stream: a browser keeps six connections per
    // server, and streams held by pages left behind used to stall the next page's requests
    // for a minute. Eight round trips would hit that.
    for round in 0..8 {
        let back = async {
            b.goto("about:blank").await;
            b.goto(&format!("{}?range=all", screen_url(&gw, "audit")))
                .await;
            b.wait_for("#audit-rows tr[data-id]").await;
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), back)
            .await
            .unwrap_or_else(|_| panic!("coming back to the page hung (round {round})"));
    }
    b.close().await;
}

/// A Live-like setup for the screenshots: the simulated Live, the recommended policy, two
/// agents and one call waiting for approval.
async fn showcase() -> (TestGateway, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("home");
    let ableton = UpstreamConfig::Builtin {
        name: "ableton".into(),
        builtin: "ableton".into(),
    };
    let gw = common::start_with(
        home.path(),
        ABLETON_DEFAULT_JSON,
        vec![ableton],
        Some(SimulatorMode::Always),
    )
    .await;
    common::new_grant(&gw, "claude-desktop");
    common::new_grant(&gw, "cursor");
    gw.running.grants.reload();
    let session = gw.initialize("2025-11-25").await;
    gw.call_tool(&session, 2, "set_tempo", json!({"tempo": 124}))
        .await;
    drop(gw.call_in_background(
        &session,
        3,
        json!({"name": "delete_track", "arguments": {"track_index": 3}}),
    ));
    common::pending(&gw.running.approvals, 1).await;
    (gw, home)
}

/// Each screen and an element that shows it has loaded its data.
const SCREENS: [(&str, &str); 6] = [
    ("status", "#mcp-url"),
    ("approvals", "article[data-approval-id]"),
    ("rules", "[data-category='Read']"),
    ("audit", "#audit-rows tr[data-id]"),
    ("agents", "tr[data-grant='cursor']"),
    ("settings", "input[data-path='listen']"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_fits_900x600_and_1280x800_in_light_and_dark() {
    let (gw, _home) = showcase().await;
    let dir = artifacts_dir();
    let mut backgrounds = Vec::new();
    for scheme in [Scheme::Light, Scheme::Dark] {
        let Some(b) = signed_in(&gw.running.login_url(), scheme, 1280, 800).await else {
            return;
        };
        let dark = b
            .eval("return matchMedia('(prefers-color-scheme: dark)').matches")
            .await;
        assert_eq!(dark, scheme == Scheme::Dark, "the page follows the system");
        backgrounds.push(
            b.eval("return getComputedStyle(document.body).backgroundColor")
                .await,
        );
        for (width, height) in [(900, 600), (1280, 800)] {
            b.set_viewport(width, height).await;
            for (screen, ready) in SCREENS {
                b.goto(&screen_url(&gw, screen)).await;
                b.wait_for(&format!(".screen[data-screen='{screen}'] {ready}"))
                    .await;
                // Let late answers and layout settle before measuring and taking the picture.
                tokio::time::sleep(std::time::Duration::from_millis(400)).await;
                let overflow = b
                    .eval(
                        "const m = document.getElementById('main'); \
                         return [document.documentElement.scrollWidth - innerWidth, \
                                 document.documentElement.scrollHeight - innerHeight, \
                                 m.scrollWidth - m.clientWidth]",
                    )
                    .await;
                assert_eq!(
                    overflow,
                    json!([0, 0, 0]),
                    "{screen} at {width}×{height} ({}) scrolls sideways or past the window",
                    scheme.name()
                );
                let name = format!("{screen}-{width}x{height}-{}.png", scheme.name());
                b.screenshot(&dir.join(name)).await;
            }
        }
        // The whole app works from the keyboard: a nav link opens its screen with Enter.
        b.goto(&screen_url(&gw, "status")).await;
        b.wait_for(".nav a[data-screen='rules']")
            .await
            .send_keys(&fantoccini::key::Key::Enter.to_string())
            .await
            .expect("Enter on the Rules link");
        b.wait_for(".screen[data-screen='rules'] [data-category='Read']")
            .await;
        b.close().await;
    }
    assert_ne!(backgrounds[0], backgrounds[1], "light and dark differ");
    for pending in gw.running.approvals.list() {
        let _ = gw.running.approvals.deny(&pending.id, None, "cli");
    }
}
