//! Real desktop parts for the desktop tests and bench: an X server (Xvfb), a private D-Bus
//! session bus with no service activation (so only the daemons started here answer), dunst as
//! the notification daemon, a monitor that sees every notification call on that bus, a
//! livegate home with an `approve` policy, and a small MCP client. Each process runs in its own
//! process group, stopped when dropped.

#![allow(dead_code)] // each test binary and the bench use a different part of this

pub mod x11;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use livegate::settings::{Paths, Settings, UpstreamConfig};
use serde_json::{json, Value};

/// How long a test waits for something that should happen at once on an idle machine.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A child process in its own process group; the whole group is stopped on drop.
pub struct Group {
    child: Child,
    name: String,
}

impl Group {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(name: &str, command: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        let child = command.process_group(0).spawn().unwrap_or_else(|e| {
            panic!("cannot start {name}: {e}; is it installed? (scripts/test.sh installs it)")
        });
        Self {
            child,
            name: name.to_string(),
        }
    }

    /// The leader's process id (also the group's id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's stdout (when piped).
    pub fn stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// Whether the leader has exited, and how.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `timeout` for the leader to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether any process of the group is left.
    fn group_alive(&self) -> bool {
        let Ok(pgid) = libc::pid_t::try_from(self.child.id()) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-pgid, 0) == 0 }
    }

    fn signal(&self, signal: libc::c_int) {
        let Ok(pgid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal(libc::SIGTERM);
        if self.wait_timeout(Duration::from_secs(3)).is_none() {
            eprintln!("{} did not stop on SIGTERM; killing it", self.name);
            self.signal(libc::SIGKILL);
            let _ = self.child.wait();
        }
        // Whatever else is left in the group (children that outlived the leader), until it
        // is empty (a bounded wait: orphans are reaped by init, which may be slow).
        self.signal(libc::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.group_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits until `check` returns something, or panics after `timeout` saying `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// An X server, a private session bus and dunst, in a temporary folder.
pub struct Desktop {
    /// The X display, e.g. `:5`.
    pub display: String,
    /// The bus address (`unix:path=…`).
    pub bus: String,
    dunst: Option<Group>,
    dbus: Group,
    xvfb: Group,
    dir: tempfile::TempDir,
}

/// The D-Bus configuration: a session bus with no service files (nothing is activated behind
/// the test's back) that lets the test monitor it.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=DIR</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// dunst's configuration: critical notifications stay until answered, and its context menu
/// (the one listing the actions) goes through `dmenu.sh`.
const DUNSTRC: &str = r#"[global]
    dmenu = DIR/dmenu.sh
    browser = /bin/true
    markup = full
    idle_threshold = 0
    sticky_history = yes
    history_length = 100
[urgency_critical]
    timeout = 0
"#;

/// Stands in for dmenu, which dunst runs to show a notification's actions: records the
/// entries it is offered and picks the one the test chose (by a case-insensitive pattern).
const DMENU: &str = r#"#!/bin/sh
entries=$(cat)
printf '%s\n' "$entries" >> "DIR/menu.log"
printf '%s\n' "$entries" | grep -i -- "$(cat "DIR/choice")" | head -n 1
"#;

impl Desktop {
    /// Starts Xvfb, the bus and dunst, and waits until dunst serves notifications.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let d = root.display().to_string();
        let write = |name: &str, text: &str| {
            let path = root.join(name);
            std::fs::write(&path, text.replace("DIR", &d)).expect("file written");
            path
        };
        let log = |name: &str| std::fs::File::create(root.join(name)).expect("log file");

        let mut xvfb = Group::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::piped())
                .stderr(log("xvfb.log")),
        );
        let display = format!(":{}", first_line(&mut xvfb, "Xvfb's display number"));

        let bus_dir = root.join("bus");
        std::fs::create_dir(&bus_dir).expect("bus dir");
        let config = write(
            "bus.conf",
            &BUS_CONFIG.replace("DIR", &bus_dir.display().to_string()),
        );
        let mut dbus = Group::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(log("dbus.log")),
        );
        let bus = first_line(&mut dbus, "the bus address");

        let dmenu = write("dmenu.sh", DMENU);
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dmenu, std::fs::Permissions::from_mode(0o755))
                .expect("dmenu.sh executable");
        }
        write("choice", "^$");
        write("menu.log", "");
        let dunstrc = write("dunstrc", DUNSTRC);
        let mut desktop = Self {
            display,
            bus,
            dunst: None,
            dbus,
            xvfb,
            dir,
        };
        desktop.dunst = Some(Group::spawn(
            "dunst",
            Command::new("dunst")
                .arg("-config")
                .arg(&dunstrc)
                .envs(desktop.env())
                .stdout(log("dunst.log"))
                .stderr(log("dunst.log")),
        ));
        wait_for("dunst to serve notifications", PATIENCE, || {
            desktop
                .has_owner("org.freedesktop.Notifications")
                .then_some(())
        });
        desktop
    }

    /// The variables a process needs to use this display and bus.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DISPLAY", self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.clone()),
            // Never a Wayland session here, whatever the machine running the tests has.
            ("WAYLAND_DISPLAY", String::new()),
            ("XDG_SESSION_TYPE", "x11".to_string()),
        ]
    }

    /// Points this process at the display and bus. Call before starting any thread: the
    /// environment is shared by every thread.
    pub fn use_in_this_process(&self) {
        for (key, value) in self.env() {
            std::env::set_var(key, value);
        }
    }

    /// The temporary folder (logs, dunst's menu log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether a name has an owner on the bus.
    pub fn has_owner(&self, name: &str) -> bool {
        let Ok(connection) = self.connect() else {
            return false;
        };
        let Ok(proxy) = zbus::blocking::fdo::DBusProxy::new(&connection) else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(name) else {
            return false;
        };
        proxy.name_has_owner(name).unwrap_or(false)
    }

    /// A new blocking connection to the bus.
    pub fn connect(&self) -> zbus::Result<zbus::blocking::Connection> {
        zbus::blocking::connection::Builder::address(self.bus.as_str())?.build()
    }

    /// Runs `dunstctl` with `args` and returns its output.
    pub fn dunstctl(&self, args: &[&str]) -> String {
        let out = Command::new("dunstctl")
            .args(args)
            .envs(self.env())
            .output()
            .expect("dunstctl runs");
        assert!(
            out.status.success(),
            "dunstctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// How many notifications dunst shows.
    pub fn displayed(&self) -> usize {
        self.dunstctl(&["count", "displayed"])
            .parse()
            .unwrap_or(usize::MAX)
    }

    /// Opens dunst's context menu and picks the entry matching `pattern` (e.g. `^#Approve`),
    /// as a person choosing an action would.
    pub fn choose_action(&self, pattern: &str) {
        std::fs::write(self.dir.path().join("choice"), pattern).expect("choice written");
        self.dunstctl(&["context"]);
    }

    /// Every entry dunst has offered in its context menu so far.
    pub fn menu_entries(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("menu.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Closes every notification dunst shows, as a person dismissing them would.
    pub fn dismiss_all(&self) {
        self.dunstctl(&["close-all"]);
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // dunst first (it needs the bus and the display), then the bus, then X.
        self.dunst.take();
    }
}

/// Reads the first line a child prints on stdout.
fn first_line(group: &mut Group, what: &str) -> String {
    let stdout = group
        .stdout()
        .unwrap_or_else(|| panic!("{what}: no stdout"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    let line = line.trim().to_string();
    assert!(!line.is_empty(), "no {what} printed");
    line
}

/// A notification call or signal seen on the bus.
#[derive(Debug, Clone)]
pub enum Seen {
    /// `Notify(app, replaces, icon, summary, body, actions, hints, timeout)`.
    Notify {
        /// The title.
        summary: String,
        /// The text.
        body: String,
        /// Action keys and labels, alternating.
        actions: Vec<String>,
        /// When the monitor received it.
        at: Instant,
    },
    /// `CloseNotification(id)`.
    Close {
        /// The notification's id.
        id: u32,
    },
    /// The `ActionInvoked(id, key)` signal.
    ActionInvoked {
        /// The notification's id.
        id: u32,
        /// The action's key.
        key: String,
    },
    /// The `NotificationClosed(id, reason)` signal.
    Closed {
        /// The notification's id.
        id: u32,
        /// 1 expired, 2 dismissed, 3 closed by a call.
        reason: u32,
    },
}

/// A D-Bus monitor watching the notification interface on the bus.
pub struct Monitor {
    rx: mpsc::Receiver<Seen>,
}

impl Monitor {
    /// Becomes a monitor of every `org.freedesktop.Notifications` call and signal.
    pub fn start(desktop: &Desktop) -> Self {
        let connection = desktop.connect().expect("monitor connects");
        let rules = vec![
            "type='method_call',interface='org.freedesktop.Notifications'",
            "type='signal',interface='org.freedesktop.Notifications'",
        ];
        connection
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus.Monitoring"),
                "BecomeMonitor",
                &(rules, 0u32),
            )
            .expect("BecomeMonitor");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for message in zbus::blocking::MessageIterator::from(&connection) {
                let Ok(message) = message else { return };
                let at = Instant::now();
                let header = message.header();
                let member = header.member().map(|m| m.to_string()).unwrap_or_default();
                let body = message.body();
                let seen = match member.as_str() {
                    "Notify" => body
                        .deserialize::<(
                            String,
                            u32,
                            String,
                            String,
                            String,
                            Vec<String>,
                            std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
                            i32,
                        )>()
                        .ok()
                        .map(|(_, _, _, summary, body, actions, _, _)| Seen::Notify {
                            summary,
                            body,
                            actions,
                            at,
                        }),
                    "CloseNotification" => {
                        body.deserialize::<u32>().ok().map(|id| Seen::Close { id })
                    }
                    "ActionInvoked" => body
                        .deserialize::<(u32, String)>()
                        .ok()
                        .map(|(id, key)| Seen::ActionInvoked { id, key }),
                    "NotificationClosed" => body
                        .deserialize::<(u32, u32)>()
                        .ok()
                        .map(|(id, reason)| Seen::Closed { id, reason }),
                    _ => None,
                };
                if let Some(seen) = seen {
                    if tx.send(seen).is_err() {
                        return;
                    }
                }
            }
        });
        Self { rx }
    }

    /// The next notification call or signal that `pick` accepts, skipping others.
    pub fn next<T>(&self, what: &str, mut pick: impl FnMut(&Seen) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(seen) => {
                    if let Some(value) = pick(&seen) {
                        return value;
                    }
                }
                Err(_) => panic!("timed out waiting for {what} on the bus"),
            }
        }
    }

    /// Forgets everything seen so far.
    pub fn drain(&self) {
        while self.rx.try_recv().is_ok() {}
    }
}

/// A livegate home for the desktop tests: the echo upstream, a policy that asks before
/// `echo` and `add` (and gives up on `add` after 1 s), and a grant.
pub struct Home {
    /// The folder (config/ and data/).
    pub dir: tempfile::TempDir,
    /// livegate's paths in it.
    pub paths: Paths,
    /// The grant's token.
    pub token: String,
}

/// The policy the desktop tests use.
pub const POLICY: &str = r#"{"version": "1", "default": "deny", "tools": {
    "echo": {"action": "approve", "reason": "echo talks back"},
    "add": {"action": "approve", "approval": {"timeout_s": 1}}}}"#;

impl Home {
    /// A new home listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = Paths::under(dir.path());
        paths.ensure().expect("folders");
        let mut settings = Settings::load(&paths.settings_file()).expect("settings");
        settings.listen = listen;
        settings.upstreams = vec![UpstreamConfig::Builtin {
            name: "echo".into(),
            builtin: "echo".into(),
        }];
        settings
            .save(&paths.settings_file())
            .expect("settings saved");
        std::fs::write(paths.policy_file(), POLICY).expect("policy written");
        let token = livegate::grants::add(&paths.settings_file(), "tester").expect("grant");
        Self { dir, paths, token }
    }

    /// The variables that keep the desktop app's files in this home: livegate's own, and the
    /// web view's data and caches (which follow the XDG folders).
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let root = self.dir.path();
        vec![
            ("LIVEGATE_HOME", root.to_path_buf()),
            ("XDG_DATA_HOME", root.join("xdg-data")),
            ("XDG_CACHE_HOME", root.join("xdg-cache")),
            ("XDG_CONFIG_HOME", root.join("xdg-config")),
        ]
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Calls `tool` with `arguments` over MCP (the stateless revision), as an agent would.
pub async fn call_tool(
    http: &reqwest::Client,
    mcp_url: &str,
    token: &str,
    tool: &str,
    arguments: Value,
) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let response = http
        .post(mcp_url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(body.to_string())
        .send()
        .await
        .expect("MCP request sent");
    assert_eq!(response.status(), 200, "MCP status");
    let reply: Value = response.json().await.expect("MCP reply is JSON");
    reply["result"].clone()
}

/// The text of a tool result.
pub fn result_text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Where tests keep what a person may want to look at afterwards (screenshots).
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("test-artifacts")
        .join("desktop");
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

/// A named test case.
pub type Case = (&'static str, Box<dyn FnOnce()>);

/// Runs named test cases one after another (they share one desktop), printing each like
/// libtest does; a case name given on the command line runs only the cases containing it.
pub fn run_cases(cases: Vec<Case>) -> ExitCode {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let chosen: Vec<_> = cases
        .into_iter()
        .filter(|(name, _)| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, case) in chosen {
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(case));
        let took = started.elapsed();
        match outcome {
            Ok(()) => println!("test {name} ... ok ({took:.1?})"),
            Err(_) => {
                println!("test {name} ... FAILED ({took:.1?})");
                failed.push(name);
            }
        }
    }
    if failed.is_empty() {
        println!("\ntest result: ok");
        ExitCode::SUCCESS
    } else {
        println!("\ntest result: FAILED: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
