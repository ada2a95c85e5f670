//! Property tests of the policy engine: random documents never panic the parser, random
//! invalid policies never compile, random calls against random valid policies never panic,
//! and under `default: deny` a tool no rule matches is never allowed.

use std::sync::Arc;

use livegate::policy::{
    parse_policy, Call, Catalog, CompiledPolicy, Counters, ManualClock, Outcome, PolicyHandle,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const TOOLS: &[&str] = &[
    "create_audio_track",
    "create_midi_track",
    "delete_track",
    "delete_clip",
    "get_track_info",
    "fire_clip",
    "set_tempo",
    "github.create_issue",
    "made_up",
];

/// Any JSON value, with keys that often are policy vocabulary so the walk goes deep.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("version".to_string()),
        Just("default".to_string()),
        Just("tools".to_string()),
        Just("categories".to_string()),
        Just("hide".to_string()),
        Just("limits".to_string()),
        Just("conditions".to_string()),
        Just("window".to_string()),
        Just("op".to_string()),
        Just("path".to_string()),
        Just("value".to_string()),
        Just("max".to_string()),
        Just("counter".to_string()),
        Just("Read".to_string()),
        "[a-z_*.]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("1".to_string()),
            Just("minute".to_string()),
            Just("allow".to_string()),
            Just("lte".to_string()),
            Just("args.x".to_string()),
            Just("state.c".to_string()),
            Just("(".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Counters keep one window and scope per name, so generated policies stay valid.
fn limit() -> impl Strategy<Value = Value> {
    (0..4_usize, 0..50_u32, prop::option::of(1..5_u32), any::<bool>()).prop_map(
        |(c, max, increment, from_args)| {
            let windows = [json!("second"), json!("minute"), json!(90), json!("day")];
            let scopes = ["grant", "session", "global", "grant"];
            let mut l = json!({"counter": format!("c{c}"), "window": windows[c], "max": max, "scope": scopes[c]});
            if from_args {
                l["increment_from"] = json!("args.count");
            } else if let Some(i) = increment {
                l["increment"] = json!(i);
            }
            l
        },
    )
}

fn condition() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..20_i64).prop_map(|v| json!({"path": "args.track_index", "op": "lte", "value": v})),
        Just(json!({"path": "args.name", "op": "regex", "value": "^[A-Z]"})),
        Just(json!({"path": "args.name", "op": "exists", "value": false})),
        Just(json!({"path": "args.tags", "op": "contains", "value": "drums"})),
        Just(json!({"path": "args.track_index", "op": "in", "value": [0, 1, 2]})),
        (0..5_i64).prop_map(|v| json!({"path": "args.count", "op": "neq", "value": v})),
    ]
}

fn rule() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![Just("allow"), Just("deny"), Just("approve")]),
        prop::option::of("[a-z ]{1,12}"),
        prop::collection::vec(condition(), 0..3),
        prop::collection::vec(limit(), 0..3),
    )
        .prop_map(|(action, reason, conditions, limits)| {
            let mut r = Map::new();
            if let Some(a) = action {
                r.insert("action".into(), json!(a));
                if a == "approve" {
                    r.insert(
                        "approval".into(),
                        json!({"timeout_s": 30, "remember": "session"}),
                    );
                }
            }
            if let Some(reason) = reason {
                r.insert("reason".into(), json!(reason));
            }
            if !conditions.is_empty() {
                r.insert("conditions".into(), Value::Array(conditions));
            }
            if !limits.is_empty() {
                r.insert("limits".into(), Value::Array(limits));
            }
            Value::Object(r)
        })
}

/// Tool patterns: exact names, prefix or suffix globs, or `*`.
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(TOOLS).prop_map(str::to_string),
        2 => prop::sample::select(&["create_", "delete_", "get_", "github.", "set_"][..]).prop_map(|p| format!("{p}*")),
        2 => prop::sample::select(&["_track", "_clip", "_info"][..]).prop_map(|s| format!("*{s}")),
        1 => Just("*".to_string()),
    ]
}

fn policy(default: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((pattern(), rule()), 0..6),
        prop::collection::vec(
            (
                prop::sample::select(&["Read", "Write", "Execute", "Destructive", "Financial"][..]),
                rule(),
            ),
            0..3,
        ),
        prop::collection::vec(prop::sample::select(TOOLS), 0..2),
    )
        .prop_map(move |(tools, categories, hide)| {
            let tools: Map<String, Value> = tools.into_iter().collect();
            let categories: Map<String, Value> = categories
                .into_iter()
                .map(|(c, r)| (c.to_string(), r))
                .collect();
            json!({"version": "1", "default": default, "hide": hide,
                   "categories": categories, "tools": tools})
        })
}

fn call_args() -> impl Strategy<Value = Value> {
    (
        prop::option::of(-3..30_i64),
        prop::option::of("[A-Za-z]{0,5}"),
        prop::option::of(prop_oneof![
            (-5..20_i64).prop_map(Value::from),
            Just(json!("x"))
        ]),
    )
        .prop_map(|(track, name, count)| {
            let mut a = Map::new();
            if let Some(t) = track {
                a.insert("track_index".into(), json!(t));
            }
            if let Some(n) = name {
                a.insert("name".into(), json!(n));
            }
            if let Some(c) = count {
                a.insert("count".into(), c);
            }
            Value::Object(a)
        })
}

/// Ways to break a valid policy; each must make it fail to compile.
fn break_policy(mut doc: Value, how: usize, at: usize) -> Value {
    let tools = doc["tools"]
        .as_object()
        .map(|t| t.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let target = tools.get(at % tools.len().max(1)).cloned();
    let rule = match target {
        Some(t) => &mut doc["tools"][t],
        None => {
            doc["tools"]["made_up"] = json!({});
            &mut doc["tools"]["made_up"]
        }
    };
    match how {
        0 => rule["acton"] = json!("allow"),
        1 => rule["action"] = json!("permit"),
        2 => rule["limits"] = json!([{"counter": "zz", "window": "minite", "max": 1}]),
        3 => rule["limits"] = json!([{"counter": "zz", "window": "minute", "max": -1}]),
        4 => rule["conditions"] = json!([{"path": "args.x", "op": "bigger", "value": 1}]),
        5 => rule["conditions"] = json!([{"path": "args.x", "op": "regex", "value": "(["}]),
        6 => rule["conditions"] = json!([{"path": "state.undeclared", "op": "lt", "value": 1}]),
        7 => {
            rule["limits"] = json!([{"counter": "zz", "window": "hour", "max": 1, "increment": 1, "increment_from": "args.n"}])
        }
        8 => rule["approval"] = json!({"timeout_s": 0}),
        9 => doc["version"] = json!("2"),
        10 => doc["default"] = json!("maybe"),
        11 => doc["categories"]["Wirte"] = json!({}),
        12 => doc["hide"] = json!(["set_{a,b"]),
        _ => doc["surprise"] = json!(true),
    }
    doc
}

/// `*`-only globs, matched independently of the engine's glob library.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, suffix)) if !suffix.contains('*') => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        Some(_) => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics_the_parser(text in ".{0,200}") {
        let _ = parse_policy(&text);
    }

    #[test]
    fn random_documents_never_panic_the_parser(doc in any_json()) {
        if let Ok(policy) = parse_policy(&doc.to_string()) {
            // Whatever parses also compiles.
            prop_assert!(CompiledPolicy::compile(policy, Arc::new(Catalog::ableton())).is_ok());
        }
    }

    #[test]
    fn generated_policies_are_valid(doc in policy("deny")) {
        let result = CompiledPolicy::from_json(&doc.to_string(), Arc::new(Catalog::ableton()));
        prop_assert!(result.is_ok(), "{doc}: {:?}", result.err());
    }

    #[test]
    fn random_invalid_policies_never_compile(doc in policy("allow"), how in 0..14_usize, at in 0..6_usize) {
        let broken = break_policy(doc, how, at);
        let result = CompiledPolicy::from_json(&broken.to_string(), Arc::new(Catalog::ableton()));
        prop_assert!(result.is_err(), "mutation {how} compiled: {broken}");
    }

    #[test]
    fn random_calls_never_panic_and_default_deny_never_allows_unmatched_tools(
        doc in policy("deny"),
        calls in prop::collection::vec((prop::sample::select(TOOLS), call_args(), 0..3_u8, 0..3_u8), 1..40),
    ) {
        let catalog = Arc::new(Catalog::ableton());
        let compiled = CompiledPolicy::from_json(&doc.to_string(), Arc::clone(&catalog))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let handle = PolicyHandle::with_clock(compiled, Arc::new(ManualClock::at(1_795_009_500_000)));
        let tools = doc["tools"].as_object().cloned().unwrap_or_default();
        let categories = doc["categories"].as_object().cloned().unwrap_or_default();
        for (tool, args, grant, session) in calls {
            let grant = format!("g{grant}");
            let session = (session > 0).then(|| format!("s{session}"));
            let call = Call { tool, args: &args, grant: &grant, session: session.as_deref(), hints: None };
            let decision = handle.decide(&call);
            let _ = handle.explain(&call);
            let (category, _) = catalog.categorize(tool, None);
            let star_decides = tools.get("*").is_some_and(|r| {
                let r = r.as_object();
                !r.is_some_and(|r| !r.contains_key("action") && !r.contains_key("conditions")
                    && !r.contains_key("approval") && r.get("limits").is_some_and(|l| l.as_array().is_some_and(|l| !l.is_empty())))
            });
            let matched = tools.keys().any(|p| p != "*" && glob_matches(p, tool))
                || star_decides
                || categories.contains_key(category.as_str());
            if !matched {
                prop_assert!(!matches!(decision.outcome, Outcome::Allow | Outcome::NeedsApproval { .. }),
                    "{tool} matched no rule yet was {:?} under {doc}", decision.outcome);
            }
            decision.reservation.commit();
        }
    }

    #[test]
    fn counters_never_exceed_max_under_random_traffic(max in 0..20_u32, calls in 1..60_usize) {
        let doc = json!({"version":"1","tools":{"fire_clip":{"limits":[{"counter":"f","window":"minute","max":max}]}}});
        let compiled = CompiledPolicy::from_json(&doc.to_string(), Arc::new(Catalog::ableton()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let counters = Arc::new(Counters::new());
        let args = json!({});
        let call = Call { tool: "fire_clip", args: &args, grant: "g", session: None, hints: None };
        let (mut committed, mut expected) = (0_u32, 0_u32);
        for i in 0..calls {
            let d = compiled.decide(&call, &counters, 1_795_009_500_000);
            let fails_upstream = i % 3 == 2;
            // The model: a call fits while the count is below max; failed calls count nothing.
            let fits = expected < max;
            prop_assert_eq!(matches!(d.outcome, Outcome::Allow), fits, "call {}", i);
            if fits && !fails_upstream {
                expected += 1;
            }
            if matches!(d.outcome, Outcome::Allow) {
                if fails_upstream {
                    d.reservation.rollback();
                } else {
                    d.reservation.commit();
                    committed += 1;
                }
            }
        }
        prop_assert_eq!(committed, expected);
        prop_assert!(committed <= max);
    }
}
