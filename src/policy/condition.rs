//! Conditions, compiled: argument paths split once, regexes built once, numbers read once.

use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

use super::error::PolicyErrors;
use super::model::{Condition, Op, Scope};

/// Where a condition or an `increment_from` reads its value.
#[derive(Debug, Clone)]
pub enum Target {
    /// A path into the call's arguments (`args.a.b`, numeric segments index arrays).
    Args(ArgPath),
    /// A counter's value in the current window.
    State {
        /// The counter's name.
        counter: Arc<str>,
        /// Its window in seconds.
        window_s: u64,
        /// Whose calls it counts.
        scope: Scope,
    },
}

/// A split `args.…` path.
#[derive(Debug, Clone)]
pub struct ArgPath {
    segments: Vec<String>,
}

impl ArgPath {
    /// Splits `args.a.b` (or `args` for the whole object); `None` if it is not an args path.
    pub fn parse(path: &str) -> Option<Self> {
        let segments = match path {
            "args" => Vec::new(),
            _ => path
                .strip_prefix("args.")?
                .split('.')
                .map(str::to_string)
                .collect(),
        };
        Some(Self { segments })
    }

    /// The value at this path, if every segment resolves.
    pub fn resolve<'a>(&self, args: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(args, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

/// What a compiled condition tests.
#[derive(Debug, Clone)]
enum Check {
    Eq(Value),
    Neq(Value),
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Lt(f64),
    Lte(f64),
    Gt(f64),
    Gte(f64),
    Regex(Regex),
    Contains(Value),
    Exists(bool),
}

/// A condition ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    /// The condition as written, for messages.
    pub source: Condition,
    /// Where its value comes from.
    pub target: Target,
    check: Check,
}

impl CompiledCondition {
    /// Compiles a validated condition; `state` resolves `state.<counter>` to its target.
    pub fn compile(
        source: &Condition,
        state: impl Fn(&str) -> Option<Target>,
        path: &str,
    ) -> Result<Self, PolicyErrors> {
        let bad = |message: &str| PolicyErrors::one(path, message.to_string());
        let target = match source.path.strip_prefix("state.") {
            Some(counter) => state(counter).ok_or_else(|| bad("unknown counter"))?,
            None => Target::Args(ArgPath::parse(&source.path).ok_or_else(|| bad("bad path"))?),
        };
        let value = source.value.clone().unwrap_or(Value::Bool(true));
        let number = || value.as_f64().ok_or_else(|| bad("expected a number"));
        let list = || {
            value
                .as_array()
                .cloned()
                .ok_or_else(|| bad("expected a list"))
        };
        let check = match source.op {
            Op::Eq => Check::Eq(value.clone()),
            Op::Neq => Check::Neq(value.clone()),
            Op::In => Check::In(list()?),
            Op::NotIn => Check::NotIn(list()?),
            Op::Lt => Check::Lt(number()?),
            Op::Lte => Check::Lte(number()?),
            Op::Gt => Check::Gt(number()?),
            Op::Gte => Check::Gte(number()?),
            Op::Regex => {
                let re = value.as_str().ok_or_else(|| bad("expected a string"))?;
                Check::Regex(Regex::new(re).map_err(|e| bad(&e.to_string()))?)
            }
            Op::Contains => Check::Contains(value.clone()),
            Op::Exists => Check::Exists(value.as_bool().ok_or_else(|| bad("expected a boolean"))?),
        };
        Ok(Self {
            source: source.clone(),
            target,
            check,
        })
    }

    /// Whether the condition holds for `actual` (`None`: the path did not resolve, which
    /// fails every operator but `exists: false`). For `exists`, a `null` counts as absent.
    pub fn holds(&self, actual: Option<&Value>) -> bool {
        if let Check::Exists(want) = self.check {
            return actual.is_some_and(|v| !v.is_null()) == want;
        }
        let Some(actual) = actual else {
            return false;
        };
        let num = || actual.as_f64();
        match &self.check {
            Check::Exists(want) => *want, // handled above; kept for exhaustiveness
            Check::Eq(v) => json_eq(actual, v),
            Check::Neq(v) => !json_eq(actual, v),
            Check::In(vs) => vs.iter().any(|v| json_eq(actual, v)),
            Check::NotIn(vs) => !vs.iter().any(|v| json_eq(actual, v)),
            Check::Lt(n) => num().is_some_and(|a| a < *n),
            Check::Lte(n) => num().is_some_and(|a| a <= *n),
            Check::Gt(n) => num().is_some_and(|a| a > *n),
            Check::Gte(n) => num().is_some_and(|a| a >= *n),
            Check::Regex(re) => actual.as_str().is_some_and(|s| re.is_match(s)),
            Check::Contains(v) => match (actual, v) {
                (Value::String(s), Value::String(part)) => s.contains(part.as_str()),
                (Value::Array(items), v) => items.iter().any(|item| json_eq(item, v)),
                _ => false,
            },
        }
    }

    /// `args.track_index lte 8`, for reasons and explanations.
    pub fn describe(&self) -> String {
        let c = &self.source;
        match &c.value {
            Some(v) => format!("{} {} {v}", c.path, c.op),
            None => format!("{} {}", c.path, c.op),
        }
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(path: &str, op: Op, value: Option<Value>) -> CompiledCondition {
        let source = Condition {
            path: path.to_string(),
            op,
            value,
        };
        CompiledCondition::compile(&source, |_| None, "test").expect("compiles")
    }

    fn holds(c: &CompiledCondition, args: &Value) -> bool {
        let Target::Args(path) = &c.target else {
            panic!("args target expected")
        };
        c.holds(path.resolve(args))
    }

    #[test]
    fn every_operator_behaves_as_documented() {
        let args = json!({"track": 3, "name": "Bass 1", "tags": ["a", "b"], "gain": 0.5,
                          "notes": [{"pitch": 60}], "flag": true});
        let cases = [
            ("args.track", Op::Eq, json!(3.0), true),
            ("args.track", Op::Eq, json!("3"), false),
            ("args.track", Op::Neq, json!(4), true),
            ("args.track", Op::In, json!([1, 3]), true),
            ("args.track", Op::NotIn, json!([1, 3]), false),
            ("args.track", Op::Lt, json!(3), false),
            ("args.track", Op::Lte, json!(3), true),
            ("args.gain", Op::Gt, json!(0.25), true),
            ("args.gain", Op::Gte, json!(0.75), false),
            ("args.name", Op::Lt, json!(10), false),
            ("args.name", Op::Regex, json!("^Bass \\d$"), true),
            ("args.name", Op::Regex, json!("Drum"), false),
            ("args.track", Op::Regex, json!("3"), false),
            ("args.name", Op::Contains, json!("ass"), true),
            ("args.tags", Op::Contains, json!("b"), true),
            ("args.tags", Op::Contains, json!("c"), false),
            ("args.notes.0.pitch", Op::Eq, json!(60), true),
            ("args.notes.x.pitch", Op::Exists, json!(true), false),
            ("args.flag", Op::Eq, json!(true), true),
            ("args", Op::Exists, json!(true), true),
        ];
        for (path, op, value, want) in cases {
            let c = cond(path, op, Some(value.clone()));
            assert_eq!(holds(&c, &args), want, "{path} {op} {value}");
        }
    }

    #[test]
    fn a_missing_path_fails_everything_but_exists_false() {
        let args = json!({});
        for op in Op::ALL {
            let value = match op {
                Op::In | Op::NotIn => json!([1]),
                Op::Regex => json!(".*"),
                Op::Exists => json!(true),
                _ => json!(1),
            };
            assert!(!holds(&cond("args.x", op, Some(value)), &args), "{op}");
        }
        assert!(holds(
            &cond("args.x", Op::Exists, Some(json!(false))),
            &args
        ));
        assert!(holds(&cond("args.x", Op::Exists, None), &json!({"x": 0})));
        assert!(holds(
            &cond("args.x", Op::Exists, Some(json!(false))),
            &json!({"x": null})
        ));
    }

    #[test]
    fn describe_reads_like_the_policy() {
        assert_eq!(
            cond("args.track_index", Op::Lte, Some(json!(8))).describe(),
            "args.track_index lte 8"
        );
    }
}
