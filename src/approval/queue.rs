//! The approval queue: the [`Approver`] that holds calls waiting for the human's yes or no.
//!
//! Its [`Approver::ask`] records a [`PendingApproval`] (the exact tool and arguments, and the
//! SHA-256 of their canonical JSON, so what is shown is what runs), publishes
//! [`Event::ApprovalRequested`], and waits until the admin API or UI calls
//! [`ApprovalQueue::approve`] or [`ApprovalQueue::deny`], the deadline passes, or the agent
//! stops waiting (the `ask` future is dropped). Every pending approval ends with exactly one of
//! [`Event::ApprovalResolved`], [`Event::ApprovalExpired`] or [`Event::ApprovalWithdrawn`].
//! Approvals may be remembered per the rule's `remember` mode (tool + grant, + session) or the
//! mode the human picks when approving; a denial "for this session" refuses the tool for that
//! grant and session without asking until the session ends.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;

use super::canonical::args_hash;
use super::remember::{Remembered, SessionRefusals};
use super::{ApprovalAnswer, ApprovalRequest, Approver};
use crate::events::{Event, EventBus};
use crate::policy::Remember;

/// How many resolved ids are kept to tell "already resolved" from "unknown".
const RESOLVED_HISTORY: usize = 4096;

/// The `via` of a call that passed by a remembered approval.
pub const VIA_REMEMBERED: &str = "remembered";

/// The `via` recorded when the deadline passed.
pub const VIA_TIMEOUT: &str = "timeout";

/// What the agent is told when the human says no without a reason.
pub const DENIED_BY_USER: &str = "Denied by the user";

/// What the agent is told when the human said no for the rest of its session.
pub const DENIED_FOR_SESSION: &str = "Denied by the user for this session";

/// The current time, in epoch milliseconds; injectable so tests can move time.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A call waiting for approval, as the admin API, the UI and events show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingApproval {
    /// The approval's id (a UUID), used to approve or deny it.
    pub id: String,
    /// The tool as the agent named it.
    pub tool: String,
    /// The exact arguments that will run if approved.
    pub args: Value,
    /// Lowercase hex SHA-256 of the canonical JSON of `args` (keys sorted recursively): the
    /// decision is bound to these arguments.
    pub args_hash: String,
    /// The agent credential asking.
    pub grant: String,
    /// The MCP session, where there is one.
    pub session: Option<String>,
    /// The rule that asks.
    pub rule: String,
    /// The rule's reason, to show the human.
    pub reason: Option<String>,
    /// How long a yes is remembered (`once`, `session`, `minutes:N`).
    pub remember: Remember,
    /// The seconds the rule lets the human take.
    pub timeout_s: u64,
    /// When it was asked, epoch milliseconds.
    pub created_ms: i64,
    /// When it is denied if nobody answers, epoch milliseconds.
    pub deadline_ms: i64,
    /// Whole seconds left before the deadline (rounded up; 0 once passed).
    pub seconds_left: u64,
}

/// Why approving or denying did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// No approval with this id is or was pending.
    #[error("no pending approval has id {id:?}; check the id against the pending list")]
    NotFound {
        /// The id given.
        id: String,
    },
    /// The approval was already approved, denied, expired or withdrawn.
    #[error("approval {id:?} is no longer pending: it was already {outcome}")]
    AlreadyResolved {
        /// The id given.
        id: String,
        /// How it ended (`approved via ui`, `denied via cli`, `expired`, `withdrawn`).
        outcome: String,
    },
}

/// One pending approval and the way to answer its `ask`.
struct Pending {
    approval: PendingApproval,
    answer: oneshot::Sender<ApprovalAnswer>,
}

/// Everything behind the lock.
#[derive(Default)]
struct State {
    pending: HashMap<String, Pending>,
    /// How recently resolved ids ended, oldest first in `resolved_order`.
    resolved: HashMap<String, String>,
    resolved_order: VecDeque<String>,
    remembered: Remembered,
    refused: SessionRefusals,
}

impl State {
    fn record_resolved(&mut self, id: &str, outcome: String) {
        if self.resolved.insert(id.to_string(), outcome).is_none() {
            self.resolved_order.push_back(id.to_string());
        }
        while self.resolved_order.len() > RESOLVED_HISTORY {
            if let Some(old) = self.resolved_order.pop_front() {
                self.resolved.remove(&old);
            }
        }
    }

    fn unknown(&self, id: &str) -> ApprovalError {
        match self.resolved.get(id) {
            Some(outcome) => ApprovalError::AlreadyResolved {
                id: id.to_string(),
                outcome: outcome.clone(),
            },
            None => ApprovalError::NotFound { id: id.to_string() },
        }
    }
}

struct Inner {
    state: Mutex<State>,
    events: EventBus,
    clock: Arc<dyn Clock>,
}

/// The queue of calls waiting for the human; cheap to clone, every clone is the same queue.
#[derive(Clone)]
pub struct ApprovalQueue {
    inner: Arc<Inner>,
}

impl fmt::Debug for ApprovalQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApprovalQueue")
            .field("pending", &self.inner.state.lock().pending.len())
            .finish()
    }
}

/// Withdraws the approval if the `ask` future is dropped before it is answered.
struct WithdrawOnDrop {
    inner: Arc<Inner>,
    id: String,
    armed: bool,
}

impl Drop for WithdrawOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut state = self.inner.state.lock();
        if state.pending.remove(&self.id).is_some() {
            state.record_resolved(&self.id, "withdrawn".into());
            tracing::info!(id = %self.id, "approval withdrawn: the agent stopped waiting");
            self.inner.events.publish(Event::ApprovalWithdrawn {
                id: self.id.clone(),
            });
        }
    }
}

impl ApprovalQueue {
    /// An empty queue on the wall clock, publishing to `events`.
    pub fn new(events: EventBus) -> Self {
        Self::with_clock(events, Arc::new(SystemClock))
    }

    /// An empty queue reading time from `clock` (for created times, deadlines shown, and
    /// `minutes:N` remembering). Waiting for the deadline itself uses tokio's timer.
    pub fn with_clock(events: EventBus, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                events,
                clock,
            }),
        }
    }

    /// The pending approvals, oldest first, with the seconds left now.
    pub fn list(&self) -> Vec<PendingApproval> {
        let now = self.inner.clock.now_ms();
        let state = self.inner.state.lock();
        let mut list: Vec<PendingApproval> = state
            .pending
            .values()
            .map(|p| with_seconds_left(&p.approval, now))
            .collect();
        list.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        list
    }

    /// One pending approval by id, with the seconds left now.
    pub fn get(&self, id: &str) -> Option<PendingApproval> {
        let now = self.inner.clock.now_ms();
        let state = self.inner.state.lock();
        state
            .pending
            .get(id)
            .map(|p| with_seconds_left(&p.approval, now))
    }

    /// Approves a pending call: its `ask` returns `Approved { via }` and the call runs (with the
    /// arguments whose hash was shown). The rule's `remember` mode is recorded.
    pub fn approve(&self, id: &str, via: impl Into<String>) -> Result<(), ApprovalError> {
        self.approve_with(id, None, via)
    }

    /// Approves a pending call, remembering the yes per `remember` when given ("approve for
    /// this session", "for 10 minutes", "once") instead of the rule's mode.
    pub fn approve_with(
        &self,
        id: &str,
        remember: Option<Remember>,
        via: impl Into<String>,
    ) -> Result<(), ApprovalError> {
        let via = via.into();
        let now = self.inner.clock.now_ms();
        let mut state = self.inner.state.lock();
        let Some(pending) = state.pending.remove(id) else {
            return Err(state.unknown(id));
        };
        let a = &pending.approval;
        let remember = remember.unwrap_or(a.remember);
        state
            .remembered
            .record(remember, &a.tool, &a.grant, a.session.as_deref(), now);
        state.record_resolved(id, format!("approved via {via}"));
        tracing::info!(id, tool = %a.tool, grant = %a.grant, args_hash = %a.args_hash, via = %via, %remember, "approval approved");
        // Sent under the lock, so a deadline racing with this sees the answer already there.
        let _ = pending.answer.send(ApprovalAnswer::Approved {
            id: id.to_string(),
            via: via.clone(),
            at_ms: now,
        });
        self.inner.events.publish(Event::ApprovalResolved {
            id: id.to_string(),
            approved: true,
            via,
            reason: None,
        });
        Ok(())
    }

    /// Denies a pending call: its `ask` returns `Denied` with "Denied by the user", followed by
    /// `: <reason>` when the human gave one. Denials are never remembered.
    pub fn deny(
        &self,
        id: &str,
        reason: Option<String>,
        via: impl Into<String>,
    ) -> Result<(), ApprovalError> {
        self.deny_with(id, reason, false, via)
    }

    /// Denies a pending call; with `for_session`, later calls of the same tool by the same
    /// grant in the same MCP session are refused without asking until the session ends (the
    /// agent reads "Denied by the user for this session"). A call without an MCP session has
    /// nothing to bind that to, so it is then a plain denial.
    pub fn deny_with(
        &self,
        id: &str,
        reason: Option<String>,
        for_session: bool,
        via: impl Into<String>,
    ) -> Result<(), ApprovalError> {
        let via = via.into();
        let now = self.inner.clock.now_ms();
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        let mut state = self.inner.state.lock();
        let Some(pending) = state.pending.remove(id) else {
            return Err(state.unknown(id));
        };
        state.record_resolved(id, format!("denied via {via}"));
        let a = &pending.approval;
        let session = a.session.clone().filter(|_| for_session);
        let lead = if session.is_some() {
            DENIED_FOR_SESSION
        } else {
            DENIED_BY_USER
        };
        let text = match &reason {
            Some(r) => format!("{lead}: {r}"),
            None => lead.to_string(),
        };
        if let Some(session) = &session {
            state
                .refused
                .record(&a.tool, &a.grant, session, text.clone());
        }
        tracing::info!(id, tool = %a.tool, grant = %a.grant, via = %via, for_session = session.is_some(), "approval denied");
        let _ = pending.answer.send(ApprovalAnswer::Denied {
            reason: text,
            id: Some(id.to_string()),
            via: via.clone(),
            at_ms: now,
        });
        self.inner.events.publish(Event::ApprovalResolved {
            id: id.to_string(),
            approved: false,
            via,
            reason,
        });
        Ok(())
    }

    /// Denies every pending approval whose deadline has passed by the queue's clock; returns
    /// how many. `ask` also expires its own approval on tokio's timer, so calling this is only
    /// needed when the clock runs apart from that timer (a sweep, or tests).
    pub fn expire_due(&self) -> usize {
        let now = self.inner.clock.now_ms();
        let mut state = self.inner.state.lock();
        let due: Vec<String> = state
            .pending
            .iter()
            .filter(|(_, p)| p.approval.deadline_ms <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            self.expire_locked(&mut state, id);
        }
        due.len()
    }

    /// Forgets the approvals remembered and the denials for an MCP session (call when the
    /// session ends).
    pub fn forget_session(&self, session: &str) {
        let mut state = self.inner.state.lock();
        state.remembered.forget_session(session);
        state.refused.forget_session(session);
    }

    /// Forgets every remembered approval and session denial (so every `approve` rule asks
    /// again).
    pub fn forget_remembered(&self) {
        let mut state = self.inner.state.lock();
        state.remembered.clear();
        state.refused.clear();
    }

    /// Expires one pending approval, under the lock; false when it is no longer pending.
    fn expire_locked(&self, state: &mut State, id: &str) -> bool {
        let Some(pending) = state.pending.remove(id) else {
            return false;
        };
        let timeout_s = pending.approval.timeout_s;
        state.record_resolved(
            id,
            format!("denied via {VIA_TIMEOUT} (no answer within {timeout_s} s)"),
        );
        tracing::info!(id, tool = %pending.approval.tool, timeout_s, via = VIA_TIMEOUT, "approval expired");
        let now = self.inner.clock.now_ms();
        let _ = pending.answer.send(timeout_answer(id, timeout_s, now));
        self.inner
            .events
            .publish(Event::ApprovalExpired { id: id.to_string() });
        true
    }
}

/// The answer when nobody answered in time.
fn timeout_answer(id: &str, timeout_s: u64, at_ms: i64) -> ApprovalAnswer {
    ApprovalAnswer::Denied {
        reason: format!("Denied: no answer within {timeout_s} s"),
        id: Some(id.to_string()),
        via: VIA_TIMEOUT.to_string(),
        at_ms,
    }
}

fn with_seconds_left(approval: &PendingApproval, now_ms: i64) -> PendingApproval {
    let left_ms = approval.deadline_ms.saturating_sub(now_ms).max(0);
    let mut shown = approval.clone();
    shown.seconds_left = u64::try_from(left_ms).unwrap_or(0).div_ceil(1000);
    shown
}

#[async_trait::async_trait]
impl Approver for ApprovalQueue {
    /// Asks the human (or passes by a remembered approval) and waits for the answer.
    async fn ask(&self, request: ApprovalRequest) -> ApprovalAnswer {
        let now = self.inner.clock.now_ms();
        let hash = args_hash(&request.args);
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, mut rx) = oneshot::channel();
        {
            let mut state = self.inner.state.lock();
            let session = request.session.as_deref();
            if let Some(text) = state
                .refused
                .refusal(&request.tool, &request.grant, session)
            {
                tracing::info!(id, tool = %request.tool, grant = %request.grant, session, "refused: denied for this session");
                return ApprovalAnswer::Denied {
                    reason: text.to_string(),
                    id: Some(id),
                    via: VIA_REMEMBERED.to_string(),
                    at_ms: now,
                };
            }
            if state
                .remembered
                .covers(&request.tool, &request.grant, session, now)
            {
                tracing::info!(id, tool = %request.tool, grant = %request.grant, args_hash = %hash, "approval remembered");
                self.inner.events.publish(Event::ApprovalRemembered {
                    id: id.clone(),
                    tool: request.tool,
                    grant: request.grant,
                    session: request.session,
                    args_hash: hash,
                });
                return ApprovalAnswer::Approved {
                    id,
                    via: VIA_REMEMBERED.to_string(),
                    at_ms: now,
                };
            }
            let timeout_ms =
                i64::try_from(request.timeout_s.saturating_mul(1000)).unwrap_or(i64::MAX);
            let approval = PendingApproval {
                id: id.clone(),
                tool: request.tool,
                args: request.args,
                args_hash: hash,
                grant: request.grant,
                session: request.session,
                rule: request.rule,
                reason: request.reason,
                remember: request.remember,
                timeout_s: request.timeout_s,
                created_ms: now,
                deadline_ms: now.saturating_add(timeout_ms),
                seconds_left: request.timeout_s,
            };
            tracing::info!(id, tool = %approval.tool, grant = %approval.grant, rule = %approval.rule, args_hash = %approval.args_hash, timeout_s = approval.timeout_s, "approval requested");
            self.inner.events.publish(Event::ApprovalRequested {
                approval: approval.clone(),
            });
            state.pending.insert(
                id.clone(),
                Pending {
                    approval,
                    answer: tx,
                },
            );
        }
        let mut guard = WithdrawOnDrop {
            inner: Arc::clone(&self.inner),
            id: id.clone(),
            armed: true,
        };
        let timeout_s = request.timeout_s;
        let waited = tokio::time::timeout(Duration::from_secs(timeout_s), &mut rx).await;
        guard.armed = false;
        let answer = match waited {
            Ok(answer) => answer.ok(),
            Err(_elapsed) => {
                let mut state = self.inner.state.lock();
                if self.expire_locked(&mut state, &id) {
                    None
                } else {
                    // Answered (under the lock) just as the deadline passed: that answer stands.
                    rx.try_recv().ok()
                }
            }
        };
        answer.unwrap_or_else(|| timeout_answer(&id, timeout_s, self.inner.clock.now_ms()))
    }

    fn session_ended(&self, session: &str) {
        self.forget_session(session);
    }
}

#[cfg(test)]
mod tests;
