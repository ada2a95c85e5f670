//! Compile: a validated [`Policy`] becomes a [`CompiledPolicy`] where deciding is cheap:
//! exact names in a hash map, globs in one precompiled set, regexes built, paths split,
//! counters resolved, categories from the risk catalog.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use globset::{GlobSet, GlobSetBuilder};

use super::catalog::{Catalog, Category};
use super::condition::{ArgPath, CompiledCondition, Target};
use super::error::{PolicyErrors, PolicyIssue};
use super::model::{Action, ApprovalSpec, Limit, Policy, Rule, Scope};
use super::pattern::Pattern;
use super::validate::{join, parse_policy, validate_value};

/// How much a call adds to a counter.
#[derive(Debug, Clone)]
pub enum Amount {
    /// A fixed number (`increment`, default 1).
    Fixed(f64),
    /// The number at an argument path (`increment_from`).
    From {
        /// The path as written.
        path: String,
        /// The path, split.
        args: ArgPath,
    },
}

/// A limit ready to reserve.
#[derive(Debug, Clone)]
pub struct CompiledLimit {
    /// The rule it belongs to (`tools.create_audio_track`).
    pub rule: Arc<str>,
    /// That rule's reason, used in the rate-limit message.
    pub reason: Option<Arc<str>>,
    /// The counter's name.
    pub counter: Arc<str>,
    /// The window in seconds.
    pub window_s: u64,
    /// The window as written, for messages.
    pub window_label: String,
    /// Most the counter may reach per window.
    pub max: f64,
    /// Whose calls share it.
    pub scope: Scope,
    /// What each call adds.
    pub amount: Amount,
}

/// A rule ready to apply.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Where it stands in the policy (`tools.delete_*`, `categories.Write`, `default`).
    pub id: Arc<str>,
    /// What it does once its conditions hold and its limits have room.
    pub action: Action,
    /// Its reason, if it gives one.
    pub reason: Option<Arc<str>>,
    /// Its conditions.
    pub conditions: Vec<CompiledCondition>,
    /// Its limits.
    pub limits: Vec<CompiledLimit>,
    /// How it asks, for `approve`.
    pub approval: ApprovalSpec,
}

/// How the deciding rule was found, in matching order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum MatchedBy {
    /// The tool is hidden.
    Hidden {
        /// The `hide` pattern that hid it.
        pattern: String,
    },
    /// A `tools` entry with the exact name.
    Exact,
    /// The longest matching glob.
    Glob {
        /// The glob.
        pattern: String,
    },
    /// The `*` entry.
    Star,
    /// The rule of the tool's category.
    Category,
    /// No rule matched: the policy's `default`.
    Default,
}

/// A policy compiled for fast decisions. Immutable; reloads build a new one.
#[derive(Debug)]
pub struct CompiledPolicy {
    policy: Policy,
    catalog: Arc<Catalog>,
    pub(super) rules: Vec<CompiledRule>,
    exact: HashMap<String, usize>,
    globs: GlobSet,
    /// For each glob in `globs`: (rule index, pattern length, pattern).
    glob_rules: Vec<(usize, usize, String)>,
    star: Option<usize>,
    pub(super) star_limits: Vec<CompiledLimit>,
    categories: [Option<usize>; Category::ALL.len()],
    pub(super) default_rule: CompiledRule,
    hide_all: bool,
    hidden_exact: HashSet<String>,
    hidden_globs: GlobSet,
    hidden_glob_patterns: Vec<String>,
}

impl CompiledPolicy {
    /// Parses, validates and compiles a policy document.
    pub fn from_json(text: &str, catalog: Arc<Catalog>) -> Result<Self, PolicyErrors> {
        Self::compile(parse_policy(text)?, catalog)
    }

    /// The policy for "no policy file at all": every tool is denied.
    pub fn deny_all(catalog: Arc<Catalog>) -> Self {
        // A policy with no rules cannot fail to compile; the fallback keeps it total anyway.
        Self::compile(Policy::deny_all(), Arc::clone(&catalog)).unwrap_or_else(|_| Self {
            policy: Policy::deny_all(),
            catalog,
            rules: Vec::new(),
            exact: HashMap::new(),
            globs: GlobSet::empty(),
            glob_rules: Vec::new(),
            star: None,
            star_limits: Vec::new(),
            categories: [None; Category::ALL.len()],
            default_rule: default_rule(Action::Deny),
            hide_all: false,
            hidden_exact: HashSet::new(),
            hidden_globs: GlobSet::empty(),
            hidden_glob_patterns: Vec::new(),
        })
    }

    /// Compiles a policy model. The model is validated again first (it may have been built
    /// in code rather than parsed), so an invalid policy never compiles.
    pub fn compile(policy: Policy, catalog: Arc<Catalog>) -> Result<Self, PolicyErrors> {
        let value = serde_json::to_value(&policy).map_err(|e| {
            PolicyErrors::one(
                super::validate::DOCUMENT_PATH,
                format!("cannot serialize: {e}"),
            )
        })?;
        validate_value(&value)?;
        Builder::new(&policy).build(policy, catalog)
    }

    /// The policy as written.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The risk catalog categories come from.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The `hide` pattern hiding `tool`, if any. Hidden tools are left out of `tools/list`.
    pub fn hidden_by(&self, tool: &str) -> Option<String> {
        if self.hidden_exact.contains(tool) {
            return Some(tool.to_string());
        }
        if self.hide_all {
            return Some("*".to_string());
        }
        self.hidden_globs
            .matches(tool)
            .first()
            .and_then(|i| self.hidden_glob_patterns.get(*i).cloned())
    }

    /// The rule that decides `tool` (of `category`) once hiding is ruled out, and how it
    /// was found: exact name, longest glob, `*`, category, default.
    pub fn rule_for(&self, tool: &str, category: Category) -> (&CompiledRule, MatchedBy) {
        if let Some(rule) = self.exact.get(tool).and_then(|i| self.rules.get(*i)) {
            return (rule, MatchedBy::Exact);
        }
        if !self.glob_rules.is_empty() {
            // Longest glob wins; among equals, the first written.
            let best = self
                .globs
                .matches(tool)
                .into_iter()
                .filter_map(|i| self.glob_rules.get(i))
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some((index, _, pattern)) = best {
                if let Some(rule) = self.rules.get(*index) {
                    let matched = MatchedBy::Glob {
                        pattern: pattern.clone(),
                    };
                    return (rule, matched);
                }
            }
        }
        if let Some(rule) = self.star.and_then(|i| self.rules.get(i)) {
            return (rule, MatchedBy::Star);
        }
        if let Some(rule) = self.categories[category.index()].and_then(|i| self.rules.get(i)) {
            return (rule, MatchedBy::Category);
        }
        (&self.default_rule, MatchedBy::Default)
    }
}

fn default_rule(action: Action) -> CompiledRule {
    CompiledRule {
        id: Arc::from("default"),
        action,
        reason: None,
        conditions: Vec::new(),
        limits: Vec::new(),
        approval: ApprovalSpec::default(),
    }
}

/// Counters by name: (window seconds, scope), from the limits that declare them.
type CounterSpecs = HashMap<String, (u64, Scope)>;

struct Builder {
    counters: CounterSpecs,
    hide_all: bool,
    issues: Vec<PolicyIssue>,
}

impl Builder {
    fn new(policy: &Policy) -> Self {
        let mut counters = CounterSpecs::new();
        let all_rules = policy.categories.values().chain(policy.tools.values());
        for limit in all_rules.flat_map(|r| r.limits.iter()) {
            counters
                .entry(limit.counter.clone())
                .or_insert((limit.window.seconds(), limit.scope));
        }
        Self {
            counters,
            hide_all: false,
            issues: Vec::new(),
        }
    }

    fn build(
        mut self,
        policy: Policy,
        catalog: Arc<Catalog>,
    ) -> Result<CompiledPolicy, PolicyErrors> {
        let mut rules = Vec::new();
        let mut exact = HashMap::new();
        let mut globs = GlobSetBuilder::new();
        let mut glob_rules = Vec::new();
        let mut star = None;
        let mut star_limits = Vec::new();
        for (pattern, rule) in &policy.tools {
            let id = join("tools", pattern);
            if pattern == "*" && rule.is_limits_only() {
                star_limits = self.limits(rule, &id);
                continue;
            }
            let index = rules.len();
            rules.push(self.rule(rule, &id));
            match Pattern::parse(pattern) {
                Ok(Pattern::Any) => star = Some(index),
                Ok(Pattern::Exact(name)) => {
                    exact.insert(name, index);
                }
                Ok(Pattern::Glob(glob)) => {
                    globs.add(glob);
                    glob_rules.push((index, pattern.len(), pattern.clone()));
                }
                Err(message) => self.issues.push(PolicyIssue::new(id, message)),
            }
        }
        let mut categories = [None; Category::ALL.len()];
        for (category, rule) in &policy.categories {
            categories[category.index()] = Some(rules.len());
            rules.push(self.rule(rule, &join("categories", category.as_str())));
        }
        let (hidden_exact, hidden_globs, hidden_glob_patterns) = self.hidden(&policy.hide);
        let globs = self.glob_set(globs, "tools");
        if !self.issues.is_empty() {
            return Err(PolicyErrors(self.issues));
        }
        Ok(CompiledPolicy {
            default_rule: default_rule(policy.default),
            policy,
            catalog,
            rules,
            exact,
            globs,
            glob_rules,
            star,
            star_limits,
            categories,
            hide_all: self.hide_all,
            hidden_exact,
            hidden_globs,
            hidden_glob_patterns,
        })
    }

    fn hidden(&mut self, hide: &[String]) -> (HashSet<String>, GlobSet, Vec<String>) {
        let mut exact = HashSet::new();
        let mut globs = GlobSetBuilder::new();
        let mut patterns = Vec::new();
        for (i, pattern) in hide.iter().enumerate() {
            match Pattern::parse(pattern) {
                Ok(Pattern::Exact(name)) => {
                    exact.insert(name);
                }
                Ok(Pattern::Any) => self.hide_all = true,
                Ok(Pattern::Glob(glob)) => {
                    globs.add(glob);
                    patterns.push(pattern.clone());
                }
                Err(message) => self
                    .issues
                    .push(PolicyIssue::new(format!("hide[{i}]"), message)),
            }
        }
        (exact, self.glob_set(globs, "hide"), patterns)
    }

    fn glob_set(&mut self, builder: GlobSetBuilder, path: &str) -> GlobSet {
        builder.build().unwrap_or_else(|e| {
            self.issues
                .push(PolicyIssue::new(path, format!("globs do not compile: {e}")));
            GlobSet::empty()
        })
    }

    fn rule(&mut self, rule: &Rule, id: &str) -> CompiledRule {
        let conditions = rule
            .conditions
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let path = format!("{id}.conditions[{i}]");
                let counters = &self.counters;
                let state = |name: &str| {
                    counters.get(name).map(|(window_s, scope)| Target::State {
                        counter: Arc::from(name),
                        window_s: *window_s,
                        scope: *scope,
                    })
                };
                CompiledCondition::compile(c, state, &path)
                    .map_err(|e| self.issues.extend(e.0))
                    .ok()
            })
            .collect();
        CompiledRule {
            id: Arc::from(id),
            action: rule.action.unwrap_or(Action::Allow),
            reason: rule.reason.as_deref().map(Arc::from),
            conditions,
            limits: self.limits(rule, id),
            approval: rule.approval.unwrap_or_default(),
        }
    }

    fn limits(&mut self, rule: &Rule, id: &str) -> Vec<CompiledLimit> {
        let reason: Option<Arc<str>> = rule.reason.as_deref().map(Arc::from);
        let rule_id: Arc<str> = Arc::from(id);
        rule.limits
            .iter()
            .enumerate()
            .filter_map(|(i, limit)| {
                let amount = self.amount(limit, &format!("{id}.limits[{i}]"))?;
                Some(CompiledLimit {
                    rule: Arc::clone(&rule_id),
                    reason: reason.clone(),
                    counter: Arc::from(limit.counter.as_str()),
                    window_s: limit.window.seconds(),
                    window_label: limit.window.to_string(),
                    max: limit.max,
                    scope: limit.scope,
                    amount,
                })
            })
            .collect()
    }

    fn amount(&mut self, limit: &Limit, path: &str) -> Option<Amount> {
        match &limit.increment_from {
            None => Some(Amount::Fixed(limit.increment.unwrap_or(1.0))),
            Some(from) => match ArgPath::parse(from) {
                Some(args) => Some(Amount::From {
                    path: from.clone(),
                    args,
                }),
                None => {
                    self.issues.push(PolicyIssue::new(
                        format!("{path}.increment_from"),
                        "expected an argument path (args.<name>)",
                    ));
                    None
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> CompiledPolicy {
        CompiledPolicy::from_json(text, Arc::new(Catalog::ableton())).expect("valid policy")
    }

    #[test]
    fn matching_order_is_exact_then_longest_glob_then_star_then_category_then_default() {
        let p = compile(
            r#"{"version":"1","default":"approve",
                "categories":{"Destructive":{"action":"deny"}},
                "tools":{"*":{"action":"allow"},"delete_*":{"action":"approve"},
                         "delete_t*":{"action":"deny"},"delete_track":{"action":"allow"}}}"#,
        );
        let id = |tool: &str| {
            let (rule, by) = p.rule_for(tool, Category::Destructive);
            (rule.id.to_string(), by)
        };
        assert_eq!(
            id("delete_track"),
            ("tools.delete_track".into(), MatchedBy::Exact)
        );
        assert_eq!(
            id("delete_tracks"),
            (
                "tools.delete_t*".into(),
                MatchedBy::Glob {
                    pattern: "delete_t*".into()
                }
            )
        );
        assert_eq!(
            id("delete_clip"),
            (
                "tools.delete_*".into(),
                MatchedBy::Glob {
                    pattern: "delete_*".into()
                }
            )
        );
        assert_eq!(id("fire_clip"), ("tools.*".into(), MatchedBy::Star));
    }

    #[test]
    fn categories_and_default_come_after_tools() {
        let p = compile(
            r#"{"version":"1","default":"approve","categories":{"Read":{"action":"allow"}},
                "tools":{"*":{"limits":[{"counter":"all","window":"minute","max":100}]}}}"#,
        );
        assert_eq!(
            p.star_limits.len(),
            1,
            "a limits-only * is a modifier, not a rule"
        );
        let (rule, by) = p.rule_for("get_track_info", Category::Read);
        assert_eq!((&*rule.id, by), ("categories.Read", MatchedBy::Category));
        let (rule, by) = p.rule_for("delete_track", Category::Destructive);
        assert_eq!(
            (&*rule.id, rule.action, by),
            ("default", Action::Approve, MatchedBy::Default)
        );
    }

    #[test]
    fn equal_length_globs_go_to_the_first_written() {
        let p = compile(
            r#"{"version":"1","tools":{"set_*_a":{"reason":"first"},"set_x_*":{"reason":"second"}}}"#,
        );
        let (rule, _) = p.rule_for("set_x_a", Category::Write);
        assert_eq!(rule.reason.as_deref(), Some("first"));
    }

    #[test]
    fn hidden_tools_are_found_by_name_glob_or_star() {
        let p = compile(r#"{"version":"1","hide":["delete_track","*_warp_*"]}"#);
        assert_eq!(p.hidden_by("delete_track").as_deref(), Some("delete_track"));
        assert_eq!(p.hidden_by("get_warp_markers").as_deref(), Some("*_warp_*"));
        assert_eq!(p.hidden_by("fire_clip"), None);
        let all = compile(r#"{"version":"1","hide":["*"]}"#);
        assert_eq!(all.hidden_by("github.anything").as_deref(), Some("*"));
    }

    #[test]
    fn policies_built_in_code_are_validated_too() {
        let mut policy = Policy::deny_all();
        policy.tools.insert(
            "x".into(),
            Rule {
                conditions: vec![super::super::model::Condition {
                    path: "state.nowhere".into(),
                    op: super::super::model::Op::Lt,
                    value: Some(serde_json::json!(1)),
                }],
                ..Rule::default()
            },
        );
        let errors = CompiledPolicy::compile(policy, Arc::new(Catalog::empty()))
            .expect_err("unknown counter");
        assert_eq!(errors.issues()[0].path, "tools.x.conditions[0].path");
    }
}
