//! What the audit log costs a tool call, measured through the real writer (one thread, group
//! commit, WAL, redaction, hash chain, indexes and the word index) on a file in a temp dir,
//! against a baseline measured in the same run: a bare SQLite loop that inserts the same
//! rows into the same schema, one committed transaction per row, with the same durability.
//!
//! Prints, for `Durability::Normal` and `Durability::Full`:
//! - records/s with 1, 16 and 256 concurrent appenders, and the ratio to the bare loop (and
//!   to a bare loop committing 256 rows at a time, the ceiling group commit approaches);
//! - p50/p99 latency of one `append` (what each call waits for its record), sequential, and
//!   under 16 concurrent appenders, with the bare insert's latency beside it.
//!
//! Targets: ≥ 20,000 records/s; ≤ 20 µs added p50 per call. Run with
//! `cargo bench --bench audit` (set `AUDIT_BENCH_SECS` to change the time per figure).

use std::path::Path;
use std::time::{Duration, Instant};

use livegate::audit::{
    AuditConfig, AuditLog, CallEntry, ClientInfo, Decision, Durability, Entry, Outcome, Retention,
};
use rusqlite::{params, Connection};
use serde_json::json;

const LATENCY_SAMPLES: usize = 5_000;
const WARMUP: usize = 500;

fn seconds() -> Duration {
    let secs = std::env::var("AUDIT_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

fn entry(i: u64) -> Entry {
    Entry::Call(CallEntry {
        time_ms: chrono::Utc::now().timestamp_millis(),
        grant: Some("claude".into()),
        session: Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into()),
        client: Some(ClientInfo {
            name: "claude-code".into(),
            version: Some("2.1.0".into()),
        }),
        upstream: Some("ableton".into()),
        tool: "set_clip_notes".into(),
        category: Some("write".into()),
        args: json!({"track_index": i % 8, "clip_index": i % 4,
                     "notes": [{"pitch": 60, "start": 0.0, "duration": 0.5, "velocity": 100},
                               {"pitch": 64, "start": 0.5, "duration": 0.5, "velocity": 90}],
                     "api_key": "sk-not-a-real-key"}),
        decision: Decision::Allow,
        rule: Some("category:write".into()),
        reason: None,
        approval: None,
        outcome: Some(Outcome::Ok),
        latency_us: Some(830),
        summary: Some("Added 2 notes to clip 1 on track 3".into()),
    })
}

fn config(durability: Durability) -> AuditConfig {
    AuditConfig {
        retention: Retention::KEEP_ALL,
        durability,
        ..AuditConfig::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The baseline: the same rows into the same schema through one plain connection, one
/// committed transaction per row (what a call would wait for without group commit).
struct Bare {
    conn: Connection,
    next_id: i64,
}

impl Bare {
    fn open(path: &Path, durability: Durability) -> Bare {
        // Let AuditLog create the schema, then write to it directly.
        let log = AuditLog::open(path, config(durability)).expect("create");
        log.close_blocking().expect("close");
        let conn = Connection::open(path).expect("open");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        let sync = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync).expect("sync");
        Bare { conn, next_id: 1 }
    }

    fn insert(&mut self, i: u64) {
        let Entry::Call(call) = entry(i) else {
            unreachable!()
        };
        let args = call.args.to_string();
        let id = self.next_id;
        self.next_id += 1;
        self.conn
            .prepare_cached(
                "INSERT INTO audit (id, time_ms, kind, grant_name, session, client_name, \
                 client_version, upstream, tool, category, args, decision, rule, outcome, \
                 latency_us, summary, prev_hash, hash) \
                 VALUES (?1, ?2, 'call', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'allow', ?11, 'ok', \
                 ?12, ?13, '', '')",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    call.time_ms,
                    call.grant,
                    call.session,
                    call.client.as_ref().map(|c| c.name.clone()),
                    call.client.as_ref().and_then(|c| c.version.clone()),
                    call.upstream,
                    call.tool,
                    call.category,
                    args,
                    call.rule,
                    call.latency_us,
                    call.summary,
                ])
            })
            .expect("insert");
    }
}

/// Bare inserts: (rows/s one commit per row, rows/s 256 rows per commit, p50, p99).
fn bare_figures(dir: &Path, durability: Durability) -> (f64, f64, Duration, Duration) {
    let mut bare = Bare::open(&dir.join(format!("bare-{durability:?}.db")), durability);
    for i in 0..WARMUP as u64 {
        bare.insert(i);
    }
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES as u64 {
        let start = Instant::now();
        bare.insert(i);
        samples.push(start.elapsed());
    }
    samples.sort();
    let run = seconds();
    let start = Instant::now();
    let mut n = 0_u64;
    while start.elapsed() < run {
        bare.insert(n);
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut batched = 0_u64;
    while start.elapsed() < run {
        bare.conn.execute_batch("BEGIN").expect("begin");
        for _ in 0..256 {
            bare.insert(batched);
            batched += 1;
        }
        bare.conn.execute_batch("COMMIT").expect("commit");
    }
    let batched_rate = batched as f64 / start.elapsed().as_secs_f64();
    (
        rate,
        batched_rate,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
    )
}

/// Records/s with `appenders` concurrent tasks appending for the bench time.
async fn throughput(log: &AuditLog, appenders: usize) -> f64 {
    let run = seconds();
    let start = Instant::now();
    let tasks: Vec<_> = (0..appenders)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut n = 0_u64;
                while start.elapsed() < run {
                    log.append(entry(t as u64 * 1_000_000 + n))
                        .await
                        .expect("append");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// p50/p99 of one append while `appenders` tasks append at once.
async fn latency(log: &AuditLog, appenders: usize) -> (Duration, Duration) {
    let per_task = LATENCY_SAMPLES.div_ceil(appenders);
    for i in 0..WARMUP as u64 {
        log.append(entry(i)).await.expect("warm-up");
    }
    let tasks: Vec<_> = (0..appenders)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per_task);
                for n in 0..per_task as u64 {
                    let e = entry(t as u64 * 1_000_000 + n);
                    let start = Instant::now();
                    log.append(e).await.expect("append");
                    samples.push(start.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.expect("task"));
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "audit log bench ({:.1} s per throughput figure, {LATENCY_SAMPLES} latency samples)",
        seconds().as_secs_f64()
    );
    for durability in [Durability::Normal, Durability::Full] {
        let (bare_rate, bare_batched, bare_p50, bare_p99) = bare_figures(dir.path(), durability);
        println!("\n== durability {durability:?} ==");
        println!(
            "baseline, bare SQLite insert, one commit per row:   {bare_rate:>9.0} rows/s, \
             p50 {:.1} µs, p99 {:.1} µs",
            us(bare_p50),
            us(bare_p99)
        );
        println!("baseline, bare SQLite insert, 256 rows per commit:  {bare_batched:>9.0} rows/s");
        let path = dir.path().join(format!("audit-{durability:?}.db"));
        let log = AuditLog::open(&path, config(durability)).expect("open");
        runtime.block_on(async {
            let (p50, p99) = latency(&log, 1).await;
            println!(
                "append latency, 1 appender:    p50 {:>7.1} µs ({:.2}× bare), p99 {:>7.1} µs ({:.2}× bare)",
                us(p50),
                us(p50) / us(bare_p50),
                us(p99),
                us(p99) / us(bare_p99)
            );
            let (p50, p99) = latency(&log, 16).await;
            println!(
                "append latency, 16 appenders:  p50 {:>7.1} µs, p99 {:>7.1} µs",
                us(p50),
                us(p99)
            );
            for appenders in [1, 16, 256] {
                let rate = throughput(&log, appenders).await;
                println!(
                    "throughput, {appenders:>3} appenders:    {rate:>9.0} records/s \
                     ({:.2}× bare per-row commits, {:.2}× bare 256-row commits)",
                    rate / bare_rate,
                    rate / bare_batched
                );
            }
            log.close().await.expect("close");
        });
        let verified = AuditLog::open_read_only(&path)
            .and_then(|log| log.verify())
            .expect("verify");
        println!(
            "chain verified: {} records, broken at {:?}",
            verified.checked, verified.first_broken
        );
    }
}
