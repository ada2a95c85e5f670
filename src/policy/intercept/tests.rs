use serde_json::json;

use super::*;
use crate::policy::model::{Scope, Window};

fn import(yaml: &str) -> InterceptImport {
    match import_intercept(yaml) {
        Ok(import) => import,
        Err(err) => panic!("import failed: {err}"),
    }
}

fn policy_json(import: &InterceptImport) -> Json {
    serde_json::to_value(&import.policy).expect("a policy serializes")
}

/// The untranslated entries as (path, reason) pairs.
fn notes(import: &InterceptImport) -> Vec<(&str, &str)> {
    import
        .untranslated
        .iter()
        .map(|n| (n.path.as_str(), n.reason.as_str()))
        .collect()
}

fn note_paths(import: &InterceptImport) -> Vec<&str> {
    import
        .untranslated
        .iter()
        .map(|n| n.path.as_str())
        .collect()
}

/// The imported policy is a valid livegate document as far as serde is concerned.
fn assert_round_trips(import: &InterceptImport) {
    let back: Policy = serde_json::from_value(policy_json(import)).expect("livegate reads it back");
    assert_eq!(back, import.policy);
}

#[test]
fn stripe_fixture_converts_exactly() {
    let import = import(include_str!(
        "../../../tests/fixtures/intercept/valid_policy.yaml"
    ));
    assert_eq!(
        policy_json(&import),
        json!({
            "version": "1",
            "description": "Stripe MCP server policies",
            "default": "allow",
            "tools": {
                "create_charge": {
                    "reason": concat!(
                        "Single charge cannot exceed $500.00; ",
                        "Only USD and EUR charges are permitted"
                    ),
                    "conditions": [
                        { "path": "args.amount", "op": "lte", "value": 50000 },
                        { "path": "args.currency", "op": "in", "value": ["usd", "eur"] }
                    ],
                    "limits": [{
                        "counter": "create_charge.daily_spend", "window": "day", "max": 999999,
                        "scope": "global", "increment_from": "args.amount"
                    }]
                },
                "create_issue": {
                    "reason": "Hourly limit of 5 new issues reached",
                    "limits": [{
                        "counter": "create_issue._rate_hour", "window": "hour", "max": 5,
                        "scope": "global"
                    }]
                },
                "create_refund": {
                    "reason": "Refunds over $100.00 require manual processing",
                    "conditions": [{ "path": "args.amount", "op": "lte", "value": 10000 }],
                    "limits": [{
                        "counter": "create_refund.daily_count", "window": "day", "max": 9,
                        "scope": "global"
                    }]
                },
                "delete_customer": {
                    "action": "deny",
                    "reason": "Customer deletion is not permitted via AI agents"
                },
                "*": {
                    "limits": [{
                        "counter": "_global.calls_per_minute", "window": "minute", "max": 59,
                        "scope": "global"
                    }]
                }
            }
        })
    );
    assert_eq!(note_paths(&import), ["tools.create_charge.rules"]);
    assert!(import.untranslated[0].reason.contains("merged"));
    assert!(import.policy.tools["*"].is_limits_only());
    assert_round_trips(&import);
}

#[test]
fn default_deny_fixture_converts_exactly() {
    let import = import(include_str!(
        "../../../tests/fixtures/intercept/default_deny_policy.yaml"
    ));
    assert_eq!(
        policy_json(&import),
        json!({
            "version": "1",
            "description": "Default-deny test fixture",
            "default": "deny",
            "tools": {
                "read_file": {},
                "create_issue": {
                    "reason": "Hourly limit of 5 new issues reached",
                    "limits": [{
                        "counter": "create_issue._rate_hour", "window": "hour", "max": 5,
                        "scope": "global"
                    }]
                },
                "delete_customer": {
                    "action": "deny",
                    "reason": "Customer deletion is not permitted"
                },
                "*": {
                    "limits": [{
                        "counter": "_global._rate_minute", "window": "minute", "max": 60,
                        "scope": "global"
                    }]
                }
            }
        })
    );
    assert_eq!(import.untranslated, []);
    assert_eq!(import.policy.tools["read_file"], Rule::default());
    assert_round_trips(&import);
}

#[test]
fn github_fixture_converts_exactly() {
    let import = import(include_str!(
        "../../../tests/fixtures/intercept/github.yaml"
    ));
    assert_eq!(
        policy_json(&import),
        json!({
            "version": "1",
            "description": "GitHub MCP server policies",
            "default": "allow",
            "hide": ["transfer_repository", "list_webhooks"],
            "tools": {
                "create_issue": {
                    "reason": "Hourly limit of 5 new issues reached",
                    "limits": [{
                        "counter": "create_issue._rate_hour", "window": "hour", "max": 5,
                        "scope": "global"
                    }]
                },
                "create_pull_request": {
                    "reason": "Hourly limit of 3 new pull requests reached",
                    "limits": [{
                        "counter": "create_pull_request._rate_hour", "window": "hour", "max": 3,
                        "scope": "global"
                    }]
                },
                "delete_repository": {
                    "action": "deny",
                    "reason": "Repository deletion is not permitted via AI agents"
                },
                "*": {
                    "limits": [{
                        "counter": "_global._rate_minute", "window": "minute", "max": 60,
                        "scope": "global"
                    }]
                }
            }
        })
    );
    assert_eq!(import.untranslated, []);
    assert_round_trips(&import);
}

#[test]
fn missing_or_empty_default_means_allow() {
    for yaml in [
        "version: \"1\"\ntools:\n  a:\n    rules: []\n",
        "version: \"1\"\ndefault: \"\"\n",
        "version: \"1\"\ndefault:\n",
    ] {
        let import = import(yaml);
        assert_eq!(import.policy.default, Action::Allow, "{yaml}");
        assert_eq!(
            policy_json(&import)["default"],
            "allow",
            "written explicitly"
        );
    }
    assert_eq!(
        import("version: '1'\ndefault: deny\n").policy.default,
        Action::Deny
    );
}

#[test]
fn lt_becomes_floor_minus_one_and_lte_is_kept() {
    let import = import(
        r#"
version: "1"
tools:
  a:
    rules:
      - name: lt fractional
        conditions: [{ path: state.a.c1, op: lt, value: 10.5 }]
        state: { counter: c1, window: minute }
      - name: lte
        conditions: [{ path: state.a.c2, op: lte, value: 7 }]
        state: { counter: c2, window: hour, increment: 3 }
"#,
    );
    let limits = &import.policy.tools["a"].limits;
    assert_eq!(limits.len(), 2);
    assert_eq!((limits[0].counter.as_str(), limits[0].max), ("a.c1", 9.0));
    assert_eq!((limits[1].counter.as_str(), limits[1].max), ("a.c2", 7.0));
    assert_eq!(limits[1].increment, Some(3.0));
    assert_eq!(limits[0].increment, None, "increment 1 is the default");
    assert!(
        import.policy.tools["a"].conditions.is_empty(),
        "the limit conditions are consumed"
    );
    assert_eq!(import.untranslated, []);
}

#[test]
fn rate_limit_desugars_to_a_global_limit() {
    let import = import(
        r#"
version: "1"
tools:
  send:
    rules:
      - name: daily
        rate_limit: 10/day
  bad:
    rules:
      - name: zero
        rate_limit: 0/hour
      - name: week
        rate_limit: 5/week
      - name: combined
        rate_limit: 5/hour
        conditions: [{ path: args.x, op: eq, value: 1 }]
"#,
    );
    assert_eq!(
        import.policy.tools["send"].limits,
        [Limit {
            counter: "send._rate_day".to_string(),
            window: Window::Day,
            max: 10.0,
            scope: Scope::Global,
            increment: None,
            increment_from: None,
        }]
    );
    assert_eq!(
        import.policy.tools["send"].reason, None,
        "livegate words rate limits itself"
    );
    assert_eq!(
        note_paths(&import),
        [
            "tools.bad.rules[0].rate_limit",
            "tools.bad.rules[1].rate_limit",
            "tools.bad.rules[2].rate_limit",
        ]
    );
    // The condition of the rejected combination still applies.
    assert_eq!(import.policy.tools["bad"].conditions.len(), 1);
    assert!(import.policy.tools["bad"].limits.is_empty());
}

#[test]
fn wildcard_rules_other_than_limits_are_reported() {
    let import = import(
        r#"
version: "1"
tools:
  "*":
    rules:
      - name: no prod
        conditions: [{ path: args.env, op: neq, value: prod }]
      - name: nothing
        action: deny
      - name: capped
        rate_limit: 100/hour
"#,
    );
    assert_eq!(
        note_paths(&import),
        ["tools.*.rules[1]", "tools.*.rules[0].conditions[0]"]
    );
    for (_, reason) in notes(&import) {
        assert!(
            reason.contains("every call") && reason.contains("more permissive"),
            "{reason}"
        );
    }
    let star = &import.policy.tools["*"];
    assert!(star.is_limits_only());
    assert_eq!(star.limits[0].counter, "_global._rate_hour");
}

#[test]
fn wildcard_without_limits_adds_no_entry() {
    let import = import("version: '1'\ndefault: deny\ntools:\n  '*':\n    rules: []\n");
    assert!(
        import.policy.tools.is_empty(),
        "a `*` entry would allow every tool"
    );
}

#[test]
fn unknown_keys_are_reported_at_every_level() {
    let import = import(
        r#"
version: "1"
polcies: {}
tools:
  a:
    rulez: []
    rules:
      - name: r
        on_deyn: typo
        conditions:
          - { path: args.x, op: eq, value: 1, vaule: 2 }
        state: { counter: c, window: day, scope: client }
"#,
    );
    assert_eq!(
        note_paths(&import),
        [
            "polcies",
            "tools.a.rulez",
            "tools.a.rules[0].on_deyn",
            "tools.a.rules[0].conditions[0].vaule",
            "tools.a.rules[0].state.scope",
            "tools.a.rules[0].state",
        ]
    );
    assert!(import.untranslated[0].reason.contains("unknown key"));
    assert!(import.untranslated[5].reason.contains("never increments"));
    assert_eq!(import.policy.tools["a"].conditions.len(), 1);
}

#[test]
fn bad_conditions_and_windows_are_reported() {
    let import = import(
        r#"
version: "1"
tools:
  a:
    rules:
      - name: r
        conditions:
          - { path: args.x, op: like, value: 1 }
          - { path: args.x, op: in, value: 1 }
          - { path: args.x, op: regex, value: "(" }
          - { path: body.x, op: eq, value: 1 }
          - { path: state.b.c, op: gt, value: 1 }
          - { path: state.a.c, op: lte, value: 5 }
        state: { counter: c, window: fortnight }
"#,
    );
    assert_eq!(
        note_paths(&import),
        [
            "tools.a.rules[0].conditions[0]",
            "tools.a.rules[0].conditions[1]",
            "tools.a.rules[0].conditions[2]",
            "tools.a.rules[0].conditions[3]",
            "tools.a.rules[0].state",
            "tools.a.rules[0].conditions[4]",
            "tools.a.rules[0].conditions[5]",
        ]
    );
    let reasons: Vec<&str> = notes(&import).into_iter().map(|(_, r)| r).collect();
    for (reason, expected) in reasons.iter().zip([
        "unknown `op` \"like\"",
        "`op: in` needs a list",
        "not a valid regular expression",
        "must start with `args.` or `state.`",
        "`window` \"fortnight\" is not minute, hour or day",
        "reads counter `b.c`",
        "reads counter `a.c`",
    ]) {
        assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
    }
    assert!(import.policy.tools["a"].conditions.is_empty());
    assert_eq!(import.policy.tools["a"].reason, None);
}

#[test]
fn conditions_on_other_translated_counters_are_kept() {
    let import = import(
        r#"
version: "1"
tools:
  a:
    rules:
      - name: shared
        conditions: [{ path: state._global.calls, op: lt, value: 50 }]
        on_deny: busy
  "*":
    rules:
      - name: calls
        conditions: [{ path: state._global.calls, op: lte, value: 100 }]
        state: { counter: calls, window: minute }
"#,
    );
    assert_eq!(import.untranslated, []);
    assert_eq!(
        policy_json(&import)["tools"]["a"],
        json!({
            "reason": "busy",
            "conditions": [{ "path": "state._global.calls", "op": "lt", "value": 50 }]
        })
    );
}

#[test]
fn deny_rule_denies_the_whole_tool() {
    let import = import(
        r#"
version: "1"
tools:
  a:
    rules:
      - name: ok
        conditions: [{ path: args.x, op: eq, value: 1 }]
      - name: block
        action: deny
        conditions: [{ path: args.y, op: eq, value: 1 }]
"#,
    );
    assert_eq!(
        import.policy.tools["a"],
        Rule {
            action: Some(Action::Deny),
            reason: Some("Denied by rule \"block\"".to_string()),
            ..Rule::default()
        }
    );
    assert_eq!(note_paths(&import), ["tools.a.rules[1].conditions"]);
}

#[test]
fn glob_metacharacters_in_names_are_reported() {
    let import = import(
        r#"
version: "1"
hide: ["*", "secret?", plain]
tools:
  "delete_*":
    rules: []
  "x[1]":
    rules: []
  "github.create_issue":
    rules: []
"#,
    );
    assert_eq!(
        note_paths(&import),
        ["hide[1]", "tools.delete_*", "tools.x[1]"]
    );
    assert_eq!(import.policy.hide, ["*", "plain"]);
    assert_eq!(
        import.policy.tools.keys().collect::<Vec<_>>(),
        ["github.create_issue"]
    );
    assert!(import.untranslated[1].reason.contains("glob"));
}

#[test]
fn not_yaml_is_an_error_with_a_position() {
    let err = import_intercept("version: \"1\"\ntools: [unclosed\n").expect_err("not YAML");
    let InterceptError::Yaml { line, .. } = &err else {
        panic!("unexpected error {err:?}");
    };
    assert!(line.is_some(), "{err}");
    assert!(err.to_string().starts_with("not valid YAML"), "{err}");
    assert!(matches!(
        import_intercept("- a\n- b\n"),
        Err(InterceptError::NotAMapping { .. })
    ));
    assert!(matches!(
        import_intercept(""),
        Err(InterceptError::NotAMapping { .. })
    ));
}

#[test]
fn only_version_one_is_accepted() {
    let err = import_intercept("version: \"2\"\ntools: {}\n").expect_err("version 2");
    assert_eq!(
        err,
        InterceptError::UnsupportedVersion {
            found: "the string \"2\"".to_string()
        }
    );
    assert!(err.to_string().contains("only version \"1\""), "{err}");
    assert_eq!(
        import_intercept("tools: {}\n"),
        Err(InterceptError::MissingVersion)
    );
    // Go's YAML decoder reads the number 1 into the string field as "1".
    assert!(import_intercept("version: 1\n").is_ok());
    assert!(import_intercept("version: 1.0\n").is_err());
}

#[test]
fn document_level_type_errors_are_errors() {
    for (yaml, key) in [
        ("version: '1'\ntools: [a]\n", "tools"),
        ("version: '1'\nhide: a\n", "hide"),
    ] {
        match import_intercept(yaml) {
            Err(InterceptError::WrongType { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{yaml}: {other:?}"),
        }
    }
    assert!(matches!(
        import_intercept("version: '1'\ndefault: maybe\n"),
        Err(InterceptError::InvalidDefault { .. })
    ));
}

#[test]
fn odd_inputs_are_reported_never_panic() {
    let one_rule = |rule: &str| format!("version: '1'\ntools:\n  a:\n    rules: [{rule}]\n");
    let mut inputs = vec![
        "version: '1'\ntools:\n  a: 5\n".to_string(),
        "version: '1'\ntools:\n  a:\n    rules: 5\n".to_string(),
        "version: '1'\ntools:\n  ? [1]\n  : {}\n".to_string(),
        "version: '1'\nbase: &b {rules: []}\ntools:\n  a:\n    <<: *b\n".to_string(),
    ];
    inputs.extend(
        [
            "5, [1], {action: [x]}",
            "{state: 5, conditions: x}",
            "{conditions: [{path: args.x, op: eq, value: !t 1}]}",
            "{conditions: [{path: state.a.c, op: lt, value: 0}], \
              state: {counter: c, window: day, increment: -2}}",
            "{conditions: [{path: state.a.c, op: lt, value: .nan}], \
              state: {counter: c, window: day}}",
        ]
        .map(one_rule),
    );
    for yaml in &inputs {
        let import = import(yaml);
        assert!(
            !import.untranslated.is_empty(),
            "nothing reported for {yaml}"
        );
        assert_round_trips(&import);
    }
    assert!(import_intercept("!tag {version: '1'}\n").is_err());
}
