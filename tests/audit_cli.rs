//! `livegate audit tail|query|export|verify|prune` as a user runs them: the real binary on
//! a log in a temp LIVEGATE_HOME, while this test process holds the log open for writing
//! (as `livegate serve` would).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use livegate::audit::{
    AuditConfig, AuditLog, CallEntry, Decision, Entry, EventEntry, Outcome, Record, Retention,
    CSV_HEADER,
};
use livegate::settings::Paths;
use serde_json::json;

fn livegate(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livegate"));
    cmd.args(args)
        .env("LIVEGATE_HOME", home)
        .env("RUST_LOG", "livegate=info");
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    livegate(home, args)
        .output()
        .unwrap_or_else(|e| panic!("running livegate {args:?}: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<Record> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const TOOLS: [&str; 3] = ["set_tempo", "fire_clip", "delete_track"];

fn call(i: i64, time_ms: i64) -> Entry {
    Entry::Call(CallEntry {
        time_ms,
        grant: Some(["claude", "cursor"][(i % 2) as usize].into()),
        session: None,
        client: None,
        upstream: Some("ableton".into()),
        tool: TOOLS[(i % 3) as usize].into(),
        category: Some("write".into()),
        args: json!({"i": i, "note": "a, \"quoted\" value"}),
        decision: if i % 4 == 3 {
            Decision::Deny
        } else {
            Decision::Allow
        },
        rule: Some("default".into()),
        reason: (i % 4 == 3).then(|| "not now".into()),
        approval: None,
        outcome: (i % 4 != 3).then_some(Outcome::Ok),
        latency_us: Some(1_500),
        summary: Some(format!("call number {i}")),
    })
}

/// A home with a log of 40 calls from the last hour and one 10 days old, held open for
/// writing by this process.
fn home_with_log() -> (tempfile::TempDir, PathBuf, AuditLog) {
    let home = tempfile::tempdir().expect("temp home");
    let path = Paths::under(home.path()).audit_db();
    let config = AuditConfig {
        retention: Retention::KEEP_ALL,
        ..AuditConfig::default()
    };
    let log = AuditLog::open(&path, config).expect("open");
    let now = chrono::Utc::now().timestamp_millis();
    log.append_blocking(call(100, now - 10 * 86_400_000))
        .expect("old call");
    for i in 0..40 {
        log.append_blocking(call(i, now - 3_600_000 + i * 1_000))
            .expect("call");
    }
    log.append_blocking(Entry::Event(EventEntry {
        time_ms: now,
        kind: "pause".into(),
        summary: "all agents paused".into(),
        detail: json!({"by": "cli"}),
    }))
    .expect("event");
    (home, path, log)
}

#[test]
fn query_pages_through_the_log_as_a_table_or_json() {
    let (home, _path, _log) = home_with_log();
    let first = run(home.path(), &["audit", "query", "--json", "--limit", "5"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let records = json_lines(&first);
    assert_eq!(
        records.iter().map(|r| r.id).collect::<Vec<_>>(),
        [42, 41, 40, 39, 38]
    );
    let cursor = stderr(&first)
        .lines()
        .find_map(|l| l.strip_prefix("more: --cursor ").map(str::to_string))
        .expect("a cursor for the next page");
    let next = run(
        home.path(),
        &[
            "audit", "query", "--json", "--limit", "5", "--cursor", &cursor,
        ],
    );
    assert_eq!(
        json_lines(&next).iter().map(|r| r.id).collect::<Vec<_>>(),
        [37, 36, 35, 34, 33]
    );

    let denied = run(
        home.path(),
        &[
            "audit",
            "query",
            "--json",
            "--all",
            "--decision",
            "deny",
            "--grant",
            "cursor",
        ],
    );
    let denied = json_lines(&denied);
    assert_eq!(denied.len(), 10);
    assert!(denied
        .iter()
        .all(|r| r.decision == Some(Decision::Deny) && r.grant.as_deref() == Some("cursor")));

    let recent = run(
        home.path(),
        &["audit", "query", "--json", "--all", "--from", "2h"],
    );
    assert_eq!(json_lines(&recent).len(), 41, "the old call is left out");
    let text = run(
        home.path(),
        &[
            "audit",
            "query",
            "--json",
            "-q",
            "number 7",
            "--tool",
            "fire_clip",
        ],
    );
    assert_eq!(
        json_lines(&text).iter().map(|r| r.id).collect::<Vec<_>>(),
        [9],
        "call number 7 is record 9 and calls fire_clip"
    );

    let table = run(home.path(), &["audit", "query", "--limit", "3"]);
    let out = stdout(&table);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("DECISION"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("42 ") && lines[1].contains("[pause]"),
        "{out}"
    );
    assert!(lines[2].contains("call number 39"), "{out}");

    let bad = run(home.path(), &["audit", "query", "--decision", "maybe"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("allow, deny or rate_limited"),
        "{}",
        stderr(&bad)
    );
    let bad = run(home.path(), &["audit", "query", "--from", "yesterday"]);
    assert!(stderr(&bad).contains("RFC 3339"), "{}", stderr(&bad));
}

#[test]
fn export_writes_jsonl_to_stdout_and_csv_to_a_file() {
    let (home, _path, _log) = home_with_log();
    let jsonl = run(home.path(), &["audit", "export", "--tool", "set_tempo"]);
    assert!(jsonl.status.success(), "{}", stderr(&jsonl));
    let records = json_lines(&jsonl);
    assert_eq!(records.len(), 14);
    assert!(
        records.windows(2).all(|w| w[0].time_ms < w[1].time_ms),
        "oldest first"
    );
    assert!(stderr(&jsonl).contains("exported 14 records as jsonl"));

    let file = home.path().join("out.csv");
    let csv_run = run(
        home.path(),
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "-o",
            &file.to_string_lossy(),
        ],
    );
    assert!(csv_run.status.success(), "{}", stderr(&csv_run));
    assert!(stdout(&csv_run).is_empty());
    let mut reader = csv::Reader::from_path(&file).expect("csv file");
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 42);
    let args = &rows[1][CSV_HEADER.iter().position(|h| *h == "args").expect("args")];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(args).expect("args JSON"),
        json!({"i": 0, "note": "a, \"quoted\" value"})
    );

    let bad = run(home.path(), &["audit", "export", "--format", "xml"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("jsonl or csv"), "{}", stderr(&bad));
}

#[test]
fn verify_passes_then_fails_after_an_edit() {
    let (home, path, log) = home_with_log();
    let ok = run(home.path(), &["audit", "verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("ok: 42 records verified"),
        "{}",
        stdout(&ok)
    );
    log.close_blocking().expect("close");
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute("UPDATE audit SET decision = 'allow' WHERE id = 5", []))
        .expect("tamper");
    let broken = run(home.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("BROKEN at record 5"),
        "{}",
        stdout(&broken)
    );
    let as_json = run(home.path(), &["audit", "verify", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&as_json.stdout).expect("json");
    assert_eq!(report["first_broken"], 5);
    assert_eq!(report["checked"], 4);
}

#[test]
fn prune_removes_what_retention_no_longer_keeps_beside_a_running_writer() {
    let (home, _path, log) = home_with_log();
    let pruned = run(home.path(), &["audit", "prune", "--days", "7"]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    assert!(
        stdout(&pruned).contains("pruned 1 records (keeping the last 7 days)"),
        "{}",
        stdout(&pruned)
    );
    // The writer in this process carries on with the same chain.
    let id = log
        .append_blocking(call(41, chrono::Utc::now().timestamp_millis()))
        .expect("append after prune");
    assert_eq!(id, 43);
    let verified = run(home.path(), &["audit", "verify"]);
    assert!(
        stdout(&verified).contains("ok: 42 records verified"),
        "{}",
        stdout(&verified)
    );
}

#[test]
fn tail_shows_the_newest_then_follows_appends_from_another_process() {
    let (home, _path, log) = home_with_log();
    let mut child = livegate(home.path(), &["audit", "tail", "--json", "-n", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tail");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || -> Record {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("tail printed a line");
        serde_json::from_str(&line).expect("a record")
    };
    let shown: Vec<i64> = (0..3).map(|_| next().id).collect();
    assert_eq!(shown, [40, 41, 42], "the newest, oldest first");
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..3 {
        log.append_blocking(call(50 + i, now)).expect("append");
    }
    let followed: Vec<i64> = (0..3).map(|_| next().id).collect();
    assert_eq!(followed, [43, 44, 45]);
    child.kill().expect("stop tail");
    let _ = child.wait();
}

#[test]
fn reading_commands_explain_a_missing_log() {
    let home = tempfile::tempdir().expect("temp home");
    for args in [
        &["audit", "query"][..],
        &["audit", "verify"],
        &["audit", "export"],
        &["audit", "tail"],
        &["audit", "prune"],
    ] {
        let out = run(home.path(), args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr(&out).contains("no audit log at"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !Paths::under(home.path()).audit_db().exists(),
        "reading never creates the log"
    );
}
