//! Parse + validate: reads a policy document and reports *every* problem with its JSON path,
//! not just the first. Unknown fields are errors: a typo must never widen access.
//!
//! The walk goes over the raw JSON so that one bad field does not hide the next; a document
//! that passes is then deserialized into the [`Policy`] model, which cannot fail by then.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::catalog::Category;
use super::error::{PolicyErrors, PolicyIssue};
use super::model::{Action, Op, Policy, Remember, Scope, Window, POLICY_VERSION, WINDOW_EXPECTED};
use super::pattern::Pattern;

mod wording;

pub(crate) use wording::join;
use wording::{check_args_path, kind, list, list_sorted, op_list, suggestion};

/// The path shown for problems with the document as a whole.
pub const DOCUMENT_PATH: &str = "(document)";

/// Longest approval timeout a rule may ask for (a day).
const MAX_APPROVAL_TIMEOUT_S: u64 = 86_400;

/// Parses and validates a policy document.
pub fn parse_policy(text: &str) -> Result<Policy, PolicyErrors> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| PolicyErrors::one(DOCUMENT_PATH, format!("not valid JSON: {e}")))?;
    validate_value(&doc)
}

/// Validates an already parsed JSON document and turns it into the policy model.
pub fn validate_value(doc: &Value) -> Result<Policy, PolicyErrors> {
    let mut v = Validator::default();
    v.document(doc);
    v.cross_check();
    if !v.issues.is_empty() {
        return Err(PolicyErrors(v.issues));
    }
    serde_json::from_value(doc.clone())
        .map_err(|e| PolicyErrors::one(DOCUMENT_PATH, format!("not a valid policy: {e}")))
}

/// Where a counter was first declared, to check that every use agrees on window and scope.
struct CounterUse {
    path: String,
    window: Window,
    scope: Scope,
}

#[derive(Default)]
struct Validator {
    issues: Vec<PolicyIssue>,
    counters: HashMap<String, CounterUse>,
    /// `state.<counter>` references, checked once every limit is known.
    state_refs: Vec<(String, String)>,
}

impl Validator {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.issues.push(PolicyIssue::new(path, message));
    }

    fn document(&mut self, doc: &Value) {
        let Some(obj) = doc.as_object() else {
            self.error(
                DOCUMENT_PATH,
                format!("expected a JSON object, found {}", kind(doc)),
            );
            return;
        };
        self.unknown_fields(
            obj,
            "",
            &[
                "version",
                "description",
                "default",
                "hide",
                "categories",
                "tools",
            ],
        );
        match obj.get("version") {
            None => self.error(
                "version",
                format!("missing; every policy starts with \"version\": \"{POLICY_VERSION}\""),
            ),
            Some(Value::String(s)) if s == POLICY_VERSION => {}
            Some(other) => self.error(
                "version",
                format!(
                    "unsupported version {other}; this livegate reads version \"{POLICY_VERSION}\" (a string)"
                ),
            ),
        }
        if let Some(d) = obj.get("description") {
            self.string(d, "description");
        }
        if let Some(d) = obj.get("default") {
            self.action(d, "default");
        }
        if let Some(hide) = obj.get("hide") {
            self.hide(hide);
        }
        if let Some(categories) = obj.get("categories") {
            self.categories(categories);
        }
        if let Some(tools) = obj.get("tools") {
            self.tools(tools);
        }
    }

    fn hide(&mut self, hide: &Value) {
        let Some(items) = hide.as_array() else {
            self.error(
                "hide",
                format!("expected a list of tool patterns, found {}", kind(hide)),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("hide[{i}]");
            match item.as_str() {
                Some(p) => self.pattern(p, &path),
                None => self.error(
                    &path,
                    format!("expected a tool pattern, found {}", kind(item)),
                ),
            }
        }
    }

    fn categories(&mut self, categories: &Value) {
        let Some(obj) = categories.as_object() else {
            self.error(
                "categories",
                format!(
                    "expected an object of category rules, found {}",
                    kind(categories)
                ),
            );
            return;
        };
        for (name, rule) in obj {
            let path = join("categories", name);
            if Category::from_name(name).is_none() {
                let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                self.error(
                    &path,
                    format!(
                        "unknown category {name:?}{}; expected {}",
                        suggestion(name, &names),
                        list(&names)
                    ),
                );
                continue;
            }
            self.rule(rule, &path);
        }
    }

    fn tools(&mut self, tools: &Value) {
        let Some(obj) = tools.as_object() else {
            self.error(
                "tools",
                format!("expected an object of tool rules, found {}", kind(tools)),
            );
            return;
        };
        for (pattern, rule) in obj {
            let path = join("tools", pattern);
            self.pattern(pattern, &path);
            self.rule(rule, &path);
        }
    }

    fn pattern(&mut self, pattern: &str, path: &str) {
        if let Err(message) = Pattern::parse(pattern) {
            self.error(path, message);
        }
    }

    fn rule(&mut self, rule: &Value, path: &str) {
        let Some(obj) = rule.as_object() else {
            self.error(
                path,
                format!("expected a rule object, found {}", kind(rule)),
            );
            return;
        };
        self.unknown_fields(
            obj,
            path,
            &["action", "reason", "conditions", "limits", "approval"],
        );
        let action = obj
            .get("action")
            .and_then(|a| self.action(a, &join(path, "action")));
        if let Some(reason) = obj.get("reason") {
            self.string(reason, &join(path, "reason"));
        }
        if let Some(conditions) = obj.get("conditions") {
            self.list(
                conditions,
                &join(path, "conditions"),
                "conditions",
                Self::condition,
            );
        }
        if let Some(limits) = obj.get("limits") {
            self.list(limits, &join(path, "limits"), "limits", Self::limit);
        }
        if let Some(approval) = obj.get("approval") {
            let approval_path = join(path, "approval");
            self.approval(approval, &approval_path);
            if action != Some(Action::Approve) {
                self.error(
                    &approval_path,
                    "only used when \"action\" is \"approve\"; set the action or remove this",
                );
            }
        }
    }

    fn list(&mut self, value: &Value, path: &str, what: &str, each: fn(&mut Self, &Value, &str)) {
        let Some(items) = value.as_array() else {
            self.error(
                path,
                format!("expected a list of {what}, found {}", kind(value)),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            each(self, item, &format!("{path}[{i}]"));
        }
    }

    fn condition(&mut self, cond: &Value, path: &str) {
        let Some(obj) = cond.as_object() else {
            self.error(
                path,
                format!("expected a condition object, found {}", kind(cond)),
            );
            return;
        };
        self.unknown_fields(obj, path, &["path", "op", "value"]);
        match obj.get("path") {
            None => self.error(
                path,
                "missing \"path\" (e.g. \"args.track_index\" or \"state.writes\")",
            ),
            Some(Value::String(p)) => {
                let p_path = join(path, "path");
                if let Some(counter) = p.strip_prefix("state.") {
                    if counter.is_empty() {
                        self.error(&p_path, "\"state.\" must be followed by a counter name");
                    } else {
                        self.state_refs.push((p_path, counter.to_string()));
                    }
                } else if let Err(message) = check_args_path(p) {
                    self.error(&p_path, message);
                }
            }
            Some(other) => self.error(
                &join(path, "path"),
                format!("expected a string, found {}", kind(other)),
            ),
        }
        let op = match obj.get("op") {
            None => {
                self.error(path, format!("missing \"op\"; expected {}", op_list()));
                None
            }
            Some(op) => self.op(op, &join(path, "op")),
        };
        let value = obj.get("value");
        let value_path = join(path, "value");
        let Some(op) = op else { return };
        match (op, value) {
            (Op::Exists, None) | (Op::Exists, Some(Value::Bool(_))) => {}
            (Op::Exists, Some(v)) => self.error(
                &value_path,
                format!("exists takes true or false, found {}", kind(v)),
            ),
            (_, None) => self.error(path, format!("missing \"value\" for op {op}")),
            (Op::In | Op::NotIn, Some(v)) if !v.is_array() => self.error(
                &value_path,
                format!("{op} takes a list of values, found {}", kind(v)),
            ),
            (Op::Lt | Op::Lte | Op::Gt | Op::Gte, Some(v)) if !v.is_number() => self.error(
                &value_path,
                format!("{op} takes a number, found {}", kind(v)),
            ),
            (Op::Regex, Some(Value::String(re))) => {
                if let Err(e) = regex::Regex::new(re) {
                    // The regex crate's message spans lines, ending in the actual problem.
                    let text = e.to_string();
                    let problem = text.lines().last().unwrap_or_default();
                    let problem = problem.trim_start_matches("error: ");
                    self.error(
                        &value_path,
                        format!("not a valid regular expression: {problem}"),
                    );
                }
            }
            (Op::Regex, Some(v)) => self.error(
                &value_path,
                format!("regex takes a regular expression string, found {}", kind(v)),
            ),
            _ => {}
        }
    }

    fn limit(&mut self, limit: &Value, path: &str) {
        let Some(obj) = limit.as_object() else {
            self.error(
                path,
                format!("expected a limit object, found {}", kind(limit)),
            );
            return;
        };
        self.unknown_fields(
            obj,
            path,
            &[
                "counter",
                "window",
                "max",
                "scope",
                "increment",
                "increment_from",
            ],
        );
        let counter = match obj.get("counter") {
            None => {
                self.error(
                    path,
                    "missing \"counter\" (a name for what this limit counts)",
                );
                None
            }
            Some(Value::String(c)) if !c.trim().is_empty() => Some(c.clone()),
            Some(other) => {
                self.error(
                    &join(path, "counter"),
                    format!("expected a non-empty counter name, found {}", kind(other)),
                );
                None
            }
        };
        let window = match obj.get("window") {
            None => {
                self.error(path, format!("missing \"window\"; {WINDOW_EXPECTED}"));
                None
            }
            Some(w) => self.window(w, &join(path, "window")),
        };
        match obj.get("max") {
            None => self.error(path, "missing \"max\" (how many calls each window allows)"),
            Some(m) => {
                self.non_negative(m, &join(path, "max"));
            }
        }
        let scope = match obj.get("scope") {
            None => Some(Scope::default()),
            Some(s) => self.scope(s, &join(path, "scope")),
        };
        if let Some(inc) = obj.get("increment") {
            self.non_negative(inc, &join(path, "increment"));
        }
        if let Some(from) = obj.get("increment_from") {
            let from_path = join(path, "increment_from");
            match from.as_str() {
                Some(p) if p.starts_with("args.") => {
                    if let Err(message) = check_args_path(p) {
                        self.error(&from_path, message);
                    }
                }
                Some(p) => self.error(
                    &from_path,
                    format!("{p:?} is not an argument path; expected \"args.<name>\""),
                ),
                None => self.error(
                    &from_path,
                    format!("expected a string, found {}", kind(from)),
                ),
            }
            if obj.contains_key("increment") {
                self.error(
                    &from_path,
                    "use either \"increment\" or \"increment_from\", not both",
                );
            }
        }
        if let (Some(counter), Some(window), Some(scope)) = (counter, window, scope) {
            self.counter_use(counter, window, scope, path);
        }
    }

    /// A shared counter must mean one thing: the same window and scope wherever it is named.
    fn counter_use(&mut self, counter: String, window: Window, scope: Scope, path: &str) {
        if let Some(first) = self.counters.get(&counter) {
            if first.window != window || first.scope != scope {
                let message = format!(
                    "counter {counter:?} counts per {} per {} at {}, but per {window} per {scope} here; \
                     a shared counter needs one window and one scope (rename one of them)",
                    first.window, first.scope, first.path
                );
                self.error(path, message);
            }
            return;
        }
        self.counters.insert(
            counter,
            CounterUse {
                path: path.to_string(),
                window,
                scope,
            },
        );
    }

    fn approval(&mut self, approval: &Value, path: &str) {
        let Some(obj) = approval.as_object() else {
            self.error(
                path,
                format!("expected an object, found {}", kind(approval)),
            );
            return;
        };
        self.unknown_fields(obj, path, &["timeout_s", "remember"]);
        if let Some(t) = obj.get("timeout_s") {
            match t.as_u64() {
                Some(s) if (1..=MAX_APPROVAL_TIMEOUT_S).contains(&s) => {}
                _ => self.error(
                    &join(path, "timeout_s"),
                    format!(
                        "expected a whole number of seconds from 1 to {MAX_APPROVAL_TIMEOUT_S}, found {t}"
                    ),
                ),
            }
        }
        if let Some(r) = obj.get("remember") {
            let r_path = join(path, "remember");
            match r.as_str().map(str::parse::<Remember>) {
                Some(Ok(_)) => {}
                Some(Err(message)) => self.error(&r_path, message),
                None => self.error(&r_path, format!("expected a string, found {}", kind(r))),
            }
        }
    }

    /// Every `state.<counter>` must name a counter some limit declares.
    fn cross_check(&mut self) {
        let refs = std::mem::take(&mut self.state_refs);
        for (path, counter) in refs {
            if !self.counters.contains_key(&counter) {
                let known: Vec<&str> = self.counters.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    "no limit in this policy declares a counter".to_string()
                } else {
                    format!("counters declared by limits: {}", list_sorted(&known))
                };
                self.error(
                    &path,
                    format!(
                        "unknown counter {counter:?}{}; {hint}",
                        suggestion(&counter, &known)
                    ),
                );
            }
        }
    }

    fn action(&mut self, value: &Value, path: &str) -> Option<Action> {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        self.one_of(value, path, "action", &names)
            .and_then(|i| Action::ALL.get(i).copied())
    }

    fn op(&mut self, value: &Value, path: &str) -> Option<Op> {
        let names: Vec<&str> = Op::ALL.iter().map(|o| o.as_str()).collect();
        self.one_of(value, path, "op", &names)
            .and_then(|i| Op::ALL.get(i).copied())
    }

    fn scope(&mut self, value: &Value, path: &str) -> Option<Scope> {
        let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        self.one_of(value, path, "scope", &names)
            .and_then(|i| Scope::ALL.get(i).copied())
    }

    /// Index of `value` in `names`, or an error naming the choices.
    fn one_of(&mut self, value: &Value, path: &str, what: &str, names: &[&str]) -> Option<usize> {
        let Some(s) = value.as_str() else {
            self.error(
                path,
                format!("expected {}, found {}", list(names), kind(value)),
            );
            return None;
        };
        let found = names.iter().position(|n| *n == s);
        if found.is_none() {
            self.error(
                path,
                format!(
                    "unknown {what} {s:?}{}; expected {}",
                    suggestion(s, names),
                    list(names)
                ),
            );
        }
        found
    }

    fn window(&mut self, value: &Value, path: &str) -> Option<Window> {
        let window = match value {
            Value::String(name) => Window::from_name(name).ok_or_else(|| {
                let names = ["second", "minute", "hour", "day"];
                format!(
                    "unknown window {name:?}{}; {WINDOW_EXPECTED}",
                    suggestion(name, &names)
                )
            }),
            Value::Number(n) => match n.as_u64() {
                Some(s) if s >= 1 => Ok(Window::Seconds(s)),
                _ => Err(format!(
                    "{n} is not a window: a number of seconds must be a whole number from 1"
                )),
            },
            other => Err(format!(
                "expected a window, found {}; {WINDOW_EXPECTED}",
                kind(other)
            )),
        };
        window.map_err(|message| self.error(path, message)).ok()
    }

    fn non_negative(&mut self, value: &Value, path: &str) {
        match value.as_f64() {
            Some(n) if n >= 0.0 && n.is_finite() => {}
            _ => self.error(
                path,
                format!("expected a number of at least 0, found {value}"),
            ),
        }
    }

    fn string(&mut self, value: &Value, path: &str) {
        if !value.is_string() {
            self.error(path, format!("expected a string, found {}", kind(value)));
        }
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, path: &str, known: &[&str]) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                let message = format!(
                    "unknown field {key:?}{}; expected {}",
                    suggestion(key, known),
                    list(known)
                );
                self.error(&join(path, key), message);
            }
        }
    }
}

#[cfg(test)]
mod tests;
