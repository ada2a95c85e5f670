//! Import of PolicyLayer **Intercept** YAML policies into livegate's policy model.
//!
//! [`import_intercept`] reads an Intercept policy (`version: "1"`, `default`, `hide`,
//! `tools` with `rules`) and produces the livegate [`Policy`] that means the same thing,
//! together with a list of [`Untranslated`] parts: everything that could not be carried
//! over, each with its path in the Intercept document and the reason. Intercept's counters
//! are global, so every limit is imported with scope `global`, and a counter `<counter>` of
//! tool `<scope>` (or `_global` under `*`) is named `<scope>.<counter>`, which keeps
//! Intercept's `state.<scope>.<counter>` condition paths unchanged. A `state` block becomes a
//! [`Limit`] whose `max` comes from the rule's `lte`/`lt` condition on its own counter, and
//! `rate_limit: N/window` becomes the limit it is shorthand for. A tool's rules are ANDed
//! into one livegate rule; `*` becomes a limits-only entry. Intercept ignores unknown keys;
//! this importer reports each of them instead. Only problems with the document as a whole
//! (not YAML, not a mapping, wrong `version`, `default`, `hide` or `tools`) are errors.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::model::{Action, Condition, Limit, Op, Policy, Rule, POLICY_VERSION};

#[cfg(test)]
mod tests;
mod values;

use values::{
    action_of, describe, field, global_limit, is_empty_list, parse_condition, parse_rate_limit,
    parse_state, scalar_text,
};

/// Result of converting an Intercept policy.
#[derive(Debug, Clone, PartialEq)]
pub struct InterceptImport {
    /// The livegate policy that means what the Intercept policy means, minus `untranslated`.
    pub policy: Policy,
    /// Every part of the Intercept policy left out of (or changed in) `policy`.
    pub untranslated: Vec<Untranslated>,
}

/// A part of the Intercept policy that could not be carried over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Untranslated {
    /// Where in the Intercept document, e.g. `tools.delete_customer.rules[1].conditions[0]`.
    pub path: String,
    /// Why it was left out, and what that means for the imported policy.
    pub reason: String,
}

/// Why an Intercept document could not be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterceptError {
    /// The text is not YAML; the message includes the position when there is one.
    #[error("not valid YAML: {message}")]
    Yaml {
        /// The parser's message.
        message: String,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// 1-based column of the problem, when known.
        column: Option<usize>,
    },
    /// The document is YAML but not a mapping of keys.
    #[error(
        "an Intercept policy is a YAML mapping with `version`, `default` and `tools` keys, \
         but this document is {found}"
    )]
    NotAMapping {
        /// What the document is instead.
        found: String,
    },
    /// There is no `version` key.
    #[error("missing `version`: an Intercept policy starts with `version: \"1\"`")]
    MissingVersion,
    /// `version` is not `"1"`.
    #[error("unsupported Intercept policy version ({found}): only version \"1\" can be imported")]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// `default` is neither `allow` nor `deny`.
    #[error("`default` is {found}: Intercept accepts \"allow\" or \"deny\" (missing means allow)")]
    InvalidDefault {
        /// The value found.
        found: String,
    },
    /// A top-level key has a type Intercept cannot load.
    #[error("`{key}` must be {expected}, but it is {found}")]
    WrongType {
        /// The top-level key.
        key: &'static str,
        /// What Intercept expects there.
        expected: &'static str,
        /// What the document has.
        found: String,
    },
}

impl From<serde_yaml_ng::Error> for InterceptError {
    fn from(err: serde_yaml_ng::Error) -> Self {
        let location = err.location();
        InterceptError::Yaml {
            message: err.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        }
    }
}

const TOP_KEYS: &[&str] = &["version", "description", "default", "hide", "tools"];
const RULE_KEYS: &[&str] = &[
    "name",
    "action",
    "rate_limit",
    "conditions",
    "on_deny",
    "state",
];
const CONDITION_KEYS: &[&str] = &["path", "op", "value"];
const STATE_KEYS: &[&str] = &["counter", "window", "increment", "increment_from"];

/// Characters that would make livegate read a tool name as a glob pattern.
const GLOB_CHARS: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

const NOT_CARRIED: &str = "not carried over";
const TOOL_DROPPED: &str = "the tool was not carried over";
const STATE_DROPPED: &str = "the state block was not carried over";

const RATE_COMBINED: &str = "cannot be combined with conditions or state (Intercept rejects \
     the rule); not carried over";
const WILDCARD_CONDITION: &str = "livegate's `*` entry can only add limits to every call, not \
     conditions; this condition would otherwise apply to every call, so the imported policy is \
     more permissive than the Intercept one: review it";
const WILDCARD_DENY: &str = "a deny rule under `*` denies every call in Intercept, but livegate's \
     `*` entry can only add limits to every call; the rule was dropped, so the imported policy \
     is more permissive than the Intercept one: review it";

/// Converts an Intercept policy (YAML text) into a livegate policy.
///
/// Document-level problems are errors; everything else that cannot be carried over is
/// listed in [`InterceptImport::untranslated`] with its path. Never panics.
pub fn import_intercept(yaml: &str) -> Result<InterceptImport, InterceptError> {
    let mut doc: Yaml = serde_yaml_ng::from_str(yaml)?;
    doc.apply_merge()?;
    let Yaml::Mapping(map) = &doc else {
        return Err(InterceptError::NotAMapping {
            found: describe(&doc),
        });
    };
    match field(map, "version") {
        None => return Err(InterceptError::MissingVersion),
        Some(v) if scalar_text(v).as_deref() == Some(POLICY_VERSION) => {}
        Some(v) => return Err(InterceptError::UnsupportedVersion { found: describe(v) }),
    }
    let default = match field(map, "default").map(|v| (scalar_text(v), v)) {
        None => Action::Allow,
        Some((Some(text), _)) if text.is_empty() || text == "allow" => Action::Allow,
        Some((Some(text), _)) if text == "deny" => Action::Deny,
        Some((_, v)) => return Err(InterceptError::InvalidDefault { found: describe(v) }),
    };
    let hide_items = match field(map, "hide") {
        None => &[][..],
        Some(Yaml::Sequence(items)) => items.as_slice(),
        Some(other) => return Err(wrong_type("hide", "a list of tool names", other)),
    };
    let tool_defs = match field(map, "tools") {
        None => None,
        Some(Yaml::Mapping(tools)) => Some(tools),
        Some(other) => return Err(wrong_type("tools", "a mapping of tool names", other)),
    };

    let mut cx = Importer::default();
    cx.unknown_keys("", map, TOP_KEYS);
    let description = cx.text(map, "description", "").filter(|d| !d.is_empty());
    let hide = cx.hide(hide_items);
    let mut firsts = Vec::new();
    for (key, def) in tool_defs.into_iter().flatten() {
        if let Some(name) = cx.tool_name(key) {
            if let Some(first) = cx.tool(&name, def) {
                firsts.push((name, first));
            }
        }
    }
    let tools = cx.finish_tools(firsts);
    let policy = Policy {
        version: POLICY_VERSION.to_string(),
        description,
        default,
        hide,
        categories: IndexMap::new(),
        tools,
    };
    Ok(InterceptImport {
        policy,
        untranslated: cx.notes,
    })
}

/// A tool after the first pass: denied outright, or its translated `evaluate` rules.
enum FirstPass {
    Deny(String),
    Rules(Vec<RuleIr>),
}

/// An `evaluate` rule after the first pass; its `state.` conditions are checked in the
/// second, once every counter that becomes a livegate limit is known.
struct RuleIr {
    /// `on_deny`, or `Denied by rule "<name>"`.
    message: String,
    /// `on_deny` as written.
    on_deny: Option<String>,
    limits: Vec<Limit>,
    conditions: Vec<CondIr>,
}

/// A translated condition and its path in the Intercept document.
struct CondIr {
    path: String,
    cond: Condition,
}

#[derive(Default)]
struct Importer {
    notes: Vec<Untranslated>,
}

impl Importer {
    fn note(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        let (path, reason) = (path.into(), reason.into());
        self.notes.push(Untranslated { path, reason });
    }

    /// Notes that `path` holds `found` instead of `expected`, with the consequence `then`.
    fn wrong(&mut self, path: impl Into<String>, expected: &str, found: &Yaml, then: &str) {
        let found = describe(found);
        let reason = format!("must be {expected}, but it is {found}; {then}");
        self.note(path, reason);
    }

    fn mapping<'a>(&mut self, path: &str, value: &'a Yaml, what: &str) -> Option<&'a Mapping> {
        match value {
            Yaml::Mapping(map) => Some(map),
            other => {
                self.wrong(path, "a mapping", other, what);
                None
            }
        }
    }

    /// The list under `key` (empty when missing), or `None` (noted) when it is not a list.
    fn list<'a>(
        &mut self,
        map: &'a Mapping,
        key: &str,
        path: &str,
        what: &str,
    ) -> Option<&'a [Yaml]> {
        match field(map, key) {
            None => Some(&[]),
            Some(Yaml::Sequence(items)) => Some(items),
            Some(other) => {
                self.wrong(join(path, key), "a list", other, what);
                None
            }
        }
    }

    /// Reports every key of `map` not in `known`.
    fn unknown_keys(&mut self, path: &str, map: &Mapping, known: &[&str]) {
        for key in map.keys() {
            let text = scalar_text(key);
            if !text.as_deref().is_some_and(|k| known.contains(&k)) {
                let key = text.unwrap_or_else(|| describe(key));
                let expected = known.join(", ");
                let reason = format!(
                    "unknown key: Intercept ignores it, so it was not carried over (expected \
                     {expected}; check for a typo)"
                );
                self.note(join(path, &key), reason);
            }
        }
    }

    /// A string field (numbers and booleans read as their text, as Intercept does).
    fn text(&mut self, map: &Mapping, key: &str, path: &str) -> Option<String> {
        let value = field(map, key)?;
        let text = scalar_text(value);
        if text.is_none() {
            self.wrong(join(path, key), "a string", value, NOT_CARRIED);
        }
        text
    }

    fn hide(&mut self, items: &[Yaml]) -> Vec<String> {
        let mut hide: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("hide[{i}]");
            match scalar_text(item) {
                None => self.wrong(path, "a tool name", item, NOT_CARRIED),
                Some(name) if name.trim().is_empty() => {
                    self.note(path, "an empty name hides nothing")
                }
                Some(name) if name != "*" && name.contains(GLOB_CHARS) => self.note(
                    path,
                    "the name contains glob characters (* ? [ ] { } \\): Intercept hides only the \
                     tool with exactly this name, livegate would read it as a glob pattern; not \
                     carried over, so that tool stays visible: review it",
                ),
                Some(name) if hide.contains(&name) => {}
                Some(name) => hide.push(name),
            }
        }
        hide
    }

    /// The tool's name, or `None` (noted) when livegate cannot use it as an exact name.
    fn tool_name(&mut self, key: &Yaml) -> Option<String> {
        let Some(name) = scalar_text(key) else {
            let path = format!("tools.({})", describe(key));
            self.note(
                path,
                "a tool name must be a string; the tool was not carried over",
            );
            return None;
        };
        if name != "*" && name.contains(GLOB_CHARS) {
            self.note(
                format!("tools.{name}"),
                "the tool name contains glob characters (* ? [ ] { } \\): Intercept matches tool \
                 names exactly, but livegate would read this key as a glob pattern matching other \
                 tools; the tool's rules were not carried over: review it",
            );
            return None;
        }
        Some(name)
    }

    fn tool(&mut self, name: &str, def: &Yaml) -> Option<FirstPass> {
        let path = format!("tools.{name}");
        if def.is_null() {
            return Some(FirstPass::Rules(Vec::new()));
        }
        let map = self.mapping(&path, def, TOOL_DROPPED)?;
        self.unknown_keys(&path, map, &["rules"]);
        let rules = self.list(map, "rules", &path, TOOL_DROPPED)?;
        let wildcard = name == "*";
        let scope = if wildcard { "_global" } else { name };
        if !wildcard {
            // Rules are ANDed: one deny rule denies the whole tool, the others cannot matter.
            let deny = rules.iter().enumerate().find_map(|(i, rule)| match rule {
                Yaml::Mapping(map) if action_of(map).as_deref() == Some("deny") => Some((i, map)),
                _ => None,
            });
            if let Some((i, map)) = deny {
                return Some(FirstPass::Deny(
                    self.deny_rule(&format!("{path}.rules[{i}]"), map),
                ));
            }
        }
        let rules = rules.iter().enumerate();
        let rules =
            rules.filter_map(|(i, rule)| self.rule(&format!("{path}.rules[{i}]"), rule, scope));
        Some(FirstPass::Rules(rules.collect()))
    }

    /// A `deny` rule of a named tool: its denial text.
    fn deny_rule(&mut self, path: &str, map: &Mapping) -> String {
        self.unknown_keys(path, map, RULE_KEYS);
        for key in ["conditions", "state", "rate_limit"] {
            if field(map, key).is_some_and(|v| !is_empty_list(v)) {
                self.note(
                    join(path, key),
                    "ignored: a deny rule denies every call of the tool (Intercept rejects a deny \
                     rule with conditions, state or rate_limit)",
                );
            }
        }
        let name = self.text(map, "name", path).unwrap_or_default();
        let on_deny = self.text(map, "on_deny", path).filter(|s| !s.is_empty());
        on_deny.unwrap_or_else(|| format!("Denied by rule {name:?}"))
    }

    /// An `evaluate` rule (or, under `*`, any rule) after the first pass.
    fn rule(&mut self, path: &str, rule: &Yaml, scope: &str) -> Option<RuleIr> {
        let map = self.mapping(path, rule, "the rule was not carried over")?;
        self.unknown_keys(path, map, RULE_KEYS);
        let name = self.text(map, "name", path).unwrap_or_default();
        let on_deny = self.text(map, "on_deny", path).filter(|s| !s.is_empty());
        match self.text(map, "action", path).as_deref() {
            None | Some("" | "evaluate") => {}
            Some("deny") => {
                self.note(path, WILDCARD_DENY);
                return None;
            }
            Some(other) => {
                let reason = format!(
                    "unknown action {other:?} (Intercept accepts evaluate or deny); the rule was \
                     not carried over"
                );
                self.note(join(path, "action"), reason);
                return None;
            }
        }
        let items = self
            .list(map, "conditions", path, "no condition was carried over")
            .unwrap_or_default();
        let mut conditions: Vec<CondIr> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let path = format!("{path}.conditions[{j}]");
            let Some(map) = self.mapping(&path, item, NOT_CARRIED) else {
                continue;
            };
            self.unknown_keys(&path, map, CONDITION_KEYS);
            let (cpath, op) = (self.text(map, "path", &path), self.text(map, "op", &path));
            match parse_condition(cpath.unwrap_or_default(), &op.unwrap_or_default(), map) {
                Ok(cond) => conditions.push(CondIr { path, cond }),
                Err(e) => self.note(path, format!("{e}; {NOT_CARRIED}")),
            }
        }
        let mut limits = Vec::new();
        let state = field(map, "state");
        if let Some(rate) = self.text(map, "rate_limit", path).filter(|s| !s.is_empty()) {
            let combined = !items.is_empty() || state.is_some();
            match parse_rate_limit(&rate) {
                _ if combined => self.note(join(path, "rate_limit"), RATE_COMBINED),
                Ok((max, w)) => limits.push(global_limit(format!("{scope}._rate_{w}"), w, max)),
                Err(reason) => self.note(join(path, "rate_limit"), reason),
            }
        }
        if let Some(state) = state {
            limits.extend(self.state(&join(path, "state"), state, scope, &mut conditions));
        }
        let message = on_deny.clone();
        Some(RuleIr {
            message: message.unwrap_or_else(|| format!("Denied by rule {name:?}")),
            on_deny,
            limits,
            conditions,
        })
    }

    /// A `state` block: the limit it becomes, consuming the `lt`/`lte` condition on its own
    /// counter from `conditions`.
    fn state(
        &mut self,
        path: &str,
        state: &Yaml,
        scope: &str,
        conditions: &mut Vec<CondIr>,
    ) -> Option<Limit> {
        let map = self.mapping(path, state, STATE_DROPPED)?;
        self.unknown_keys(path, map, STATE_KEYS);
        let mut limit = match parse_state(map) {
            Ok(limit) => limit,
            Err(e) => {
                self.note(path, format!("{e}; {STATE_DROPPED}"));
                return None;
            }
        };
        limit.counter = format!("{scope}.{}", limit.counter);
        let own = format!("state.{}", limit.counter);
        let is_limit = |c: &CondIr| c.cond.path == own && matches!(c.cond.op, Op::Lt | Op::Lte);
        let Some(found) = conditions.iter().position(is_limit) else {
            let reason = format!(
                "this rule has no usable `lt`/`lte` condition on `{own}`, so Intercept never \
                 increments this counter and it limits nothing; not carried over"
            );
            self.note(path, reason);
            return None;
        };
        let CondIr { path, cond } = conditions.remove(found);
        let value = cond.value.as_ref().and_then(Json::as_f64)?;
        limit.max = if cond.op == Op::Lt {
            value.floor() - 1.0
        } else {
            value
        };
        if limit.max < 0.0 {
            let reason = format!(
                "the limit works out to {}, below zero: Intercept denies every call this rule \
                 sees, and a livegate limit cannot be negative; not carried over",
                limit.max
            );
            self.note(path, reason);
            return None;
        }
        Some(limit)
    }

    /// The second pass: keeps `state.` conditions whose counter is a livegate limit, merges
    /// each tool's rules into one livegate rule and builds the limits-only `*` entry.
    fn finish_tools(&mut self, firsts: Vec<(String, FirstPass)>) -> IndexMap<String, Rule> {
        let mut counters = HashSet::new();
        for (_, first) in &firsts {
            if let FirstPass::Rules(rules) = first {
                counters.extend(
                    rules
                        .iter()
                        .flat_map(|r| r.limits.iter().map(|l| l.counter.clone())),
                );
            }
        }
        let mut tools = IndexMap::new();
        for (name, first) in firsts {
            let rules = match first {
                FirstPass::Deny(reason) => {
                    let (action, reason) = (Some(Action::Deny), Some(reason));
                    tools.insert(
                        name,
                        Rule {
                            action,
                            reason,
                            ..Rule::default()
                        },
                    );
                    continue;
                }
                FirstPass::Rules(rules) => rules,
            };
            let wildcard = name == "*";
            let mut out = Rule::default();
            let (mut condition_messages, mut limit_messages) = (Vec::new(), Vec::new());
            for rule in rules {
                let before = out.conditions.len();
                for CondIr { path, cond } in rule.conditions {
                    let counter = cond.path.strip_prefix("state.");
                    if let Some(counter) = counter.filter(|c| !counters.contains(*c)) {
                        let reason = format!(
                            "reads counter `{counter}`, which no translated rule limits (a counter \
                             exists only where a `state` block or `rate_limit` defines it); not \
                             carried over"
                        );
                        self.note(path, reason);
                    } else if wildcard {
                        self.note(path, WILDCARD_CONDITION);
                    } else {
                        out.conditions.push(cond);
                    }
                }
                if out.conditions.len() > before {
                    push_unique(&mut condition_messages, rule.message);
                } else if let Some(on_deny) = rule.on_deny.filter(|_| !rule.limits.is_empty()) {
                    // livegate words rate-limit denials itself; this only counts when alone.
                    push_unique(&mut limit_messages, on_deny);
                }
                out.limits.extend(rule.limits);
            }
            if wildcard {
                // Only limits, which livegate adds to every call; no entry without any.
                if !out.limits.is_empty() {
                    tools.insert(name, out);
                }
                continue;
            }
            let messages = match condition_messages.is_empty() {
                true => limit_messages,
                false => condition_messages,
            };
            if messages.len() > 1 {
                let reason = format!(
                    "livegate has one reason per rule, so the {} different on_deny messages of \
                     this tool were merged into one (\"; \"-separated); the rules themselves \
                     were translated",
                    messages.len()
                );
                self.note(format!("tools.{name}.rules"), reason);
            }
            out.reason = (!messages.is_empty()).then(|| messages.join("; "));
            tools.insert(name, out);
        }
        tools
    }
}

fn wrong_type(key: &'static str, expected: &'static str, found: &Yaml) -> InterceptError {
    let found = describe(found);
    InterceptError::WrongType {
        key,
        expected,
        found,
    }
}

fn join(path: &str, key: &str) -> String {
    match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    }
}

fn push_unique(messages: &mut Vec<String>, message: String) {
    if !messages.contains(&message) {
        messages.push(message);
    }
}
