//! Finding records: filters and keyset pagination (the statements; `read.rs` runs them).
//! A page's cursor holds the time and id of its last record, so the next page is a range
//! scan of an index that starts right there, however deep, and records appended meanwhile
//! never shift a page (they sort before it).
//!
//! Order: newest first by time, then id. Free-text queries (see `search.rs`) come in commit
//! order (id) instead, which differs only where a call that arrived earlier was committed
//! later (e.g. it waited for an approval).

use base64::Engine;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Deserializer, Serialize};

use super::error::AuditError;
use super::record::{Decision, Record, ALL_COLUMNS};
use super::search::Text;

/// The page size when a query does not say.
pub const DEFAULT_LIMIT: usize = 100;

/// The largest page.
pub const MAX_LIMIT: usize = 1000;

/// Which records to find. Every filter is optional; all given ones must match. In query
/// strings (the admin API) the names are `from`, `to`, `tool`, `grant`, `decision`,
/// `upstream`, `kind`, `q` (or `text`), `cursor` and `limit`; times are epoch milliseconds,
/// RFC 3339, `now`, or relative (`15m`, `2h`, `7d`: that long ago).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    /// Records at or after this time, epoch milliseconds.
    #[serde(rename = "from", alias = "from_ms", deserialize_with = "de_time")]
    pub from_ms: Option<i64>,
    /// Records before this time (exclusive), epoch milliseconds.
    #[serde(rename = "to", alias = "to_ms", deserialize_with = "de_time")]
    pub to_ms: Option<i64>,
    /// Exactly this tool.
    pub tool: Option<String>,
    /// Exactly this grant.
    pub grant: Option<String>,
    /// Exactly this decision.
    #[serde(deserialize_with = "de_decision")]
    pub decision: Option<Decision>,
    /// Exactly this upstream.
    pub upstream: Option<String>,
    /// Exactly this kind (`call` or an admin event's kind).
    pub kind: Option<String>,
    /// Free text (see the module documentation).
    #[serde(alias = "q")]
    pub text: Option<String>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
    /// Page size: 0 means [`DEFAULT_LIMIT`]; at most [`MAX_LIMIT`]. Exports ignore it.
    #[serde(deserialize_with = "de_limit")]
    pub limit: usize,
}

/// One page of records, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The records.
    pub records: Vec<Record>,
    /// The cursor for the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Query {
    /// Parses a time, relative to the wall clock: see [`Query::parse_time_at`].
    pub fn parse_time(text: &str) -> Result<i64, AuditError> {
        Self::parse_time_at(text, chrono::Utc::now().timestamp_millis())
    }

    /// Parses a time: epoch milliseconds (`1764000000000`), an RFC 3339 time
    /// (`2025-11-24T16:00:00Z`, `2025-11-24T17:00:00+01:00`), a date (`2025-11-24`, UTC
    /// midnight), `now`, or a span before `now_ms`: a number and a unit `s`, `m`, `h`, `d` or
    /// `w` (`15m`, `2h`, `7d`; `-15m` and `15m ago` mean the same).
    pub fn parse_time_at(text: &str, now_ms: i64) -> Result<i64, AuditError> {
        let text = text.trim();
        if let Ok(ms) = text.parse::<i64>() {
            return Ok(ms);
        }
        if text.eq_ignore_ascii_case("now") {
            return Ok(now_ms);
        }
        if let Some(span) = relative_ms(text) {
            return Ok(now_ms.saturating_sub(span));
        }
        if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
            return Ok(time.timestamp_millis());
        }
        if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            if let Some(midnight) = date.and_hms_opt(0, 0, 0) {
                return Ok(midnight.and_utc().timestamp_millis());
            }
        }
        Err(AuditError::BadTime(text.to_string()))
    }

    /// The page size this query asks for.
    pub fn page_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }
}

/// `15m`, `-2h`, `7d ago`: the span in milliseconds.
fn relative_ms(text: &str) -> Option<i64> {
    let text = text.strip_suffix("ago").unwrap_or(text).trim();
    let text = text.strip_prefix('-').unwrap_or(text).trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit_ms: i64 = match unit.trim() {
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 604_800_000,
        _ => return None,
    };
    number.checked_mul(unit_ms)
}

/// Where a page ends: the last record's time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub time_ms: i64,
    pub id: i64,
}

impl Cursor {
    /// The cursor that continues after `record`.
    pub fn after(record: &Record) -> Self {
        Self {
            time_ms: record.time_ms,
            id: record.id,
        }
    }

    /// The opaque text handed out as `next_cursor`.
    pub fn encode(self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("v1:{}:{}", self.time_ms, self.id))
    }

    /// Reads a cursor handed out by [`Cursor::encode`].
    pub fn decode(cursor: &str) -> Result<Self, AuditError> {
        let bad = || AuditError::BadCursor(cursor.to_string());
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .map_err(|_| bad())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        let rest = text.strip_prefix("v1:").ok_or_else(bad)?;
        let (time, id) = rest.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            time_ms: time.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// Which way records are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Newest (or highest id) first.
    Desc,
    /// Oldest (or lowest id) first.
    Asc,
}

impl Direction {
    fn sql(self) -> &'static str {
        match self {
            Direction::Desc => "DESC",
            Direction::Asc => "ASC",
        }
    }
}

/// Records with ids strictly between two bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ids {
    /// Every id is above this.
    pub above: i64,
    /// Every id is below this.
    pub below: i64,
}

impl Ids {
    /// Every id.
    pub const ALL: Ids = Ids {
        above: 0,
        below: i64::MAX,
    };

    /// Whether no id fits.
    pub fn is_empty(self) -> bool {
        self.above.saturating_add(1) >= self.below
    }
}

/// The free text of a query: indexed words, or (text without any word) a substring.
pub(crate) fn text(query: &Query) -> Option<Text> {
    Text::parse(query.text.as_deref().unwrap_or_default())
}

/// A page of records matching `query` (without word search), newest first by time then
/// id, after `cursor`.
pub(crate) fn page(query: &Query, cursor: Option<Cursor>, limit: usize) -> Sql {
    let mut filter = Filter::new(query, false);
    if let Some(cursor) = cursor {
        // The first condition bounds the index range; the second sorts out the records of
        // the cursor's own millisecond.
        filter.push("audit.time_ms <= ?", SqlValue::Integer(cursor.time_ms));
        filter
            .conditions
            .push("(audit.time_ms < ? OR audit.id < ?)".into());
        filter.params.push(SqlValue::Integer(cursor.time_ms));
        filter.params.push(SqlValue::Integer(cursor.id));
    }
    filter.select("audit", "audit.time_ms DESC, audit.id DESC", Some(limit))
}

/// All records matching `query` (without word search), oldest first by time then id.
pub(crate) fn all_oldest_first(query: &Query) -> Sql {
    Filter::new(query, false).select("audit", "audit.time_ms ASC, audit.id ASC", None)
}

/// Records matching `query` (without word search) with ids in `ids`, by id. The filters do
/// not use their indexes, so the id range drives the scan: for ranges known to be short
/// (the records past the word index, the newest records of a log being followed).
pub(crate) fn by_id(query: &Query, ids: Ids, direction: Direction, limit: Option<usize>) -> Sql {
    let mut filter = Filter::new(query, true);
    filter.push_ids("audit.id", ids);
    filter.select("audit", &format!("audit.id {}", direction.sql()), limit)
}

/// Records matching `query` whose words are in the index and match `text`, with ids in
/// `ids`, by id: the word index drives the scan, the other filters are checked on each match.
pub(crate) fn by_words(query: &Query, text: &Text, ids: Ids, direction: Direction) -> Sql {
    let filter = Filter::words(query, text, ids);
    filter.select(
        "audit_fts CROSS JOIN audit ON audit.id = audit_fts.rowid",
        &format!("audit_fts.rowid {}", direction.sql()),
        None,
    )
}

impl Filter {
    /// The filter of a word search: `text`'s words in the index first (they drive the scan),
    /// then `query`'s other filters, for records with ids in `ids`.
    fn words(query: &Query, text: &Text, ids: Ids) -> Self {
        let mut filter = Filter::new(query, true);
        filter.conditions.insert(0, "audit_fts MATCH ?".to_string());
        filter
            .params
            .insert(0, SqlValue::Text(text.fts_expression()));
        filter.push_ids("audit_fts.rowid", ids);
        filter
    }
}

/// `SELECT count(*)` of the records matching `query` (without word search).
pub(crate) fn count(query: &Query) -> Sql {
    let filter = Filter::new(query, false);
    let mut sql = "SELECT count(*) FROM audit".to_string();
    filter.push_where(&mut sql);
    Sql {
        sql,
        params: filter.params,
    }
}

/// `SELECT count(*)` of the indexed records matching `query` and `text` with ids in `ids`.
pub(crate) fn count_words(query: &Query, text: &Text, ids: Ids) -> Sql {
    let filter = Filter::words(query, text, ids);
    let mut sql =
        "SELECT count(*) FROM audit_fts CROSS JOIN audit ON audit.id = audit_fts.rowid".to_string();
    filter.push_where(&mut sql);
    Sql {
        sql,
        params: filter.params,
    }
}

/// Every column, qualified with the table name (the text search joins another table).
fn qualified_columns() -> String {
    ALL_COLUMNS
        .split(", ")
        .map(|c| format!("audit.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `WHERE` part of a query: its filters other than word search.
struct Filter {
    conditions: Vec<String>,
    params: Vec<SqlValue>,
}

impl Filter {
    /// The filters of `query`. With `no_index`, the filtered columns are written so that
    /// SQLite does not use their indexes (`+column`): another part drives the scan.
    fn new(query: &Query, no_index: bool) -> Self {
        let mut filter = Self {
            conditions: Vec::new(),
            params: Vec::new(),
        };
        let plus = if no_index { "+" } else { "" };
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let equalities = [
            ("audit.tool", given(&query.tool)),
            ("audit.grant_name", given(&query.grant)),
            (
                "audit.decision",
                query.decision.map(|d| d.as_str().to_string()),
            ),
            ("audit.upstream", given(&query.upstream)),
            ("audit.kind", given(&query.kind)),
        ];
        for (column, value) in equalities {
            if let Some(value) = value {
                filter.push(&format!("{plus}{column} = ?"), SqlValue::Text(value));
            }
        }
        if let Some(from) = query.from_ms {
            filter.push(
                &format!("{plus}audit.time_ms >= ?"),
                SqlValue::Integer(from),
            );
        }
        if let Some(to) = query.to_ms {
            filter.push(&format!("{plus}audit.time_ms < ?"), SqlValue::Integer(to));
        }
        let text = query.text.as_deref().map(str::trim).unwrap_or_default();
        if !text.is_empty() && Text::parse(text).is_none() {
            // No word to look up: a substring of the stored text (a scan; rare searches
            // such as `{}`).
            let pattern = format!(
                "%{}%",
                text.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let columns = [
                "tool",
                "grant_name",
                "rule",
                "reason",
                "summary",
                "args",
                "detail",
                "kind",
            ];
            let any = columns
                .iter()
                .map(|c| format!("audit.{c} LIKE ? ESCAPE '\\'"))
                .collect::<Vec<_>>()
                .join(" OR ");
            filter.conditions.push(format!("({any})"));
            filter
                .params
                .extend(columns.iter().map(|_| SqlValue::Text(pattern.clone())));
        }
        filter
    }

    fn push(&mut self, condition: &str, param: SqlValue) {
        self.conditions.push(condition.to_string());
        self.params.push(param);
    }

    fn push_ids(&mut self, column: &str, ids: Ids) {
        if ids.above > 0 {
            self.push(&format!("{column} > ?"), SqlValue::Integer(ids.above));
        }
        if ids.below < i64::MAX {
            self.push(&format!("{column} < ?"), SqlValue::Integer(ids.below));
        }
    }

    fn push_where(&self, sql: &mut String) {
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
    }

    fn select(mut self, from: &str, order: &str, limit: Option<usize>) -> Sql {
        let mut sql = format!("SELECT {} FROM {from}", qualified_columns());
        self.push_where(&mut sql);
        sql.push_str(" ORDER BY ");
        sql.push_str(order);
        if let Some(limit) = limit {
            sql.push_str(" LIMIT ?");
            self.params
                .push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        Sql {
            sql,
            params: self.params,
        }
    }
}

/// Accepts a time as a number or as a string (query strings carry everything as strings).
fn de_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText<i64>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(ms)) => Ok(Some(ms)),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(text)) => Query::parse_time(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// Accepts a decision by name; an empty value means any.
fn de_decision<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decision>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// Accepts a limit as a number or as a string.
fn de_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    match Option::<NumberOrText<usize>>::deserialize(deserializer)? {
        None => Ok(0),
        Some(NumberOrText::Number(n)) => Ok(n),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => Ok(0),
        Some(NumberOrText::Text(text)) => text.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "invalid limit {text:?}: expected a number of records"
            ))
        }),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText<N> {
    Number(N),
    Text(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_form() {
        assert_eq!(
            Query::parse_time("1764000000000").ok(),
            Some(1_764_000_000_000)
        );
        assert_eq!(Query::parse_time(" 0 ").ok(), Some(0));
        assert_eq!(
            Query::parse_time("2025-11-24T16:00:00Z").ok(),
            Some(1_764_000_000_000)
        );
        assert_eq!(
            Query::parse_time("2025-11-24T17:00:00.5+01:00").ok(),
            Some(1_764_000_000_500)
        );
        assert_eq!(
            Query::parse_time("2025-11-24").ok(),
            Some(1_763_942_400_000)
        );
        let now = 1_764_000_000_000;
        assert_eq!(Query::parse_time_at("now", now).ok(), Some(now));
        assert_eq!(Query::parse_time_at("NOW", now).ok(), Some(now));
        assert_eq!(Query::parse_time_at("15m", now).ok(), Some(now - 900_000));
        assert_eq!(Query::parse_time_at("-15m", now).ok(), Some(now - 900_000));
        assert_eq!(
            Query::parse_time_at("15m ago", now).ok(),
            Some(now - 900_000)
        );
        assert_eq!(Query::parse_time_at("2h", now).ok(), Some(now - 7_200_000));
        assert_eq!(
            Query::parse_time_at("7d", now).ok(),
            Some(now - 604_800_000)
        );
        assert_eq!(Query::parse_time_at("30s", now).ok(), Some(now - 30_000));
        assert_eq!(
            Query::parse_time_at("1w", now).ok(),
            Some(now - 604_800_000)
        );
        for bad in [
            "",
            "yesterday",
            "2025-13-01",
            "12:00",
            "15x",
            "m",
            "99999999999999999d",
        ] {
            let e = Query::parse_time_at(bad, now).expect_err(bad);
            assert!(e.to_string().contains("RFC 3339"), "{e}");
        }
    }

    #[test]
    fn deserializes_from_query_string_values() {
        let q: Query = serde_json::from_value(serde_json::json!({
            "from": "2025-11-24T16:00:00Z", "to": 1764000001000_i64, "tool": "set_tempo",
            "q": "tempo", "limit": "50", "cursor": "abc", "format": "csv", "decision": "deny"
        }))
        .expect("query");
        assert_eq!(q.from_ms, Some(1_764_000_000_000));
        assert_eq!(q.to_ms, Some(1_764_000_001_000));
        assert_eq!(q.text.as_deref(), Some("tempo"));
        assert_eq!(q.decision, Some(Decision::Deny));
        assert_eq!((q.limit, q.page_limit()), (50, 50));
        let empty: Query =
            serde_json::from_value(serde_json::json!({"from": "", "limit": "", "decision": ""}))
                .expect("empty values");
        assert_eq!(empty, Query::default());
        assert_eq!(empty.page_limit(), DEFAULT_LIMIT);
        assert!(serde_json::from_value::<Query>(serde_json::json!({"from": "soon"})).is_err());
        assert!(serde_json::from_value::<Query>(serde_json::json!({"limit": "many"})).is_err());
        let e = serde_json::from_value::<Query>(serde_json::json!({"decision": "maybe"}))
            .expect_err("unknown decision");
        assert!(e.to_string().contains("allow, deny or rate_limited"), "{e}");
        let big = Query {
            limit: 1_000_000,
            ..Query::default()
        };
        assert_eq!(big.page_limit(), MAX_LIMIT);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for (time_ms, id) in [
            (0, 0),
            (-5, 1),
            (1_764_000_000_000, 987_654_321),
            (i64::MAX, i64::MAX),
        ] {
            let cursor = Cursor { time_ms, id };
            assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        }
        let b64 = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
        for bad in [
            "".to_string(),
            "!!".into(),
            b64("v1:"),
            b64("v1:5"),
            b64("v1:a:b"),
            b64("v2:1:2"),
            b64("xyz"),
        ] {
            assert!(
                matches!(Cursor::decode(&bad), Err(AuditError::BadCursor(_))),
                "{bad}"
            );
        }
    }
}
