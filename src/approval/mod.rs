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
        /// Who or what said yes (`notification`, `ui`, `cli`, `remembered`).
        via: String,
    },
    /// Do not run it.
    Denied {
        /// Why, for the agent: `Denied by the user`, a timeout, or no approver.
        reason: String,
    },
}

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
        }
    }
}
