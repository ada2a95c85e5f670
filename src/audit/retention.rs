//! Retention: the oldest records go once they are older than the configured days or the
//! database outgrows its size. Records are only ever cut from the old end, and the hash of
//! the last one cut is stored as the pruning boundary, so the remaining chain still verifies.
//! Each step deletes at most [`PRUNE_CHUNK`] records in one transaction.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::chain;
use super::config::Retention;
use super::search;

/// The most records deleted in one transaction.
pub const PRUNE_CHUNK: i64 = 2_000;

const DAY_MS: i64 = 86_400_000;

/// What one pruning step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PruneStep {
    /// Deleted this many; there may be more to delete.
    More(u64),
    /// Deleted this many; within retention now.
    Done(u64),
}

/// Bytes of live data in the database (pages in use, free pages not counted).
pub(crate) fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(u64::try_from((pages - free).max(0) * size).unwrap_or(0))
}

/// Deletes the next chunk of records `retention` no longer keeps, as of `now_ms`.
pub(crate) fn step(
    conn: &mut Connection,
    retention: &Retention,
    now_ms: i64,
) -> rusqlite::Result<PruneStep> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some((oldest, newest)) = tx.query_row("SELECT min(id), max(id) FROM audit", [], |r| {
        Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
    })?
    else {
        return Ok(PruneStep::Done(0));
    };
    let mut cut = oldest - 1;
    if let Some(days) = retention.days {
        let cutoff = now_ms.saturating_sub(i64::from(days) * DAY_MS);
        // The expired prefix in id order: a record with a later time stops the cut there,
        // so what remains is always one unbroken run of the chain.
        let mut stmt = tx.prepare_cached("SELECT id, time_ms FROM audit ORDER BY id LIMIT ?1")?;
        let mut rows = stmt.query([PRUNE_CHUNK])?;
        while let Some(row) = rows.next()? {
            let (id, time_ms): (i64, i64) = (row.get(0)?, row.get(1)?);
            if time_ms >= cutoff {
                break;
            }
            cut = id;
        }
    }
    if let Some(max_mb) = retention.max_mb {
        let used = used_bytes(&tx)?;
        let limit = max_mb.saturating_mul(1024 * 1024);
        if used > limit {
            let rows = u64::try_from(newest - oldest + 1).unwrap_or(1).max(1);
            let per_row = (used / rows).max(1);
            let excess = i64::try_from((used - limit) / per_row + 1).unwrap_or(PRUNE_CHUNK);
            cut = cut.max(oldest - 1 + excess.clamp(1, PRUNE_CHUNK));
        }
    }
    let cut = cut.min(newest).min(oldest - 1 + PRUNE_CHUNK);
    if cut < oldest {
        return Ok(PruneStep::Done(0));
    }
    let hash: Option<String> = tx
        .query_row("SELECT hash FROM audit WHERE id = ?1", [cut], |r| r.get(0))
        .optional()?;
    let state = chain::state(&tx)?;
    // A record missing at the cut (only after tampering): keep the old boundary rather than
    // invent one, so verify still reports the damage.
    let (pruned_id, pruned_hash) = match hash {
        Some(hash) => (cut, hash),
        None => (state.pruned_id, state.pruned_hash),
    };
    tx.execute(
        "UPDATE chain SET pruned_id = ?1, pruned_hash = ?2",
        params![pruned_id, pruned_hash],
    )?;
    search::forget_through(&tx, cut)?;
    let deleted = tx.execute("DELETE FROM audit WHERE id <= ?1", [cut])?;
    tx.commit()?;
    conn.execute_batch("PRAGMA incremental_vacuum")?;
    Ok(if deleted > 0 {
        PruneStep::More(deleted as u64)
    } else {
        PruneStep::Done(0)
    })
}
