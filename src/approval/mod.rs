//! Human approvals: the queue of calls waiting for a yes or no, their
//! deadlines, and remembered decisions.
//!
//! The gateway asks through the [`Approver`] seam. [`ApprovalQueue`] is the approver that
//! holds calls until the human answers; [`NoApprover`] answers every request with a clear
//! refusal, so `approve` rules fail closed where no queue is wired in.

use serde_json::Value;

use crate::policy::Remember;

pub mod canonical;
pub mod queue;
mod remember;

pub use queue::{ApprovalError, ApprovalQueue, Clock, PendingApproval, SystemClock};

/// A call waiting for the human's yes or no.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    /// The tool as the agent named it.
    pub tool: String,
    /// The exact arguments that will run if approved.
    pub args: Value,
    /// The agent credential asking.
    pub grant: String,
    /// The MCP session, where there is one.
    pub session: Option<String>,
    /// The rule that asks.
    pub rule: String,
    /// Its reason, to show the human.
    pub reason: Option<String>,
    /// Seconds to wait before denying.
    pub timeout_s: u64,
    /// How long a yes is remembered.
    pub remember: Remember,
}

/// The human's answer (or the lack of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalAnswer {
    /// Run it.
    Approved {
        /// The approval's id (for a remembered approval, the id of this pass).
        id: String,
        /// Who or what said yes (`notification`, `ui`, `cli`, `api`, `remembered`).
        via: String,
        /// When, in epoch milliseconds.
        at_ms: i64,
    },
    /// Do not run it.
    Denied {
        /// Why, for the agent: `Denied by the user`, a timeout, or no approver.
        reason: String,
        /// The approval's id; `None` when nobody was asked.
        id: Option<String>,
        /// Who or what said no (`notification`, `ui`, `cli`, `api`, `timeout`, `none`).
        via: String,
        /// When, in epoch milliseconds.
        at_ms: i64,
    },
}

impl ApprovalAnswer {
    /// The approval's id, when a human was (or had been) asked.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Approved { id, .. } => Some(id),
            Self::Denied { id, .. } => id.as_deref(),
        }
    }

    /// Who or what answered.
    pub fn via(&self) -> &str {
        match self {
            Self::Approved { via, .. } | Self::Denied { via, .. } => via,
        }
    }

    /// When it was answered, in epoch milliseconds.
    pub fn at_ms(&self) -> i64 {
        match self {
            Self::Approved { at_ms, .. } | Self::Denied { at_ms, .. } => *at_ms,
        }
    }
}

/// The `via` of a refusal where no approver could ask anyone.
pub const VIA_NONE: &str = "none";

/// Something that can ask the human about a call.
#[async_trait::async_trait]
pub trait Approver: Send + Sync {
    /// Asks and waits for the answer (or the deadline). Dropping the future withdraws it.
    async fn ask(&self, request: ApprovalRequest) -> ApprovalAnswer;

    /// An MCP session ended; answers remembered for it no longer apply.
    fn session_ended(&self, _session: &str) {}
}

/// The approver used while no approval queue is wired in: refuses, saying why.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoApprover;

#[async_trait::async_trait]
impl Approver for NoApprover {
    async fn ask(&self, request: ApprovalRequest) -> ApprovalAnswer {
        ApprovalAnswer::Denied {
            reason: format!(
                "{} needs the user's approval ({}), and this livegate cannot ask for \
                 approvals yet, so it is refused; the user can allow the tool in the policy",
                request.tool, request.rule
            ),
            id: None,
            via: VIA_NONE.to_string(),
            at_ms: chrono::Utc::now().timestamp_millis(),
        }
    }
}
