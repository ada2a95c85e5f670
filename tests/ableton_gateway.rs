//! The whole path a musician's agent takes: MCP over HTTP → policy → the Ableton upstream →
//! AbletonOSC → the simulated Live, with assertions on the simulated set itself.

mod common;

use common::tool_text;
use livegate::policy::builtin::{ABLETON_DEFAULT_JSON, POLICYLAYER_ABLETON_JSON};
use livegate::settings::{SimulatorMode, UpstreamConfig};
use serde_json::json;

fn ableton() -> UpstreamConfig {
    UpstreamConfig::Builtin {
        name: "ableton".into(),
        builtin: "ableton".into(),
    }
}

async fn start(policy: &str) -> (common::TestGateway, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("temp dir");
    let gw = common::start_with(
        home.path(),
        policy,
        vec![ableton()],
        Some(SimulatorMode::Always),
    )
    .await;
    (gw, home)
}

fn snapshot(gw: &common::TestGateway) -> serde_json::Value {
    gw.running
        .live
        .as_ref()
        .and_then(|l| l.sim.as_ref())
        .expect("a simulated Live")
        .snapshot()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policylayer_policy_lets_exactly_30_audio_tracks_reach_live() {
    let (gw, _home) = start(POLICYLAYER_ABLETON_JSON).await;
    let before = snapshot(&gw)["tracks"]
        .as_array()
        .map(Vec::len)
        .expect("tracks");
    let session = gw.initialize("2025-11-25").await;
    let tools = gw.call(&session, 1, "tools/list", json!({})).await;
    assert_eq!(
        tools.body["result"]["tools"].as_array().map(Vec::len),
        Some(132),
        "128 Ableton + 4 MIDI tools"
    );
    for id in 0..30 {
        let r = gw
            .call(
                &session,
                10 + id,
                "tools/call",
                json!({"name": "create_audio_track", "arguments": {}}),
            )
            .await;
        assert_ne!(r.body["result"]["isError"], true, "call {id}: {:?}", r.body);
    }
    let limited = gw
        .call_tool(&session, 99, "create_audio_track", json!({}))
        .await;
    assert!(
        tool_text(&limited).starts_with("Rate limit exceeded"),
        "{:?}",
        limited.body
    );
    let denied = gw
        .call_tool(&session, 100, "delete_track", json!({"track_index": 0}))
        .await;
    assert!(
        tool_text(&denied).starts_with("Policy violation"),
        "{:?}",
        denied.body
    );
    // Only the allowed calls touched Live.
    let after = snapshot(&gw)["tracks"]
        .as_array()
        .map(Vec::len)
        .expect("tracks");
    assert_eq!(after, before + 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recommended_policy_reads_edits_and_refuses_to_delete_without_asking() {
    let (gw, _home) = start(ABLETON_DEFAULT_JSON).await;
    let r = gw
        .stateless(
            1,
            "tools/call",
            json!({"name": "get_session_info", "arguments": {}}),
        )
        .await;
    assert_eq!(
        r.body["result"]["structuredContent"]["track_count"], 4,
        "{:?}",
        r.body
    );
    let r = gw
        .stateless(
            2,
            "tools/call",
            json!({"name": "set_tempo", "arguments": {"tempo": 128}}),
        )
        .await;
    assert_ne!(r.body["result"]["isError"], true, "{:?}", r.body);
    assert_eq!(snapshot(&gw)["tempo"], 128.0);
    let r = gw
        .stateless(
            3,
            "tools/call",
            json!({"name": "set_tempo", "arguments": {"tempo": 1200}}),
        )
        .await;
    assert!(
        tool_text(&r).starts_with("Policy violation: Tempo must be between 20 and 999 BPM"),
        "{:?}",
        r.body
    );
    assert_eq!(
        snapshot(&gw)["tempo"],
        128.0,
        "the refused call never reached Live"
    );
    let r = gw
        .stateless(
            4,
            "tools/call",
            json!({"name": "set_track_name", "arguments": {"track_index": 1, "name": "Sub Bass"}}),
        )
        .await;
    assert_ne!(r.body["result"]["isError"], true, "{:?}", r.body);
    assert_eq!(snapshot(&gw)["tracks"][1]["name"], "Sub Bass");
    // Deleting asks the human; here they say no.
    let deny = async {
        let asked = common::pending(&gw.running.approvals, 1).await.remove(0);
        assert_eq!(
            (asked.tool.as_str(), asked.rule.as_str()),
            ("delete_track", "categories.Destructive")
        );
        gw.running
            .approvals
            .deny(&asked.id, Some("keep my drums".into()), "test")
            .expect("pending");
    };
    let (r, ()) = tokio::join!(
        gw.stateless(
            5,
            "tools/call",
            json!({"name": "delete_track", "arguments": {"track_index": 0}}),
        ),
        deny
    );
    assert_eq!(tool_text(&r), "Denied by the user: keep my drums");
    assert_eq!(
        r.body["result"]["_meta"]["livegate"]["rule"],
        "categories.Destructive"
    );
    assert_eq!(snapshot(&gw)["tracks"].as_array().map(Vec::len), Some(4));
    let r = gw.stateless(6, "tools/call", json!({"name": "load_drum_kit", "arguments": {"track_index": 0, "rack_uri": "x", "kit_path": "y"}})).await;
    assert!(
        tool_text(&r).contains("not available over AbletonOSC"),
        "{:?}",
        r.body
    );
}
