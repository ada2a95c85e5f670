//! Tests of the tool definitions, argument handling and the pure note computations; the
//! `sim` tests drive the tools against the simulated Live.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::ableton::osc::{OscClient, OscConfig};
use crate::policy::catalog::Category;

/// A client aimed at a port where nothing answers (for calls that must not reach Live).
async fn nowhere() -> AbletonUpstream {
    let config = OscConfig {
        live: SocketAddr::from(([127, 0, 0, 1], 9)),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        timeout: Duration::from_millis(200),
    };
    let osc = OscClient::connect(config).await.expect("bind");
    AbletonUpstream::new("ableton", osc)
}

async fn call(up: &AbletonUpstream, name: &str, args: Value) -> Value {
    up.request("tools/call", Some(json!({"name": name, "arguments": args})))
        .await
        .expect("tools/call answers")
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn is_error(result: &Value) -> bool {
    result["isError"].as_bool() == Some(true)
}

#[tokio::test]
async fn tools_list_has_exactly_the_catalog_tools_with_valid_schemas() {
    let up = nowhere().await;
    let list = up.request("tools/list", None).await.expect("list");
    let all = list["tools"].as_array().expect("array");
    let catalog = Catalog::ableton();
    // The 128 catalog tools, then the 4 MIDI tools.
    assert_eq!(all.len(), 132);
    let (tools, midi) = all.split_at(128);
    let midi_names: Vec<&str> = midi.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(midi_names, crate::ableton::midi::tools::MIDI_TOOL_NAMES);
    let names: HashSet<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    let expected: HashSet<&str> = catalog.tools().map(|t| t.name.as_str()).collect();
    assert_eq!(names, expected);
    // Without MIDI out, the MIDI tools say why.
    let r = up
        .request(
            "tools/call",
            Some(json!({"name": "send_midi_cc", "arguments": {"controller": 1, "value": 2}})),
        )
        .await
        .expect("a tool result");
    assert!(
        is_error(&r) && text(&r).contains("MIDI out is not available"),
        "{r}"
    );
    for tool in tools {
        let name = tool["name"].as_str().expect("name");
        let entry = catalog.get(name).expect("in catalog");
        assert_ne!(
            tool["description"],
            json!("An Ableton Live tool."),
            "{name} has no description"
        );
        let schema = &tool["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        let props = schema["properties"].as_object().expect("properties");
        for p in &entry.params {
            assert_eq!(props[&p.name]["type"], json!(p.kind), "{name}.{}", p.name);
            if p.kind == "array" {
                assert!(
                    props[&p.name]["items"].is_object(),
                    "{name}.{} items",
                    p.name
                );
            }
            let required = schema["required"].as_array().expect("required");
            assert_eq!(
                required.contains(&json!(p.name)),
                p.required,
                "{name}.{}",
                p.name
            );
        }
        let hints = crate::policy::ToolHints::from_annotations(&tool["annotations"]);
        let implied = hints.category();
        match entry.category {
            Category::Execute => {
                assert_eq!(implied, Category::Write, "{name}");
                assert!(tool["annotations"]["idempotentHint"].is_boolean(), "{name}");
            }
            other => assert_eq!(implied, other, "{name}"),
        }
    }
    assert_eq!(up.capabilities(), json!({"tools": {"listChanged": false}}));
}

#[tokio::test]
async fn every_unsupported_tool_says_so_clearly() {
    let up = nowhere().await;
    let catalog = Catalog::ableton();
    for name in unsupported_names() {
        let tool = catalog
            .get(name)
            .expect("unsupported tools are catalog tools");
        let mut args = serde_json::Map::new();
        for p in &tool.params {
            args.insert(p.name.clone(), json!(0));
        }
        let result = call(&up, name, Value::Object(args)).await;
        assert!(is_error(&result), "{name}");
        assert!(
            text(&result).contains(&format!("{name} is not available over AbletonOSC: ")),
            "{name}: {}",
            text(&result)
        );
    }
    assert!(UNSUPPORTED.len() <= 40);
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_naming_the_argument() {
    let up = nowhere().await;
    let cases = [
        ("set_tempo", json!({}), "`tempo`"),
        ("set_tempo", json!({"tempo": 5}), "`tempo`"),
        ("set_tempo", json!({"tempo": "fast"}), "`tempo`"),
        (
            "get_scale_notes",
            json!({"root": 60, "scale_type": "weird"}),
            "`scale_type`",
        ),
        ("get_scale_notes", json!({"root": 200}), "`root`"),
        ("jump_to_time", json!({"time": -1}), "`time`"),
        (
            "set_arrangement_loop",
            json!({"start": 8, "end": 4}),
            "`end`",
        ),
        (
            "delete_locator",
            json!({"locator_index": -2}),
            "`locator_index`",
        ),
    ];
    for (name, args, needle) in cases {
        let result = call(&up, name, args).await;
        assert!(is_error(&result), "{name}");
        assert!(text(&result).contains(needle), "{name}: {}", text(&result));
    }
    let unknown = up
        .request("tools/call", Some(json!({"name": "nope", "arguments": {}})))
        .await;
    assert!(unknown.is_err());
}

#[tokio::test]
async fn live_not_answering_is_a_tool_error_not_a_protocol_error() {
    let up = nowhere().await;
    let result = call(&up, "get_session_info", json!({})).await;
    assert!(is_error(&result));
    assert!(
        text(&result).contains("no reply from Ableton Live"),
        "{}",
        text(&result)
    );
    assert!(matches!(up.health(), UpstreamHealth::Down { .. }));
}

#[tokio::test]
async fn scale_notes_are_computed_without_live() {
    let up = nowhere().await;
    let result = call(
        &up,
        "get_scale_notes",
        json!({"root": 60, "scale_type": "minor"}),
    )
    .await;
    assert!(!is_error(&result), "{}", text(&result));
    assert_eq!(
        result["structuredContent"]["notes"],
        json!([60, 62, 63, 65, 67, 68, 70])
    );
    assert_eq!(result["structuredContent"]["names"][0], "C3");
}

#[test]
fn quantize_moves_starts_to_the_grid() {
    let notes = vec![
        Note::new(60, 0.1, 0.5, 100.0),
        Note::new(62, 0.9, 0.5, 90.0),
    ];
    let q = quantize(&notes, 0.25);
    assert_eq!(q[0].start, 0.0);
    assert_eq!(q[1].start, 1.0);
    assert_eq!(q[1].pitch, 62);
}

#[test]
fn transpose_keeps_the_midi_range() {
    let notes = vec![
        Note::new(60, 0.0, 1.0, 100.0),
        Note::new(120, 1.0, 1.0, 100.0),
    ];
    assert_eq!(transpose(&notes, 7).expect("in range")[0].pitch, 67);
    assert!(transpose(&notes, 8).is_err());
    assert_eq!(transpose(&notes, -60).expect("in range")[0].pitch, 0);
}

#[test]
fn humanize_is_deterministic_per_seed_and_bounded() {
    let notes: Vec<Note> = (0..16)
        .map(|i| Note::new(60, f64::from(i) * 0.5, 0.25, 100.0))
        .collect();
    let a = humanize_timing(&notes, 0.05, 7);
    assert_eq!(a, humanize_timing(&notes, 0.05, 7));
    assert_ne!(a, humanize_timing(&notes, 0.05, 8));
    for (h, n) in a.iter().zip(&notes) {
        assert!((h.start - n.start).abs() <= 0.05 + 1e-9);
        assert!(h.start >= 0.0);
    }
    let v = humanize_velocity(&notes, 0.1, 7);
    assert_eq!(v, humanize_velocity(&notes, 0.1, 7));
    assert!(v.iter().all(|n| (87.0..=113.0).contains(&n.velocity)));
    assert!(v.iter().any(|n| n.velocity != 100.0));
}

#[test]
fn drum_patterns_and_basslines_are_fixed_and_in_range() {
    let basic = drum_pattern("basic", 4.0).expect("style");
    assert!(basic.iter().any(|n| n.pitch == 36 && n.start == 0.0));
    assert!(basic.iter().any(|n| n.pitch == 38 && n.start == 1.0));
    assert!(basic.iter().all(|n| n.start < 4.0));
    assert_eq!(
        drum_pattern("house", 8.0)
            .expect("style")
            .iter()
            .filter(|n| n.pitch == 36)
            .count(),
        8
    );
    assert!(drum_pattern("polka", 4.0).is_err());
    let bass = bassline(36, "minor", 8.0).expect("bass");
    assert_eq!(bass.len(), 16);
    assert_eq!(bass[0].pitch, 36);
    assert_eq!(bass, bassline(36, "minor", 8.0).expect("bass"));
    let minor: Vec<i32> = (0..3)
        .flat_map(|o| [0, 2, 3, 5, 7, 8, 10].map(|i| 36 + i + 12 * o))
        .collect();
    assert!(bass.iter().all(|n| minor.contains(&n.pitch)), "{bass:?}");
}

#[test]
fn notes_round_trip_through_osc_and_json() {
    let notes = vec![Note::new(60, 0.5, 0.25, 100.0)];
    assert_eq!(notes::from_osc(&notes::to_osc(&notes)), notes);
    let parsed = Note::from_json(&json!({"pitch": 60, "start_time": 0.5}), 0).expect("note");
    assert_eq!(parsed, Note::new(60, 0.5, 0.25, 100.0));
    let err = Note::from_json(&json!({"pitch": 300, "start_time": 0}), 3).unwrap_err();
    assert!(err.to_string().contains("notes[3].pitch"));
}

#[test]
fn the_readme_lists_every_tool_abletonosc_cannot_do() {
    let readme = include_str!("../../../README.md");
    for name in super::unsupported_names() {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not list {name}"
        );
    }
    assert_eq!(super::unsupported_names().count(), 36);
}
