//! The single writer: one thread owns the write connection. Appends queue up while it
//! commits; it then takes everything queued (up to [`BATCH_CAP`]) into one transaction,
//! commits it, and only then answers each waiter and tells subscribers (group commit: one
//! disk sync serves many calls). When no append waits, it indexes new records for search
//! and prunes, a chunk at a time, so neither holds appends up for long.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, TransactionBehavior};
use tokio::sync::{broadcast, oneshot};

use super::chain::{self, record_hash};
use super::config::Retention;
use super::error::AuditError;
use super::record::{Pending, Record};
use super::retention::{self, PruneStep};
use super::search;

/// The most appends committed in one transaction.
pub const BATCH_CAP: usize = 1024;

/// How often retention is applied in the background (also once at open).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// How long no append must come before background work starts (a call that follows
/// another closely should not wait for it).
const QUIET_AFTER: Duration = Duration::from_millis(2);

/// The longest background work (word indexing, pruning) waits for a quiet moment while
/// appends keep coming.
const BACKGROUND_MAX_DELAY: Duration = Duration::from_secs(1);

/// Where an answer goes: an async caller's oneshot or a blocking caller's channel.
pub(crate) enum Reply<T> {
    /// An `async fn` waiting.
    Async(oneshot::Sender<Result<T, AuditError>>),
    /// A thread waiting.
    Blocking(SyncSender<Result<T, AuditError>>),
}

impl<T> Reply<T> {
    /// Answers; a caller that stopped waiting is not an error.
    pub fn send(self, result: Result<T, AuditError>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// Appends taken together into one transaction, each with its waiter.
type Batch = Vec<(Box<Pending>, Reply<i64>)>;

/// What the writer thread is asked to do.
pub(crate) enum Command {
    /// Commit a record; answer with its id.
    Append(Box<Pending>, Reply<i64>),
    /// Apply retention now; answer with the number of records pruned.
    Prune(Reply<u64>),
    /// Use this retention from now on.
    SetRetention(Retention),
    /// Commit what was queued before, then stop.
    Close(Reply<()>),
}

/// The writer thread's state.
pub(crate) struct Writer {
    pub conn: Connection,
    pub path: PathBuf,
    pub rx: Receiver<Command>,
    pub records: broadcast::Sender<Arc<Record>>,
    pub retention: Retention,
}

/// A prune in progress: who waits for it and how much it removed so far.
#[derive(Default)]
struct PruneRun {
    waiters: Vec<Reply<u64>>,
    pruned: u64,
}

/// Work the writer does between appends: word indexing and pruning.
struct Background {
    /// Records appended since the word index was last found complete (0: complete).
    unindexed: i64,
    /// A prune under way.
    prune: Option<PruneRun>,
    /// When the next scheduled prune starts.
    next_prune: Instant,
    /// When background work last had a turn.
    last_turn: Instant,
}

impl Background {
    fn pending(&self) -> bool {
        self.unindexed > 0 || self.prune.is_some()
    }

    /// Whether background work must have a turn even though appends keep coming.
    fn overdue(&self) -> bool {
        self.pending()
            && (self.unindexed >= search::INDEX_BACKLOG_MAX
                || self.last_turn.elapsed() >= BACKGROUND_MAX_DELAY)
    }
}

impl Writer {
    /// The thread's body: runs until closed or every handle is gone.
    pub fn run(mut self) {
        let mut bg = Background {
            // At open: finish indexing whatever an earlier run left, and apply retention.
            unindexed: 1,
            prune: Some(PruneRun::default()),
            next_prune: Instant::now() + PRUNE_INTERVAL,
            last_turn: Instant::now(),
        };
        // Whether no append came for a while: background work then runs back to back.
        let mut quiet = false;
        loop {
            let wait = match (bg.pending(), quiet) {
                (true, true) => Duration::ZERO,
                (true, false) => QUIET_AFTER,
                (false, _) => bg.next_prune.saturating_duration_since(Instant::now()),
            };
            match self.rx.recv_timeout(wait) {
                Ok(first) => {
                    quiet = false;
                    let (appends, others) = self.drain(first);
                    bg.unindexed = bg.unindexed.saturating_add(self.commit(appends));
                    for command in others {
                        match command {
                            Command::Prune(reply) => bg
                                .prune
                                .get_or_insert_with(PruneRun::default)
                                .waiters
                                .push(reply),
                            Command::SetRetention(retention) => self.retention = retention,
                            Command::Close(reply) => {
                                self.finish(bg, reply);
                                return;
                            }
                            Command::Append(..) => {}
                        }
                    }
                    // Appends first; background work waits for a quiet moment unless it
                    // has waited too long.
                    if !bg.overdue() {
                        continue;
                    }
                }
                Err(RecvTimeoutError::Timeout) => quiet = true,
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.background_turn(&mut bg);
        }
        tracing::debug!(path = %self.path.display(), "audit log writer stopped: every handle dropped");
    }

    /// One step of each pending background job: a chunk of word indexing, a chunk of
    /// pruning. Each is one short transaction, so appends never wait long.
    fn background_turn(&mut self, bg: &mut Background) {
        bg.last_turn = Instant::now();
        if bg.prune.is_none() && Instant::now() >= bg.next_prune {
            bg.prune = Some(PruneRun::default());
        }
        if bg.unindexed > 0 {
            match search::index_step(&mut self.conn, search::INDEX_CHUNK) {
                Ok(0) => bg.unindexed = 0,
                Ok(n) => bg.unindexed = (bg.unindexed - n).max(1),
                Err(e) => {
                    // Queries still find the records (past the index they are checked one
                    // by one); the next append tries again.
                    tracing::warn!(path = %self.path.display(), error = %e, "indexing audit records for search failed; will retry");
                    bg.unindexed = 0;
                }
            }
        }
        let Some(mut run) = bg.prune.take() else {
            return;
        };
        match retention::step(&mut self.conn, &self.retention, now_ms()) {
            Ok(PruneStep::More(n)) => {
                run.pruned += n;
                bg.prune = Some(run);
            }
            Ok(PruneStep::Done(n)) => {
                run.pruned += n;
                if run.pruned > 0 {
                    tracing::info!(pruned = run.pruned, "audit log pruned by retention");
                }
                for waiter in run.waiters {
                    waiter.send(Ok(run.pruned));
                }
                bg.next_prune = Instant::now() + PRUNE_INTERVAL;
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "pruning the audit log failed; will retry");
                for waiter in run.waiters {
                    waiter.send(Err(AuditError::write(&self.path, &e)));
                }
                bg.next_prune = Instant::now() + PRUNE_INTERVAL;
            }
        }
    }

    /// `first` and whatever else is queued (appends up to [`BATCH_CAP`]; a close ends the
    /// batch, so nothing sent after it is committed).
    fn drain(&self, first: Command) -> (Batch, Vec<Command>) {
        let mut appends = Vec::new();
        let mut others = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Append(pending, reply) => appends.push((pending, reply)),
                Command::Close(reply) => {
                    others.push(Command::Close(reply));
                    break;
                }
                other => others.push(other),
            }
            if appends.len() < BATCH_CAP {
                next = self.rx.try_recv().ok();
            }
        }
        (appends, others)
    }

    /// Commits a batch and answers it. If the batch fails as a whole, each record is tried on
    /// its own, so one record SQLite refuses cannot take the others down with it.
    /// Returns how many records were committed.
    fn commit(&mut self, batch: Batch) -> i64 {
        if batch.is_empty() {
            return 0;
        }
        let pendings: Vec<&Pending> = batch.iter().map(|(p, _)| p.as_ref()).collect();
        match self.write(&pendings) {
            Ok(written) => {
                let n = i64::try_from(written.len()).unwrap_or(i64::MAX);
                self.answer(batch, written);
                n
            }
            Err(e) if batch.len() == 1 => {
                tracing::error!(path = %self.path.display(), error = %e, "audit record not written");
                for (_, reply) in batch {
                    reply.send(Err(AuditError::write(&self.path, &e)));
                }
                0
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, records = batch.len(), "audit batch failed; writing its records one by one");
                batch.into_iter().map(|one| self.commit(vec![one])).sum()
            }
        }
    }

    /// Writes records in one transaction; returns each one's (id, hash, prev_hash).
    fn write(&mut self, pendings: &[&Pending]) -> rusqlite::Result<Vec<(i64, String, String)>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The head is read inside the write lock: another process writing the same file
        // (an embedded gateway) extends the same chain instead of forking it.
        let state = chain::state(&tx)?;
        let (mut id, mut prev) = (state.head_id, state.head_hash);
        let mut written = Vec::with_capacity(pendings.len());
        {
            let mut insert = tx.prepare_cached(INSERT)?;
            for pending in pendings {
                id += 1;
                let fields = pending.fields(id);
                let hash = record_hash(&fields, &prev);
                insert.execute(params![
                    fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6],
                    fields[7], fields[8], fields[9], fields[10], fields[11], fields[12],
                    fields[13], fields[14], fields[15], fields[16], fields[17], fields[18],
                    fields[19], fields[20], prev, hash,
                ])?;
                written.push((id, hash.clone(), std::mem::replace(&mut prev, hash)));
            }
        }
        tx.prepare_cached("UPDATE chain SET head_id = ?1, head_hash = ?2")?
            .execute(params![id, prev])?;
        tx.commit()?;
        Ok(written)
    }

    /// Answers every waiter of a committed batch, then tells subscribers.
    fn answer(&self, batch: Batch, written: Vec<(i64, String, String)>) {
        let subscribed = self.records.receiver_count() > 0;
        for ((pending, reply), (id, hash, prev_hash)) in batch.into_iter().zip(written) {
            reply.send(Ok(id));
            if subscribed {
                let _ = self
                    .records
                    .send(Arc::new(pending.into_record(id, hash, prev_hash)));
            }
        }
    }

    /// Closing: answers a prune in progress, completes the word index, checkpoints, and
    /// only then says closed.
    fn finish(mut self, bg: Background, reply: Reply<()>) {
        if let Some(run) = bg.prune {
            for waiter in run.waiters {
                waiter.send(Err(AuditError::closed(&self.path)));
            }
        }
        if bg.unindexed > 0 {
            loop {
                match search::index_step(&mut self.conn, search::INDEX_BACKLOG_MAX) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "indexing at close skipped; the next open does it");
                        break;
                    }
                }
            }
        }
        let Writer { conn, rx, .. } = self;
        // Nothing sent from now on is accepted: senders see the channel closed.
        drop(rx);
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::debug!(error = %e, "audit log checkpoint at close skipped");
        }
        drop(conn);
        reply.send(Ok(()));
    }
}

/// The wall clock, epoch milliseconds.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Inserts one record.
const INSERT: &str = "INSERT INTO audit (id, time_ms, kind, grant_name, session, client_name, \
     client_version, upstream, tool, category, args, decision, rule, reason, approval_id, \
     approval_via, approval_at_ms, outcome, latency_us, summary, detail, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22, ?23)";
