//! Tamper evidence: every record's `hash` is the SHA-256 of its stored content and the
//! previous record's hash, so editing, removing or reordering a record breaks the chain from
//! there on. [`verify`] walks the chain from the oldest remaining record (pruning stores the
//! boundary it cut at) to the head the writer stored with its last commit.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::record::CONTENT_COLUMNS;

/// The `prev_hash` of the very first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain separation: changes whenever the hashed layout changes.
const HASH_CONTEXT: &[u8] = b"livegate-audit-record-v1\n";

/// One stored column value, as hashed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    /// SQL NULL.
    Null,
    /// An integer column.
    Int(i64),
    /// A text column.
    Text(&'a str),
    /// Anything else SQLite may hold after an edit (hashed so it never matches text).
    Other(&'a [u8]),
}

impl<'a> From<Option<&'a str>> for Field<'a> {
    fn from(value: Option<&'a str>) -> Self {
        value.map_or(Field::Null, Field::Text)
    }
}

impl<'a> From<ValueRef<'a>> for Field<'a> {
    fn from(value: ValueRef<'a>) -> Self {
        match value {
            ValueRef::Null => Field::Null,
            ValueRef::Integer(i) => Field::Int(i),
            ValueRef::Text(t) => std::str::from_utf8(t).map_or(Field::Other(t), Field::Text),
            ValueRef::Real(_) => Field::Other(b"real"),
            ValueRef::Blob(b) => Field::Other(b),
        }
    }
}

/// The hash of a record: SHA-256 over the content columns (each tagged and length-prefixed,
/// so no two different contents share an encoding) and `prev_hash`, as lowercase hex.
pub(crate) fn record_hash(fields: &[Field<'_>], prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(HASH_CONTEXT);
    for field in fields {
        match field {
            Field::Null => hasher.update([0]),
            Field::Int(i) => {
                hasher.update([1]);
                hasher.update(i.to_be_bytes());
            }
            Field::Text(t) => {
                hasher.update([2]);
                hasher.update((t.len() as u64).to_be_bytes());
                hasher.update(t.as_bytes());
            }
            Field::Other(b) => {
                hasher.update([3]);
                hasher.update((b.len() as u64).to_be_bytes());
                hasher.update(b);
            }
        }
    }
    hasher.update(prev_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records checked (all records present, when the chain is intact).
    pub checked: u64,
    /// The first record that does not verify: edited, out of place, or missing.
    pub first_broken: Option<i64>,
    /// What is wrong there.
    pub detail: Option<String>,
}

impl VerifyReport {
    /// Whether the whole chain verified.
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// The chain's bookkeeping row: the newest record and the pruning boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainState {
    /// The newest record's id (0 when none was ever written).
    pub head_id: i64,
    /// The newest record's hash.
    pub head_hash: String,
    /// Every record up to this id was pruned (0 when none was).
    pub pruned_id: i64,
    /// The hash of record `pruned_id`: the `prev_hash` of the oldest remaining one.
    pub pruned_hash: String,
}

/// Reads the chain's bookkeeping row.
pub(crate) fn state(conn: &Connection) -> rusqlite::Result<ChainState> {
    conn.prepare_cached("SELECT head_id, head_hash, pruned_id, pruned_hash FROM chain")?
        .query_row([], |row| {
            Ok(ChainState {
                head_id: row.get(0)?,
                head_hash: row.get(1)?,
                pruned_id: row.get(2)?,
                pruned_hash: row.get(3)?,
            })
        })
}

/// Walks the whole chain in one read transaction. Reports the first record whose content
/// does not match its hash, whose `prev_hash` is not its predecessor's hash, or that is
/// missing (ids are consecutive: a gap, a missing first record after the pruning boundary, or
/// newest records missing below the stored head).
pub(crate) fn verify(conn: &Connection) -> rusqlite::Result<VerifyReport> {
    let tx = conn.unchecked_transaction()?;
    let chain = state(&tx)?;
    let mut expected_id = chain.pruned_id + 1;
    let mut expected_prev = chain.pruned_hash.clone();
    let mut checked = 0_u64;
    let broken = |id: i64, checked: u64, detail: String| VerifyReport {
        checked,
        first_broken: Some(id),
        detail: Some(detail),
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT {CONTENT_COLUMNS}, prev_hash, hash FROM audit ORDER BY id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id = match row.get_ref(0)? {
            ValueRef::Integer(id) => id,
            _ => {
                return Ok(broken(
                    expected_id,
                    checked,
                    "a record has no valid id".into(),
                ))
            }
        };
        if id < expected_id {
            return Ok(broken(
                id,
                checked,
                format!(
                    "record {id} lies before the pruning boundary (record {})",
                    chain.pruned_id
                ),
            ));
        }
        if id > expected_id {
            return Ok(broken(
                expected_id,
                checked,
                format!("record {expected_id} is missing (deleted); the next one is {id}"),
            ));
        }
        let fields: Vec<Field<'_>> = (0..21)
            .map(|i| row.get_ref(i).map(Field::from))
            .collect::<Result<_, _>>()?;
        let prev = Field::from(row.get_ref(21)?);
        let stored = Field::from(row.get_ref(22)?);
        if prev != Field::Text(&expected_prev) {
            return Ok(broken(
                id,
                checked,
                format!("record {id} does not follow the record before it (its prev_hash differs)"),
            ));
        }
        let computed = record_hash(&fields, &expected_prev);
        if stored != Field::Text(&computed) {
            return Ok(broken(
                id,
                checked,
                format!("record {id} was changed after it was written (its content does not match its hash)"),
            ));
        }
        checked += 1;
        expected_id = id + 1;
        expected_prev = computed;
    }
    if expected_id <= chain.head_id {
        return Ok(broken(
            expected_id,
            checked,
            format!(
                "records {expected_id} to {} are missing (deleted from the end of the log)",
                chain.head_id
            ),
        ));
    }
    if expected_id - 1 == chain.head_id && expected_prev != chain.head_hash {
        return Ok(broken(
            chain.head_id,
            checked,
            format!(
                "record {} is not the head the writer last committed",
                chain.head_id
            ),
        ));
    }
    if expected_id - 1 > chain.head_id {
        return Ok(broken(
            chain.head_id + 1,
            checked,
            format!(
                "record {} was added outside livegate's writer",
                chain.head_id + 1
            ),
        ));
    }
    Ok(VerifyReport {
        checked,
        first_broken: None,
        detail: None,
    })
}

impl rusqlite::ToSql for Field<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match *self {
            Field::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Field::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(i)),
            Field::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Field::Other(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}
