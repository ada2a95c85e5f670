//! The audit log's one error type. Messages name the database file and say what to do.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// What can go wrong with the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database file could not be opened or prepared.
    #[error("cannot open the audit log {path}: {detail}; check that its folder exists and livegate may write there")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The file is damaged or is not a livegate audit log.
    #[error("the audit log {path} is damaged or is not a livegate audit log ({detail}); move the file away (livegate then starts a new log) and keep it if you need its records")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// There is no audit log at the path (read-only opens do not create one).
    #[error("there is no audit log at {path} yet: livegate creates it when it first runs (`livegate serve`); check LIVEGATE_HOME if you expected one")]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// The file has an older schema and was opened read-only, so it cannot be upgraded.
    #[error("the audit log {path} has schema version {found}, older than this livegate's {supported}; run `livegate serve` (or `livegate audit prune`) once to upgrade it")]
    TooOld {
        /// The database file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// A write through a log opened read-only.
    #[error("the audit log {path} was opened read-only: nothing can be recorded or pruned through this handle")]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by a newer livegate.
    #[error("the audit log {path} has schema version {found}, newer than this livegate knows ({supported}); update livegate or move the file away")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A record could not be committed: the call it describes must not go ahead.
    #[error("writing to the audit log {path} failed: {detail}; the record was not kept (check free disk space and the file's permissions)")]
    Write {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Reading records failed.
    #[error("reading the audit log {path} failed: {detail}")]
    Read {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The log was closed (or its writer stopped): nothing more can be recorded.
    #[error("the audit log {path} is closed; nothing more can be recorded until livegate opens it again")]
    Closed {
        /// The database file.
        path: PathBuf,
    },
    /// A pagination cursor that no page handed out.
    #[error("invalid cursor {0:?}: pass a page's next_cursor back unchanged")]
    BadCursor(String),
    /// A time that is neither epoch milliseconds nor RFC 3339.
    #[error("invalid time {0:?}: give milliseconds since 1970, a date (2025-01-31) or an RFC 3339 time (2025-01-31T12:00:00Z)")]
    BadTime(String),
    /// An export format other than jsonl or csv.
    #[error("unknown export format {0:?}: expected jsonl or csv")]
    BadFormat(String),
    /// The export's destination could not be written.
    #[error("writing the export failed: {0}")]
    Export(#[source] std::io::Error),
    /// The writer thread could not be started.
    #[error("starting the audit log's writer thread failed: {0}")]
    Thread(#[source] std::io::Error),
}

impl AuditError {
    /// An error from opening or migrating `path`: damage is told apart from other failures.
    pub(crate) fn open(path: &Path, error: &rusqlite::Error) -> Self {
        if is_corruption(error) {
            Self::corrupt(path, error.to_string())
        } else {
            Self::Open {
                path: path.to_path_buf(),
                detail: error.to_string(),
            }
        }
    }

    /// The file is damaged or foreign.
    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// A failed write.
    pub(crate) fn write(path: &Path, error: impl std::fmt::Display) -> Self {
        Self::Write {
            path: path.to_path_buf(),
            detail: error.to_string(),
        }
    }

    /// A failed read; damage is reported as such.
    pub(crate) fn read(path: &Path, error: &rusqlite::Error) -> Self {
        if is_corruption(error) {
            Self::corrupt(path, error.to_string())
        } else {
            Self::Read {
                path: path.to_path_buf(),
                detail: error.to_string(),
            }
        }
    }

    /// The log is closed.
    pub(crate) fn closed(path: &Path) -> Self {
        Self::Closed {
            path: path.to_path_buf(),
        }
    }
}

/// Whether SQLite says the file is not a database or is damaged.
fn is_corruption(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}
