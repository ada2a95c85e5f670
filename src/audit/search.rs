//! Free-text search. Each record's words (kind, tool, grant, session, client, upstream,
//! category, decision, rule, reason, approval, outcome, summary, arguments, event detail)
//! go into an FTS5 word index, but not while the call waits: the writer indexes records in
//! bulk when it has nothing else to do (or, under a long burst, once too many wait), which
//! costs a fraction of indexing each row as it is inserted. `search.indexed_id` says how far
//! the index reaches; a query checks the few records past it one by one with the same rules,
//! so results never depend on how far indexing got.
//!
//! The rules: the text is split into words at every character that is not a letter or
//! digit, and a record matches when each of those words starts one of its words, ignoring
//! case (`set_tempo` finds records with the words `set` and `tempo`; `temp` finds `tempo`).

use rusqlite::{params, Connection, TransactionBehavior};

use super::record::Record;

/// The text indexed for a record, as SQL over the `audit` columns. [`Text::matches`] reads
/// the same fields in the same way.
pub(crate) const BODY_SQL: &str = "concat_ws(' ', kind, tool, grant_name, session, \
     client_name, upstream, category, decision, rule, reason, approval_via, outcome, summary, \
     args, detail)";

/// The most records indexed in one transaction while appends may be waiting.
pub const INDEX_CHUNK: i64 = 512;

/// How many unindexed records make the writer index even while appends keep coming.
pub const INDEX_BACKLOG_MAX: i64 = 8192;

/// Parsed free text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    /// Its words, lowercase.
    words: Vec<String>,
}

impl Text {
    /// The words of `text`; `None` when it has none (no letter or digit).
    pub fn parse(text: &str) -> Option<Self> {
        let words = words(text);
        (!words.is_empty()).then_some(Self { words })
    }

    /// The FTS5 query: every word as a prefix, all required (`"set"* AND "tempo"*`).
    pub fn fts_expression(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// Whether `record` matches, by the same rules as the index.
    pub fn matches(&self, record: &Record) -> bool {
        let mut body = Vec::new();
        let mut push = |text: Option<&str>| {
            if let Some(text) = text {
                body.extend(words(text));
            }
        };
        push(Some(&record.kind));
        push(record.tool.as_deref());
        push(record.grant.as_deref());
        push(record.session.as_deref());
        push(record.client.as_ref().map(|c| c.name.as_str()));
        push(record.upstream.as_deref());
        push(record.category.as_deref());
        push(record.decision.map(|d| d.as_str()));
        push(record.rule.as_deref());
        push(record.reason.as_deref());
        push(record.approval.as_ref().map(|a| a.via.as_str()));
        push(record.outcome.map(|o| o.as_str()));
        push(record.summary.as_deref());
        push(record.args.as_ref().map(|a| a.to_string()).as_deref());
        push(record.detail.as_ref().map(|d| d.to_string()).as_deref());
        self.words
            .iter()
            .all(|w| body.iter().any(|b| b.starts_with(w.as_str())))
    }
}

/// The lowercase runs of letters and digits in `text` (as FTS5's `unicode61` tokenizer,
/// without removing diacritics, splits it).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The id of the newest record in the word index (every record up to it is indexed).
pub(crate) fn indexed_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT indexed_id FROM search")?
        .query_row([], |r| r.get(0))
}

/// Indexes up to `max` records past the index's end in one write transaction; returns how
/// many were indexed (0: the index is complete).
pub(crate) fn index_step(conn: &mut Connection, max: i64) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read inside the write lock: another process may have indexed meanwhile.
    let from = indexed_id(&tx)?;
    let to: Option<i64> = tx
        .prepare_cached(
            "SELECT max(id) FROM (SELECT id FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2)",
        )?
        .query_row(params![from, max], |r| r.get(0))?;
    let Some(to) = to else {
        return Ok(0);
    };
    let indexed = tx
        .prepare_cached(&format!(
            "INSERT INTO audit_fts(rowid, body) SELECT id, {BODY_SQL} FROM audit \
             WHERE id > ?1 AND id <= ?2"
        ))?
        .execute(params![from, to])?;
    tx.prepare_cached("UPDATE search SET indexed_id = ?1")?
        .execute([to])?;
    tx.commit()?;
    Ok(i64::try_from(indexed).unwrap_or(i64::MAX))
}

/// Removes records up to `cut` from the index, inside the caller's (pruning) transaction.
pub(crate) fn forget_through(conn: &Connection, cut: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM audit_fts WHERE rowid <= ?1")?
        .execute([cut])?;
    conn.prepare_cached("UPDATE search SET indexed_id = max(indexed_id, ?1)")?
        .execute([cut])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_anything_not_a_letter_or_digit() {
        assert_eq!(words("Set_Tempo(120)"), ["set", "tempo", "120"]);
        assert_eq!(words("  Café-Müller "), ["café", "müller"]);
        assert!(words("{} -- ").is_empty());
        assert_eq!(Text::parse("{}"), None);
    }

    #[test]
    fn fts_expression_requires_every_word_as_a_prefix() {
        let text = Text::parse("set_tempo \"120\"").expect("words");
        assert_eq!(
            text.fts_expression(),
            "\"set\"* AND \"tempo\"* AND \"120\"*"
        );
    }
}
