//! The `tools/call` path: decide → ask (approve rules) → reserve → forward → commit or roll
//! back → reply. Refusals are ordinary tool results with `isError: true` and the decision in
//! `_meta.livegate`, as `policy-format.md` specifies.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::record::{not_recorded, CallRecord};
use super::{Caller, Gateway};
use crate::approval::{ApprovalAnswer, ApprovalRequest};
use crate::audit::Decision;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::upstream::UpstreamError;
use crate::policy::{Call, Category, Outcome};

/// A refusal as the agent sees it: a tool result with `isError` and the decision.
pub fn refusal(text: &str, decision: &str, rule: &str, retry_after_s: Option<u64>) -> Value {
    json!({
        "content": [{"type": "text", "text": text}],
        "isError": true,
        "_meta": {"livegate": {"decision": decision, "rule": rule, "retry_after_s": retry_after_s}}
    })
}

impl Gateway {
    /// Handles `tools/call`: every call is decided by the policy before anything is forwarded,
    /// and recorded in the audit log before the agent gets its answer.
    pub(super) async fn call_tool(
        &self,
        caller: &Caller,
        params: Option<Value>,
    ) -> Result<Value, RpcError> {
        let started = Instant::now();
        let mut params = params.unwrap_or_else(|| json!({}));
        let Some(name) = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Err(RpcError::invalid_params("tools/call needs a \"name\""));
        };
        let empty = json!({});
        let args = params.get("arguments").unwrap_or(&empty).clone();
        if !args.is_object() {
            return Err(RpcError::invalid_params("\"arguments\" must be an object"));
        }
        let mut record = CallRecord::start(&self.audit, caller, &name, &args);
        let reply = self
            .decide_and_run(caller, &name, &args, &mut params, &mut record)
            .await;
        let (decision, rule) = record.label();
        tracing::info!(
            target: "livegate::calls",
            tool = %name, grant = %caller.grant, session = caller.session.as_deref().unwrap_or("-"),
            decision, rule = %rule, elapsed_us = started.elapsed().as_micros() as u64,
            "tool call"
        );
        match record.commit().await {
            Ok(_) => reply,
            Err(error) => {
                tracing::error!(tool = %name, %error, "a call went unanswered: the audit log failed");
                Err(not_recorded(&error))
            }
        }
    }

    /// Decides, asks, forwards: everything between a call's arrival and its answer, noting
    /// each step in `record`.
    async fn decide_and_run(
        &self,
        caller: &Caller,
        name: &str,
        args: &Value,
        params: &mut Value,
        record: &mut CallRecord,
    ) -> Result<Value, RpcError> {
        let Some(tool) = self.find_tool(name).await else {
            let text = format!("Unknown tool: {name}");
            record.decided(Decision::Deny, "unknown_tool", Some(text.clone()));
            return Err(RpcError::invalid_params(text));
        };
        let upstream = self.upstream(tool.upstream)?;
        let policy_call = Call {
            tool: name,
            args,
            grant: &caller.grant,
            session: caller.session.as_deref(),
            hints: Some(tool.hints),
        };
        let decision = self.policy.decide(&policy_call);
        record.target(Some(upstream.name()), decision.category.as_str());
        if let Some(reason) = &tool.blocked {
            let text = format!("Policy violation: {reason}");
            record.decided(Decision::Deny, "pins", Some(text.clone()));
            return Ok(refusal(&text, "deny", "pins", None));
        }
        if self.is_paused() && decision.category != Category::Read {
            let text = "Policy violation: paused by the user";
            record.decided(Decision::Deny, "paused", Some(text.to_string()));
            return Ok(refusal(text, "deny", "paused", None));
        }
        let rule = decision.rule.to_string();
        let reservation = decision.reservation;
        match decision.outcome {
            Outcome::Allow => record.decided(Decision::Allow, &rule, None),
            Outcome::NeedsApproval {
                timeout_s,
                remember,
                reason,
            } => {
                record.decided(Decision::Allow, &rule, reason.clone());
                let request = ApprovalRequest {
                    tool: name.to_string(),
                    args: args.clone(),
                    grant: caller.grant.clone(),
                    session: caller.session.clone(),
                    rule: rule.clone(),
                    reason,
                    timeout_s,
                    remember,
                };
                let progress_token = params.pointer("/_meta/progressToken").cloned();
                let answer = self.approver.ask(request);
                let answer =
                    with_waiting_progress(answer, caller, progress_token, name, timeout_s).await;
                record.answered(&answer);
                if let ApprovalAnswer::Denied { reason, .. } = answer {
                    return Ok(refusal(&reason, "deny", &rule, None));
                }
            }
            refused => {
                let text = refused
                    .agent_message()
                    .unwrap_or_else(|| "Policy violation".into());
                let decision = match refused {
                    Outcome::RateLimited { .. } => Decision::RateLimited,
                    _ => Decision::Deny,
                };
                record.decided(decision, &rule, Some(text.clone()));
                return Ok(refusal(
                    &text,
                    refused.label(),
                    &rule,
                    refused.retry_after_s(),
                ));
            }
        }
        params["name"] = Value::String(tool.original.clone());
        let forwarded = self
            .forward_with_progress(caller, upstream.as_ref(), "tools/call", params.clone())
            .await
            .map_err(upstream_error);
        match &forwarded {
            Ok(_) => reservation.commit(),
            Err(_) => reservation.rollback(),
        }
        record.ran(&forwarded);
        forwarded
    }
}

/// How often a caller that asked for progress hears that its call still waits for approval.
const APPROVAL_PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Awaits `answer`; meanwhile, when the caller gave a progress token, sends it
/// `notifications/progress` (seconds waited of the deadline) now and every few seconds.
async fn with_waiting_progress<T>(
    answer: impl Future<Output = T>,
    caller: &Caller,
    token: Option<Value>,
    tool: &str,
    timeout_s: u64,
) -> T {
    let (Some(token), Some(sink)) = (token, caller.progress.as_ref()) else {
        return answer.await;
    };
    let started = Instant::now();
    let mut tick = tokio::time::interval(APPROVAL_PROGRESS_EVERY);
    tokio::pin!(answer);
    loop {
        tokio::select! {
            answer = &mut answer => return answer,
            _ = tick.tick() => {
                let waited = started.elapsed().as_secs();
                let left = timeout_s.saturating_sub(waited);
                let _ = sink.send(json!({
                    "progressToken": token,
                    "progress": waited,
                    "total": timeout_s,
                    "message": format!("Waiting for the user to approve {tool} ({left} s left)"),
                }));
            }
        }
    }
}

/// An upstream failure as the agent sees it: the upstream's own JSON-RPC error passes
/// through; anything else is an internal error that says which upstream and what happened.
pub fn upstream_error(error: UpstreamError) -> RpcError {
    match error {
        UpstreamError::Rpc {
            code,
            message,
            data,
            ..
        } => RpcError {
            code,
            message,
            data,
        },
        other => RpcError::internal(other.to_string()),
    }
}
