//! How validation messages are worded: paths, value kinds, choices and near misses.

use serde_json::Value;

use crate::policy::model::Op;

/// Checks an `args` path: `args` itself or `args.` followed by non-empty segments.
pub(super) fn check_args_path(path: &str) -> Result<(), String> {
    if path == "args" {
        return Ok(());
    }
    let Some(rest) = path.strip_prefix("args.") else {
        return Err(format!(
            "{path:?} reads neither the arguments nor a counter; paths start with \"args.\" or \"state.\""
        ));
    };
    if rest.split('.').any(str::is_empty) {
        return Err(format!("{path:?} has an empty segment"));
    }
    Ok(())
}

/// `parent.key`, or `parent["key"]` when the key would be ambiguous in a dotted path.
pub(crate) fn join(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "_-*?.:/".contains(c));
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (true, false) => format!("[{key:?}]"),
        (false, true) => format!("{parent}.{key}"),
        (false, false) => format!("{parent}[{key:?}]"),
    }
}

/// The JSON type of a value, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `" (did you mean \"limits\"?)"` when `word` is a near miss of one of `names`.
pub(super) fn suggestion(word: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &n.to_lowercase()),
                n,
            )
        })
        .filter(|(d, n)| *d <= 2.max(n.len() / 4) && *d < n.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| format!(" (did you mean {n:?}?)"))
        .unwrap_or_default()
}

/// `a, b, c or d`.
pub(super) fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

pub(super) fn list_sorted(names: &[&str]) -> String {
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    list(&sorted)
}

pub(super) fn op_list() -> String {
    let names: Vec<&str> = Op::ALL.iter().map(|o| o.as_str()).collect();
    list(&names)
}
