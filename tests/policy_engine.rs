//! The policy engine end to end through its public API: PolicyLayer's Ableton policy,
//! every window and scope, matching order, shared counters, increments, rollback, hot
//! reload and exactness under concurrency. Time comes from a manual clock.

use std::sync::{Arc, Barrier};

use livegate::policy::builtin::{ABLETON_DEFAULT_JSON, POLICYLAYER_ABLETON_JSON};
use livegate::policy::{
    Call, Catalog, Category, CompiledPolicy, Decision, ManualClock, MatchedBy, Outcome,
    PolicyHandle, Reloaded, Remember, ToolHints,
};
use serde_json::{json, Value};

/// 2026-11-24T13:45:00Z, the start of a minute (and of a 90 s window: 1_795_009_500 = 90 × 19_944_550).
const T0: i64 = 1_795_009_500_000;

fn handle(policy: &str) -> (PolicyHandle, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at(T0));
    let compiled = CompiledPolicy::from_json(policy, Arc::new(Catalog::ableton()))
        .unwrap_or_else(|e| panic!("test policy is invalid: {e}"));
    (PolicyHandle::with_clock(compiled, clock.clone()), clock)
}

fn decide(
    h: &PolicyHandle,
    tool: &str,
    args: Value,
    grant: &str,
    session: Option<&str>,
) -> Decision {
    h.decide(&Call {
        tool,
        args: &args,
        grant,
        session,
        hints: None,
    })
}

/// Decides and, when allowed, commits the reservation as a successful upstream call would.
fn call(h: &PolicyHandle, tool: &str, grant: &str) -> Outcome {
    call_with(h, tool, json!({}), grant, None)
}

fn call_with(
    h: &PolicyHandle,
    tool: &str,
    args: Value,
    grant: &str,
    session: Option<&str>,
) -> Outcome {
    let d = decide(h, tool, args, grant, session);
    d.reservation.commit();
    d.outcome
}

fn is_allowed(o: &Outcome) -> bool {
    matches!(o, Outcome::Allow)
}

#[test]
fn policylayer_policy_allows_30_audio_tracks_a_minute_per_grant_and_nothing_else() {
    let (h, clock) = handle(POLICYLAYER_ABLETON_JSON);
    clock.advance(10_000); // 13:45:10
    for i in 0..30 {
        let o = call(&h, "create_audio_track", "alice");
        assert!(is_allowed(&o), "call {} refused: {o:?}", i + 1);
    }
    let d = decide(&h, "create_audio_track", json!({}), "alice", None);
    assert_eq!(&*d.rule, "tools.create_audio_track");
    match &d.outcome {
        Outcome::RateLimited {
            counter,
            retry_after_s,
            ..
        } => {
            assert_eq!(counter, "create_audio_track_rate");
            assert_eq!(*retry_after_s, 50);
        }
        other => panic!("31st call should be rate-limited, got {other:?}"),
    }
    let message = d.outcome.agent_message().expect("refusal has a message");
    assert!(message.starts_with("Rate limit exceeded: "), "{message}");
    assert!(message.ends_with("retry after 50 s"), "{message}");

    // Another grant has its own counter.
    assert!(is_allowed(&call(&h, "create_audio_track", "bob")));

    // The next minute starts afresh.
    clock.set(T0 + 60_000);
    assert!(is_allowed(&call(&h, "create_audio_track", "alice")));

    // Every other tool is denied, known or not.
    let catalog = Catalog::ableton();
    for tool in catalog
        .tools()
        .map(|t| t.name.as_str())
        .chain(["made_up_tool"])
    {
        if tool == "create_audio_track" {
            continue;
        }
        let d = decide(&h, tool, json!({}), "alice", None);
        assert_eq!(d.outcome.label(), "deny", "{tool} not denied");
        assert_eq!(&*d.rule, "default");
        let message = d.outcome.agent_message().expect("message");
        assert!(message.starts_with("Policy violation: "), "{message}");
    }
}

#[test]
fn every_window_resets_at_its_utc_boundary() {
    let (h, clock) = handle(
        r#"{"version":"1","default":"deny","tools":{
            "s":{"limits":[{"counter":"s","window":"second","max":2}]},
            "m":{"limits":[{"counter":"m","window":"minute","max":2}]},
            "h":{"limits":[{"counter":"h","window":"hour","max":2}]},
            "d":{"limits":[{"counter":"d","window":"day","max":2}]},
            "n":{"limits":[{"counter":"n","window":90,"max":2}]}}}"#,
    );
    // 13:45:00 is 45 minutes into the hour and 13.75 hours into the UTC day.
    let cases = [
        ("s", 1_000, 1),
        ("m", 60_000, 60),
        ("h", 15 * 60_000, 900),
        ("d", (10 * 60 + 15) * 60_000, 36_900),
        ("n", 90_000, 90),
    ];
    for (tool, until_next_ms, retry) in cases {
        clock.set(T0);
        assert!(is_allowed(&call(&h, tool, "g")));
        assert!(is_allowed(&call(&h, tool, "g")));
        assert_eq!(call(&h, tool, "g").retry_after_s(), Some(retry), "{tool}");
        clock.set(T0 + until_next_ms - 1);
        assert!(!is_allowed(&call(&h, tool, "g")), "{tool} reset early");
        clock.set(T0 + until_next_ms);
        assert!(is_allowed(&call(&h, tool, "g")), "{tool} did not reset");
    }
}

#[test]
fn scopes_split_counters_by_grant_session_or_not_at_all() {
    let (h, _) = handle(
        r#"{"version":"1","tools":{
            "g":{"limits":[{"counter":"g","window":"minute","max":1,"scope":"grant"}]},
            "s":{"limits":[{"counter":"s","window":"minute","max":1,"scope":"session"}]},
            "x":{"limits":[{"counter":"x","window":"minute","max":1,"scope":"global"}]}}}"#,
    );
    // grant: per credential, across sessions.
    assert!(is_allowed(&call_with(&h, "g", json!({}), "a", Some("1"))));
    assert!(!is_allowed(&call_with(&h, "g", json!({}), "a", Some("2"))));
    assert!(is_allowed(&call_with(&h, "g", json!({}), "b", Some("1"))));
    // session: per MCP session; without one, per grant.
    assert!(is_allowed(&call_with(&h, "s", json!({}), "a", Some("1"))));
    assert!(is_allowed(&call_with(&h, "s", json!({}), "a", Some("2"))));
    assert!(!is_allowed(&call_with(&h, "s", json!({}), "a", Some("2"))));
    assert!(is_allowed(&call_with(&h, "s", json!({}), "a", None)));
    assert!(!is_allowed(&call_with(&h, "s", json!({}), "a", None)));
    // global: everybody together.
    assert!(is_allowed(&call(&h, "x", "a")));
    assert!(!is_allowed(&call(&h, "x", "b")));
}

#[test]
fn matching_order_hidden_exact_glob_star_category_default() {
    let policy = r#"{"version":"1","default":"approve",
        "hide":["delete_track"],
        "categories":{"Read":{"action":"allow"},"Destructive":{"action":"deny","reason":"no deleting"}},
        "tools":{"delete_track":{"action":"allow"},
                 "delete_*":{"action":"approve"},
                 "delete_cl*":{"action":"deny","reason":"clips stay"},
                 "set_track_name":{"action":"allow"}}}"#;
    let (h, _) = handle(policy);
    let rule_of = |tool: &str| {
        let d = decide(&h, tool, json!({}), "g", None);
        (d.rule.to_string(), d.matched_by, d.outcome.label())
    };
    // 1. hidden wins over an exact entry.
    assert_eq!(
        rule_of("delete_track"),
        (
            "hide[0]".into(),
            MatchedBy::Hidden {
                pattern: "delete_track".into()
            },
            "deny"
        )
    );
    // 2. exact, then the longest glob.
    assert_eq!(
        rule_of("set_track_name"),
        ("tools.set_track_name".into(), MatchedBy::Exact, "allow")
    );
    assert_eq!(
        rule_of("delete_clip"),
        (
            "tools.delete_cl*".into(),
            MatchedBy::Glob {
                pattern: "delete_cl*".into()
            },
            "deny"
        )
    );
    assert_eq!(
        rule_of("delete_scene"),
        (
            "tools.delete_*".into(),
            MatchedBy::Glob {
                pattern: "delete_*".into()
            },
            "needs_approval"
        )
    );
    // 3. category, 4. default.
    assert_eq!(
        rule_of("get_track_info"),
        ("categories.Read".into(), MatchedBy::Category, "allow")
    );
    assert_eq!(
        rule_of("fire_clip"),
        ("default".into(), MatchedBy::Default, "needs_approval")
    );
    assert_eq!(
        rule_of("flatten_track"),
        ("categories.Destructive".into(), MatchedBy::Category, "deny")
    );
    let d = decide(&h, "flatten_track", json!({}), "g", None);
    assert_eq!(
        d.outcome,
        Outcome::Deny {
            reason: "no deleting".into()
        }
    );

    // A `*` with an action decides for every tool no exact or glob entry matches, before categories.
    let (h, _) = handle(
        r#"{"version":"1","categories":{"Read":{"action":"deny"}},"tools":{"*":{"action":"allow"}}}"#,
    );
    let d = decide(&h, "get_track_info", json!({}), "g", None);
    assert_eq!(
        (&*d.rule, d.matched_by, d.outcome),
        ("tools.*", MatchedBy::Star, Outcome::Allow)
    );
}

#[test]
fn a_limits_only_star_adds_its_limits_to_every_call() {
    let (h, _) = handle(
        r#"{"version":"1","default":"allow","categories":{"Read":{"action":"allow"}},
            "tools":{"*":{"limits":[{"counter":"all","window":"minute","max":3}]},
                     "fire_clip":{"action":"deny"}}}"#,
    );
    let d = decide(&h, "get_track_info", json!({}), "g", None);
    assert_eq!(
        &*d.rule, "categories.Read",
        "* must not change which rule decides"
    );
    d.reservation.commit();
    assert!(is_allowed(&call(&h, "set_tempo", "g")));
    // A denied call uses no quota.
    assert_eq!(call(&h, "fire_clip", "g").label(), "deny");
    assert!(is_allowed(&call(&h, "made_up", "g")));
    let d = decide(&h, "get_track_info", json!({}), "g", None);
    assert_eq!(d.outcome.label(), "rate_limited");
    assert_eq!(&*d.rule, "tools.*");
}

#[test]
fn a_shared_counter_caps_several_tools_together() {
    let (h, _) = handle(
        r#"{"version":"1","tools":{
            "set_track_name":{"limits":[{"counter":"writes","window":"minute","max":3}]},
            "set_clip_name":{"limits":[{"counter":"writes","window":"minute","max":3}]},
            "set_scene_name":{"limits":[{"counter":"writes","window":"minute","max":10}]}}}"#,
    );
    assert!(is_allowed(&call(&h, "set_track_name", "g")));
    assert!(is_allowed(&call(&h, "set_clip_name", "g")));
    assert!(is_allowed(&call(&h, "set_track_name", "g")));
    assert!(!is_allowed(&call(&h, "set_clip_name", "g")));
    // Same counter, higher max on this tool: 3 used, room up to 10.
    assert!(is_allowed(&call(&h, "set_scene_name", "g")));
}

#[test]
fn increments_count_fixed_amounts_or_argument_values() {
    let (h, _) = handle(
        r#"{"version":"1","tools":{
            "heavy":{"limits":[{"counter":"cost","window":"minute","max":10,"increment":4}]},
            "add_notes_to_clip":{"limits":[{"counter":"notes","window":"minute","max":100,
                                           "increment_from":"args.count"}]}}}"#,
    );
    assert!(is_allowed(&call(&h, "heavy", "g")));
    assert!(is_allowed(&call(&h, "heavy", "g")));
    assert!(!is_allowed(&call(&h, "heavy", "g")), "4 + 4 + 4 > 10");

    assert!(is_allowed(&call_with(
        &h,
        "add_notes_to_clip",
        json!({"count": 60}),
        "g",
        None
    )));
    assert!(is_allowed(&call_with(
        &h,
        "add_notes_to_clip",
        json!({"count": 40}),
        "g",
        None
    )));
    assert!(!is_allowed(&call_with(
        &h,
        "add_notes_to_clip",
        json!({"count": 1}),
        "g",
        None
    )));
    // A missing or negative amount cannot dodge the limit: the call is denied.
    let (h, _) = handle(
        r#"{"version":"1","tools":{"add_notes_to_clip":{"limits":[{"counter":"notes",
            "window":"minute","max":100,"increment_from":"args.count"}]}}}"#,
    );
    for args in [json!({}), json!({"count": -5}), json!({"count": "many"})] {
        let o = call_with(&h, "add_notes_to_clip", args.clone(), "g", None);
        assert_eq!(o.label(), "deny", "{args}");
    }
}

#[test]
fn failed_calls_give_their_quota_back() {
    let (h, _) = handle(POLICYLAYER_ABLETON_JSON);
    for _ in 0..30 {
        // The upstream fails every time: dropping the reservation rolls it back.
        let d = decide(&h, "create_audio_track", json!({}), "g", None);
        assert!(is_allowed(&d.outcome));
        d.reservation.rollback();
    }
    for _ in 0..30 {
        let d = decide(&h, "create_audio_track", json!({}), "g", None);
        assert!(is_allowed(&d.outcome));
        drop(d);
    }
    for _ in 0..30 {
        assert!(is_allowed(&call(&h, "create_audio_track", "g")));
    }
    assert!(!is_allowed(&call(&h, "create_audio_track", "g")));
}

#[test]
fn conditions_read_arguments_and_counters() {
    let (h, _) = handle(
        r#"{"version":"1","tools":{
            "set_track_volume":{"reason":"only the first 8 tracks, at most 0.85",
                "conditions":[{"path":"args.track_index","op":"lte","value":8},
                              {"path":"args.volume","op":"lte","value":0.85}]},
            "create_clip":{"conditions":[{"path":"state.clips","op":"lt","value":2}],
                "limits":[{"counter":"clips","window":"hour","max":5}]}}}"#,
    );
    let vol = |args: Value| call_with(&h, "set_track_volume", args, "g", None);
    assert!(is_allowed(&vol(json!({"track_index": 3, "volume": 0.5}))));
    assert_eq!(
        vol(json!({"track_index": 9, "volume": 0.5})),
        Outcome::Deny {
            reason: "only the first 8 tracks, at most 0.85".into()
        }
    );
    assert_eq!(
        vol(json!({"volume": 0.5})).label(),
        "deny",
        "missing path fails"
    );
    // state.clips reads the counter before this call: 0, 1 pass; at 2 the condition fails.
    assert!(is_allowed(&call(&h, "create_clip", "g")));
    assert!(is_allowed(&call(&h, "create_clip", "g")));
    let o = call(&h, "create_clip", "g");
    assert_eq!(
        o,
        Outcome::Deny {
            reason: "create_clip requires state.clips lt 2".into()
        }
    );
}

#[test]
fn approve_rules_say_how_to_ask_and_hold_quota_while_waiting() {
    let (h, _) = handle(
        r#"{"version":"1","default":"approve","tools":{"delete_clip":{"action":"approve",
            "reason":"clips are precious","approval":{"timeout_s":30,"remember":"minutes:10"},
            "limits":[{"counter":"deletes","window":"minute","max":1}]}}}"#,
    );
    let d = decide(&h, "delete_clip", json!({}), "g", None);
    assert_eq!(
        d.outcome,
        Outcome::NeedsApproval {
            timeout_s: 30,
            remember: Remember::Minutes(10),
            reason: Some("clips are precious".into())
        }
    );
    // While the human thinks, the quota is held.
    assert_eq!(
        decide(&h, "delete_clip", json!({}), "g", None)
            .outcome
            .label(),
        "rate_limited"
    );
    drop(d); // denied by the human: the quota comes back
    assert_eq!(
        decide(&h, "delete_clip", json!({}), "g", None)
            .outcome
            .label(),
        "needs_approval"
    );
    // The default approve uses the documented defaults.
    let d = decide(&h, "anything", json!({}), "g", None);
    assert_eq!(
        d.outcome,
        Outcome::NeedsApproval {
            timeout_s: 120,
            remember: Remember::Once,
            reason: None
        }
    );
}

#[test]
fn unknown_tools_take_their_category_from_annotations() {
    let (h, _) = handle(
        r#"{"version":"1","categories":{"Read":{"action":"allow"},"Destructive":{"action":"deny"},
            "Write":{"action":"approve"}}}"#,
    );
    let args = json!({});
    let with = |hints: Option<ToolHints>| {
        h.decide(&Call {
            tool: "other.tool",
            args: &args,
            grant: "g",
            session: None,
            hints,
        })
    };
    let read = Some(ToolHints {
        read_only: Some(true),
        destructive: None,
    });
    let destructive = Some(ToolHints {
        read_only: Some(false),
        destructive: Some(true),
    });
    assert_eq!(with(read).category, Category::Read);
    assert_eq!(with(read).outcome.label(), "allow");
    assert_eq!(with(destructive).outcome.label(), "deny");
    assert_eq!(with(None).category, Category::Write);
    assert_eq!(with(None).outcome.label(), "needs_approval");
}

#[test]
fn reloads_swap_atomically_keep_counters_and_reject_bad_files() {
    let (h, _) = handle(POLICYLAYER_ABLETON_JSON);
    for _ in 0..30 {
        assert!(is_allowed(&call(&h, "create_audio_track", "g")));
    }
    // An invalid policy is refused; the old one stays, with its counts.
    let errors = h
        .reload_str(r#"{"version":"1","default":"alow"}"#)
        .expect_err("invalid policy rejected");
    assert_eq!(errors.issues()[0].path, "default");
    assert_eq!(call(&h, "create_audio_track", "g").label(), "rate_limited");
    // A valid one applies to the next call; the counter survives the swap.
    h.reload_str(&POLICYLAYER_ABLETON_JSON.replace("\"deny\"", "\"allow\""))
        .expect("valid policy");
    assert!(is_allowed(&call(&h, "fire_clip", "g")));
    assert_eq!(call(&h, "create_audio_track", "g").label(), "rate_limited");

    // From files: a missing file denies everything.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("policy.json");
    assert_eq!(h.reload_file(&file), Ok(Reloaded::NoFileDenyAll));
    assert_eq!(call(&h, "get_track_info", "g").label(), "deny");
    std::fs::write(&file, ABLETON_DEFAULT_JSON).expect("write policy");
    assert_eq!(h.reload_file(&file), Ok(Reloaded::Policy));
    assert!(is_allowed(&call(&h, "get_track_info", "g")));
    std::fs::write(&file, "{ not json").expect("write policy");
    assert!(h.reload_file(&file).is_err());
    assert!(
        is_allowed(&call(&h, "get_track_info", "g")),
        "last good policy stays"
    );
}

#[test]
fn a_limit_of_n_admits_exactly_n_from_64_threads() {
    for max in [1_u32, 37, 500] {
        let policy = format!(
            r#"{{"version":"1","tools":{{"create_midi_track":{{"limits":[
                {{"counter":"tracks","window":"minute","max":{max},"scope":"global"}}]}}}}}}"#
        );
        let (h, _) = handle(&policy);
        let h = Arc::new(h);
        let barrier = Arc::new(Barrier::new(64));
        let threads: Vec<_> = (0..64)
            .map(|t| {
                let h = Arc::clone(&h);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    let grant = format!("agent-{t}");
                    (0..20)
                        .filter(|_| is_allowed(&call(&h, "create_midi_track", &grant)))
                        .count()
                })
            })
            .collect();
        let admitted: usize = threads
            .into_iter()
            .map(|t| t.join().expect("thread finished"))
            .sum();
        assert_eq!(
            admitted, max as usize,
            "limit {max} admitted {admitted} of 1280"
        );
    }
}

#[test]
fn the_recommended_policy_reads_freely_limits_edits_and_asks_before_deleting() {
    let (h, clock) = handle(ABLETON_DEFAULT_JSON);
    assert!(is_allowed(&call(&h, "get_session_info", "g")));
    assert_eq!(call(&h, "delete_track", "g").label(), "needs_approval");
    assert_eq!(call(&h, "start_recording", "g").label(), "needs_approval");
    let tempo = |bpm: f64| call_with(&h, "set_tempo", json!({"tempo": bpm}), "g", None);
    assert_eq!(tempo(2000.0).label(), "deny");
    assert!(is_allowed(&tempo(128.0)));

    // A burst within one second trips the per-second brake at 20 calls.
    clock.set(T0 + 1_000);
    let rename = || {
        call_with(
            &h,
            "set_track_name",
            json!({"track_index": 0, "name": "x"}),
            "g",
            None,
        )
    };
    let burst = (0..30).filter(|_| is_allowed(&rename())).count();
    assert_eq!(burst, 20);
    // Spread over the minute, edits stop at 60 (one was the tempo change).
    let mut edits = 1 + burst;
    for second in 2..59 {
        clock.set(T0 + second * 1_000);
        edits += (0..2).filter(|_| is_allowed(&rename())).count();
    }
    assert_eq!(edits, 60);
    let o = rename();
    assert_eq!(o.label(), "rate_limited");
    assert!(o
        .agent_message()
        .unwrap_or_default()
        .contains("edits_per_minute allows 60 per minute per grant"));
}
