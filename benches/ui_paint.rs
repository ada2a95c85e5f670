//! First paint of the Audit log screen with 1,000,000 records in the log, in a real headless
//! chromium against a real livegate.
//!
//! The log is filled once through the real writer (`AuditLog::append`: redaction, hash chain,
//! indexes, word index) with a month of calls from three agents and kept in
//! `target/tmp/ui-paint-home/` for later runs. Then, for each view, the page is loaded from
//! scratch (`about:blank` first) and the time from navigation start to the frame showing the
//! first page of rows is read from the UI's User Timing mark `livegate:audit-rows`; the
//! `/api/audit` answer time comes from Resource Timing. Prints the median and the worst of
//! several loads per view against the target: first paint ≤ 1 s.
//!
//! Run with `cargo bench --bench ui_paint` (`UI_PAINT_RUNS` sets the loads per view, default
//! 7). Needs Debian's chromium and chromium-driver; without them it says so and stops.

#[path = "../tests/browser/mod.rs"]
mod browser;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use browser::{Browser, Scheme};
use livegate::audit::{
    AuditConfig, AuditLog, CallEntry, ClientInfo, Decision, Entry, Outcome, Query, Retention,
};
use livegate::server::{self, ServerOptions};
use livegate::settings::{Paths, Settings};
use serde_json::json;

const RECORDS: u64 = 1_000_000;
const WRITERS: u64 = 64;
const TARGET_MS: f64 = 1000.0;
const MONTH_MS: i64 = 30 * 24 * 3600 * 1000;

const TOOLS: [(&str, &str); 10] = [
    ("get_session_info", "read"),
    ("get_track_info", "read"),
    ("set_tempo", "write"),
    ("create_midi_clip", "write"),
    ("add_notes_to_clip", "write"),
    ("set_track_name", "write"),
    ("fire_clip", "execute"),
    ("start_playback", "execute"),
    ("delete_clip", "destructive"),
    ("delete_track", "destructive"),
];
const TRACKS: [&str; 4] = ["Drums", "Bass", "Keys", "Vox"];

/// Record `i` of the month: times rise with `i` and end about now.
fn entry(i: u64, start_ms: i64) -> Entry {
    let (tool, category) = TOOLS[(i % TOOLS.len() as u64) as usize];
    let grant = ["claude-desktop", "cursor", "claude-code"][(i % 3) as usize];
    let track = TRACKS[(i / 7 % 4) as usize];
    let (decision, outcome, reason) = match i % 50 {
        0..=2 => (
            Decision::Deny,
            None,
            Some("Deleting or overwriting work asks you first".to_string()),
        ),
        3 => (
            Decision::RateLimited,
            None,
            Some("edits_per_minute is full".to_string()),
        ),
        _ => (Decision::Allow, Some(Outcome::Ok), None),
    };
    Entry::Call(CallEntry {
        time_ms: start_ms + (i as i64) * MONTH_MS / RECORDS as i64,
        grant: Some(grant.into()),
        session: Some(format!("session-{}", i / 500)),
        client: Some(ClientInfo {
            name: grant.into(),
            version: Some("1.0".into()),
        }),
        upstream: Some("ableton".into()),
        tool: tool.into(),
        category: Some(category.into()),
        args: json!({"track_index": i % 4, "clip_index": i % 8, "name": track, "tempo": 90 + i % 60}),
        decision,
        rule: Some(format!("categories.{category}")),
        reason,
        approval: None,
        latency_us: outcome.map(|_| 400 + (i % 900) as i64),
        outcome,
        summary: Some(format!("{tool} on {track}")),
    })
}

/// Fills `db` with [`RECORDS`] records unless it already holds them.
async fn fill(db: &Path) {
    if db.exists() {
        let have = AuditLog::open_read_only(db)
            .and_then(|log| log.count(&Query::default()))
            .unwrap_or(0);
        if have >= RECORDS {
            println!("audit log: {have} records (kept from an earlier run)");
            return;
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    let log = AuditLog::open(
        db,
        AuditConfig {
            retention: Retention::KEEP_ALL,
            ..AuditConfig::default()
        },
    )
    .expect("audit log opens");
    let start_ms = chrono::Utc::now().timestamp_millis() - MONTH_MS;
    let next = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let log = log.clone();
        let next = Arc::clone(&next);
        writers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= RECORDS {
                    break;
                }
                log.append(entry(i, start_ms)).await.expect("record kept");
                if i % 100_000 == 0 && i > 0 {
                    println!("  filled {i} records");
                }
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    log.close().await.expect("log closed");
    let secs = began.elapsed().as_secs_f64();
    println!(
        "audit log: filled {RECORDS} records in {secs:.1} s ({:.0} records/s)",
        RECORDS as f64 / secs
    );
}

/// One view's figures: first paint and API time, in ms, per load.
struct Figures {
    paint: Vec<f64>,
    api: Vec<f64>,
    rows: u64,
}

/// Loads `url` from scratch `runs` times and reads the marks.
async fn measure(b: &Browser, url: &str, runs: usize) -> Figures {
    let mut figures = Figures {
        paint: Vec::new(),
        api: Vec::new(),
        rows: 0,
    };
    for _ in 0..runs {
        b.goto("about:blank").await;
        b.goto(url).await;
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while b
            .eval("return performance.getEntriesByName('livegate:audit-rows').length > 0")
            .await
            != json!(true)
        {
            if Instant::now() > deadline {
                let seen = b
                    .eval("return [location.href, document.body.innerText.slice(0, 600)]")
                    .await;
                panic!("{url}: no page of records was painted within 20 s; the page shows {seen}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let r = b
            .eval(
                "const paint = performance.getEntriesByName('livegate:audit-rows')[0].startTime; \
                 const api = performance.getEntriesByType('resource') \
                   .filter(e => e.name.includes('/api/audit?')).map(e => e.responseEnd - e.requestStart)[0]; \
                 return [paint, api ?? -1, document.querySelectorAll('#audit-rows tr[data-id]').length]",
            )
            .await;
        let n = |i: usize| r[i].as_f64().unwrap_or(f64::NAN);
        figures.paint.push(n(0));
        figures.api.push(n(1));
        figures.rows = r[2].as_u64().unwrap_or(0);
    }
    figures
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn worst(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

fn home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-paint-home")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::var("UI_PAINT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
        .max(1);
    let paths = Paths::under(&home());
    paths.ensure().expect("folders");
    fill(&paths.audit_db()).await;

    // A livegate on that home that keeps everything (the default retention would prune).
    let mut settings = Settings::load(&paths.settings_file()).expect("settings");
    settings.upstreams = Vec::new();
    settings.retention.days = 36_500;
    settings.retention.max_mb = 1_000_000;
    settings
        .save(&paths.settings_file())
        .expect("settings saved");
    std::fs::write(
        paths.policy_file(),
        livegate::policy::builtin::ABLETON_DEFAULT_JSON,
    )
    .expect("policy");
    let running = server::start(ServerOptions {
        policy_file: paths.policy_file(),
        paths: paths.clone(),
        listen: Some(([127, 0, 0, 1], 0).into()),
        catalogs: Vec::new(),
        simulator: None,
    })
    .await
    .expect("livegate starts");
    let total = running.audit.count(&Query::default()).expect("count");

    let Some(b) = Browser::launch(Scheme::Light, 1280, 800).await else {
        running.stop().await;
        return;
    };
    b.goto(&running.login_url()).await;
    b.wait_for("#app:not([hidden]) .nav").await;

    let base = format!("http://{}/#/audit", running.addr);
    let views: [(&str, String); 5] = [
        ("last 24 hours (the default)", base.clone()),
        ("all time", format!("{base}?range=all")),
        (
            "all time, one tool",
            format!("{base}?range=all&tool=set_tempo"),
        ),
        (
            "all time, denied only",
            format!("{base}?range=all&decision=deny"),
        ),
        ("all time, words (Vox)", format!("{base}?range=all&q=Vox")),
    ];
    println!(
        "\nUI first paint of the Audit screen, {total} records in the log, {runs} loads per view \
         (chromium headless, 1280x800); target <= {TARGET_MS:.0} ms\n"
    );
    println!(
        "{:<30} {:>12} {:>12} {:>12} {:>6}  verdict",
        "view", "paint p50", "paint max", "API p50", "rows"
    );
    let mut all_met = true;
    for (name, url) in &views {
        let f = measure(&b, url, runs).await;
        let (p50, max) = (median(&f.paint), worst(&f.paint));
        let met = max <= TARGET_MS && f.rows > 0;
        all_met &= met;
        println!(
            "{name:<30} {p50:>9.0} ms {max:>9.0} ms {:>9.0} ms {:>6}  {}",
            median(&f.api),
            f.rows,
            if met { "ok" } else { "OVER TARGET" }
        );
    }
    println!(
        "\n{}",
        if all_met {
            "every view painted its first page within the target"
        } else {
            "SOME VIEWS MISSED THE TARGET"
        }
    );
    b.close().await;
    running.stop().await;
}
