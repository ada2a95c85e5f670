//! What the audit log is told at open: which argument keys to redact, how long to keep
//! records, and how hard to push each commit to disk.

use serde::{Deserialize, Serialize};

/// The audit log's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// Argument keys whose values are replaced by `"[redacted]"` before a call is recorded:
    /// a key is a secret when it contains one of these, ignoring case and the separators
    /// `_`, `-`, `.` and spaces (`api_key` matches `X-Api-Key`, `apiKey` and `myApiKeys`), in
    /// nested objects and arrays too.
    pub redact_keys: Vec<String>,
    /// How long records are kept.
    pub retention: Retention,
    /// What a committed record survives.
    pub durability: Durability,
}

/// The keys redacted unless the settings say otherwise.
pub const DEFAULT_REDACT_KEYS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "secret",
    "passphrase",
    "api_key",
    "authorization",
    "cookie",
    "credential",
    "private_key",
    "access_key",
    "session_key",
    "signature",
];

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            redact_keys: DEFAULT_REDACT_KEYS.iter().map(|k| k.to_string()).collect(),
            retention: Retention::default(),
            durability: Durability::default(),
        }
    }
}

/// How long records are kept: the oldest are pruned once either limit is passed.
/// `None` means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Retention {
    /// Keep records of the last this many days.
    pub days: Option<u32>,
    /// Keep the database below this many megabytes (MiB, of live data in the file).
    pub max_mb: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: Some(90),
            max_mb: Some(500),
        }
    }
}

impl Retention {
    /// No limit at all: nothing is ever pruned.
    pub const KEEP_ALL: Retention = Retention {
        days: None,
        max_mb: None,
    };
}

/// What a record survives once `append` has answered.
///
/// The default is [`Durability::Normal`]: the threat the log guards against is livegate
/// itself dying (a crash, a kill, a panic) between a call and its record, and a commit in
/// WAL mode with `synchronous=NORMAL` is in the operating system's hands before `append`
/// answers, so it survives that. Only a power cut or an OS crash in the following moments
/// can lose the newest records, and then the agent on the same machine lost its answer too.
/// [`Durability::Full`] closes that gap at the price of one disk flush per group commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Survives a crash or kill of livegate: WAL, `synchronous=NORMAL`.
    #[default]
    Normal,
    /// Also survives a power cut: WAL, `synchronous=FULL` (every commit waits for the disk).
    Full,
}

impl Durability {
    /// The `PRAGMA synchronous` value for this mode.
    pub(crate) fn synchronous(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}
