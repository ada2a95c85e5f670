//! The `tools/call` path: decide → ask (approve rules) → reserve → forward → commit or roll
//! back → reply. Refusals are ordinary tool results with `isError: true` and the decision in
//! `_meta.livegate`, as `policy-format.md` specifies.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{Caller, Gateway};
use crate::approval::{ApprovalAnswer, ApprovalRequest};
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
    /// Handles `tools/call`: every call is decided by the policy before anything is forwarded.
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
        let args = params.get("arguments").unwrap_or(&empty);
        if !args.is_object() {
            return Err(RpcError::invalid_params("\"arguments\" must be an object"));
        }
        let Some(tool) = self.find_tool(&name).await else {
            return Err(RpcError::invalid_params(format!("Unknown tool: {name}")));
        };
        let log = |decision: &str, rule: &str| {
            tracing::info!(
                target: "livegate::calls",
                tool = %name, grant = %caller.grant, session = caller.session.as_deref().unwrap_or("-"),
                decision, rule, elapsed_us = started.elapsed().as_micros() as u64,
                "tool call"
            );
        };
        if let Some(reason) = &tool.blocked {
            log("deny", "pins");
            return Ok(refusal(
                &format!("Policy violation: {reason}"),
                "deny",
                "pins",
                None,
            ));
        }
        let policy_call = Call {
            tool: &name,
            args,
            grant: &caller.grant,
            session: caller.session.as_deref(),
            hints: Some(tool.hints),
        };
        let decision = self.policy.decide(&policy_call);
        if self.is_paused() && decision.category != Category::Read {
            log("deny", "paused");
            return Ok(refusal(
                "Policy violation: paused by the user",
                "deny",
                "paused",
                None,
            ));
        }
        let rule = decision.rule.to_string();
        let reservation = decision.reservation;
        match decision.outcome {
            Outcome::Allow => {}
            Outcome::NeedsApproval {
                timeout_s,
                remember,
                reason,
            } => {
                let request = ApprovalRequest {
                    tool: name.clone(),
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
                    with_waiting_progress(answer, caller, progress_token, &name, timeout_s).await;
                if let ApprovalAnswer::Denied { reason, .. } = answer {
                    log("deny", &rule);
                    return Ok(refusal(&reason, "deny", &rule, None));
                }
            }
            refused => {
                let text = refused
                    .agent_message()
                    .unwrap_or_else(|| "Policy violation".into());
                log(refused.label(), &rule);
                return Ok(refusal(
                    &text,
                    refused.label(),
                    &rule,
                    refused.retry_after_s(),
                ));
            }
        }
        params["name"] = Value::String(tool.original.clone());
        let upstream = self.upstream(tool.upstream)?;
        let forwarded = self
            .forward_with_progress(caller, upstream.as_ref(), "tools/call", params)
            .await;
        match forwarded {
            Ok(result) => {
                reservation.commit();
                log("allow", &rule);
                Ok(result)
            }
            Err(error) => {
                reservation.rollback();
                log("upstream_error", &rule);
                Err(upstream_error(error))
            }
        }
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
