//! Imported Intercept policies behave as Intercept documents them: the Stripe example's
//! per-charge cap, currency list, daily spend counted from the amount, and global brake.

use std::sync::Arc;

use livegate::policy::{
    import_intercept, Call, Catalog, CompiledPolicy, ManualClock, Outcome, PolicyHandle,
};
use serde_json::{json, Value};

const STRIPE: &str = include_str!("fixtures/intercept/valid_policy.yaml");
const GITHUB: &str = include_str!("fixtures/intercept/github.yaml");

fn handle(yaml: &str) -> PolicyHandle {
    let import = import_intercept(yaml).expect("imports");
    let compiled = CompiledPolicy::compile(import.policy, Arc::new(Catalog::empty()))
        .expect("imported policy is valid");
    PolicyHandle::with_clock(compiled, Arc::new(ManualClock::at(1_795_009_500_000)))
}

fn call(h: &PolicyHandle, tool: &str, args: Value, grant: &str) -> Outcome {
    let d = h.decide(&Call {
        tool,
        args: &args,
        grant,
        session: None,
        hints: None,
    });
    d.reservation.commit();
    d.outcome
}

#[test]
fn the_stripe_example_caps_charges_currencies_and_daily_spend() {
    let h = handle(STRIPE);
    let charge = |amount: i64, currency: &str| {
        call(
            &h,
            "create_charge",
            json!({"amount": amount, "currency": currency}),
            "a",
        )
    };
    assert_eq!(
        charge(60_000, "usd").label(),
        "deny",
        "single charge over $500"
    );
    assert_eq!(charge(100, "gbp").label(), "deny", "currency not allowed");
    // Daily spend: `lt 1000000` cents, counted from args.amount, globally.
    for _ in 0..19 {
        assert_eq!(charge(50_000, "usd"), Outcome::Allow);
    }
    assert_eq!(
        charge(49_999, "eur"),
        Outcome::Allow,
        "999,999 reached exactly"
    );
    assert_eq!(
        call(
            &h,
            "create_charge",
            json!({"amount": 1, "currency": "usd"}),
            "b"
        )
        .label(),
        "rate_limited"
    );
    assert_eq!(
        call(&h, "delete_customer", json!({}), "a")
            .agent_message()
            .as_deref(),
        Some("Policy violation: Customer deletion is not permitted via AI agents")
    );
    // default: allow (unlisted tools pass), under the global brake of 59 calls a minute:
    // 20 calls counted so far (refused calls count nothing), 39 more fit.
    for _ in 0..39 {
        assert_eq!(call(&h, "list_customers", json!({}), "c"), Outcome::Allow);
    }
    assert_eq!(
        call(&h, "list_customers", json!({}), "c").label(),
        "rate_limited"
    );
}

#[test]
fn the_github_example_hides_tools_and_limits_issues() {
    let h = handle(GITHUB);
    assert_eq!(
        call(&h, "transfer_repository", json!({}), "a").label(),
        "deny"
    );
    let policy = CompiledPolicy::compile(
        import_intercept(GITHUB).expect("imports").policy,
        Arc::new(Catalog::empty()),
    )
    .expect("valid");
    assert!(policy.hidden_by("list_webhooks").is_some());
    for _ in 0..5 {
        assert_eq!(call(&h, "create_issue", json!({}), "a"), Outcome::Allow);
    }
    assert_eq!(
        call(&h, "create_issue", json!({}), "other-agent").label(),
        "rate_limited",
        "Intercept counters are global"
    );
}
