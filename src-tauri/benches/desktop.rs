//! Desktop benchmarks, on the real parts the tests use (Xvfb, a private D-Bus session bus,
//! dunst):
//!
//! 1. **Call → notification latency**: from an agent sending a `tools/call` that an `approve`
//!    rule holds to the `Notify` call being on the session bus (seen by a D-Bus monitor), with
//!    livegate and the notification bridge as the desktop app runs them. Target: p99 ≤ 100 ms.
//!    Also reported: the part up to the approval being requested (gateway), the rest (bridge).
//! 2. **Idle memory** of the desktop app (this build of `livegate-desktop`): resident and
//!    proportional set size of the app and of the WebKit processes it starts, after it has
//!    settled, with its window open and started hidden in the tray.
//!
//! `cargo bench -p livegate-desktop --bench desktop` (release build). `LIVEGATE_BENCH_CALLS`
//! sets the number of calls (default 200).

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use livegate::events::Event;
use livegate_desktop::core::Core;
use livegate_desktop::notifications::NotificationBridge;
use serde_json::json;
use support::{call_tool, free_port, Desktop, Group, Home, Monitor, Seen};

const APP: &str = env!("CARGO_BIN_EXE_livegate-desktop");

fn main() -> ExitCode {
    if !cfg!(target_os = "linux") {
        println!("skipped: the desktop benchmarks need Linux (Xvfb, D-Bus, dunst)");
        return ExitCode::SUCCESS;
    }
    // `cargo bench` passes `--bench`; nothing else is taken.
    let calls: usize = std::env::var("LIVEGATE_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let desktop = Desktop::start();
    desktop.use_in_this_process();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(latency(&desktop, calls));
    memory(&desktop, &[]);
    memory(&desktop, &["--hidden"]);
    ExitCode::SUCCESS
}

/// Percentile `p` (0–100) of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<44} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   (n = {})",
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0)),
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
        samples.len()
    );
}

async fn latency(desktop: &Desktop, calls: usize) {
    let home = Home::new(([127, 0, 0, 1], 0).into());
    let core = Core::start(home.paths.clone())
        .await
        .expect("livegate starts");
    let _bridge = NotificationBridge::start(core.approvals.clone(), &core.bus, Arc::new(|| {}));
    let monitor = Monitor::start(desktop);
    let http = reqwest::Client::new();
    let url = format!("{}/mcp", core.origin());
    // Warm up: connections, the notification server's capabilities.
    for _ in 0..3 {
        one_call(&core, &monitor, &http, &url, &home.token).await;
    }
    let (mut total, mut gateway, mut bridge) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..calls {
        let (to_event, to_bus) = one_call(&core, &monitor, &http, &url, &home.token).await;
        total.push(to_bus);
        gateway.push(to_event);
        bridge.push(to_bus.saturating_sub(to_event));
    }
    println!("\ncall → approval notification on the session bus (target p99 ≤ 100 ms)");
    report("call sent → Notify on the bus", total);
    report("  call sent → approval requested (gateway)", gateway);
    report("  approval requested → Notify on the bus", bridge);
    core.stop().await;
}

/// One call held for approval: returns (sent → approval requested, sent → Notify on the
/// bus), then denies it and waits until the notification is withdrawn.
async fn one_call(
    core: &Core,
    monitor: &Monitor,
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> (Duration, Duration) {
    let mut events = core.bus.subscribe();
    monitor.drain();
    let sent = Instant::now();
    let call = {
        let (http, url, token) = (http.clone(), url.to_string(), token.to_string());
        tokio::spawn(async move {
            call_tool(&http, &url, &token, "echo", json!({"text": "bench"})).await
        })
    };
    let (id, requested) = loop {
        if let Ok(Event::ApprovalRequested { approval }) = events.recv().await {
            break (approval.id, Instant::now());
        }
    };
    let on_bus = tokio::task::block_in_place(|| {
        monitor.next("Notify", |seen| match seen {
            Seen::Notify { at, .. } => Some(*at),
            _ => None,
        })
    });
    core.approvals
        .deny(&id, None, "bench")
        .expect("the approval is pending");
    call.await.expect("call task");
    tokio::task::block_in_place(|| {
        monitor.next("CloseNotification", |seen| {
            matches!(seen, Seen::Close { .. }).then_some(())
        })
    });
    (requested - sent, on_bus.saturating_duration_since(sent))
}

/// Memory of a process, from /proc (kB).
#[derive(Debug, Default, Clone, Copy)]
struct Memory {
    rss_kb: u64,
    pss_kb: u64,
}

impl std::ops::Add for Memory {
    type Output = Memory;
    fn add(self, other: Memory) -> Memory {
        Memory {
            rss_kb: self.rss_kb + other.rss_kb,
            pss_kb: self.pss_kb + other.pss_kb,
        }
    }
}

fn field_kb(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn memory_of(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    Memory {
        rss_kb: field_kb(&status, "VmRSS:"),
        pss_kb: field_kb(&rollup, "Pss:"),
    }
}

/// The process's name and its descendants' pids with names.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parent_of.push((pid, ppid, name));
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid, name) in &parent_of {
            if *ppid == parent {
                found.push((*pid, name.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

fn memory(desktop: &Desktop, args: &[&str]) {
    let port = free_port();
    let home = Home::new(([127, 0, 0, 1], port).into());
    let app = Group::spawn(
        "livegate-desktop",
        Command::new(APP)
            .args(args)
            .envs(desktop.env())
            .envs(home.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    support::wait_for("the app to serve", support::PATIENCE, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    // Let it settle: the page loaded, the web process idle.
    std::thread::sleep(Duration::from_secs(8));
    let own = memory_of(app.pid());
    let children = descendants(app.pid());
    let webkit = children
        .iter()
        .map(|(pid, _)| memory_of(*pid))
        .fold(Memory::default(), |a, b| a + b);
    let total = own + webkit;
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "\nidle memory of livegate-desktop {} ({} build)",
        if args.is_empty() {
            "with its window open"
        } else {
            "started hidden in the tray"
        },
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let names: Vec<&str> = children.iter().map(|(_, n)| n.as_str()).collect();
    for (what, m) in [
        ("the app process", own),
        ("its web view's processes", webkit),
        ("together", total),
    ] {
        println!(
            "  {what:<26} RSS {:>7.1} MB   PSS {:>7.1} MB",
            mb(m.rss_kb),
            mb(m.pss_kb)
        );
    }
    if names.is_empty() {
        println!("  (no web view yet: it is made when the window is first shown)");
    } else {
        println!(
            "  (web view processes: {}; PSS counts shared pages once)",
            names.join(", ")
        );
    }
    drop(app);
}
