//! The audit record of one `tools/call`, filled in as the call goes: what was decided, how the
//! human answered, how the upstream answered. It is appended (and committed) before the agent
//! gets its reply; a call dropped before that (the agent cancelled, or its connection closed)
//! is still recorded, from the guard's `Drop`.

use std::time::Instant;

use serde_json::Value;

use super::Caller;
use crate::approval::ApprovalAnswer;
use crate::audit::{
    summarize_result, ApprovalInfo, AuditError, AuditLog, CallEntry, Decision, Entry, Outcome,
};
use crate::mcp::jsonrpc::RpcError;

/// What the reason says about a call that was dropped before its reply.
const DROPPED: &str = "the agent stopped waiting (cancelled or disconnected) before the reply";

/// One call's record in the making. Dropping it unfinished records the call as abandoned.
pub(super) struct CallRecord {
    audit: AuditLog,
    started: Instant,
    entry: Option<CallEntry>,
}

impl CallRecord {
    /// Starts the record of a call that arrived now.
    pub fn start(audit: &AuditLog, caller: &Caller, tool: &str, args: &Value) -> Self {
        Self {
            audit: audit.clone(),
            started: Instant::now(),
            entry: Some(CallEntry {
                time_ms: chrono::Utc::now().timestamp_millis(),
                grant: Some(caller.grant.clone()),
                session: caller.session.clone(),
                client: caller.client.as_ref().map(Into::into),
                upstream: None,
                tool: tool.to_string(),
                category: None,
                args: args.clone(),
                // Until something else is known, a call counts as refused.
                decision: Decision::Deny,
                rule: None,
                reason: None,
                approval: None,
                outcome: None,
                latency_us: None,
                summary: None,
            }),
        }
    }

    /// Changes the entry (while it is still unfinished).
    fn edit(&mut self, f: impl FnOnce(&mut CallEntry)) {
        if let Some(entry) = self.entry.as_mut() {
            f(entry);
        }
    }

    /// The upstream that owns the tool and the tool's category.
    pub fn target(&mut self, upstream: Option<&str>, category: &str) {
        self.edit(|e| {
            e.upstream = upstream.map(str::to_string);
            e.category = Some(category.to_string());
        });
    }

    /// What was decided, by which rule, and why.
    pub fn decided(&mut self, decision: Decision, rule: &str, reason: Option<String>) {
        self.edit(|e| {
            e.decision = decision;
            e.rule = Some(rule.to_string());
            e.reason = reason;
        });
    }

    /// How the human answered (or the timeout did); a denial also becomes the decision.
    pub fn answered(&mut self, answer: &ApprovalAnswer) {
        self.edit(|e| {
            e.approval = answer.id().map(|id| ApprovalInfo {
                id: id.to_string(),
                via: answer.via().to_string(),
                at_ms: answer.at_ms(),
            });
            if let ApprovalAnswer::Denied { reason, .. } = answer {
                e.decision = Decision::Deny;
                e.reason = Some(reason.clone());
            }
        });
    }

    /// The call ran and the upstream answered (a result or an error).
    pub fn ran(&mut self, result: &Result<Value, RpcError>) {
        self.edit(|e| match result {
            Ok(value) => {
                let is_error = value.get("isError").and_then(Value::as_bool) == Some(true);
                e.outcome = Some(if is_error {
                    Outcome::ToolError
                } else {
                    Outcome::Ok
                });
                e.summary = Some(summarize_result(value));
            }
            Err(error) => {
                e.outcome = Some(Outcome::UpstreamError);
                e.summary = Some(error.message.clone());
            }
        });
    }

    /// The decision and rule so far, for the log line.
    pub fn label(&self) -> (&'static str, String) {
        match &self.entry {
            Some(e) => (e.decision.as_str(), e.rule.clone().unwrap_or_default()),
            None => ("", String::new()),
        }
    }

    /// Appends the finished record and waits until it is committed. An error means there is
    /// no record, so the caller must not give the agent the call's answer.
    pub async fn commit(mut self) -> Result<i64, AuditError> {
        let Some(mut entry) = self.entry.take() else {
            return Ok(0);
        };
        entry.latency_us = Some(elapsed_us(self.started));
        self.audit.append(Entry::Call(entry)).await
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let Some(mut entry) = self.entry.take() else {
            return;
        };
        entry.latency_us = Some(elapsed_us(self.started));
        let why = match entry.reason.take() {
            Some(reason) => format!("{DROPPED}; {reason}"),
            None => DROPPED.to_string(),
        };
        entry.reason = Some(why);
        let audit = self.audit.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let tool = entry.tool.clone();
                    if let Err(error) = audit.append(Entry::Call(entry)).await {
                        tracing::error!(%tool, %error, "could not record an abandoned call");
                    }
                });
            }
            Err(_) => {
                let tool = entry.tool.clone();
                if let Err(error) = audit.append_blocking(Entry::Call(entry)) {
                    tracing::error!(%tool, %error, "could not record an abandoned call");
                }
            }
        }
    }
}

fn elapsed_us(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX)
}

/// What the agent gets instead of its answer when the record could not be written.
pub(super) fn not_recorded(error: &AuditError) -> RpcError {
    RpcError::internal(format!(
        "livegate could not write this call to its audit log, so it does not answer it \
         ({error}); check free disk space and the permissions of the data folder, then retry"
    ))
}
