//! Running queries on a read connection, each in one read transaction (one consistent
//! snapshot, however many statements it takes). Word searches read two parts: the records
//! the word index covers (through the index) and the few newer ones it does not cover yet
//! (checked one by one with the same rules, see `search.rs`).

use std::path::Path;

use rusqlite::{params_from_iter, Connection, Transaction};

use super::error::AuditError;
use super::query::{self, Cursor, Direction, Ids, Page, Query, Sql};
use super::record::Record;
use super::search::{self, Text};

/// One page of records, newest first.
pub(crate) fn page(conn: &mut Connection, path: &Path, q: &Query) -> Result<Page, AuditError> {
    let limit = q.page_limit();
    let cursor = match q.cursor.as_deref().map(str::trim) {
        Some(cursor) if !cursor.is_empty() => Some(Cursor::decode(cursor)?),
        _ => None,
    };
    let tx = begin(conn, path)?;
    let mut records = Vec::with_capacity(limit + 1);
    match query::text(q) {
        None => {
            each(&tx, path, &query::page(q, cursor, limit + 1), |r| {
                records.push(r);
                Ok(true)
            })?;
        }
        Some(text) => {
            let ids = Ids {
                above: 0,
                below: cursor.map_or(i64::MAX, |c| c.id),
            };
            scan_words(&tx, path, q, &text, ids, Direction::Desc, |r| {
                records.push(r);
                Ok(records.len() <= limit)
            })?;
        }
    }
    let next_cursor = if records.len() > limit {
        records.truncate(limit);
        records.last().map(|r| Cursor::after(r).encode())
    } else {
        None
    };
    Ok(Page {
        records,
        next_cursor,
    })
}

/// Up to `limit` records matching `q` committed after record `id`, oldest first.
pub(crate) fn after(
    conn: &mut Connection,
    path: &Path,
    q: &Query,
    id: i64,
    limit: usize,
) -> Result<Vec<Record>, AuditError> {
    let tx = begin(conn, path)?;
    let ids = Ids {
        above: id,
        below: i64::MAX,
    };
    let mut records = Vec::new();
    if limit == 0 {
        return Ok(records);
    }
    match query::text(q) {
        None => each(
            &tx,
            path,
            &query::by_id(q, ids, Direction::Asc, Some(limit)),
            |r| {
                records.push(r);
                Ok(true)
            },
        )?,
        Some(text) => scan_words(&tx, path, q, &text, ids, Direction::Asc, |r| {
            records.push(r);
            Ok(records.len() < limit)
        })?,
    }
    Ok(records)
}

/// How many records match `q`.
pub(crate) fn count(conn: &mut Connection, path: &Path, q: &Query) -> Result<u64, AuditError> {
    let tx = begin(conn, path)?;
    let count_of = |sql: &Sql| -> Result<u64, AuditError> {
        let n: i64 = tx
            .prepare_cached(&sql.sql)
            .and_then(|mut s| s.query_row(params_from_iter(&sql.params), |r| r.get(0)))
            .map_err(|e| AuditError::read(path, &e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    match query::text(q) {
        None => count_of(&query::count(q)),
        Some(text) => {
            let indexed = search::indexed_id(&tx).map_err(|e| AuditError::read(path, &e))?;
            let covered = Ids {
                above: 0,
                below: indexed.saturating_add(1),
            };
            let mut n = count_of(&query::count_words(q, &text, covered))?;
            let rest = Ids {
                above: indexed,
                below: i64::MAX,
            };
            each(
                &tx,
                path,
                &query::by_id(q, rest, Direction::Asc, None),
                |r| {
                    n += u64::from(text.matches(&r));
                    Ok(true)
                },
            )?;
            Ok(n)
        }
    }
}

/// Visits every record matching `q`, oldest first, until `visit` fails.
pub(crate) fn each_oldest_first(
    conn: &mut Connection,
    path: &Path,
    q: &Query,
    mut visit: impl FnMut(Record) -> Result<(), AuditError>,
) -> Result<(), AuditError> {
    let tx = begin(conn, path)?;
    match query::text(q) {
        None => each(&tx, path, &query::all_oldest_first(q), |r| {
            visit(r).map(|()| true)
        }),
        Some(text) => scan_words(&tx, path, q, &text, Ids::ALL, Direction::Asc, |r| {
            visit(r).map(|()| true)
        }),
    }
}

/// The statements a page of `q` runs, each with SQLite's plan for it (`EXPLAIN QUERY PLAN`,
/// one line per step).
pub(crate) fn plans(
    conn: &mut Connection,
    path: &Path,
    q: &Query,
) -> Result<Vec<(String, Vec<String>)>, AuditError> {
    let limit = q.page_limit() + 1;
    let cursor = match q.cursor.as_deref().map(str::trim) {
        Some(cursor) if !cursor.is_empty() => Some(Cursor::decode(cursor)?),
        _ => None,
    };
    let statements = match query::text(q) {
        None => vec![query::page(q, cursor, limit)],
        Some(text) => {
            let tx = begin(conn, path)?;
            let indexed = search::indexed_id(&tx).map_err(|e| AuditError::read(path, &e))?;
            let below = cursor.map_or(i64::MAX, |c| c.id);
            vec![
                query::by_id(
                    q,
                    Ids {
                        above: indexed,
                        below,
                    },
                    Direction::Desc,
                    None,
                ),
                query::by_words(
                    q,
                    &text,
                    Ids {
                        above: 0,
                        below: below.min(indexed.saturating_add(1)),
                    },
                    Direction::Desc,
                ),
            ]
        }
    };
    let err = |e: rusqlite::Error| AuditError::read(path, &e);
    statements
        .into_iter()
        .map(|sql| {
            let mut stmt = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.sql))
                .map_err(err)?;
            let steps = stmt
                .query_map(params_from_iter(&sql.params), |r| r.get::<_, String>(3))
                .map_err(err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            Ok((sql.sql, steps))
        })
        .collect()
}

/// A read transaction: every statement in it sees the same snapshot.
fn begin<'c>(conn: &'c mut Connection, path: &Path) -> Result<Transaction<'c>, AuditError> {
    conn.transaction().map_err(|e| AuditError::read(path, &e))
}

/// Runs a statement that selects every column and hands each record to `visit` until it
/// returns `false`.
fn each(
    conn: &Connection,
    path: &Path,
    sql: &Sql,
    mut visit: impl FnMut(Record) -> Result<bool, AuditError>,
) -> Result<(), AuditError> {
    let err = |e: rusqlite::Error| AuditError::read(path, &e);
    let mut stmt = conn.prepare_cached(&sql.sql).map_err(err)?;
    let mut rows = stmt.query(params_from_iter(&sql.params)).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        if !visit(Record::from_row(row).map_err(err)?)? {
            break;
        }
    }
    Ok(())
}

/// Hands the records matching `q` and `text` with ids in `ids` to `visit`, by id in
/// `direction`, until it returns `false`: the indexed part through the word index, the part
/// past it checked one by one.
fn scan_words(
    tx: &Connection,
    path: &Path,
    q: &Query,
    text: &Text,
    ids: Ids,
    direction: Direction,
    mut visit: impl FnMut(Record) -> Result<bool, AuditError>,
) -> Result<(), AuditError> {
    let indexed = search::indexed_id(tx).map_err(|e| AuditError::read(path, &e))?;
    let covered = Ids {
        above: ids.above,
        below: ids.below.min(indexed.saturating_add(1)),
    };
    let rest = Ids {
        above: ids.above.max(indexed),
        below: ids.below,
    };
    let parts = match direction {
        Direction::Desc => [(rest, false), (covered, true)],
        Direction::Asc => [(covered, true), (rest, false)],
    };
    let mut going = true;
    for (part, by_index) in parts {
        if !going || part.is_empty() {
            continue;
        }
        if by_index {
            each(tx, path, &query::by_words(q, text, part, direction), |r| {
                going = visit(r)?;
                Ok(going)
            })?;
        } else {
            each(tx, path, &query::by_id(q, part, direction, None), |r| {
                if text.matches(&r) {
                    going = visit(r)?;
                }
                Ok(going)
            })?;
        }
    }
    Ok(())
}
