//! The desktop app itself, started under Xvfb with a private D-Bus session bus and dunst, and
//! driven over WebDriver (`tauri-driver` in front of WebKitWebDriver, the same WebKitGTK the
//! window uses): the window shows livegate's pages from the app's own server, a screenshot is
//! saved to `target/test-artifacts/desktop/`, and an agent's call that needs approval is
//! approved in the app's notification. Then, started by hand with `--hidden`: a second start
//! hands over to the first instance, which shows its window, and closing the window the way a
//! window manager does (`WM_DELETE_WINDOW`) hides it while livegate keeps running in the tray.

mod support;

use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};
use support::x11::{Shown, X};
use support::{
    call_tool, free_port, result_text, wait_for, Desktop, Group, Home, Monitor, Seen, PATIENCE,
};

/// The app under test, built by cargo with this test.
const APP: &str = env!("CARGO_BIN_EXE_livegate-desktop");

/// The name a running app holds on the session bus (tauri-plugin-single-instance).
const INSTANCE_NAME: &str = "app.livegate.desktop.SingleInstance";

/// Waits until no livegate-desktop runs on the test's bus (the previous case's has gone).
fn no_instance_running(desktop: &Desktop) {
    wait_for("the previous livegate-desktop to stop", PATIENCE, || {
        (!desktop.has_owner(INSTANCE_NAME)).then_some(())
    });
}

fn main() -> ExitCode {
    if !cfg!(target_os = "linux") {
        println!("skipped: this test needs Linux (Xvfb, D-Bus, WebKitGTK)");
        return ExitCode::SUCCESS;
    }
    let desktop = std::sync::Arc::new(Desktop::start());
    desktop.use_in_this_process();
    let runtime = std::sync::Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
    );
    let (d, r) = (desktop.clone(), runtime.clone());
    support::run_cases(vec![
        (
            "the_window_shows_livegate_and_approvals_come_as_notifications",
            Box::new(move || r.block_on(over_webdriver(&d))),
        ),
        (
            "one_instance_and_closing_the_window_keeps_it_in_the_tray",
            Box::new(move || runtime.block_on(single_instance_and_tray(&desktop))),
        ),
    ])
}

/// A WebDriver session on the app, through tauri-driver.
struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    async fn get(&self, path: &str) -> Value {
        let reply = self.http.get(self.url(path)).send().await;
        value(reply, path).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let reply = self.http.post(self.url(path)).json(&body).send().await;
        value(reply, path).await
    }

    /// Runs `script` in the window's page and returns its value.
    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }
}

/// The `value` of a WebDriver answer.
async fn value(reply: reqwest::Result<reqwest::Response>, what: &str) -> Value {
    let reply: Value = match reply {
        Ok(r) => r
            .json()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {what}: {e}")),
        Err(e) => panic!("WebDriver {what}: {e:?}"),
    };
    reply["value"].clone()
}

async fn over_webdriver(desktop: &Desktop) {
    no_instance_running(desktop);
    let port = free_port();
    let home = Home::new(([127, 0, 0, 1], port).into());
    let origin = format!("http://127.0.0.1:{port}");
    let (driver_port, native_port) = (free_port(), free_port());
    let log = std::fs::File::create(desktop.dir().join("tauri-driver.log")).expect("log file");
    let tauri_driver = std::env::var_os("TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
    let _tauri_driver = Group::spawn(
        "tauri-driver",
        Command::new(tauri_driver)
            .args(["--port", &driver_port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .envs(desktop.env())
            .envs(home.env())
            .stdout(log.try_clone().expect("log"))
            .stderr(log),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let base = format!("http://127.0.0.1:{driver_port}");
    wait_for("tauri-driver to listen", PATIENCE, || {
        std::net::TcpStream::connect(("127.0.0.1", driver_port)).ok()
    });
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "wry",
        "tauri:options": {"application": APP}}}});
    // tauri-driver may take a moment after it listens before it forwards.
    let mut created = http
        .post(format!("{base}/session"))
        .json(&capabilities)
        .send()
        .await;
    for _ in 0..50 {
        if created.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        created = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await;
    }
    let created = value(created, "new session").await;
    let session = created["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {created}; see {}", desktop.dir().display()))
        .to_string();
    let driver = Driver {
        http: http.clone(),
        base,
        session,
    };

    // The window opened livegate's one-time sign-in link and landed, signed in, on the UI's
    // front page of the app's own server.
    for _ in 0..200 {
        if driver.script("return document.readyState").await == "complete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = driver.get("/url").await;
    assert_eq!(
        url,
        format!("{origin}/"),
        "the window shows livegate's front page"
    );
    let cookies = driver.get("/cookie").await;
    assert!(
        cookies.as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["name"] == "livegate_admin" && c["httpOnly"] == true)),
        "the window holds livegate's sign-in cookie: {cookies}"
    );
    // What the UI does first: read the status from the admin API, as the signed-in window.
    let status = driver
        .post(
            "/execute/async",
            json!({"script": "const done = arguments[arguments.length - 1];
                fetch('/api/status').then(r => r.json().then(body => done([r.status, body])))
                    .catch(e => done(String(e)));", "args": []}),
        )
        .await;
    assert_eq!(status[0], 200, "the window may use the admin API: {status}");
    assert_eq!(status[1]["mcp_url"], format!("{origin}/mcp"), "{status}");
    // The UI itself: its title, its screens, and the status it drew from the API.
    let title = driver.script("return document.title").await;
    assert!(
        title.as_str().is_some_and(|t| t.ends_with("livegate")),
        "the UI's title: {title}"
    );
    let mut drawn = Value::Null;
    for _ in 0..100 {
        drawn = driver
            .script(
                "const app = document.getElementById('app');
                 return app && !app.hidden ? [
                   [...document.querySelectorAll('nav a[data-screen]')].map(a => a.dataset.screen),
                   document.querySelector('main') ? document.querySelector('main').innerText : ''
                 ] : null",
            )
            .await;
        if drawn[1].as_str().is_some_and(|t| t.contains("/mcp")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        drawn[0]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "approvals")),
        "the UI's screens are there: {drawn}"
    );
    assert!(
        drawn[1]
            .as_str()
            .is_some_and(|t| t.contains(&format!("{origin}/mcp"))),
        "the Status screen shows the MCP URL: {drawn}"
    );
    let size = driver.get("/window/rect").await;
    assert!(size["width"].as_f64().unwrap_or(0.0) >= 720.0, "{size}");

    let shot = driver.get("/screenshot").await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot.as_str().unwrap_or_default())
        .expect("the screenshot is base64");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG"
    );
    let (w, h) = (
        u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
        u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
    );
    assert!(w >= 720 && h >= 400, "screenshot of {w}×{h}");
    let file = support::artifacts_dir().join("window.png");
    std::fs::write(&file, &png).expect("screenshot saved");
    println!("screenshot of the window: {} ({w}×{h})", file.display());

    // An agent's call that needs approval, approved in the app's own notification.
    let monitor = Monitor::start(desktop);
    let agent = {
        let mcp = format!("{origin}/mcp");
        let token = home.token.clone();
        let http = http.clone();
        tokio::spawn(async move {
            call_tool(
                &http,
                &mcp,
                &token,
                "echo",
                json!({"text": "from the agent"}),
            )
            .await
        })
    };
    let actions = monitor.next("the app's approval notification", |seen| match seen {
        Seen::Notify {
            summary, actions, ..
        } if summary == "tester wants to run echo" => Some(actions.clone()),
        _ => None,
    });
    assert!(actions.iter().any(|a| a == "approve") && actions.iter().any(|a| a == "deny"));
    wait_for("dunst to show it", PATIENCE, || {
        (desktop.displayed() == 1).then_some(())
    });
    desktop.choose_action("^#Approve");
    let result = tokio::time::timeout(PATIENCE, agent)
        .await
        .expect("the agent's call completes")
        .expect("agent task");
    assert_eq!(result_text(&result), "from the agent", "{result}");

    // A click on the next one's body opens the Approvals screen in the window; it is then
    // answered there (through the admin API, as the UI does).
    let agent = {
        let (mcp, token, http) = (format!("{origin}/mcp"), home.token.clone(), http.clone());
        tokio::spawn(async move {
            call_tool(&http, &mcp, &token, "echo", json!({"text": "look"})).await
        })
    };
    wait_for("dunst to show it", PATIENCE, || {
        (desktop.displayed() == 1).then_some(())
    });
    desktop.dunstctl(&["action", "0"]);
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = driver.get("/url").await;
        if shown == format!("{origin}/#/approvals") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        shown,
        format!("{origin}/#/approvals"),
        "the window shows the Approvals screen"
    );
    deny_the_pending_approval(&http, &origin, &home).await;
    let result = tokio::time::timeout(PATIENCE, agent)
        .await
        .expect("the agent's call completes")
        .expect("agent task");
    assert_eq!(result["isError"], true, "{result}");

    let _ = http
        .delete(format!("{}/session/{}", driver.base, driver.session))
        .send()
        .await;
}

/// The app's window, found by its title, once it is in the state wanted.
fn window_when(x: &X, shown: Shown, desktop: &Desktop) -> std::ffi::c_ulong {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let windows = x.windows_titled("livegate");
        if let Some(w) = windows.iter().find(|w| x.shown(**w) == Some(shown)) {
            return *w;
        }
        if std::time::Instant::now() > deadline {
            let states: Vec<_> = windows.iter().map(|w| x.shown(*w)).collect();
            let log = std::fs::read_to_string(desktop.dir().join("app.log")).unwrap_or_default();
            let tree = Command::new("xwininfo")
                .args(["-root", "-children"])
                .envs(desktop.env())
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            panic!(
                "the livegate window never became {shown:?}: windows {states:?}; instance on the bus: {}; X: {tree}; the app said:\n{log}",
                desktop.has_owner(INSTANCE_NAME)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn single_instance_and_tray(desktop: &Desktop) {
    no_instance_running(desktop);
    let port = free_port();
    let home = Home::new(([127, 0, 0, 1], port).into());
    let origin = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(desktop.dir().join("app.log")).expect("log file");
    let start = |name: &str, args: &[&str], out: Stdio, err: Stdio| {
        Group::spawn(
            name,
            Command::new(APP)
                .args(args)
                .envs(desktop.env())
                .envs(home.env())
                .stdout(out)
                .stderr(err),
        )
    };
    let mut first = start(
        "livegate-desktop",
        &["--hidden"],
        log.try_clone().expect("log").into(),
        log.into(),
    );
    let http = reqwest::Client::new();
    let answers = || async { http.get(format!("{origin}/mcp")).send().await.is_ok() };
    for _ in 0..200 {
        if answers().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answers().await, "the app serves livegate");
    let x = X::connect(&desktop.display);
    assert!(
        x.windows_titled("livegate")
            .into_iter()
            .all(|w| x.shown(w) != Some(Shown::Viewable)),
        "--hidden starts in the tray, with no window on screen"
    );

    // A click on an approval notification opens the window (made now, signed in, on the
    // Approvals screen).
    let agent = {
        let (mcp, token, http) = (format!("{origin}/mcp"), home.token.clone(), http.clone());
        tokio::spawn(
            async move { call_tool(&http, &mcp, &token, "echo", json!({"text": "x"})).await },
        )
    };
    wait_for("dunst to show the notification", PATIENCE, || {
        (desktop.displayed() == 1).then_some(())
    });
    desktop.dunstctl(&["action", "0"]);
    let window = window_when(&x, Shown::Viewable, desktop);

    // Closing the window hides it; livegate keeps running, the call still waits.
    x.request_close(window);
    window_when(&x, Shown::Unmapped, desktop);
    assert!(first.try_wait().is_none(), "the app still runs");
    assert!(answers().await, "livegate still serves agents");
    assert!(!agent.is_finished(), "the call still waits for its answer");

    // A second start hands over to the first and exits; the first shows its window again.
    let mut second = start("second livegate-desktop", &[], Stdio::null(), Stdio::null());
    let status = second
        .wait_timeout(PATIENCE)
        .expect("the second start exits");
    assert!(status.success(), "the second start exits cleanly: {status}");
    window_when(&x, Shown::Viewable, desktop);
    assert!(first.try_wait().is_none(), "the app still runs");

    // Answered in the UI (through the admin API, as the UI does).
    deny_the_pending_approval(&http, &origin, &home).await;
    let result = tokio::time::timeout(PATIENCE, agent)
        .await
        .expect("the agent's call completes")
        .expect("agent task");
    assert_eq!(result["isError"], true, "{result}");
    wait_for("the notification to go", PATIENCE, || {
        (desktop.displayed() == 0).then_some(())
    });

    // Stopped by the system (SIGTERM), it quits cleanly: the core stops, the name goes.
    let pid = libc::pid_t::try_from(first.pid()).expect("pid");
    // SAFETY: kill(2) on the app's own pid.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let status = first
        .wait_timeout(PATIENCE)
        .expect("the app stops on SIGTERM");
    assert!(status.success(), "the app quits cleanly: {status}");
    assert!(!answers().await, "livegate stopped serving");
}

/// Denies the one pending approval through the admin API, with the admin token.
async fn deny_the_pending_approval(http: &reqwest::Client, origin: &str, home: &Home) {
    let admin_token = std::fs::read_to_string(home.paths.config_dir.join("admin-token"))
        .expect("the admin token");
    let pending: Value = http
        .get(format!("{origin}/api/approvals"))
        .bearer_auth(admin_token.trim())
        .send()
        .await
        .expect("approvals listed")
        .json()
        .await
        .expect("JSON");
    let id = pending[0]["id"]
        .as_str()
        .expect("one pending approval")
        .to_string();
    let denied = http
        .post(format!("{origin}/api/approvals/{id}/deny"))
        .bearer_auth(admin_token.trim())
        .json(&json!({"via": "ui"}))
        .send()
        .await
        .expect("denied");
    assert_eq!(denied.status(), 200);
}
