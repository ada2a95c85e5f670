//! Unit tests of the audit log through its public API, on real SQLite files in temp dirs.

use serde_json::json;

use super::*;

fn call(time_ms: i64, tool: &str) -> CallEntry {
    CallEntry {
        time_ms,
        grant: Some("claude".into()),
        session: Some("s-1".into()),
        client: Some(ClientInfo {
            name: "claude-code".into(),
            version: Some("2.1".into()),
        }),
        upstream: Some("ableton".into()),
        tool: tool.into(),
        category: Some("write".into()),
        args: json!({"tempo": 120, "api_key": "sk-123"}),
        decision: Decision::Allow,
        rule: Some("category:write".into()),
        reason: None,
        approval: Some(ApprovalInfo {
            id: "a-1".into(),
            via: "ui".into(),
            at_ms: time_ms + 500,
        }),
        outcome: Some(Outcome::Ok),
        latency_us: Some(830),
        summary: Some("Tempo set to 120 BPM".into()),
    }
}

/// A log that keeps everything (these tests write records dated 1970).
fn open(dir: &tempfile::TempDir) -> AuditLog {
    let config = AuditConfig {
        retention: Retention::KEEP_ALL,
        ..AuditConfig::default()
    };
    AuditLog::open(dir.path().join("audit.db"), config).expect("open")
}

#[test]
fn handles_are_send_sync_and_cheap_to_clone() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<AuditLog>();
}

#[tokio::test]
async fn a_call_round_trips_with_secrets_redacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let id = log
        .append(Entry::Call(call(1_764_000_000_000, "set_tempo")))
        .await
        .expect("append");
    assert_eq!(id, 1);
    let record = log.get(id).expect("get").expect("present");
    let expected = json!({
        "id": 1, "time_ms": 1_764_000_000_000_i64, "kind": "call",
        "grant": "claude", "session": "s-1", "client": {"name": "claude-code", "version": "2.1"},
        "upstream": "ableton", "tool": "set_tempo", "category": "write",
        "args": {"tempo": 120, "api_key": REDACTED}, "decision": "allow",
        "rule": "category:write", "reason": null,
        "approval": {"id": "a-1", "via": "ui", "at_ms": 1_764_000_000_500_i64},
        "outcome": "ok", "latency_us": 830, "summary": "Tempo set to 120 BPM",
        "hash": record.hash, "prev_hash": GENESIS_HASH,
    });
    assert_eq!(serde_json::to_value(&record).expect("json"), expected);
    assert_eq!(record.hash.len(), 64);
    assert!(log.get(2).expect("get").is_none());
}

#[tokio::test]
async fn an_event_round_trips_and_chains_to_the_call_before() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    log.append(Entry::Call(call(1, "get_tempo")))
        .await
        .expect("call");
    let id = log
        .append(Entry::Event(EventEntry {
            time_ms: 2,
            kind: "policy_rejected".into(),
            summary: "policy.json rejected: 1 error".into(),
            detail: json!({"errors": [{"path": "tools.x", "message": "bad"}], "token": "t"}),
        }))
        .await
        .expect("event");
    let first = log.get(1).expect("get").expect("call");
    let event = log.get(id).expect("get").expect("event");
    assert_eq!(event.kind, "policy_rejected");
    assert_eq!(
        event.summary.as_deref(),
        Some("policy.json rejected: 1 error")
    );
    assert_eq!(
        event.detail,
        Some(json!({"errors": [{"path": "tools.x", "message": "bad"}], "token": REDACTED}))
    );
    assert_eq!((event.tool, event.decision, event.args), (None, None, None));
    assert_eq!(event.prev_hash, first.hash);
    let report = log.verify().expect("verify");
    assert_eq!((report.checked, report.first_broken), (2, None));
}

#[tokio::test]
async fn subscribers_see_each_record_after_it_commits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let mut rx = log.subscribe();
    let id = log
        .append(Entry::Call(call(5, "play")))
        .await
        .expect("append");
    let seen = rx.recv().await.expect("record");
    assert_eq!(seen.id, id);
    assert_eq!(Some(seen.as_ref()), log.get(id).expect("get").as_ref());
}

#[tokio::test]
async fn close_flushes_and_then_refuses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let pending: Vec<_> = (0..50)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move { log.append(Entry::Call(call(i, "stop"))).await })
        })
        .collect();
    for task in pending {
        task.await.expect("task").expect("appended");
    }
    log.close().await.expect("close");
    log.close().await.expect("closing twice is fine");
    let e = log
        .append(Entry::Call(call(99, "stop")))
        .await
        .expect_err("closed");
    assert!(matches!(e, AuditError::Closed { .. }), "{e}");
    let reader = AuditLog::open_read_only(log.path()).expect("read-only");
    assert_eq!(reader.last_id().expect("last"), 50);
    assert_eq!(reader.verify().expect("verify").checked, 50);
}

#[test]
fn read_only_logs_read_but_never_write_or_create() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("missing.db");
    let e = AuditLog::open_read_only(&path).expect_err("missing");
    assert!(matches!(e, AuditError::Missing { .. }), "{e}");
    assert!(!path.exists());

    let log = AuditLog::open(&path, AuditConfig::default()).expect("open");
    log.append_blocking(Entry::Call(call(
        chrono::Utc::now().timestamp_millis(),
        "play",
    )))
    .expect("append");
    let reader = AuditLog::open_read_only(&path).expect("read-only");
    assert_eq!(
        reader
            .query(&Query::default())
            .expect("query")
            .records
            .len(),
        1
    );
    let e = reader
        .append_blocking(Entry::Call(call(2, "play")))
        .expect_err("read-only");
    assert!(matches!(e, AuditError::ReadOnly { .. }), "{e}");
    assert!(matches!(
        reader.prune_now_blocking(),
        Err(AuditError::ReadOnly { .. })
    ));
}

#[test]
fn count_since_counts_by_time_and_kind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    for t in [10, 20, 30] {
        log.append_blocking(Entry::Call(call(t, "play")))
            .expect("call");
    }
    log.append_blocking(Entry::Event(EventEntry {
        time_ms: 25,
        kind: "pause".into(),
        summary: "paused".into(),
        detail: serde_json::Value::Null,
    }))
    .expect("event");
    assert_eq!(log.count_since(20, None).expect("count"), 3);
    assert_eq!(log.count_since(20, Some(KIND_CALL)).expect("count"), 2);
    assert_eq!(log.count_since(31, Some(KIND_CALL)).expect("count"), 0);
    assert_eq!(log.count_since(0, Some("pause")).expect("count"), 1);
}

#[test]
fn empty_summaries_are_stored_as_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    let mut entry = call(1, "play");
    entry.summary = Some(summarize_result(&json!({"content": []})));
    let id = log.append_blocking(Entry::Call(entry)).expect("append");
    assert_eq!(log.get(id).expect("get").expect("record").summary, None);
}

/// Every id a query finds, over all its pages, plus its count and its export's ids.
fn everything(log: &AuditLog, text: &str) -> (Vec<i64>, u64, Vec<i64>) {
    let mut query = Query {
        text: Some(text.into()),
        limit: 7,
        ..Query::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = log.query(&query).expect("page");
        ids.extend(page.records.iter().map(|r| r.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let count = log.count(&query).expect("count");
    let mut out = Vec::new();
    log.export(&query, ExportFormat::Jsonl, &mut out, |_| {})
        .expect("export");
    let exported = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str::<Record>(l).expect("record").id)
        .collect();
    (ids, count, exported)
}

#[test]
fn word_search_finds_the_same_records_however_far_indexing_got() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir);
    for i in 0..120_i64 {
        let mut entry = call(i, ["set_tempo", "get_tempo", "fire_clip"][(i % 3) as usize]);
        entry.args = json!({"tempo": 100 + i % 5, "name": format!("Track {i}")});
        entry.summary = Some(format!("done {i}"));
        entry.decision = if i % 4 == 0 {
            Decision::Deny
        } else {
            Decision::Allow
        };
        log.append_blocking(Entry::Call(entry)).expect("append");
    }
    log.close_blocking().expect("close indexes everything");
    let path = log.path().to_path_buf();
    let texts = [
        "tempo",
        "set_tempo",
        "SET",
        "tem",
        "track 11",
        "deny",
        "102 fire",
        "none-such",
        "%",
        "{",
    ];
    let reader = AuditLog::open_read_only(&path).expect("reader");
    let full: Vec<_> = texts.iter().map(|t| everything(&reader, t)).collect();
    assert_eq!(full[0].0.len(), 120, "every record has a tempo argument");
    assert_eq!(full[1].0.len(), 40, "set_tempo only");
    assert_eq!(full[2].0, full[1].0, "case and word prefix");
    assert_eq!(full[4].0.len(), 11, "Track 11 and Track 110 to 119");
    assert_eq!(full[5].0.len(), 30);
    assert!(full[7].0.is_empty() && full[8].0.is_empty());
    assert_eq!(full[9].0.len(), 120, "a substring when there is no word");
    for (ids, count, exported) in &full {
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
        assert_eq!(*count, ids.len() as u64);
        let mut oldest_first = ids.clone();
        oldest_first.reverse();
        assert_eq!(*exported, oldest_first);
    }
    for indexed in [77, 0] {
        let raw = Connection::open(&path).expect("raw");
        raw.execute_batch(&format!(
            "DELETE FROM audit_fts WHERE rowid > {indexed}; UPDATE search SET indexed_id = {indexed};"
        ))
        .expect("unindex");
        drop(raw);
        let reader = AuditLog::open_read_only(&path).expect("reader");
        for (text, expected) in texts.iter().zip(&full) {
            assert_eq!(
                &everything(&reader, text),
                expected,
                "{text} with index at {indexed}"
            );
        }
    }
}
