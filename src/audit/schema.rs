//! The database file: connection settings and the schema, built by an ordered list of
//! migrations (`PRAGMA user_version` counts how many ran), so a file from any earlier
//! livegate is brought up to date on open and reopening an up-to-date file changes nothing.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::chain::GENESIS_HASH;
use super::config::Durability;
use super::error::AuditError;

/// How long a connection waits for another one holding the write lock (another livegate
/// process, or `livegate audit prune`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The migrations, in order; migration `i` takes the file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: records, their indexes, full-text search, the chain's bookkeeping row.
    "CREATE TABLE audit (
        id             INTEGER PRIMARY KEY,
        time_ms        INTEGER NOT NULL,
        kind           TEXT NOT NULL,
        grant_name     TEXT,
        session        TEXT,
        client_name    TEXT,
        client_version TEXT,
        upstream       TEXT,
        tool           TEXT,
        category       TEXT,
        args           TEXT,
        decision       TEXT,
        rule           TEXT,
        reason         TEXT,
        approval_id    TEXT,
        approval_via   TEXT,
        approval_at_ms INTEGER,
        outcome        TEXT,
        latency_us     INTEGER,
        summary        TEXT,
        detail         TEXT,
        prev_hash      TEXT NOT NULL,
        hash           TEXT NOT NULL
    );
    -- Pages run newest first by (time_ms, id). Each index also holds the rowid after its
    -- columns, so `col = ? AND time_ms <= ? ... ORDER BY time_ms DESC, id DESC` is a range
    -- scan of one index that stops after a page: deep pages stay as cheap as the first.
    CREATE INDEX audit_time ON audit(time_ms);
    CREATE INDEX audit_tool ON audit(tool, time_ms);
    CREATE INDEX audit_grant ON audit(grant_name, time_ms);
    CREATE INDEX audit_decision ON audit(decision, time_ms);
    CREATE INDEX audit_upstream ON audit(upstream, time_ms);
    CREATE INDEX audit_kind ON audit(kind, time_ms);
    -- Free-text search: a word index only (the text stays in audit), filled in bulk by
    -- the writer (see search.rs); search.indexed_id is how far it reaches.
    CREATE VIRTUAL TABLE audit_fts USING fts5(
        body, content = '', contentless_delete = 1, detail = none,
        tokenize = 'unicode61 remove_diacritics 0'
    );
    CREATE TABLE search (
        one        INTEGER PRIMARY KEY CHECK (one = 1),
        indexed_id INTEGER NOT NULL
    );
    INSERT INTO search VALUES (1, 0);
    CREATE TABLE chain (
        one         INTEGER PRIMARY KEY CHECK (one = 1),
        head_id     INTEGER NOT NULL,
        head_hash   TEXT NOT NULL,
        pruned_id   INTEGER NOT NULL,
        pruned_hash TEXT NOT NULL
    );
    INSERT INTO chain VALUES (1, 0, 'GENESIS', 0, 'GENESIS');",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating if needed) the database for writing and brings its schema up to date.
pub(crate) fn open_writer(path: &Path, durability: Durability) -> Result<Connection, AuditError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| AuditError::Open {
            path: path.to_path_buf(),
            detail: format!("creating its folder: {e}"),
        })?;
    }
    let conn = Connection::open(path).map_err(|e| AuditError::open(path, &e))?;
    configure(&conn, path)?;
    migrate(&conn, path)?;
    conn.pragma_update(None, "synchronous", durability.synchronous())
        .map_err(|e| AuditError::open(path, &e))?;
    Ok(conn)
}

/// Opens a connection that only reads (queries, export, verify) a migrated database.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, AuditError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| AuditError::open(path, &e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| conn.pragma_update(None, "query_only", true))
        .and_then(|()| conn.pragma_update(None, "cache_size", -CACHE_KIB))
        .map_err(|e| AuditError::open(path, &e))?;
    Ok(conn)
}

/// Checks that a file opened for reading has exactly this build's schema (a reader must not
/// migrate: the writer does that).
pub(crate) fn check_version(conn: &Connection, path: &Path) -> Result<(), AuditError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| AuditError::open(path, &e))?;
    match version {
        v if v == SCHEMA_VERSION => Ok(()),
        0 => Err(AuditError::corrupt(
            path,
            "it is not an audit log livegate made (no schema version)",
        )),
        v if v > SCHEMA_VERSION => Err(AuditError::TooNew {
            path: path.to_path_buf(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        v => Err(AuditError::TooOld {
            path: path.to_path_buf(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
    }
}

/// Page cache of each connection, KiB: enough for the upper levels of every index of a log
/// with millions of records.
const CACHE_KIB: i64 = 16 * 1024;

/// Settings every writing connection needs before the schema is touched.
fn configure(conn: &Connection, path: &Path) -> Result<(), AuditError> {
    let err = |e: rusqlite::Error| AuditError::open(path, &e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // Reading the schema first tells a damaged or foreign file from a new one.
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(err)?;
    if tables == 0 {
        // Lets pruning give space back to the file system; only possible before any table.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .map_err(err)?;
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AuditError::Open {
            path: path.to_path_buf(),
            detail: format!("the file cannot use write-ahead logging (journal mode {mode})"),
        });
    }
    // Keep the write-ahead log file from staying large after a burst.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
        .map_err(err)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(err)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
}

/// Runs the migrations the file has not had yet, each in its own write transaction that
/// first reads the version again (another process may have just migrated the same file).
fn migrate(conn: &Connection, path: &Path) -> Result<(), AuditError> {
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| AuditError::open(path, &e))?;
        let step = migrate_step(conn, path);
        let end = if matches!(step, Ok(Some(_))) {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let ended = conn.execute_batch(end);
        match step? {
            None => return Ok(()),
            Some(version) => {
                ended.map_err(|e| AuditError::open(path, &e))?;
                tracing::info!(path = %path.display(), version, "audit log schema upgraded");
            }
        }
    }
}

/// Applies the next migration inside the caller's transaction; `None` when up to date.
fn migrate_step(conn: &Connection, path: &Path) -> Result<Option<i64>, AuditError> {
    let err = |e: rusqlite::Error| AuditError::open(path, &e);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if version > SCHEMA_VERSION {
        return Err(AuditError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(None);
    }
    if version == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(err)?;
        if tables > 0 {
            return Err(AuditError::corrupt(
                path,
                "it is an SQLite database, but not one livegate made",
            ));
        }
    }
    let next = version + 1;
    let sql = MIGRATIONS[version as usize].replace("'GENESIS'", &format!("'{GENESIS_HASH}'"));
    conn.execute_batch(&format!("{sql}; PRAGMA user_version = {next};"))
        .map_err(|e| AuditError::Open {
            path: path.to_path_buf(),
            detail: format!("upgrading the schema to version {next}: {e}"),
        })?;
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version")
    }

    #[test]
    fn migrates_an_empty_file_and_reopens_without_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/audit.db");
        let conn = open_writer(&path, Durability::Normal).expect("created");
        assert_eq!(version(&conn), SCHEMA_VERSION);
        let schema = |c: &Connection| -> Vec<String> {
            c.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .expect("schema")
        };
        let before = schema(&conn);
        assert!(before.iter().any(|s| s.contains("CREATE TABLE audit")));
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        let vacuum: i64 = conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
            .expect("vacuum");
        assert_eq!(vacuum, 2, "incremental auto-vacuum");
        drop(conn);
        let again = open_writer(&path, Durability::Full).expect("reopened");
        assert_eq!(version(&again), SCHEMA_VERSION);
        assert_eq!(schema(&again), before);
        let sync: i64 = again
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("sync");
        assert_eq!(sync, 2, "FULL");
    }

    #[test]
    fn refuses_foreign_and_newer_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .and_then(|c| c.execute_batch("CREATE TABLE notes(x)"))
            .expect("foreign db");
        let e = open_writer(&foreign, Durability::Normal).expect_err("foreign refused");
        assert!(matches!(e, AuditError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("not one livegate made"), "{e}");

        let newer = dir.path().join("newer.db");
        drop(open_writer(&newer, Durability::Normal).expect("created"));
        Connection::open(&newer)
            .and_then(|c| c.pragma_update(None, "user_version", SCHEMA_VERSION + 1))
            .expect("bumped");
        let e = open_writer(&newer, Durability::Normal).expect_err("newer refused");
        assert!(matches!(e, AuditError::TooNew { .. }), "{e}");
    }
}
