//! Remembered approvals: a yes that lets later calls of the same tool by the same grant pass
//! without asking, for the rest of an MCP session or for some minutes.
//!
//! Only approvals are remembered, never denials. A remembered approval is keyed by tool and
//! grant (and session, for `session`), not by arguments, as the policy format says; the
//! arguments hash binds only the decision the human was actually asked for.

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
