//! What is recorded: the [`Entry`] a caller appends (a tool call or an admin event) and the
//! [`Record`] read back, plus the one column layout both are stored in.

use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chain::Field;
use super::redact::Redactor;

/// Something to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Calls are by far the common entry and are moved once into `append`; boxing them would
// add an allocation to every call to save a little on the rare event.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// A tool call, whatever was decided.
    Call(CallEntry),
    /// An admin event: policy reload, pause, resume, grant or pin change.
    Event(EventEntry),
}

/// One tool call as the gateway saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEntry {
    /// When the call arrived, epoch milliseconds.
    pub time_ms: i64,
    /// The agent credential (grant) that made it.
    pub grant: Option<String>,
    /// The MCP session, where there is one.
    pub session: Option<String>,
    /// The client's name and version from its handshake.
    pub client: Option<ClientInfo>,
    /// The upstream that owns the tool.
    pub upstream: Option<String>,
    /// The tool as the agent named it.
    pub tool: String,
    /// The tool's category (`read`, `write`, `execute`, `destructive`, `financial`).
    pub category: Option<String>,
    /// The arguments, raw: secrets are redacted by the log before they are stored.
    pub args: Value,
    /// What the policy (and the human, where asked) decided.
    pub decision: Decision,
    /// The rule that decided.
    pub rule: Option<String>,
    /// Why (for denials and approvals).
    pub reason: Option<String>,
    /// The human's answer, when the rule asked.
    pub approval: Option<ApprovalInfo>,
    /// How the call went; `None` when it did not run.
    pub outcome: Option<Outcome>,
    /// Time from arrival to reply, microseconds.
    pub latency_us: Option<i64>,
    /// A short summary of the result (see [`summarize_result`](super::summarize_result)).
    pub summary: Option<String>,
}

/// What was decided about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// It went ahead.
    Allow,
    /// It was refused (by a rule, the human, or a timeout).
    Deny,
    /// It was refused because a limit was full.
    RateLimited,
}

impl Decision {
    /// `allow`, `deny` or `rate_limited`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::RateLimited => "rate_limited",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Decision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "allow" => Ok(Decision::Allow),
            "deny" => Ok(Decision::Deny),
            "rate_limited" => Ok(Decision::RateLimited),
            other => Err(format!(
                "unknown decision {other:?}: expected allow, deny or rate_limited"
            )),
        }
    }
}

/// How a call that ran went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The tool answered with a result.
    Ok,
    /// The tool answered with an error result (`isError`).
    ToolError,
    /// The upstream failed (unreachable, timed out, protocol error).
    UpstreamError,
}

impl Outcome {
    /// `ok`, `tool_error` or `upstream_error`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::UpstreamError => "upstream_error",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "ok" => Ok(Outcome::Ok),
            "tool_error" => Ok(Outcome::ToolError),
            "upstream_error" => Ok(Outcome::UpstreamError),
            other => Err(format!(
                "unknown outcome {other:?}: expected ok, tool_error or upstream_error"
            )),
        }
    }
}

/// The MCP client's name and version (`clientInfo` from `initialize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// `clientInfo.name`.
    pub name: String,
    /// `clientInfo.version`.
    pub version: Option<String>,
}

impl From<crate::mcp::gateway::ClientInfo> for ClientInfo {
    fn from(client: crate::mcp::gateway::ClientInfo) -> Self {
        Self {
            name: client.name,
            version: client.version,
        }
    }
}

impl From<&crate::mcp::gateway::ClientInfo> for ClientInfo {
    fn from(client: &crate::mcp::gateway::ClientInfo) -> Self {
        client.clone().into()
    }
}

/// How an approval was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalInfo {
    /// The approval's id.
    pub id: String,
    /// `notification`, `ui`, `cli`, `api`, `timeout` or `remembered`.
    pub via: String,
    /// When it was answered, epoch milliseconds.
    pub at_ms: i64,
}

/// An admin event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    /// When it happened, epoch milliseconds.
    pub time_ms: i64,
    /// `policy_reload`, `policy_rejected`, `pause`, `resume`, `grants_changed`,
    /// `grant_added`, `grant_revoked`, `pin_changed`, `pin_accepted`, …
    pub kind: String,
    /// What happened, in one line.
    pub summary: String,
    /// Its data (e.g. the policy's validation errors); `null` when there is none.
    pub detail: Value,
}

impl EventEntry {
    /// An event that happens now.
    pub fn now(kind: &str, summary: impl Into<String>, detail: Value) -> Self {
        Self {
            time_ms: chrono::Utc::now().timestamp_millis(),
            kind: kind.to_string(),
            summary: summary.into(),
            detail,
        }
    }
}

/// A committed record, as queries, exports and subscribers see it (JSON shape: the admin
/// API's "Record (audit)"). Call fields are `None` for events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Its id: consecutive, increasing in commit order.
    pub id: i64,
    /// When it happened, epoch milliseconds.
    pub time_ms: i64,
    /// `call`, or the admin event's kind.
    pub kind: String,
    /// The grant that made the call.
    pub grant: Option<String>,
    /// The MCP session.
    pub session: Option<String>,
    /// The MCP client.
    pub client: Option<ClientInfo>,
    /// The upstream that owns the tool.
    pub upstream: Option<String>,
    /// The tool.
    pub tool: Option<String>,
    /// The tool's category.
    pub category: Option<String>,
    /// The arguments, secrets redacted.
    pub args: Option<Value>,
    /// What was decided (calls only).
    pub decision: Option<Decision>,
    /// The deciding rule.
    pub rule: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The human's answer.
    pub approval: Option<ApprovalInfo>,
    /// How it went; `None` when it did not run (and for events).
    pub outcome: Option<Outcome>,
    /// Time from arrival to reply, microseconds.
    pub latency_us: Option<i64>,
    /// The result's summary, or what the event did.
    pub summary: Option<String>,
    /// An event's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    /// Lowercase hex SHA-256 of this record's content and `prev_hash`.
    pub hash: String,
    /// The previous record's `hash` (64 zeros for the first record ever).
    pub prev_hash: String,
}

/// The kind of every tool call record.
pub const KIND_CALL: &str = "call";

/// The columns of the `audit` table that a record's hash covers, in hash order.
pub(crate) const CONTENT_COLUMNS: &str = "id, time_ms, kind, grant_name, session, client_name, \
     client_version, upstream, tool, category, args, decision, rule, reason, approval_id, \
     approval_via, approval_at_ms, outcome, latency_us, summary, detail";

/// Every column of a record, as `SELECT`ed by queries.
pub(crate) const ALL_COLUMNS: &str = "id, time_ms, kind, grant_name, session, client_name, \
     client_version, upstream, tool, category, args, decision, rule, reason, approval_id, \
     approval_via, approval_at_ms, outcome, latency_us, summary, detail, hash, prev_hash";

/// An entry ready to be written: redacted, its JSON serialized, waiting for its id and hash
/// (which only the writer knows).
#[derive(Debug)]
pub(crate) struct Pending {
    pub time_ms: i64,
    pub kind: String,
    pub grant: Option<String>,
    pub session: Option<String>,
    pub client: Option<ClientInfo>,
    pub upstream: Option<String>,
    pub tool: Option<String>,
    pub category: Option<String>,
    pub args: Option<(Value, String)>,
    pub decision: Option<Decision>,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub approval: Option<ApprovalInfo>,
    pub outcome: Option<Outcome>,
    pub latency_us: Option<i64>,
    pub summary: Option<String>,
    pub detail: Option<(Value, String)>,
}

impl Pending {
    /// Redacts the entry's arguments and serializes its JSON (in the caller's thread, so the
    /// writer thread only writes).
    pub fn new(entry: Entry, redactor: &Redactor) -> Self {
        match entry {
            Entry::Call(call) => {
                let mut args = call.args;
                redactor.redact(&mut args);
                let text = args.to_string();
                Self {
                    time_ms: call.time_ms,
                    kind: KIND_CALL.to_string(),
                    grant: call.grant,
                    session: call.session,
                    client: call.client,
                    upstream: call.upstream,
                    tool: Some(call.tool),
                    category: call.category,
                    args: Some((args, text)),
                    decision: Some(call.decision),
                    rule: call.rule,
                    reason: call.reason,
                    approval: call.approval,
                    outcome: call.outcome,
                    latency_us: call.latency_us,
                    summary: call.summary.filter(|s| !s.is_empty()),
                    detail: None,
                }
            }
            Entry::Event(event) => {
                // Event details come from livegate itself, but redact them too: a reload error
                // may quote a policy line, a settings change may carry a header.
                let mut detail = event.detail;
                redactor.redact(&mut detail);
                let text = detail.to_string();
                Self {
                    time_ms: event.time_ms,
                    kind: event.kind,
                    grant: None,
                    session: None,
                    client: None,
                    upstream: None,
                    tool: None,
                    category: None,
                    args: None,
                    decision: None,
                    rule: None,
                    reason: None,
                    approval: None,
                    outcome: None,
                    latency_us: None,
                    summary: Some(event.summary),
                    detail: Some((detail, text)),
                }
            }
        }
    }

    /// The stored values of [`CONTENT_COLUMNS`] for this entry under `id`.
    pub fn fields(&self, id: i64) -> [Field<'_>; 21] {
        fn text(v: &Option<String>) -> Field<'_> {
            Field::from(v.as_deref())
        }
        fn json(v: &Option<(Value, String)>) -> Field<'_> {
            Field::from(v.as_ref().map(|(_, t)| t.as_str()))
        }
        [
            Field::Int(id),
            Field::Int(self.time_ms),
            Field::Text(&self.kind),
            text(&self.grant),
            text(&self.session),
            Field::from(self.client.as_ref().map(|c| c.name.as_str())),
            Field::from(self.client.as_ref().and_then(|c| c.version.as_deref())),
            text(&self.upstream),
            text(&self.tool),
            text(&self.category),
            json(&self.args),
            Field::from(self.decision.map(Decision::as_str)),
            text(&self.rule),
            text(&self.reason),
            Field::from(self.approval.as_ref().map(|a| a.id.as_str())),
            Field::from(self.approval.as_ref().map(|a| a.via.as_str())),
            self.approval
                .as_ref()
                .map_or(Field::Null, |a| Field::Int(a.at_ms)),
            Field::from(self.outcome.map(Outcome::as_str)),
            self.latency_us.map_or(Field::Null, Field::Int),
            text(&self.summary),
            json(&self.detail),
        ]
    }

    /// The record this entry became.
    pub fn into_record(self, id: i64, hash: String, prev_hash: String) -> Record {
        Record {
            id,
            time_ms: self.time_ms,
            kind: self.kind,
            grant: self.grant,
            session: self.session,
            client: self.client,
            upstream: self.upstream,
            tool: self.tool,
            category: self.category,
            args: self.args.map(|(v, _)| v),
            decision: self.decision,
            rule: self.rule,
            reason: self.reason,
            approval: self.approval,
            outcome: self.outcome,
            latency_us: self.latency_us,
            summary: self.summary,
            detail: self.detail.map(|(v, _)| v),
            hash,
            prev_hash,
        }
    }
}

impl Record {
    /// Reads a record from a row selected with [`ALL_COLUMNS`]. Values of an unexpected
    /// type (only after someone edited the file by hand; `verify` reports such a record) are
    /// read as best they can be instead of failing the whole page.
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let text = |i: usize| -> rusqlite::Result<Option<String>> { Ok(as_text(row.get_ref(i)?)) };
        let int = |i: usize| -> rusqlite::Result<Option<i64>> { Ok(as_int(row.get_ref(i)?)) };
        let json = |i: usize| -> rusqlite::Result<Option<Value>> {
            Ok(text(i)?.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t))))
        };
        let client_version = text(6)?;
        let approval_via = text(15)?;
        let approval_at = int(16)?;
        Ok(Self {
            id: int(0)?.unwrap_or_default(),
            time_ms: int(1)?.unwrap_or_default(),
            kind: text(2)?.unwrap_or_default(),
            grant: text(3)?,
            session: text(4)?,
            client: text(5)?.map(|name| ClientInfo {
                name,
                version: client_version,
            }),
            upstream: text(7)?,
            tool: text(8)?,
            category: text(9)?,
            args: json(10)?,
            decision: text(11)?.and_then(|d| lenient(d.parse(), "decision")),
            rule: text(12)?,
            reason: text(13)?,
            approval: text(14)?.map(|id| ApprovalInfo {
                id,
                via: approval_via.unwrap_or_default(),
                at_ms: approval_at.unwrap_or_default(),
            }),
            outcome: text(17)?.and_then(|o| lenient(o.parse(), "outcome")),
            latency_us: int(18)?,
            summary: text(19)?,
            detail: json(20)?,
            hash: text(21)?.unwrap_or_default(),
            prev_hash: text(22)?.unwrap_or_default(),
        })
    }
}

/// A column's value as text: text as is, numbers written out, blobs as lossy UTF-8.
fn as_text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A column's value as an integer, when it is one (or text holding one).
fn as_int(value: ValueRef<'_>) -> Option<i64> {
    match value {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(r) => Some(r as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        ValueRef::Null | ValueRef::Blob(_) => None,
    }
}

/// A stored value that does not parse (only after someone edited the file; `verify` reports
/// the record) is shown as none rather than failing the whole page.
fn lenient<T>(parsed: Result<T, String>, column: &str) -> Option<T> {
    parsed
        .map_err(|e| tracing::warn!(column, error = %e, "audit record holds a value livegate did not write"))
        .ok()
}
