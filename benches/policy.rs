//! Policy decision time: the recommended Ableton policy over the 128 catalog tools, and a
//! synthetic 1,000-rule policy with exact names, globs, conditions and limits.
//! Targets on the 2-core CI machine: median ≤ 1 µs and ≤ 2 µs per decision.
//!
//! Each iteration decides one call and drops the decision, which rolls its reservation
//! back: the counters stay empty, so every call takes the full path (match, conditions,
//! amounts, reserve, roll back) rather than the cheaper rate-limited one.
//!
//! Run with `cargo bench --bench policy`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use livegate::policy::builtin::ABLETON_DEFAULT_JSON;
use livegate::policy::{Call, Catalog, CompiledPolicy, Counters};
use serde_json::{json, Value};

/// 2026-11-24T13:45:00Z.
const NOW_MS: i64 = 1_795_009_500_000;

/// A synthetic policy of 1,000 tool rules: 600 exact names with conditions and limits,
/// 300 globs with conditions, 100 globs with limits, plus category rules and a `*` brake.
fn synthetic_policy() -> String {
    let mut tools = serde_json::Map::new();
    for i in 0..600 {
        tools.insert(
            format!("tool_{i}"),
            json!({
                "reason": format!("rule {i}"),
                "conditions": [
                    {"path": "args.track_index", "op": "lte", "value": 64},
                    {"path": "args.name", "op": "regex", "value": format!("^[A-Za-z]+ {}$", i % 10)}
                ],
                "limits": [{"counter": format!("c{}", i % 50), "window": "minute", "max": 1_000_000}]
            }),
        );
    }
    for i in 0..300 {
        tools.insert(
            format!("ns{i}.*"),
            json!({"conditions": [{"path": "args.mode", "op": "in", "value": ["a", "b", "c"]}]}),
        );
    }
    for i in 0..100 {
        tools.insert(
            format!("group_{i}_*"),
            json!({"limits": [{"counter": "groups", "window": "hour", "max": 1_000_000, "scope": "global"}]}),
        );
    }
    tools.insert(
        "*".into(),
        json!({"limits": [{"counter": "all", "window": "second", "max": 1_000_000}]}),
    );
    json!({
        "version": "1",
        "default": "deny",
        "categories": {"Read": {"action": "allow"}, "Destructive": {"action": "approve"}},
        "tools": tools
    })
    .to_string()
}

fn bench_decisions(c: &mut Criterion) {
    let catalog = Arc::new(Catalog::ableton());
    let counters = Arc::new(Counters::new());

    let default = CompiledPolicy::from_json(ABLETON_DEFAULT_JSON, Arc::clone(&catalog))
        .unwrap_or_else(|e| panic!("the recommended policy is invalid: {e}"));
    let tools: Vec<String> = catalog.tools().map(|t| t.name.clone()).collect();
    let args = json!({"track_index": 3, "clip_index": 1, "name": "Bass", "tempo": 124});
    let mut i = 0;
    c.bench_function("decide/ableton_default_128_tools", |b| {
        b.iter(|| {
            i = (i + 1) % tools.len();
            let call = Call {
                tool: &tools[i],
                args: &args,
                grant: "claude",
                session: Some("session-1"),
                hints: None,
            };
            black_box(default.decide(black_box(&call), &counters, NOW_MS))
        });
    });

    let synthetic = CompiledPolicy::from_json(&synthetic_policy(), Arc::clone(&catalog))
        .unwrap_or_else(|e| panic!("the synthetic policy is invalid: {e}"));
    // A mix: exact names (conditions hold), globs by namespace, grouped globs, and misses.
    let calls: Vec<(String, Value)> = (0..64)
        .map(|k| match k % 4 {
            0 => (
                format!("tool_{}", k * 7 % 600),
                json!({"track_index": 3, "name": format!("Bass {}", k * 7 % 600 % 10)}),
            ),
            1 => (format!("ns{}.play", k * 11 % 300), json!({"mode": "b"})),
            2 => (format!("group_{}_x", k % 100), json!({})),
            _ => (format!("unknown_{k}"), json!({})),
        })
        .collect();
    let mut j = 0;
    c.bench_function("decide/synthetic_1000_rules", |b| {
        b.iter(|| {
            j = (j + 1) % calls.len();
            let (tool, args) = &calls[j];
            let call = Call {
                tool,
                args,
                grant: "claude",
                session: None,
                hints: None,
            };
            black_box(synthetic.decide(black_box(&call), &counters, NOW_MS))
        });
    });
}

criterion_group!(benches, bench_decisions);
criterion_main!(benches);
