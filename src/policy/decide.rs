//! Decide: a pure function of (compiled policy, call, counters, time) that says allow,
//! deny, rate-limited or needs approval, and reserves the call's quota on the way.
//!
//! [`CompiledPolicy::explain`] walks the same path without reserving anything and says
//! which rule decides and why, for `livegate explain` and the UI.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::catalog::{Category, CategorySource, ToolHints};
use super::compile::{Amount, CompiledLimit, CompiledPolicy, CompiledRule, MatchedBy};
use super::condition::{CompiledCondition, Target};
use super::counters::{Blocked, CounterKey, Counters, Holder, Need, Reservation};
use super::model::{Action, ApprovalSpec, Remember, DEFAULT_APPROVAL_TIMEOUT_S};

/// One tool call to decide.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The tool's name as the agent sees it.
    pub tool: &'a str,
    /// The call's `arguments` (an object, or `null` when the agent sent none).
    pub args: &'a Value,
    /// The agent credential making the call.
    pub grant: &'a str,
    /// The MCP session, where the client's protocol revision has one.
    pub session: Option<&'a str>,
    /// The tool's MCP annotations, for tools no catalog knows.
    pub hints: Option<ToolHints>,
}

/// What the policy says about a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Outcome {
    /// Forward it.
    Allow,
    /// Refuse it.
    Deny {
        /// Why, for the agent and the audit log.
        reason: String,
    },
    /// Refuse it for now: a limit has no room left in this window.
    RateLimited {
        /// The counter that is full.
        counter: String,
        /// Seconds until that counter's window ends.
        retry_after_s: u64,
        /// Why, for the agent and the audit log.
        reason: String,
    },
    /// Ask the human first.
    NeedsApproval {
        /// Seconds to wait for an answer before denying.
        timeout_s: u64,
        /// How long a yes is remembered.
        #[serde(serialize_with = "serialize_display")]
        remember: Remember,
        /// The rule's reason, to show the human.
        reason: Option<String>,
    },
}

fn serialize_display<S: serde::Serializer>(r: &Remember, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

impl Outcome {
    /// `allow`, `deny`, `rate_limited` or `needs_approval`, as the audit log spells it.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny { .. } => "deny",
            Outcome::RateLimited { .. } => "rate_limited",
            Outcome::NeedsApproval { .. } => "needs_approval",
        }
    }

    /// The text an agent gets when the call is refused: `Policy violation: …` or
    /// `Rate limit exceeded: … retry after N s`. `None` when the call may go ahead.
    pub fn agent_message(&self) -> Option<String> {
        match self {
            Outcome::Deny { reason } => Some(format!("Policy violation: {reason}")),
            Outcome::RateLimited {
                reason,
                retry_after_s,
                ..
            } => Some(format!(
                "Rate limit exceeded: {reason}; retry after {retry_after_s} s"
            )),
            Outcome::Allow | Outcome::NeedsApproval { .. } => None,
        }
    }

    /// Seconds until retrying can succeed, for rate-limited calls.
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            Outcome::RateLimited { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        }
    }
}

/// A decision, with the quota it reserved.
#[derive(Debug)]
pub struct Decision {
    /// The rule that decided (`tools.create_audio_track`, `categories.Write`, `default`,
    /// `hide[0]`); for a rate-limited call, the rule whose limit was full.
    pub rule: Arc<str>,
    /// How the deciding rule was found.
    pub matched_by: MatchedBy,
    /// The tool's risk category.
    pub category: Category,
    /// Where the category came from.
    pub category_source: CategorySource,
    /// What to do.
    pub outcome: Outcome,
    /// Quota held for an allowed or approvable call: commit it once the upstream
    /// succeeded, drop it otherwise. Empty for refused calls.
    pub reservation: Reservation,
}

/// Where an evaluation stopped before counters were touched.
enum Step<'p> {
    /// Decided without counters.
    Done(Outcome),
    /// Decided once these limits have room.
    Limits {
        needs: Vec<Need>,
        limits: Vec<&'p CompiledLimit>,
        then: Then,
    },
}

enum Then {
    Allow,
    Approve(ApprovalSpec, Option<String>),
}

struct Evaluation<'p> {
    rule: &'p CompiledRule,
    hidden_rule: Option<Arc<str>>,
    matched_by: MatchedBy,
    category: Category,
    category_source: CategorySource,
    step: Step<'p>,
}

impl CompiledPolicy {
    /// Decides a call, reserving its limits when it may proceed (or wait for approval).
    pub fn decide(&self, call: &Call<'_>, counters: &Arc<Counters>, now_ms: i64) -> Decision {
        self.decide_with(call, counters, now_ms, DEFAULT_APPROVAL_TIMEOUT_S)
    }

    /// [`decide`](Self::decide), with `approval_timeout_s` as the wait of `approve` rules that
    /// do not give their own `timeout_s` (the user's setting).
    pub fn decide_with(
        &self,
        call: &Call<'_>,
        counters: &Arc<Counters>,
        now_ms: i64,
        approval_timeout_s: u64,
    ) -> Decision {
        let eval = self.evaluate(call, counters, now_ms);
        let mut rule = eval
            .hidden_rule
            .unwrap_or_else(|| Arc::clone(&eval.rule.id));
        let (outcome, reservation) = match eval.step {
            Step::Done(outcome) => (outcome, Reservation::empty()),
            Step::Limits {
                needs,
                limits,
                then,
            } => match counters.try_reserve(&needs, now_ms) {
                Ok(reservation) => (then.outcome(approval_timeout_s), reservation),
                Err(blocked) => {
                    let (limit_rule, outcome) = rate_limited(&limits, &blocked);
                    rule = limit_rule;
                    (outcome, Reservation::empty())
                }
            },
        };
        Decision {
            rule,
            matched_by: eval.matched_by,
            category: eval.category,
            category_source: eval.category_source,
            outcome,
            reservation,
        }
    }

    /// What [`decide`](Self::decide) would say now, and why, without reserving anything.
    pub fn explain(&self, call: &Call<'_>, counters: &Counters, now_ms: i64) -> Explanation {
        self.explain_with(call, counters, now_ms, DEFAULT_APPROVAL_TIMEOUT_S)
    }

    /// [`explain`](Self::explain) with the user's default approval wait, as
    /// [`decide_with`](Self::decide_with).
    pub fn explain_with(
        &self,
        call: &Call<'_>,
        counters: &Counters,
        now_ms: i64,
        approval_timeout_s: u64,
    ) -> Explanation {
        let eval = self.evaluate(call, counters, now_ms);
        let conditions = if eval.hidden_rule.is_some() {
            Vec::new()
        } else {
            eval.rule
                .conditions
                .iter()
                .map(|c| ConditionState {
                    condition: c.describe(),
                    holds: c.holds(condition_value(c, call, counters, now_ms).as_ref()),
                })
                .collect()
        };
        let mut rule = eval
            .hidden_rule
            .unwrap_or_else(|| Arc::clone(&eval.rule.id));
        let mut limits = Vec::new();
        let outcome = match eval.step {
            Step::Done(outcome) => outcome,
            Step::Limits {
                needs,
                limits: compiled,
                then,
            } => {
                for (need, limit) in needs.iter().zip(&compiled) {
                    limits.push(LimitState {
                        rule: limit.rule.to_string(),
                        counter: limit.counter.to_string(),
                        used: counters.used(&need.key, need.window_s, now_ms),
                        adds: need.amount,
                        max: limit.max,
                        per: format!("{} per {}", limit.window_label, limit.scope),
                    });
                }
                match counters.check(&needs, now_ms) {
                    Ok(()) => then.outcome(approval_timeout_s),
                    Err(blocked) => {
                        let (limit_rule, outcome) = rate_limited(&compiled, &blocked);
                        rule = limit_rule;
                        outcome
                    }
                }
            }
        };
        Explanation {
            tool: call.tool.to_string(),
            category: eval.category,
            category_source: eval.category_source,
            matched_by: eval.matched_by,
            rule: rule.to_string(),
            conditions,
            limits,
            outcome,
        }
    }

    /// Everything up to the counters: hidden, matching, action, conditions, amounts.
    fn evaluate<'p>(&'p self, call: &Call<'_>, counters: &Counters, now_ms: i64) -> Evaluation<'p> {
        let (category, category_source) = self.catalog().categorize(call.tool, call.hints);
        if let Some(pattern) = self.hidden_by(call.tool) {
            let index = self
                .policy()
                .hide
                .iter()
                .position(|p| *p == pattern)
                .unwrap_or(0);
            return Evaluation {
                rule: &self.default_rule,
                hidden_rule: Some(Arc::from(format!("hide[{index}]"))),
                matched_by: MatchedBy::Hidden { pattern },
                category,
                category_source,
                step: Step::Done(Outcome::Deny {
                    reason: format!("{} is hidden by this policy", call.tool),
                }),
            };
        }
        let (rule, matched_by) = self.rule_for(call.tool, category);
        let step = self.step(rule, &matched_by, call, counters, now_ms);
        Evaluation {
            rule,
            hidden_rule: None,
            matched_by,
            category,
            category_source,
            step,
        }
    }

    fn step<'p>(
        &'p self,
        rule: &'p CompiledRule,
        matched_by: &MatchedBy,
        call: &Call<'_>,
        counters: &Counters,
        now_ms: i64,
    ) -> Step<'p> {
        let deny = |reason: String| Step::Done(Outcome::Deny { reason });
        let then = match rule.action {
            Action::Deny => {
                return deny(match (&rule.reason, matched_by) {
                    (Some(reason), _) => reason.to_string(),
                    (None, MatchedBy::Default) => format!(
                        "no rule allows {} and this policy denies everything else",
                        call.tool
                    ),
                    (None, _) => format!("{} is denied by {}", call.tool, rule.id),
                })
            }
            Action::Allow => Then::Allow,
            Action::Approve => {
                Then::Approve(rule.approval, rule.reason.as_deref().map(String::from))
            }
        };
        for condition in &rule.conditions {
            if !condition.holds(condition_value(condition, call, counters, now_ms).as_ref()) {
                return deny(match &rule.reason {
                    Some(reason) => reason.to_string(),
                    None => format!("{} requires {}", call.tool, condition.describe()),
                });
            }
        }
        let limits: Vec<&CompiledLimit> = rule.limits.iter().chain(&self.star_limits).collect();
        let mut needs = Vec::with_capacity(limits.len());
        for limit in &limits {
            let amount = match amount(limit, call.args) {
                Ok(amount) => amount,
                Err(reason) => return deny(reason),
            };
            needs.push(Need {
                key: CounterKey {
                    counter: Arc::clone(&limit.counter),
                    holder: Holder::for_call(limit.scope, call.grant, call.session),
                },
                window_s: limit.window_s,
                max: limit.max,
                amount,
            });
        }
        Step::Limits {
            needs,
            limits,
            then,
        }
    }
}

impl Then {
    /// The outcome; `approval_timeout_s` is the wait when the rule gives none.
    fn outcome(self, approval_timeout_s: u64) -> Outcome {
        match self {
            Then::Allow => Outcome::Allow,
            Then::Approve(spec, reason) => Outcome::NeedsApproval {
                timeout_s: spec.timeout_s.unwrap_or(approval_timeout_s),
                remember: spec.remember(),
                reason,
            },
        }
    }
}

/// The value a condition tests: an argument, or a counter's count in this window.
fn condition_value(
    condition: &CompiledCondition,
    call: &Call<'_>,
    counters: &Counters,
    now_ms: i64,
) -> Option<Value> {
    match &condition.target {
        Target::Args(path) => path.resolve(call.args).cloned(),
        Target::State {
            counter,
            window_s,
            scope,
        } => {
            let key = CounterKey {
                counter: Arc::clone(counter),
                holder: Holder::for_call(*scope, call.grant, call.session),
            };
            Some(Value::from(counters.used(&key, *window_s, now_ms)))
        }
    }
}

/// What a call adds to a limit's counter; a bad `increment_from` argument denies the call.
fn amount(limit: &CompiledLimit, args: &Value) -> Result<f64, String> {
    match &limit.amount {
        Amount::Fixed(n) => Ok(*n),
        Amount::From { path, args: arg_path } => arg_path
            .resolve(args)
            .and_then(Value::as_f64)
            .filter(|n| *n >= 0.0 && n.is_finite())
            .ok_or_else(|| {
                format!(
                    "the limit on {:?} counts {path}, which this call does not give as a number of at least 0",
                    limit.counter
                )
            }),
    }
}

fn rate_limited(limits: &[&CompiledLimit], blocked: &Blocked) -> (Arc<str>, Outcome) {
    let Some(limit) = limits.get(blocked.index) else {
        // try_reserve reports an index into the needs built from these limits.
        let reason = "a rate limit has no room left".to_string();
        return (
            Arc::from("limits"),
            Outcome::RateLimited {
                counter: String::new(),
                retry_after_s: blocked.retry_after_s,
                reason,
            },
        );
    };
    let rule_says = limit
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let reason = format!(
        "{} allows {} per {} per {}{rule_says}",
        limit.counter, limit.max, limit.window_label, limit.scope
    );
    (
        Arc::clone(&limit.rule),
        Outcome::RateLimited {
            counter: limit.counter.to_string(),
            retry_after_s: blocked.retry_after_s,
            reason,
        },
    )
}

/// Why a call would be decided the way it is.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The tool.
    pub tool: String,
    /// Its risk category.
    pub category: Category,
    /// Where the category came from.
    pub category_source: CategorySource,
    /// How the deciding rule was found.
    pub matched_by: MatchedBy,
    /// The deciding rule.
    pub rule: String,
    /// That rule's conditions and whether each holds.
    pub conditions: Vec<ConditionState>,
    /// Every limit that applies, with its counter now.
    pub limits: Vec<LimitState>,
    /// The outcome.
    pub outcome: Outcome,
}

/// One condition of the deciding rule.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionState {
    /// `args.track_index lte 8`.
    pub condition: String,
    /// Whether it holds for this call.
    pub holds: bool,
}

/// One limit that applies to the call.
#[derive(Debug, Clone, Serialize)]
pub struct LimitState {
    /// The rule the limit belongs to.
    pub rule: String,
    /// The counter.
    pub counter: String,
    /// Its count in the current window.
    pub used: f64,
    /// What this call would add.
    pub adds: f64,
    /// The most it may reach.
    pub max: f64,
    /// `minute per grant`.
    pub per: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.category_source {
            CategorySource::Catalog => "from the risk catalog",
            CategorySource::Annotations => "from the tool's MCP annotations",
            CategorySource::Default => "unknown tools count as Write",
        };
        writeln!(f, "tool:      {}", self.tool)?;
        writeln!(f, "category:  {} ({source})", self.category)?;
        let how = match &self.matched_by {
            MatchedBy::Hidden { pattern } => format!("hidden by pattern {pattern:?}"),
            MatchedBy::Exact => "a tools entry with its exact name".to_string(),
            MatchedBy::Glob { pattern } => format!("the longest matching glob {pattern:?}"),
            MatchedBy::Star => "the \"*\" entry".to_string(),
            MatchedBy::Category => format!("the rule for category {}", self.category),
            MatchedBy::Default => "no rule matched, so the policy's default".to_string(),
        };
        writeln!(f, "rule:      {} ({how})", self.rule)?;
        for c in &self.conditions {
            let mark = if c.holds { "holds" } else { "FAILS" };
            writeln!(f, "condition: {} ({mark})", c.condition)?;
        }
        for l in &self.limits {
            writeln!(
                f,
                "limit:     {} at {}/{} {} (+{} for this call; from {})",
                l.counter, l.used, l.max, l.per, l.adds, l.rule
            )?;
        }
        let decision = match &self.outcome {
            Outcome::Allow => "allow".to_string(),
            Outcome::Deny { reason } => format!("deny: {reason}"),
            Outcome::RateLimited {
                reason,
                retry_after_s,
                ..
            } => format!("rate-limited: {reason}; retry after {retry_after_s} s"),
            Outcome::NeedsApproval {
                timeout_s,
                remember,
                reason,
            } => {
                let why = reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                format!("needs approval{why}: waits {timeout_s} s, then denies; a yes is remembered {remember}")
            }
        };
        write!(f, "decision:  {decision}")
    }
}
