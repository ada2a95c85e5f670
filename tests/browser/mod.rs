//! A real browser for the UI tests and the UI bench: Debian's `chromium`, headless, driven
//! over WebDriver by `chromedriver` (package `chromium-driver`) through fantoccini.
//!
//! When either program is missing or the browser cannot start, [`Browser::launch`] prints a
//! loud notice and returns `None` so the caller can skip; with `LIVEGATE_REQUIRE_PEERS` set (as
//! `scripts/test.sh` and CI set it) it panics instead, so a browser test never passes by
//! not running.

#![allow(dead_code)] // the tests and the bench use different parts

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Light or dark, as `prefers-color-scheme` reports it to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// The light scheme.
    Light,
    /// The dark scheme (chromium's `--force-dark-mode`).
    Dark,
}

impl Scheme {
    /// `light` or `dark`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Light => "light",
            Scheme::Dark => "dark",
        }
    }
}

/// A headless chromium and its chromedriver; both stop when this is closed or dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    /// chromedriver's port and the session id, to end the session from `Drop`.
    port: u16,
    session: Option<String>,
    profile: tempfile::TempDir,
}

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Skips (returns `None`) with a loud notice, or panics when peers are required.
fn cannot_run<T>(why: &str) -> Option<T> {
    assert!(
        std::env::var_os("LIVEGATE_REQUIRE_PEERS").is_none(),
        "the browser tests cannot run: {why}. Install Debian's chromium and chromium-driver \
         (./scripts/test.sh does)"
    );
    eprintln!(
        "\n************************************************************************\n\
         SKIPPING BROWSER TEST: {why}.\n\
         Install Debian's chromium and chromium-driver (./scripts/test.sh does).\n\
         ************************************************************************\n"
    );
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Browser {
    /// Starts chromedriver and a headless chromium in `scheme`, with a window of
    /// `width`×`height` CSS pixels of page. `None` (after a loud notice) when no browser can
    /// run here.
    pub async fn launch(scheme: Scheme, width: u32, height: u32) -> Option<Browser> {
        let Some(driver_bin) = on_path(&["chromedriver"]) else {
            return cannot_run("chromedriver is not installed");
        };
        let Some(chromium) = on_path(&["chromium", "chromium-browser", "google-chrome"]) else {
            return cannot_run("chromium is not installed");
        };
        let port = free_port();
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || driver.try_wait().ok().flatten().is_some() {
                let _ = driver.kill();
                let _ = driver.wait();
                return cannot_run("chromedriver did not start listening");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--no-first-run".to_string(),
            "--hide-scrollbars".to_string(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        if scheme == Scheme::Dark {
            args.push("--force-dark-mode".to_string());
        }
        let caps = json!({
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
        {
            Ok(client) => client,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                return cannot_run(&format!("chromium did not start: {e}"));
            }
        };
        let session = client.session_id().await.ok().flatten();
        let browser = Browser {
            client,
            driver,
            port,
            session,
            profile,
        };
        browser.set_viewport(width, height).await;
        Some(browser)
    }

    /// Sizes the window so the page itself is `width`×`height` CSS pixels.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        for _ in 0..3 {
            let inner = self
                .eval("return [innerWidth, innerHeight]")
                .await
                .as_array()
                .map(|a| {
                    (
                        a[0].as_u64().unwrap_or(0) as i64,
                        a[1].as_u64().unwrap_or(0) as i64,
                    )
                })
                .unwrap_or((0, 0));
            if inner == (i64::from(width), i64::from(height)) {
                return;
            }
            let (w, h) = self.client.get_window_size().await.expect("window size");
            let w = w as i64 + i64::from(width) - inner.0;
            let h = h as i64 + i64::from(height) - inner.1;
            self.client
                .set_window_size(w.max(100) as u32, h.max(100) as u32)
                .await
                .expect("window resized");
        }
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The first element matching `css`, waiting up to 15 s for it.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} appeared: {e}"))
    }

    /// Waits for the element matching `css`, scrolls it to the middle of its scroll area (clear
    /// of sticky bars) and clicks it, as a user would.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        let arg = serde_json::to_value(&element).expect("an element reference");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
            .await
            .unwrap_or_else(|e| panic!("cannot scroll to {css}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Waits up to 15 s until `script` (a function body) returns `true`.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.eval(script).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot taken");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("artifact folder");
        }
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Ends the session (chromium quits) and stops chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if client.close().await.is_ok() {
            self.session = None;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit chromium (after a panic nobody awaited
        // `close`); then chromedriver itself stops.
        if let Some(session) = self.session.take() {
            end_session(self.port, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A failed test can leave chromedriver too busy to quit its chromium: stop what is
        // left of it, found by this browser's own profile folder.
        stop_processes_using(self.profile.path());
    }
}

/// Kills (by id) the processes whose command line names `profile`, i.e. the chromium this
/// [`Browser`] started. Linux only (`/proc`); elsewhere nothing is left to find this way.
fn stop_processes_using(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|&pid| pid > 1 && pid != std::process::id())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args = String::from_utf8_lossy(&cmdline);
        if args.split('\0').any(|arg| arg == needle) {
            // A positive process id only: `kill` reads a leading '-' as a signal or a group.
            let _ = Command::new("kill")
                .args(["-s", "KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `DELETE /session/{id}` with a blocking socket (usable in `Drop`).
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

/// Where the UI tests leave their screenshots: `target/test-artifacts/ui/`.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|target| target.join("test-artifacts").join("ui"))
        .expect("the target folder")
}
