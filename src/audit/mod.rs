//! The audit log: a durable SQLite record of every tool call and admin event, with queries,
//! export, a live stream, retention and a hash chain for tamper evidence.
//!
//! One thread owns the write connection ([`writer`]): [`AuditLog::append`] hands it an
//! entry (already redacted and serialized in the caller's thread) and returns only once the
//! transaction holding it has committed, so an agent never gets an answer for a call that is
//! not in the log. Appends that arrive while a commit runs share the next one (group
//! commit). Reads use their own connections (WAL lets them run beside the writer, in this
//! process or another, such as `livegate audit query`).
//!
//! Reading calls (`query`, `get`, `export`, `verify`, `count_since`, ...) block on SQLite;
//! from async code run them inside `tokio::task::spawn_blocking`.

mod bus;
mod chain;
mod config;
mod error;
mod export;
mod query;
mod read;
mod record;
mod redact;
mod retention;
mod schema;
mod search;
mod summary;
mod writer;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension};
use tokio::sync::{broadcast, oneshot};

pub use bus::record_events;
pub use chain::{VerifyReport, GENESIS_HASH};
pub use config::{AuditConfig, Durability, Retention, DEFAULT_REDACT_KEYS};
pub use error::AuditError;
pub use export::{ExportFormat, CSV_HEADER};
pub use query::{Page, Query, DEFAULT_LIMIT, MAX_LIMIT};
pub use record::{
    ApprovalInfo, CallEntry, ClientInfo, Decision, Entry, EventEntry, Outcome, Record, KIND_CALL,
};
pub use redact::REDACTED;
pub use schema::SCHEMA_VERSION;
pub use summary::{summarize_result, SUMMARY_MAX_CHARS};

use record::{Pending, ALL_COLUMNS};
use redact::Redactor;
use writer::{Command, Reply, Writer};

/// How many records a slow subscriber may fall behind before it misses some.
const SUBSCRIBER_CAPACITY: usize = 4096;

/// Idle read connections kept for reuse.
const READER_POOL: usize = 4;

/// How often an export reports progress, in records.
const PROGRESS_EVERY: u64 = 1024;

/// The audit log. Cheap to clone (all clones share one writer); `Send + Sync`.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// The writer thread's queue; `None` when opened read-only.
    commands: Option<Sender<Command>>,
    redactor: Redactor,
    records: broadcast::Sender<Arc<Record>>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.inner.path)
            .field("read_only", &self.inner.commands.is_none())
            .finish()
    }
}

impl AuditLog {
    /// Opens the log at `path` for writing: creates the file and its folders if needed,
    /// brings its schema up to date, and starts the writer thread (which also prunes by
    /// `config.retention`, once now and then every ten minutes).
    pub fn open(path: impl AsRef<Path>, config: AuditConfig) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let conn = schema::open_writer(&path, config.durability)?;
        let (commands, rx) = mpsc::channel();
        let (records, _) = broadcast::channel(SUBSCRIBER_CAPACITY);
        let writer = Writer {
            conn,
            path: path.clone(),
            rx,
            records: records.clone(),
            retention: config.retention,
        };
        std::thread::Builder::new()
            .name("livegate-audit".into())
            .spawn(move || writer.run())
            .map_err(AuditError::Thread)?;
        tracing::debug!(path = %path.display(), durability = ?config.durability, "audit log open");
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                commands: Some(commands),
                redactor: Redactor::new(&config.redact_keys),
                records,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Opens an existing log only to read it (queries, export, verify, following it), e.g.
    /// while `livegate serve` writes to it. Never creates or changes the file.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(AuditError::Missing { path });
        }
        let conn = schema::open_reader(&path)?;
        schema::check_version(&conn, &path)?;
        let (records, _) = broadcast::channel(1);
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                commands: None,
                redactor: Redactor::default(),
                records,
                readers: Mutex::new(vec![conn]),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Records `entry` and returns its id once the transaction holding it has committed.
    /// An error means the record was not kept: the call it describes must not be answered
    /// as if it had been.
    pub async fn append(&self, entry: Entry) -> Result<i64, AuditError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Append(self.pending(entry), Reply::Async(tx)))?;
        rx.await.unwrap_or_else(|_| Err(self.closed()))
    }

    /// [`AuditLog::append`] for threads outside an async runtime.
    pub fn append_blocking(&self, entry: Entry) -> Result<i64, AuditError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Command::Append(self.pending(entry), Reply::Blocking(tx)))?;
        rx.recv().unwrap_or_else(|_| Err(self.closed()))
    }

    /// Every record committed from now on, by this process, as it commits. A subscriber more
    /// than a few thousand records behind misses some (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        self.inner.records.subscribe()
    }

    /// One page of the records `query` matches, newest first; pass `next_cursor` back as
    /// `query.cursor` for the next page.
    pub fn query(&self, query: &Query) -> Result<Page, AuditError> {
        self.with_reader(|conn, path| read::page(conn, path, query))
    }

    /// Diagnostics: the statements [`AuditLog::query`] runs for `query`, each with SQLite's
    /// plan for it (`EXPLAIN QUERY PLAN`, one line per step), e.g. to check that a filter
    /// uses an index.
    pub fn query_plan(&self, query: &Query) -> Result<Vec<(String, Vec<String>)>, AuditError> {
        self.with_reader(|conn, path| read::plans(conn, path, query))
    }

    /// The record with this id, if there is one.
    pub fn get(&self, id: i64) -> Result<Option<Record>, AuditError> {
        let sql = format!("SELECT {ALL_COLUMNS} FROM audit WHERE id = ?1");
        self.with_reader(|conn, path| {
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.query_row([id], Record::from_row).optional())
                .map_err(|e| AuditError::read(path, &e))
        })
    }

    /// Up to `limit` records `query` matches that were committed after record `id`, oldest
    /// first: how `livegate audit tail` follows a log another process writes.
    pub fn after(&self, id: i64, query: &Query, limit: usize) -> Result<Vec<Record>, AuditError> {
        self.with_reader(|conn, path| read::after(conn, path, query, id, limit))
    }

    /// The newest record's id (0 when the log is empty).
    pub fn last_id(&self) -> Result<i64, AuditError> {
        self.with_reader(|conn, path| {
            conn.query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))
                .map_err(|e| AuditError::read(path, &e))
        })
    }

    /// How many records `query` matches (its cursor and limit aside).
    pub fn count(&self, query: &Query) -> Result<u64, AuditError> {
        self.with_reader(|conn, path| read::count(conn, path, query))
    }

    /// How many records of `kind` (any kind when `None`) have a time at or after
    /// `since_ms`: e.g. the calls of the last minute.
    pub fn count_since(&self, since_ms: i64, kind: Option<&str>) -> Result<u64, AuditError> {
        let query = Query {
            from_ms: Some(since_ms),
            kind: kind.map(str::to_string),
            ..Query::default()
        };
        self.count(&query)
    }

    /// Writes every record `query` matches (its cursor and limit aside), oldest first, to
    /// `out` as JSON Lines or CSV, from one consistent snapshot (appends meanwhile are not
    /// included). Calls `progress` with the number written so far every thousand records
    /// and at the end. Returns the number written.
    pub fn export(
        &self,
        query: &Query,
        format: ExportFormat,
        out: impl Write,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, AuditError> {
        let mut out = BufWriter::with_capacity(64 * 1024, out);
        let mut exporter = export::Exporter::start(format, &mut out)?;
        let mut written = 0_u64;
        self.with_reader(|conn, path| {
            read::each_oldest_first(conn, path, query, |record| {
                exporter.write(&record)?;
                written += 1;
                if written % PROGRESS_EVERY == 0 {
                    progress(written);
                }
                Ok(())
            })
        })?;
        exporter.finish()?;
        progress(written);
        Ok(written)
    }

    /// Checks the hash chain from the oldest remaining record to the newest.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.with_reader(|conn, path| chain::verify(conn).map_err(|e| AuditError::read(path, &e)))
    }

    /// Applies retention now and returns how many records were pruned.
    pub async fn prune_now(&self) -> Result<u64, AuditError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Prune(Reply::Async(tx)))?;
        rx.await.unwrap_or_else(|_| Err(self.closed()))
    }

    /// [`AuditLog::prune_now`] for threads outside an async runtime.
    pub fn prune_now_blocking(&self) -> Result<u64, AuditError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Command::Prune(Reply::Blocking(tx)))?;
        rx.recv().unwrap_or_else(|_| Err(self.closed()))
    }

    /// Uses this retention from now on (applied at the next background prune, or at once
    /// with [`AuditLog::prune_now`]).
    pub fn set_retention(&self, retention: Retention) -> Result<(), AuditError> {
        self.send(Command::SetRetention(retention))
    }

    /// Commits everything appended before, checkpoints the file and stops the writer; later
    /// appends fail with [`AuditError::Closed`]. Closing twice is fine.
    pub async fn close(&self) -> Result<(), AuditError> {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Close(Reply::Async(tx))).is_err() {
            return Ok(());
        }
        rx.await.unwrap_or(Ok(()))
    }

    /// [`AuditLog::close`] for threads outside an async runtime.
    pub fn close_blocking(&self) -> Result<(), AuditError> {
        let (tx, rx) = mpsc::sync_channel(1);
        if self.send(Command::Close(Reply::Blocking(tx))).is_err() {
            return Ok(());
        }
        rx.recv().unwrap_or(Ok(()))
    }

    /// Redacts and serializes an entry, in the caller's thread.
    fn pending(&self, entry: Entry) -> Box<Pending> {
        Box::new(Pending::new(entry, &self.inner.redactor))
    }

    /// Hands the writer a command.
    fn send(&self, command: Command) -> Result<(), AuditError> {
        let commands = self
            .inner
            .commands
            .as_ref()
            .ok_or_else(|| AuditError::ReadOnly {
                path: self.inner.path.clone(),
            })?;
        commands.send(command).map_err(|_| self.closed())
    }

    fn closed(&self) -> AuditError {
        AuditError::closed(&self.inner.path)
    }

    /// Runs `f` on a pooled read connection.
    fn with_reader<T>(
        &self,
        f: impl FnOnce(&mut Connection, &Path) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        let mut conn = self.reader()?;
        let result = f(&mut conn, &self.inner.path);
        self.give_back(conn);
        result
    }

    /// A read connection: an idle one, or a new one.
    fn reader(&self) -> Result<Connection, AuditError> {
        if let Some(conn) = self.inner.readers.lock().pop() {
            return Ok(conn);
        }
        schema::open_reader(&self.inner.path)
    }

    /// Keeps a read connection for reuse.
    fn give_back(&self, conn: Connection) {
        let mut pool = self.inner.readers.lock();
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
    }
}

#[cfg(test)]
mod tests;
