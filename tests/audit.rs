//! The audit log through its public API, on real SQLite files in temp dirs: every field
//! kept, secrets redacted, every filter and free text, cursor pagination while appends
//! continue, 100,000-row exports parsed back, index use at 1,000,000 rows, the hash chain
//! catching edits and deletions, concurrent appenders, close, and retention.

use std::collections::HashSet;
use std::path::Path;

use livegate::audit::{
    ApprovalInfo, AuditConfig, AuditError, AuditLog, CallEntry, ClientInfo, Decision, Entry,
    EventEntry, ExportFormat, Outcome, Query, Record, Retention, CSV_HEADER, GENESIS_HASH,
    KIND_CALL, REDACTED,
};
use rusqlite::Connection;
use serde_json::{json, Value};

/// 2025-11-24T16:00:00Z.
const BASE_MS: i64 = 1_764_000_000_000;

fn keep_all() -> AuditConfig {
    AuditConfig {
        retention: Retention::KEEP_ALL,
        ..AuditConfig::default()
    }
}

fn open(dir: &tempfile::TempDir) -> AuditLog {
    AuditLog::open(dir.path().join("audit.db"), keep_all()).expect("open")
}

const TOOLS: [&str; 4] = ["set_tempo", "fire_clip", "get_track_names", "delete_track"];
const GRANTS: [Option<&str>; 3] = [Some("claude"), Some("cursor"), None];
const UPSTREAMS: [Option<&str>; 3] = [Some("ableton"), Some("files"), None];
const DECISIONS: [Decision; 5] = [
    Decision::Allow,
    Decision::Allow,
    Decision::Allow,
    Decision::Deny,
    Decision::RateLimited,
];

/// The `i`th entry of a varied data set: every 10th is an admin event, the rest calls with
/// fields cycling at different periods, and text that needs quoting in CSV now and then.
fn varied(i: i64) -> Entry {
    let time_ms = BASE_MS + i * 1_000;
    if i % 10 == 9 {
        return Entry::Event(EventEntry {
            time_ms,
            kind: ["policy_reload", "pause", "grant_added"][(i / 10 % 3) as usize].into(),
            summary: format!("event {i}, with a comma"),
            detail: json!({"n": i, "errors": ["line \"1\"\nline 2"]}),
        });
    }
    let u = i as usize;
    let decision = DECISIONS[u % 5];
    Entry::Call(CallEntry {
        time_ms,
        grant: GRANTS[u % 3].map(String::from),
        session: (i % 2 == 0).then(|| format!("session-{}", i % 7)),
        client: (i % 4 != 3).then(|| ClientInfo {
            name: "claude-code".into(),
            version: (i % 8 != 1).then(|| "2.1".into()),
        }),
        upstream: UPSTREAMS[u % 3].map(String::from),
        tool: TOOLS[u % 4].into(),
        category: Some(["write", "read"][u % 2].into()),
        args: json!({"track": i % 16, "name": format!("Track \"{i}\", ünïcode\r\nnext"),
                     "nested": {"deep": [1, 2.5, null, true]}}),
        decision,
        rule: Some(format!("rule-{}", i % 6)),
        reason: (decision != Decision::Allow).then(|| format!("no, {i}")),
        approval: (i % 6 == 0).then(|| ApprovalInfo {
            id: format!("approval-{i}"),
            via: ["ui", "notification", "timeout"][u / 6 % 3].into(),
            at_ms: time_ms + 250,
        }),
        outcome: (decision == Decision::Allow)
            .then_some([Outcome::Ok, Outcome::ToolError, Outcome::UpstreamError][u % 3]),
        latency_us: (i % 11 != 0).then_some(i * 3),
        summary: (i % 5 != 4).then(|| format!("result {i}")),
    })
}

async fn append_all(log: &AuditLog, range: std::ops::Range<i64>, appenders: i64) {
    let tasks: Vec<_> = (0..appenders)
        .map(|t| {
            let log = log.clone();
            let range = range.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut i = range.start + t;
                while i < range.end {
                    ids.push(log.append(varied(i)).await.expect("append"));
                    i += appenders;
                }
                ids
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("appender");
    }
}

/// Every record, newest first, through pages of `limit`.
fn all_pages(log: &AuditLog, mut query: Query, limit: usize) -> Vec<Record> {
    query.limit = limit;
    let mut records = Vec::new();
    loop {
        let page = log.query(&query).expect("page");
        assert!(page.records.len() <= limit);
        records.extend(page.records);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return records,
        }
    }
}

#[tokio::test]
async fn every_field_of_calls_and_events_round_trips() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let mut rx = log.subscribe();
    let entries: Vec<Entry> = (0..30).map(varied).collect();
    let mut ids = Vec::new();
    for entry in &entries {
        ids.push(log.append(entry.clone()).await.expect("append"));
    }
    assert_eq!(ids, (1..=30).collect::<Vec<_>>());
    let mut prev_hash = GENESIS_HASH.to_string();
    for (entry, id) in entries.iter().zip(&ids) {
        let record = log.get(*id).expect("get").expect("present");
        let streamed = rx.recv().await.expect("streamed");
        assert_eq!(*streamed, record, "the stream carries the committed record");
        assert_eq!(record.prev_hash, prev_hash);
        prev_hash = record.hash.clone();
        match entry {
            Entry::Call(call) => {
                let expected = json!({
                    "id": id, "time_ms": call.time_ms, "kind": "call",
                    "grant": call.grant, "session": call.session, "client": call.client,
                    "upstream": call.upstream, "tool": call.tool, "category": call.category,
                    "args": call.args, "decision": call.decision, "rule": call.rule,
                    "reason": call.reason, "approval": call.approval, "outcome": call.outcome,
                    "latency_us": call.latency_us, "summary": call.summary,
                    "hash": record.hash, "prev_hash": record.prev_hash,
                });
                assert_eq!(serde_json::to_value(&record).expect("json"), expected);
            }
            Entry::Event(event) => {
                assert_eq!(record.kind, event.kind);
                assert_eq!(record.time_ms, event.time_ms);
                assert_eq!(record.summary.as_deref(), Some(event.summary.as_str()));
                assert_eq!(record.detail.as_ref(), Some(&event.detail));
                assert_eq!(record.tool, None);
                assert_eq!(record.decision, None);
            }
        }
        let back: Record = serde_json::from_value(serde_json::to_value(&record).expect("json"))
            .expect("a Record reads back from its JSON");
        assert_eq!(back, record);
    }
    // The JSON names the admin API documents.
    let call = serde_json::to_value(log.get(7).expect("get").expect("call")).expect("json");
    for key in [
        "id",
        "time_ms",
        "kind",
        "grant",
        "session",
        "client",
        "upstream",
        "tool",
        "category",
        "args",
        "decision",
        "rule",
        "reason",
        "approval",
        "outcome",
        "latency_us",
        "summary",
        "hash",
        "prev_hash",
    ] {
        assert!(call.get(key).is_some(), "{key} missing from {call}");
    }
    let approved = serde_json::to_value(log.get(13).expect("get").expect("call")).expect("json");
    assert_eq!(approved["approval"]["via"], "timeout");
    assert_eq!(approved["decision"], "allow");
    assert_eq!(approved["outcome"], "ok");
    let limited = serde_json::to_value(log.get(5).expect("get").expect("call")).expect("json");
    assert_eq!(limited["decision"], "rate_limited");
    assert_eq!(limited["outcome"], Value::Null);
}

#[tokio::test]
async fn secrets_are_redacted_at_any_depth_and_the_list_is_configurable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let args = json!({
        "tempo": 120,
        "api_key": "sk-1", "X-Api-Key": "sk-2", "apiKey": "sk-3",
        "headers": {"Authorization": "Bearer t", "Cookie": "c=1", "accept": "json"},
        "accounts": [{"user": "me", "password": "hunter2"}, {"client_secret": {"a": 1}}],
        "private_key": "-----BEGIN", "access_token": "at", "passwd": "p",
        "credentials": ["x"], "name": "tokenless text stays"
    });
    let mut call = match varied(0) {
        Entry::Call(call) => call,
        Entry::Event(_) => unreachable!("0 is a call"),
    };
    call.args = args;
    let id = log.append(Entry::Call(call.clone())).await.expect("append");
    let stored = log
        .get(id)
        .expect("get")
        .expect("record")
        .args
        .expect("args");
    assert_eq!(
        stored,
        json!({
            "tempo": 120,
            "api_key": REDACTED, "X-Api-Key": REDACTED, "apiKey": REDACTED,
            "headers": {"Authorization": REDACTED, "Cookie": REDACTED, "accept": "json"},
            "accounts": [{"user": "me", "password": REDACTED}, {"client_secret": REDACTED}],
            "private_key": REDACTED, "access_token": REDACTED, "passwd": REDACTED,
            "credentials": REDACTED, "name": "tokenless text stays"
        })
    );
    // The secrets are nowhere in the file, nor findable by search.
    log.close().await.expect("close");
    let bytes = std::fs::read(dir.path().join("audit.db")).expect("db file");
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["sk-1", "sk-2", "sk-3", "hunter2", "Bearer t", "-----BEGIN"] {
        assert!(!text.contains(secret), "{secret} is in the file");
    }
    let reader = AuditLog::open_read_only(dir.path().join("audit.db")).expect("reader");
    let found = reader
        .query(&Query {
            text: Some("hunter2".into()),
            ..Query::default()
        })
        .expect("search");
    assert!(found.records.is_empty());

    // Another list: only its names are redacted.
    let dir2 = tempfile::tempdir().expect("temp dir");
    let custom = AuditLog::open(
        dir2.path().join("audit.db"),
        AuditConfig {
            redact_keys: vec!["track_name".into()],
            ..keep_all()
        },
    )
    .expect("open");
    call.args = json!({"trackName": "Secret song", "password": "kept"});
    let id = custom.append(Entry::Call(call)).await.expect("append");
    let stored = custom.get(id).expect("get").expect("record").args;
    assert_eq!(
        stored,
        Some(json!({"trackName": REDACTED, "password": "kept"}))
    );
}

/// Whether `record` matches the non-text filters of `q` (the test's own reading of them).
fn oracle(record: &Record, q: &Query) -> bool {
    let eq = |want: &Option<String>, have: &Option<String>| {
        want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
    };
    q.from_ms.is_none_or(|f| record.time_ms >= f)
        && q.to_ms.is_none_or(|t| record.time_ms < t)
        && eq(&q.tool, &record.tool)
        && eq(&q.grant, &record.grant)
        && eq(&q.upstream, &record.upstream)
        && q.kind.as_ref().is_none_or(|k| &record.kind == k)
        && q.decision.is_none_or(|d| record.decision == Some(d))
        && q.text.as_ref().is_none_or(|t| text_oracle(record, t))
}

/// Free text, read by the test: every word of `text` starts a word of the record.
fn text_oracle(record: &Record, text: &str) -> bool {
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let fields = [
        Some(record.kind.clone()),
        record.tool.clone(),
        record.grant.clone(),
        record.session.clone(),
        record.client.as_ref().map(|c| c.name.clone()),
        record.upstream.clone(),
        record.category.clone(),
        record.decision.map(|d| d.to_string()),
        record.rule.clone(),
        record.reason.clone(),
        record.approval.as_ref().map(|a| a.via.clone()),
        record.outcome.map(|o| o.to_string()),
        record.summary.clone(),
        record.args.as_ref().map(Value::to_string),
        record.detail.as_ref().map(Value::to_string),
    ];
    let words: Vec<String> = fields.iter().flatten().flat_map(|f| split(f)).collect();
    split(text)
        .iter()
        .all(|w| words.iter().any(|have| have.starts_with(w.as_str())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_and_free_text_finds_exactly_the_matching_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    append_all(&log, 0..600, 8).await;
    let everything = all_pages(&log, Query::default(), 1000);
    assert_eq!(everything.len(), 600);
    let mut queries = vec![
        Query {
            from_ms: Some(BASE_MS + 100_000),
            to_ms: Some(BASE_MS + 250_000),
            ..Query::default()
        },
        Query {
            from_ms: Some(BASE_MS + 590_000),
            ..Query::default()
        },
        Query {
            to_ms: Some(BASE_MS + 5_000),
            ..Query::default()
        },
    ];
    for tool in TOOLS {
        queries.push(Query {
            tool: Some(tool.into()),
            ..Query::default()
        });
    }
    for grant in ["claude", "cursor", "nobody"] {
        queries.push(Query {
            grant: Some(grant.into()),
            ..Query::default()
        });
    }
    for decision in [Decision::Allow, Decision::Deny, Decision::RateLimited] {
        queries.push(Query {
            decision: Some(decision),
            ..Query::default()
        });
    }
    for upstream in ["ableton", "files"] {
        queries.push(Query {
            upstream: Some(upstream.into()),
            ..Query::default()
        });
    }
    for kind in [KIND_CALL, "pause", "policy_reload"] {
        queries.push(Query {
            kind: Some(kind.into()),
            ..Query::default()
        });
    }
    for text in [
        "tempo",
        "set_tempo",
        "SET",
        "track 12",
        "ünïcode",
        "timeout",
        "no",
        "notification",
        "rate_limited",
        "tool_error",
        "session-3",
        "comma",
        "nothing-like-this",
    ] {
        queries.push(Query {
            text: Some(text.into()),
            ..Query::default()
        });
    }
    queries.push(Query {
        tool: Some("set_tempo".into()),
        grant: Some("claude".into()),
        decision: Some(Decision::Allow),
        from_ms: Some(BASE_MS + 50_000),
        to_ms: Some(BASE_MS + 400_000),
        ..Query::default()
    });
    queries.push(Query {
        upstream: Some("ableton".into()),
        text: Some("track".into()),
        to_ms: Some(BASE_MS + 300_000),
        ..Query::default()
    });
    for query in queries {
        let mut expected: Vec<i64> = everything
            .iter()
            .filter(|r| oracle(r, &query))
            .map(|r| r.id)
            .collect();
        if query.text.is_some() {
            // Word searches list in commit order (the appenders committed out of time order).
            expected.sort_by(|a, b| b.cmp(a));
        }
        let found: Vec<i64> = all_pages(&log, query.clone(), 13)
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(found, expected, "{query:?}");
        assert_eq!(
            log.count(&query).expect("count"),
            expected.len() as u64,
            "{query:?}"
        );
        let named = format!("{query:?}");
        assert!(
            named.contains("nothing-like-this") || named.contains("nobody") || !expected.is_empty(),
            "a filter that matches nothing proves little: {query:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_no_gaps_or_duplicates_while_appends_continue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    append_all(&log, 0..1_000, 4).await;
    let before: Vec<i64> = all_pages(&log, Query::default(), 1000)
        .iter()
        .map(|r| r.id)
        .collect();
    let writer = {
        let log = log.clone();
        tokio::spawn(async move { append_all(&log, 1_000..1_500, 2).await })
    };
    let mut query = Query {
        limit: 37,
        ..Query::default()
    };
    let mut seen = Vec::new();
    let mut last: Option<(i64, i64)> = None;
    loop {
        let page = tokio::task::spawn_blocking({
            let log = log.clone();
            let query = query.clone();
            move || log.query(&query)
        })
        .await
        .expect("reader")
        .expect("page");
        for r in &page.records {
            if let Some(prev) = last {
                assert!((r.time_ms, r.id) < prev, "newest first");
            }
            last = Some((r.time_ms, r.id));
            seen.push(r.id);
        }
        tokio::task::yield_now().await;
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    writer.await.expect("writer");
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no record twice");
    for id in &before {
        assert!(unique.contains(id), "record {id} was skipped");
    }
    assert_eq!(log.last_id().expect("last"), 1_500);
    let bad = log.query(&Query {
        cursor: Some("not a cursor".into()),
        ..Query::default()
    });
    assert!(matches!(bad, Err(AuditError::BadCursor(_))), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_of_100000_records_parse_back_in_both_formats() {
    const N: i64 = 100_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    append_all(&log, 0..N, 64).await;
    // Records commit in any order across appenders: they are matched by time, not id.
    let by_time = |r: &Record| (r.time_ms - BASE_MS) / 1_000;

    // JSON Lines.
    let mut jsonl = Vec::new();
    let mut reports = Vec::new();
    let written = log
        .export(&Query::default(), ExportFormat::Jsonl, &mut jsonl, |n| {
            reports.push(n)
        })
        .expect("export jsonl");
    assert_eq!(written, N as u64);
    assert_eq!(reports.last(), Some(&(N as u64)));
    assert!(reports.windows(2).all(|w| w[0] <= w[1]) && reports.len() > 10);
    let text = String::from_utf8(jsonl).expect("utf-8");
    let records: Vec<Record> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record per line"))
        .collect();
    assert_eq!(records.len(), N as usize);
    let mut ids = HashSet::new();
    for (n, record) in records.iter().enumerate() {
        assert_eq!(by_time(record), n as i64, "oldest first");
        assert!(ids.insert(record.id));
        check_against_entry(record, &varied(n as i64));
    }

    // CSV, read with the csv crate.
    let mut csv_out = Vec::new();
    let written = log
        .export(&Query::default(), ExportFormat::Csv, &mut csv_out, |_| {})
        .expect("export csv");
    assert_eq!(written, N as u64);
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, CSV_HEADER);
    let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).expect("column");
    let mut rows = 0;
    for (row, record) in reader.records().zip(&records) {
        let row = row.expect("a CSV row");
        assert_eq!(row.len(), CSV_HEADER.len());
        let field = |name: &str| row.get(col(name)).expect("field").to_string();
        let opt = |name: &str| Some(field(name)).filter(|f| !f.is_empty());
        assert_eq!(field("id"), record.id.to_string());
        assert_eq!(field("time_ms"), record.time_ms.to_string());
        assert_eq!(field("kind"), record.kind);
        assert_eq!(opt("grant"), record.grant);
        assert_eq!(opt("session"), record.session);
        assert_eq!(opt("tool"), record.tool);
        assert_eq!(opt("summary"), record.summary);
        assert_eq!(opt("reason"), record.reason);
        assert_eq!(opt("decision"), record.decision.map(|d| d.to_string()));
        assert_eq!(opt("outcome"), record.outcome.map(|o| o.to_string()));
        assert_eq!(
            opt("args").map(|a| serde_json::from_str::<Value>(&a).expect("args JSON")),
            record.args
        );
        assert_eq!(
            opt("detail").map(|d| serde_json::from_str::<Value>(&d).expect("detail JSON")),
            record.detail
        );
        assert_eq!(
            opt("approval_via"),
            record.approval.as_ref().map(|a| a.via.clone())
        );
        assert_eq!(field("hash"), record.hash);
        assert_eq!(field("prev_hash"), record.prev_hash);
        let time = chrono::DateTime::parse_from_rfc3339(&field("time")).expect("RFC 3339 time");
        assert_eq!(time.timestamp_millis(), record.time_ms);
        rows += 1;
    }
    assert_eq!(rows, N);

    // A filtered export holds exactly what the query finds.
    let denied = Query {
        decision: Some(Decision::Deny),
        ..Query::default()
    };
    let mut out = Vec::new();
    let n = log
        .export(&denied, ExportFormat::Jsonl, &mut out, |_| {})
        .expect("filtered export");
    assert_eq!(n, log.count(&denied).expect("count"));
    let denials = (0..N)
        .filter(|i| matches!(varied(*i), Entry::Call(c) if c.decision == Decision::Deny))
        .count();
    assert_eq!(n, denials as u64);
}

/// Every field a record shares with the entry it came from.
fn check_against_entry(record: &Record, entry: &Entry) {
    match entry {
        Entry::Call(call) => {
            assert_eq!(record.kind, KIND_CALL);
            assert_eq!(record.time_ms, call.time_ms);
            assert_eq!(record.tool.as_deref(), Some(call.tool.as_str()));
            assert_eq!(record.grant, call.grant);
            assert_eq!(record.session, call.session);
            assert_eq!(record.client, call.client);
            assert_eq!(record.upstream, call.upstream);
            assert_eq!(record.args.as_ref(), Some(&call.args));
            assert_eq!(record.decision, Some(call.decision));
            assert_eq!(record.rule, call.rule);
            assert_eq!(record.reason, call.reason);
            assert_eq!(record.approval, call.approval);
            assert_eq!(record.outcome, call.outcome);
            assert_eq!(record.latency_us, call.latency_us);
            assert_eq!(record.summary, call.summary);
        }
        Entry::Event(event) => {
            assert_eq!(record.kind, event.kind);
            assert_eq!(record.time_ms, event.time_ms);
            assert_eq!(record.summary.as_deref(), Some(event.summary.as_str()));
            assert_eq!(record.detail.as_ref(), Some(&event.detail));
        }
    }
}

/// Fills a log with `n` records straight through SQL (the plan test needs the rows, not
/// the writer; hashes are left empty).
fn fill_with_sql(path: &Path, n: i64) {
    let conn = Connection::open(path).expect("raw connection");
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})
         INSERT INTO audit (id, time_ms, kind, grant_name, session, upstream, tool, category,
                            args, decision, rule, summary, prev_hash, hash)
         SELECT i, {BASE_MS} + i * 10,
                CASE WHEN i % 50 = 0 THEN 'pause' ELSE 'call' END,
                'grant-' || (i % 20), 'session-' || (i % 1000), 'upstream-' || (i % 3),
                'tool-' || (i % 128), 'write', '{{\"track\":' || (i % 16) || '}}',
                CASE i % 5 WHEN 3 THEN 'deny' WHEN 4 THEN 'rate_limited' ELSE 'allow' END,
                'rule-' || (i % 7), 'result ' || i || ' word' || (i % 1000), '', ''
         FROM seq;
         INSERT INTO audit_fts(rowid, body)
             SELECT id, concat_ws(' ', kind, tool, grant_name, session, upstream, category,
                                  decision, rule, summary, args) FROM audit;
         UPDATE search SET indexed_id = {n};
         UPDATE chain SET head_id = {n};
         COMMIT;"
    ))
    .expect("fill");
}

#[test]
fn filtered_pages_use_an_index_at_1000000_records() {
    const N: i64 = 1_000_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.db");
    AuditLog::open(&path, keep_all())
        .and_then(|log| log.close_blocking())
        .expect("schema");
    fill_with_sql(&path, N);
    let log = AuditLog::open_read_only(&path).expect("reader");
    assert_eq!(log.last_id().expect("last"), N);
    let deep = |q: Query| -> Query {
        // A cursor deep in the log: pages there must be index range scans too.
        let cursor = log
            .query(&Query {
                limit: 1000,
                ..q.clone()
            })
            .expect("first page")
            .next_cursor;
        Query { cursor, ..q }
    };
    let mut queries = vec![
        Query {
            from_ms: Some(BASE_MS + 2_000_000),
            to_ms: Some(BASE_MS + 3_000_000),
            ..Query::default()
        },
        Query {
            tool: Some("tool-7".into()),
            ..Query::default()
        },
        Query {
            grant: Some("grant-3".into()),
            ..Query::default()
        },
        Query {
            decision: Some(Decision::Deny),
            ..Query::default()
        },
        Query {
            upstream: Some("upstream-1".into()),
            ..Query::default()
        },
        Query {
            kind: Some("pause".into()),
            ..Query::default()
        },
        Query {
            text: Some("word42".into()),
            ..Query::default()
        },
        Query {
            tool: Some("tool-9".into()),
            from_ms: Some(BASE_MS + 1_000_000),
            to_ms: Some(BASE_MS + 9_000_000),
            ..Query::default()
        },
        Query {
            grant: Some("grant-1".into()),
            decision: Some(Decision::Allow),
            upstream: Some("upstream-2".into()),
            ..Query::default()
        },
        Query {
            text: Some("result".into()),
            tool: Some("tool-3".into()),
            ..Query::default()
        },
    ];
    let deeper: Vec<Query> = queries.iter().cloned().map(deep).collect();
    queries.extend(deeper);
    for query in &queries {
        for (sql, plan) in log.query_plan(query).expect("plan") {
            assert!(!plan.is_empty(), "{sql}");
            for step in &plan {
                let scans_records =
                    step.starts_with("SCAN audit") && !step.starts_with("SCAN audit_fts");
                assert!(
                    !scans_records && !step.contains("TEMP B-TREE"),
                    "{query:?}\n{sql}\nplans {plan:?}"
                );
            }
        }
        // And the pages are right (not timed).
        let page = log.query(query).expect("page");
        assert!(!page.records.is_empty(), "{query:?}");
        for r in &page.records {
            assert!(
                oracle(
                    r,
                    &Query {
                        cursor: None,
                        ..query.clone()
                    }
                ),
                "{query:?}: {r:?}"
            );
        }
    }
}

fn raw(log_path: &Path) -> Connection {
    Connection::open(log_path).expect("raw connection")
}

#[tokio::test]
async fn the_chain_verifies_and_catches_edits_and_deletions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    append_all(&log, 0..50, 1).await;
    let path = dir.path().join("audit.db");
    let report = log.verify().expect("verify");
    assert_eq!((report.checked, report.first_broken), (50, None));
    assert!(report.ok());
    log.close().await.expect("close");

    let copy = |name: &str| {
        let to = dir.path().join(name);
        std::fs::copy(&path, &to).expect("copy");
        to
    };
    let cases: [(&str, &str, i64); 6] = [
        (
            "edited.db",
            "UPDATE audit SET args = '{\"tempo\":999}' WHERE id = 17",
            17,
        ),
        (
            "decided.db",
            "UPDATE audit SET decision = 'deny' WHERE id = 23",
            23,
        ),
        ("deleted.db", "DELETE FROM audit WHERE id = 30", 30),
        ("truncated.db", "DELETE FROM audit WHERE id >= 45", 45),
        ("first.db", "DELETE FROM audit WHERE id = 1", 1),
        (
            "rehashed.db",
            "UPDATE audit SET summary = 'nothing', hash = prev_hash WHERE id = 8",
            8,
        ),
    ];
    for (name, sql, broken) in cases {
        let file = copy(name);
        raw(&file).execute_batch(sql).expect("tamper");
        let report = AuditLog::open_read_only(&file)
            .and_then(|l| l.verify())
            .expect("verify");
        assert_eq!(report.first_broken, Some(broken), "{name}: {report:?}");
        assert!(!report.ok());
        assert!(report.detail.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_appenders_get_distinct_ids_and_every_record_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..40 {
                    ids.push(log.append(varied(t * 1000 + n)).await.expect("append"));
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("task"));
    }
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 64 * 40);
    assert_eq!(unique, (1..=64 * 40).collect::<HashSet<i64>>());
    for id in [1, 500, 2560] {
        assert!(log.get(id).expect("get").is_some());
    }
    assert_eq!(log.count(&Query::default()).expect("count"), 64 * 40);
    assert_eq!(log.verify().expect("verify").checked, 64 * 40);
}

#[tokio::test]
async fn close_commits_every_append_made_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    // `join` polls the appends first: each hands its record to the writer before close
    // is asked for.
    let appends = futures::future::join_all((0..500).map(|i| log.append(varied(i))));
    let (results, closed) = futures::join!(appends, log.close());
    closed.expect("close");
    let ids: Vec<i64> = results.into_iter().map(|r| r.expect("appended")).collect();
    assert_eq!(ids.len(), 500);
    let late = log.append(varied(1)).await;
    assert!(matches!(late, Err(AuditError::Closed { .. })), "{late:?}");
    let reader = AuditLog::open_read_only(dir.path().join("audit.db")).expect("reader");
    assert_eq!(reader.count(&Query::default()).expect("count"), 500);
    for id in ids {
        assert!(reader.get(id).expect("get").is_some(), "record {id} lost");
    }
    assert!(reader.verify().expect("verify").ok());
}

#[tokio::test]
async fn retention_by_days_prunes_the_old_end_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    for (i, age_days) in [40, 35, 31, 29, 10, 1, 0].iter().enumerate() {
        let mut entry = match varied(i as i64 * 10) {
            Entry::Call(call) => call,
            Entry::Event(_) => unreachable!("multiples of 10 are calls"),
        };
        entry.time_ms = now - age_days * day;
        log.append(Entry::Call(entry)).await.expect("append");
    }
    assert_eq!(log.prune_now().await.expect("keep all"), 0);
    log.set_retention(Retention {
        days: Some(30),
        max_mb: None,
    })
    .expect("set retention");
    assert_eq!(log.prune_now().await.expect("prune"), 3);
    let left: Vec<i64> = all_pages(&log, Query::default(), 100)
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [7, 6, 5, 4]);
    let report = log.verify().expect("verify");
    assert_eq!((report.checked, report.first_broken), (4, None));
    // New records chain on from the pruned log.
    log.append(varied(100)).await.expect("append");
    assert_eq!(log.verify().expect("verify").checked, 5);
    // Deleting the oldest survivor is still caught.
    log.close().await.expect("close");
    let path = dir.path().join("audit.db");
    raw(&path)
        .execute_batch("DELETE FROM audit WHERE id = 4")
        .expect("tamper");
    let report = AuditLog::open_read_only(&path)
        .and_then(|l| l.verify())
        .expect("verify");
    assert_eq!(report.first_broken, Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_by_size_keeps_the_log_under_its_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let big = "x".repeat(2_000);
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            let big = big.clone();
            tokio::spawn(async move {
                for n in 0..250 {
                    let mut call = match varied(t * 1000 + n * 10) {
                        Entry::Call(call) => call,
                        Entry::Event(_) => unreachable!("multiples of 10 are calls"),
                    };
                    call.args = json!({"blob": big, "n": n});
                    log.append(Entry::Call(call)).await.expect("append");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let path = dir.path().join("audit.db");
    let used = |path: &Path| -> i64 {
        raw(path)
            .query_row(
                "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
                [],
                |r| r.get(0),
            )
            .expect("size")
    };
    assert!(used(&path) > 4 * 1024 * 1024, "about 4 MB written");
    let newest = log.last_id().expect("last");
    log.set_retention(Retention {
        days: None,
        max_mb: Some(1),
    })
    .expect("set");
    let pruned = log.prune_now().await.expect("prune");
    assert!(pruned > 1_000, "pruned {pruned}");
    assert!(used(&path) <= 1024 * 1024, "{} bytes in use", used(&path));
    let left = log.count(&Query::default()).expect("count");
    assert_eq!(left + pruned, 2_000);
    assert!(
        log.get(newest).expect("get").is_some(),
        "the newest are kept"
    );
    assert!(log.verify().expect("verify").ok());
}

#[tokio::test]
async fn a_second_writer_on_the_same_file_extends_the_same_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.db");
    let a = AuditLog::open(&path, keep_all()).expect("a");
    let b = AuditLog::open(&path, keep_all()).expect("b");
    let mut ids = Vec::new();
    for i in 0..40 {
        let log = if i % 3 == 0 { &b } else { &a };
        ids.push(log.append(varied(i)).await.expect("append"));
    }
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
    let report = a.verify().expect("verify");
    assert_eq!((report.checked, report.first_broken), (40, None));
}

/// Set in the child process of the crash test: the log it writes to.
const CRASH_CHILD: &str = "LIVEGATE_AUDIT_CRASH_CHILD";

#[test]
fn every_append_that_returned_survives_the_process_being_killed() {
    if let Some(path) = std::env::var_os(CRASH_CHILD) {
        // The child: append, say which id came back, and die without any clean-up.
        let log = AuditLog::open(Path::new(&path), keep_all()).expect("open");
        let mut stdout = std::io::stdout();
        for i in 0..300 {
            let id = log.append_blocking(varied(i)).expect("append");
            std::io::Write::write_all(&mut stdout, format!("appended {id}\n").as_bytes())
                .and_then(|()| std::io::Write::flush(&mut stdout))
                .expect("report");
        }
        std::process::abort();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.db");
    let child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "every_append_that_returned_survives_the_process_being_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_CHILD, &path)
        .output()
        .expect("run the child");
    assert!(!child.status.success(), "the child aborts");
    let ids: Vec<i64> = String::from_utf8_lossy(&child.stdout)
        .lines()
        // libtest may print its "test … " prefix on the first line.
        .filter_map(|l| l.split("appended ").nth(1)?.trim().parse().ok())
        .collect();
    assert_eq!(
        ids,
        (1..=300).collect::<Vec<_>>(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let log = AuditLog::open_read_only(&path).expect("the log after the crash");
    for id in ids {
        assert!(log.get(id).expect("get").is_some(), "record {id} was lost");
    }
    let report = log.verify().expect("verify");
    assert_eq!((report.checked, report.first_broken), (300, None));
}
