//! Remembered approvals: a yes that lets later calls of the same tool by the same grant pass
//! without asking, for the rest of an MCP session or for some minutes.
//!
//! A remembered approval is keyed by tool and grant (and session, for `session`), not by
//! arguments, as the policy format says; the arguments hash binds only the decision the human
//! was actually asked for. A denial is remembered only when the human asks for it ("deny for
//! this session"): [`SessionRefusals`] then refuses that tool for that grant and session
//! without asking until the session ends.

use crate::policy::Remember;

/// One remembered yes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    tool: String,
    grant: String,
    /// `Some` for a session-long approval: it applies only in this session.
    session: Option<String>,
    /// Epoch milliseconds after which a minutes-long approval no longer applies.
    until_ms: Option<i64>,
}

impl Entry {
    fn live(&self, now_ms: i64) -> bool {
        self.until_ms.is_none_or(|until| now_ms < until)
    }
}

/// The remembered approvals in force.
#[derive(Debug, Default)]
pub(crate) struct Remembered {
    entries: Vec<Entry>,
}

impl Remembered {
    /// Records a yes to `tool` by `grant` (in `session`) under the rule's remember mode.
    ///
    /// `once` records nothing; `session` without an MCP session records nothing either (there
    /// is no session to bind it to, so it fails closed and behaves as `once`).
    pub(crate) fn record(
        &mut self,
        remember: Remember,
        tool: &str,
        grant: &str,
        session: Option<&str>,
        now_ms: i64,
    ) {
        let entry = match remember {
            Remember::Once => return,
            Remember::Session => match session {
                Some(session) => Entry {
                    tool: tool.to_string(),
                    grant: grant.to_string(),
                    session: Some(session.to_string()),
                    until_ms: None,
                },
                None => {
                    tracing::debug!(
                        tool,
                        grant,
                        "remember: session without an MCP session; once"
                    );
                    return;
                }
            },
            Remember::Minutes(n) => Entry {
                tool: tool.to_string(),
                grant: grant.to_string(),
                session: None,
                until_ms: Some(now_ms.saturating_add(i64::from(n).saturating_mul(60_000))),
            },
        };
        self.entries.retain(|e| e.live(now_ms));
        match self
            .entries
            .iter_mut()
            .find(|e| e.tool == entry.tool && e.grant == entry.grant && e.session == entry.session)
        {
            Some(existing) => {
                existing.until_ms = match (existing.until_ms, entry.until_ms) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                }
            }
            None => self.entries.push(entry),
        }
    }

    /// Whether a remembered yes covers `tool` by `grant` in `session` at `now_ms`.
    pub(crate) fn covers(
        &mut self,
        tool: &str,
        grant: &str,
        session: Option<&str>,
        now_ms: i64,
    ) -> bool {
        self.entries.retain(|e| e.live(now_ms));
        self.entries.iter().any(|e| {
            e.tool == tool
                && e.grant == grant
                && (e.session.is_none() || e.session.as_deref() == session)
        })
    }

    /// Forgets the approvals remembered for one MCP session (it ended).
    pub(crate) fn forget_session(&mut self, session: &str) {
        self.entries
            .retain(|e| e.session.as_deref() != Some(session));
    }

    /// Forgets every remembered approval.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// One "deny for this session".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    tool: String,
    grant: String,
    session: String,
    /// What the agent is told.
    text: String,
}

/// Tools the human refused for the rest of an MCP session.
#[derive(Debug, Default)]
pub(crate) struct SessionRefusals {
    entries: Vec<Refusal>,
}

impl SessionRefusals {
    /// Refuses `tool` for `grant` in `session` from now on, telling the agent `text`.
    pub(crate) fn record(&mut self, tool: &str, grant: &str, session: &str, text: String) {
        self.entries
            .retain(|r| !(r.tool == tool && r.grant == grant && r.session == session));
        self.entries.push(Refusal {
            tool: tool.to_string(),
            grant: grant.to_string(),
            session: session.to_string(),
            text,
        });
    }

    /// The text to refuse `tool` by `grant` in `session` with, if it was refused there.
    pub(crate) fn refusal(&self, tool: &str, grant: &str, session: Option<&str>) -> Option<&str> {
        let session = session?;
        self.entries
            .iter()
            .find(|r| r.tool == tool && r.grant == grant && r.session == session)
            .map(|r| r.text.as_str())
    }

    /// Forgets the refusals of one MCP session (it ended).
    pub(crate) fn forget_session(&mut self, session: &str) {
        self.entries.retain(|r| r.session != session);
    }

    /// Forgets every refusal.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
