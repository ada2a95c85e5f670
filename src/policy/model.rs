//! The policy document as data: the serde model of `policy-format.md` (version "1").
//!
//! These types are what a policy file *says*; [`super::validate`] checks a raw document
//! against them with every error's JSON path, and [`super::compile`] turns a valid one into
//! the form decisions are made from. The JSON Schema in `policies/schema.json` is generated
//! from these types (`livegate schema`), so the UI and this code cannot drift apart.

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::catalog::Category;

/// The only policy format version livegate understands.
pub const POLICY_VERSION: &str = "1";

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Always `"1"`.
    pub version: String,
    /// Free text for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What happens to a tool no rule matches. Missing means `deny` (fail closed).
    #[serde(default)]
    pub default: Action,
    /// Tools removed from `tools/list`; calling one is denied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide: Vec<String>,
    /// Rules for every tool of a risk category.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub categories: IndexMap<Category, Rule>,
    /// Rules for tools by name: an exact name, a glob (`delete_*`) or `*`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tools: IndexMap<String, Rule>,
}

impl Policy {
    /// The policy used when there is no policy file at all: deny everything.
    pub fn deny_all() -> Self {
        Self {
            version: POLICY_VERSION.to_string(),
            description: Some("No policy file: every tool is denied.".to_string()),
            default: Action::Deny,
            hide: Vec::new(),
            categories: IndexMap::new(),
            tools: IndexMap::new(),
        }
    }
}

/// What a rule does with a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let the call through (subject to conditions and limits).
    Allow,
    /// Refuse the call with the rule's reason.
    #[default]
    Deny,
    /// Ask the human first.
    Approve,
}

impl Action {
    /// All actions, in the order they are spelled in messages.
    pub const ALL: [Action; 3] = [Action::Allow, Action::Deny, Action::Approve];

    /// The spelling used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
            Action::Approve => "approve",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule, for a tool pattern or a category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// What to do; a listed tool without an action is allowed. A `*` entry with only
    /// `limits` and no action adds its limits to every call instead of deciding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Shown to the agent and in the audit log when this rule denies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// All must hold, else the call is denied with `reason`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// All must have room, else the call is denied as rate-limited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<Limit>,
    /// How an `approve` rule asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
}

impl Rule {
    /// True for a rule that only contributes limits (the `*` modifier form).
    pub fn is_limits_only(&self) -> bool {
        self.action.is_none()
            && self.conditions.is_empty()
            && self.approval.is_none()
            && !self.limits.is_empty()
    }
}

/// A test on the call's arguments or on a counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `args.a.b` (an argument; numeric segments index arrays) or `state.<counter>`.
    pub path: String,
    /// The comparison.
    pub op: Op,
    /// What to compare with; for `exists`, `true` (default) or `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A condition's comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal (numbers compare by value: `1` equals `1.0`).
    Eq,
    /// Not equal; a missing path still fails.
    Neq,
    /// One of the values in the array `value`.
    In,
    /// None of the values in the array `value`; a missing path still fails.
    NotIn,
    /// Less than a number.
    Lt,
    /// Less than or equal to a number.
    Lte,
    /// Greater than a number.
    Gt,
    /// Greater than or equal to a number.
    Gte,
    /// A string the regular expression `value` matches (anywhere; anchor with `^…$`).
    Regex,
    /// A string containing the substring `value`, or an array containing the element `value`.
    Contains,
    /// The path resolves (`value: true`, the default) or does not (`value: false`).
    Exists,
}

impl Op {
    /// All operators, in the order they are spelled in messages.
    pub const ALL: [Op; 11] = [
        Op::Eq,
        Op::Neq,
        Op::In,
        Op::NotIn,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::Regex,
        Op::Contains,
        Op::Exists,
    ];

    /// The spelling used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Regex => "regex",
            Op::Contains => "contains",
            Op::Exists => "exists",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rate limit on a named counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The counter's name; rules naming the same counter share it.
    pub counter: String,
    /// The fixed, UTC-aligned window the counter counts in.
    pub window: Window,
    /// How much the counter may reach within one window.
    #[serde(serialize_with = "number::serialize")]
    pub max: f64,
    /// Whose calls share the counter.
    #[serde(default)]
    pub scope: Scope,
    /// Added per allowed call (default 1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number::serialize_option"
    )]
    pub increment: Option<f64>,
    /// An argument path (`args.…`) whose number is added instead of `increment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment_from: Option<String>,
}

/// Numbers in policy files: whole numbers are written without a fraction (`30`, not `30.0`).
mod number {
    use serde::Serializer;

    /// Largest whole number an f64 holds exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;

    pub fn serialize<S: Serializer>(n: &f64, s: S) -> Result<S::Ok, S::Error> {
        if n.fract() == 0.0 && n.abs() <= EXACT {
            // Exact: the value is whole and within i64's exactly representable range.
            #[allow(clippy::cast_possible_truncation)]
            s.serialize_i64(*n as i64)
        } else {
            s.serialize_f64(*n)
        }
    }

    // serde's `serialize_with` hands over `&Option<f64>`.
    #[allow(clippy::ref_option)]
    pub fn serialize_option<S: Serializer>(n: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => serialize(n, s),
            None => s.serialize_none(),
        }
    }
}

/// Whose calls share a counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One counter per agent credential (the default).
    #[default]
    Grant,
    /// One counter per MCP session (per grant where the client has no session).
    Session,
    /// One counter for everybody.
    Global,
}

impl Scope {
    /// All scopes, in the order they are spelled in messages.
    pub const ALL: [Scope; 3] = [Scope::Grant, Scope::Session, Scope::Global];

    /// The spelling used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Grant => "grant",
            Scope::Session => "session",
            Scope::Global => "global",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A counting window: fixed, aligned to UTC (a minute window starts at :00 seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// One second.
    Second,
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
    /// A number of seconds (at least 1), aligned to multiples of it since the Unix epoch.
    Seconds(u64),
}

impl Window {
    /// The window's length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            Window::Second => 1,
            Window::Minute => 60,
            Window::Hour => 3_600,
            Window::Day => 86_400,
            Window::Seconds(n) => n,
        }
    }

    /// Parses a window name (`"minute"`); numbers are handled by the caller.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "second" => Window::Second,
            "minute" => Window::Minute,
            "hour" => Window::Hour,
            "day" => Window::Day,
            _ => return None,
        })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Second => f.write_str("second"),
            Window::Minute => f.write_str("minute"),
            Window::Hour => f.write_str("hour"),
            Window::Day => f.write_str("day"),
            Window::Seconds(n) => write!(f, "{n} s"),
        }
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Window::Seconds(n) => s.serialize_u64(*n),
            named => s.serialize_str(&named.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Seconds(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Name(name) => Window::from_name(&name).ok_or_else(|| {
                serde::de::Error::custom(format!("unknown window {name:?}; {WINDOW_EXPECTED}"))
            }),
            Raw::Seconds(0) => Err(serde::de::Error::custom(
                "a window must be at least 1 second",
            )),
            Raw::Seconds(n) => Ok(Window::Seconds(n)),
        }
    }
}

/// The tail of every "bad window" message.
pub const WINDOW_EXPECTED: &str = "expected second, minute, hour, day or a number of seconds";

impl JsonSchema for Window {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Window".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A fixed window aligned to UTC: a name or a number of seconds.",
            "oneOf": [
                { "type": "string", "enum": ["second", "minute", "hour", "day"] },
                { "type": "integer", "minimum": 1 }
            ]
        })
    }
}

/// How an `approve` rule asks the human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    /// Seconds to wait for an answer before denying (default 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<u64>,
    /// How long a yes is remembered (default `once`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember: Option<Remember>,
}

/// Seconds an approval waits when the rule does not say.
pub const DEFAULT_APPROVAL_TIMEOUT_S: u64 = 120;

impl ApprovalSpec {
    /// The timeout in force.
    pub fn timeout_s(&self) -> u64 {
        self.timeout_s.unwrap_or(DEFAULT_APPROVAL_TIMEOUT_S)
    }

    /// The remember mode in force.
    pub fn remember(&self) -> Remember {
        self.remember.unwrap_or(Remember::Once)
    }
}

/// How long an approval is remembered for later calls of the same tool by the same grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Remember {
    /// Only this call.
    Once,
    /// The rest of this MCP session.
    Session,
    /// This many minutes.
    Minutes(u32),
}

impl fmt::Display for Remember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remember::Once => f.write_str("once"),
            Remember::Session => f.write_str("session"),
            Remember::Minutes(n) => write!(f, "minutes:{n}"),
        }
    }
}

/// The tail of every "bad remember" message.
pub const REMEMBER_EXPECTED: &str =
    "expected \"once\", \"session\" or \"minutes:N\" with N a whole number of minutes from 1";

impl FromStr for Remember {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "once" => Ok(Remember::Once),
            "session" => Ok(Remember::Session),
            _ => s
                .strip_prefix("minutes:")
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .map(Remember::Minutes)
                .ok_or_else(|| format!("unknown remember mode {s:?}; {REMEMBER_EXPECTED}")),
        }
    }
}

impl Serialize for Remember {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Remember {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Remember {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Remember".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How long an approval is remembered: once, session, or minutes:N.",
            "type": "string",
            "pattern": "^(once|session|minutes:[1-9][0-9]*)$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_round_trip_as_names_and_numbers() {
        for (json, window) in [
            ("\"minute\"", Window::Minute),
            ("\"day\"", Window::Day),
            ("90", Window::Seconds(90)),
        ] {
            let parsed: Window = serde_json::from_str(json).expect("valid window");
            assert_eq!(parsed, window);
            assert_eq!(serde_json::to_string(&parsed).expect("serializes"), json);
        }
        assert!(serde_json::from_str::<Window>("\"minite\"").is_err());
        assert!(serde_json::from_str::<Window>("0").is_err());
    }

    #[test]
    fn remember_parses_every_mode() {
        assert_eq!("once".parse::<Remember>(), Ok(Remember::Once));
        assert_eq!("session".parse::<Remember>(), Ok(Remember::Session));
        assert_eq!("minutes:10".parse::<Remember>(), Ok(Remember::Minutes(10)));
        for bad in ["minutes:0", "minutes:", "minutes:x", "forever", ""] {
            assert!(bad.parse::<Remember>().is_err(), "{bad} accepted");
        }
        assert_eq!(Remember::Minutes(5).to_string(), "minutes:5");
    }

    #[test]
    fn limits_only_rule_is_recognised() {
        let rule: Rule =
            serde_json::from_str(r#"{"limits":[{"counter":"all","window":"minute","max":5}]}"#)
                .expect("valid rule");
        assert!(rule.is_limits_only());
        let with_action = Rule {
            action: Some(Action::Allow),
            ..rule
        };
        assert!(!with_action.is_limits_only());
    }
}
