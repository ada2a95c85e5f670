//! Value-level parsing for the Intercept importer: conditions, `state` blocks, `rate_limit`
//! shorthands, scalars and YAML-to-JSON conversion. Each parser returns the livegate value or
//! the reason it cannot be one; the caller in [`super`] records that reason with its path.

use serde_json::Value as Json;
use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::policy::model::{Condition, Limit, Op, Scope, Window};

/// A condition from its `path`, `op` and the `value` in `map`, or why it is not valid.
pub(super) fn parse_condition(path: String, op: &str, map: &Mapping) -> Result<Condition, String> {
    if !path.starts_with("args.") && !path.starts_with("state.") {
        return Err(format!(
            "`path` {path:?} must start with `args.` or `state.`"
        ));
    }
    let Some(op) = Op::ALL.into_iter().find(|o| o.as_str() == op) else {
        let known: Vec<&str> = Op::ALL.iter().map(|o| o.as_str()).collect();
        return Err(format!(
            "unknown `op` {op:?} (expected {})",
            known.join(", ")
        ));
    };
    let value = field(map, "value").map(to_json).transpose()?;
    let value = value.ok_or_else(|| format!("`op: {op}` needs a `value`"))?;
    let needed = match (op, &value) {
        (Op::In | Op::NotIn, v) if !v.is_array() => "a list",
        (Op::Lt | Op::Lte | Op::Gt | Op::Gte, v) if !v.is_number() => "a number",
        (Op::Exists, v) if !v.is_boolean() => "true or false",
        (Op::Regex, Json::String(re)) => match regex::Regex::new(re) {
            Ok(_) => "",
            Err(e) => return Err(format!("`value` is not a valid regular expression: {e}")),
        },
        (Op::Regex, _) => "a string",
        _ => "",
    };
    if !needed.is_empty() {
        return Err(format!("`op: {op}` needs {needed} as `value`"));
    }
    Ok(Condition {
        path,
        op,
        value: Some(value),
    })
}

/// A `state` block as a limit on the bare counter name (`max` still 0), or why it is not
/// valid. `increment_from` overrides `increment`, whose 0 (Go's zero value) means 1.
pub(super) fn parse_state(map: &Mapping) -> Result<Limit, String> {
    let text = |key| {
        field(map, key)
            .and_then(scalar_text)
            .filter(|s| !s.is_empty())
    };
    let counter = text("counter").ok_or("`counter` is missing")?;
    let window = text("window").unwrap_or_default();
    let window = intercept_window(&window)
        .ok_or_else(|| format!("`window` {window:?} is not minute, hour or day"))?;
    let increment = match field(map, "increment") {
        None => 1,
        Some(v) => v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
            format!(
                "`increment` must be a whole number from 0, but it is {}",
                describe(v)
            )
        })?,
    };
    let increment_from = text("increment_from");
    if let Some(from) = increment_from
        .as_deref()
        .filter(|f| !f.starts_with("args."))
    {
        return Err(format!("`increment_from` {from:?} must start with `args.`"));
    }
    let mut limit = global_limit(counter, window, 0.0);
    limit.increment = (increment > 1 && increment_from.is_none()).then_some(increment as f64);
    limit.increment_from = increment_from;
    Ok(limit)
}

/// `"N/window"` as Intercept parses it: N a positive whole number, window minute|hour|day.
pub(super) fn parse_rate_limit(text: &str) -> Result<(f64, Window), String> {
    let (count, window) = text.split_once('/').unwrap_or((text, ""));
    let count = count.parse::<u32>().ok().filter(|n| *n > 0);
    match (count, intercept_window(window)) {
        (Some(count), Some(window)) => Ok((f64::from(count), window)),
        _ => Err(format!(
            "{text:?} is not of the form \"N/window\" with N a positive whole number and window \
             minute, hour or day; not carried over"
        )),
    }
}

/// The value of `key`, treating an explicit `null` as missing (Intercept's zero value).
pub(super) fn field<'a>(map: &'a Mapping, key: &str) -> Option<&'a Yaml> {
    map.get(key).filter(|v| !v.is_null())
}

pub(super) fn action_of(rule: &Mapping) -> Option<String> {
    field(rule, "action").and_then(scalar_text)
}

pub(super) fn is_empty_list(value: &Yaml) -> bool {
    matches!(value, Yaml::Sequence(items) if items.is_empty())
}

/// A scalar's text, as Go's YAML decoder gives it to a string field.
pub(super) fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A short description of a value for messages.
pub(super) fn describe(value: &Yaml) -> String {
    match value {
        Yaml::Null => "empty".to_string(),
        Yaml::Bool(b) => format!("the boolean {b}"),
        Yaml::Number(n) => format!("the number {n}"),
        Yaml::String(s) => format!("the string {s:?}"),
        Yaml::Sequence(_) => "a list".to_string(),
        Yaml::Mapping(_) => "a mapping".to_string(),
        Yaml::Tagged(tagged) => format!("a value tagged {}", tagged.tag),
    }
}

/// The windows Intercept knows.
fn intercept_window(name: &str) -> Option<Window> {
    match name {
        "minute" => Some(Window::Minute),
        "hour" => Some(Window::Hour),
        "day" => Some(Window::Day),
        _ => None,
    }
}

pub(super) fn global_limit(counter: String, window: Window, max: f64) -> Limit {
    let (scope, increment, increment_from) = (Scope::Global, None, None);
    Limit {
        counter,
        window,
        max,
        scope,
        increment,
        increment_from,
    }
}

/// A YAML value as JSON, or why it has no JSON form.
fn to_json(value: &Yaml) -> Result<Json, String> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Json::from(i),
            (_, Some(u), _) => Json::from(u),
            (_, _, f) => f
                .and_then(serde_json::Number::from_f64)
                .map(Json::Number)
                .ok_or_else(|| format!("`value` {n} has no JSON form"))?,
        },
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, item) in map {
                let key = scalar_text(key)
                    .ok_or_else(|| format!("`value` has a non-string key ({})", describe(key)))?;
                object.insert(key, to_json(item)?);
            }
            Json::Object(object)
        }
        Yaml::Tagged(tagged) => return Err(format!("`value` tag {} has no JSON form", tagged.tag)),
    })
}
