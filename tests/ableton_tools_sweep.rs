//! Every Ableton tool (the 128 catalog tools and the 4 MIDI tools) through a real livegate
//! with the `ableton` built-in upstream on the simulated Live, each with at least one
//! assertion on the simulated set's state or on how a read agrees with it. Each tool gets a
//! fresh gateway and demo set (policy: allow everything), so that no tool depends on another;
//! a row's setup calls prepare the set where a tool needs something to act on.

mod common;

use common::tool_text;
use livegate::settings::{SimulatorMode, UpstreamConfig};
use serde_json::{json, Value};

const ALLOW_ALL: &str = r#"{"version":"1","default":"allow"}"#;

/// The four tools of the MIDI side channel (not in the catalog).
const MIDI_TOOLS: [&str; 4] = [
    "send_midi_note",
    "send_midi_cc",
    "send_program_change",
    "send_midi_sequence",
];

/// What one call left behind.
struct Outcome {
    /// The tool's name.
    name: String,
    /// The demo set as the gateway started with it (before any setup calls).
    initial: Value,
    /// The set before the call (after any setup calls).
    before: Value,
    /// The set after the call.
    after: Value,
    /// The tool result (`result` of the JSON-RPC response).
    result: Value,
    /// The text of the result's first content item.
    text: String,
}

impl Outcome {
    fn ok(&self) -> &Value {
        assert_ne!(
            self.result["isError"], true,
            "{} failed: {}",
            self.name, self.text
        );
        &self.result["structuredContent"]
    }
    fn err(&self) -> &str {
        assert_eq!(
            self.result["isError"], true,
            "{} should fail: {}",
            self.name, self.result
        );
        &self.text
    }
    fn unchanged(&self) {
        assert_eq!(
            self.before, self.after,
            "{}: the set must not change",
            self.name
        );
    }
    /// Nothing but the parts at `pointers` (and the undo history) changed.
    fn only_changed(&self, pointers: &[&str]) {
        let strip = |v: &Value| {
            let mut v = v.clone();
            for p in pointers.iter().chain(&["/undo_depth", "/redo_depth"]) {
                *v.pointer_mut(p)
                    .unwrap_or_else(|| panic!("no {p} in the set")) = Value::Null;
            }
            v
        };
        let (before, after) = (strip(&self.before), strip(&self.after));
        if before != after {
            let diff: Vec<String> = diff("", &before, &after);
            panic!("{}: more than {pointers:?} changed: {diff:?}", self.name);
        }
        assert_ne!(self.before, self.after, "{}: nothing changed", self.name);
    }
    fn clip(&self, t: usize, c: usize) -> &Value {
        &self.after["tracks"][t]["clip_slots"][c]["clip"]
    }
    /// `a` and `b` are the same number, up to the f32 precision of OSC.
    fn approx(a: &Value, b: &Value) {
        let (x, y) = (a.as_f64(), b.as_f64());
        assert!(
            x.zip(y).is_some_and(|(x, y)| (x - y).abs() < 1e-5),
            "{a} is not {b}"
        );
    }
    fn count(v: &Value) -> usize {
        v.as_array().map_or(usize::MAX, Vec::len)
    }
}

/// The JSON pointers where `a` and `b` differ.
fn diff(at: &str, a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .flat_map(|(k, v)| diff(&format!("{at}/{k}"), v, y.get(k).unwrap_or(&Value::Null)))
            .collect(),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (v, w))| diff(&format!("{at}/{i}"), v, w))
            .collect(),
        _ if a == b => Vec::new(),
        _ => vec![format!("{at}: {a} -> {b}")],
    }
}

/// One table row: the tool's arguments, calls that prepare the set, and the check.
struct Case {
    args: Value,
    setup: Vec<(&'static str, Value)>,
    check: fn(&Outcome),
}

fn case(args: Value, check: fn(&Outcome)) -> Option<Case> {
    Some(Case {
        args,
        setup: Vec::new(),
        check,
    })
}

fn after(setup: Vec<(&'static str, Value)>, args: Value, check: fn(&Outcome)) -> Option<Case> {
    Some(Case { args, setup, check })
}

/// The table: every tool's row. `None` means the tool has no row (the test fails).
fn row(name: &str) -> Option<Case> {
    let tc = |t: usize, c: usize| json!({"track_index": t, "clip_index": c});
    let t = |t: usize| json!({"track_index": t});
    if livegate::ableton::tools::UNSUPPORTED
        .iter()
        .any(|(n, _)| *n == name)
    {
        return case(
            json!({"track_index": 0, "clip_index": 0, "device_index": 0}),
            |o| {
                assert!(
                    o.err().contains("not available over AbletonOSC"),
                    "{}",
                    o.text
                );
                let why = livegate::ableton::tools::UNSUPPORTED
                    .iter()
                    .find(|(n, _)| *n == o.name)
                    .map(|(_, why)| *why)
                    .expect("an unsupported tool");
                assert!(o.text.contains(why), "{}: {}", o.name, o.text);
                o.unchanged();
            },
        );
    }
    if MIDI_TOOLS.contains(&name) {
        let args = match name {
            "send_midi_note" => json!({"note": 60}),
            "send_midi_cc" => json!({"controller": 1, "value": 64}),
            "send_program_change" => json!({"program": 5}),
            _ => json!({"notes": [{"note": 60, "start": 0, "duration": 0.5}]}),
        };
        return case(args, |o| {
            assert!(o.err().contains("MIDI out is not available"), "{}", o.text);
            o.unchanged();
        });
    }
    match name {
        // Reads: the structured result agrees with the set, and the set is unchanged.
        "health_check" => case(json!({}), |o| {
            assert_eq!(o.ok()["connected"], true);
            assert!(o.ok()["live_version"].is_string());
            o.unchanged();
        }),
        "get_playback_position" => {
            after(vec![("jump_to_time", json!({"time": 8}))], json!({}), |o| {
                let r = o.ok();
                assert_eq!(r["current_time"], o.after["current_song_time"]);
                assert_eq!(r["bar"], 3);
                assert_eq!(r["tempo"], o.after["tempo"]);
                assert_eq!(r["is_playing"], o.after["is_playing"]);
                o.unchanged();
            })
        }
        "get_session_info" => case(json!({}), |o| {
            let r = o.ok();
            assert_eq!(r["track_count"], Outcome::count(&o.after["tracks"]));
            assert_eq!(r["scene_count"], Outcome::count(&o.after["scenes"]));
            assert_eq!(r["tempo"], o.after["tempo"]);
            assert_eq!(r["signature_numerator"], o.after["signature_numerator"]);
            assert_eq!(r["metronome"], o.after["metronome"]);
            assert_eq!(r["loop"]["enabled"], o.after["loop"]);
            assert_eq!(r["loop"]["length"], o.after["loop_length"]);
            for (i, t) in o.after["tracks"]
                .as_array()
                .expect("tracks")
                .iter()
                .enumerate()
            {
                assert_eq!(r["tracks"][i]["name"], t["name"]);
            }
            o.unchanged();
        }),
        "get_track_info" => case(t(1), |o| {
            let r = o.ok();
            let track = &o.after["tracks"][1];
            assert_eq!(r["name"], track["name"]);
            Outcome::approx(&r["volume"], &track["volume"]);
            assert_eq!(r["devices"][0]["name"], track["devices"][0]["name"]);
            assert_eq!(r["clip_slots"][1]["has_clip"], true);
            assert_eq!(r["clip_slots"][0]["has_clip"], false);
            for k in ["mute", "solo", "arm", "color"] {
                assert_eq!(r[k], track[k], "{k}");
            }
            let slots = track["clip_slots"].as_array().expect("slots");
            assert_eq!(Outcome::count(&r["clip_slots"]), slots.len());
            for (i, slot) in slots.iter().enumerate() {
                assert_eq!(
                    r["clip_slots"][i]["has_clip"],
                    !slot["clip"].is_null(),
                    "slot {i}"
                );
            }
            o.unchanged();
        }),
        "get_track_color" => case(t(2), |o| {
            assert_eq!(o.ok()["color"], o.after["tracks"][2]["color"]);
            o.unchanged();
        }),
        "get_clip_color" => case(tc(2, 2), |o| {
            assert_eq!(o.ok()["color"], o.clip(2, 2)["color"]);
            o.unchanged();
        }),
        "get_scene_color" => after(
            vec![(
                "set_scene_color",
                json!({"scene_index": 1, "color": 0x00FF00}),
            )],
            json!({"scene_index": 1}),
            |o| {
                assert_eq!(o.ok()["color"], o.after["scenes"][1]["color"]);
                assert_eq!(o.ok()["color"], 0x00FF00);
                o.unchanged();
            },
        ),
        "get_clip_loop" => after(
            vec![(
                "set_clip_loop",
                json!({"track_index": 1, "clip_index": 1, "loop_start": 2, "loop_end": 6}),
            )],
            tc(1, 1),
            |o| {
                let r = o.ok();
                assert_eq!(r["loop_start"], o.clip(1, 1)["loop_start"]);
                assert_eq!(r["loop_end"], o.clip(1, 1)["loop_end"]);
                assert_eq!(r["loop_end"], 6.0);
                o.unchanged();
            },
        ),
        "get_send_level" => after(
            vec![(
                "set_send_level",
                json!({"track_index": 0, "send_index": 1, "level": 0.25}),
            )],
            json!({"track_index": 0, "send_index": 1}),
            |o| {
                assert_eq!(o.ok()["level"], o.after["tracks"][0]["sends"][1]);
                assert_eq!(o.ok()["level"], 0.25);
                o.unchanged();
            },
        ),
        "get_clip_notes" => case(tc(0, 0), |o| {
            let read = o.ok()["notes"].as_array().expect("notes");
            let set = o.clip(0, 0)["notes"].as_array().expect("notes");
            assert_eq!(read.len(), set.len());
            for (r, s) in read.iter().zip(set) {
                assert_eq!(
                    (&r["pitch"], &r["start_time"]),
                    (&s["pitch"], &s["start_time"])
                );
            }
            o.unchanged();
        }),
        "get_device_parameters" => case(json!({"track_index": 1, "device_index": 0}), |o| {
            let r = o.ok();
            let device = &o.after["tracks"][1]["devices"][0];
            assert_eq!(r["name"], device["name"]);
            let ps = device["parameters"].as_array().expect("parameters");
            assert_eq!(Outcome::count(&r["parameters"]), ps.len());
            for (i, p) in ps.iter().enumerate() {
                assert_eq!(r["parameters"][i]["name"], p["name"]);
                Outcome::approx(&r["parameters"][i]["value"], &p["value"]);
            }
            o.unchanged();
        }),
        "get_all_scenes" => case(json!({}), |o| {
            let r = &o.ok()["scenes"];
            assert_eq!(Outcome::count(r), Outcome::count(&o.after["scenes"]));
            for (i, s) in o.after["scenes"]
                .as_array()
                .expect("scenes")
                .iter()
                .enumerate()
            {
                assert_eq!(r[i]["name"], s["name"]);
            }
            assert_eq!(r[3]["is_empty"], true, "no clip in the Outro row");
            o.unchanged();
        }),
        "get_current_view" => after(vec![("select_track", t(2))], json!({}), |o| {
            assert_eq!(o.ok()["selected_track"], o.after["selection"]["track"]);
            assert_eq!(o.ok()["selected_track"], 2);
            o.unchanged();
        }),
        "get_arrangement_length" => after(
            vec![("set_arrangement_loop", json!({"start": 8, "end": 48}))],
            json!({}),
            |o| {
                assert_eq!(o.ok()["length"], 48.0);
                o.unchanged();
            },
        ),
        "get_locators" => case(json!({}), |o| {
            let r = &o.ok()["locators"];
            assert_eq!(Outcome::count(r), Outcome::count(&o.after["cue_points"]));
            assert_eq!(r[0]["name"], o.after["cue_points"][0]["name"]);
            assert_eq!(r[0]["time"], o.after["cue_points"][0]["time"]);
            o.unchanged();
        }),
        "get_track_input_routing" => case(t(0), |o| {
            assert_eq!(
                o.ok()["routing_type"],
                o.after["tracks"][0]["input_routing_type"]
            );
            o.unchanged();
        }),
        "get_track_output_routing" => case(t(0), |o| {
            assert_eq!(
                o.ok()["routing_type"],
                o.after["tracks"][0]["output_routing_type"]
            );
            o.unchanged();
        }),
        "get_available_inputs" => case(t(3), |o| {
            let types = o.ok()["routing_types"].as_array().expect("routing_types");
            assert!(types.contains(&o.after["tracks"][3]["input_routing_type"]));
            assert!(
                types.contains(&json!("Resampling")),
                "an audio track's inputs"
            );
            o.unchanged();
        }),
        "get_available_outputs" => case(t(0), |o| {
            let types = o.ok()["routing_types"].as_array().expect("routing_types");
            assert!(types.contains(&o.after["tracks"][0]["output_routing_type"]));
            o.unchanged();
        }),
        "get_metronome_state" => after(
            vec![("set_metronome", json!({"enabled": true}))],
            json!({}),
            |o| {
                assert_eq!(o.ok()["enabled"], o.after["metronome"]);
                assert_eq!(o.ok()["enabled"], true);
                o.unchanged();
            },
        ),
        "get_scale_notes" => case(json!({"root": 60}), |o| {
            assert_eq!(
                o.ok()["notes"],
                json!([60, 62, 64, 65, 67, 69, 71]),
                "C major"
            );
            o.unchanged();
        }),
        "get_clip_gain" => after(
            vec![(
                "set_clip_gain",
                json!({"track_index": 3, "clip_index": 2, "gain": 0.25}),
            )],
            tc(3, 2),
            |o| {
                assert_eq!(o.ok()["gain"], o.clip(3, 2)["gain"]);
                assert_eq!(o.ok()["gain"], 0.25);
                o.unchanged();
            },
        ),
        "get_clip_pitch" => after(
            vec![(
                "set_clip_pitch",
                json!({"track_index": 3, "clip_index": 2, "pitch": -3}),
            )],
            tc(3, 2),
            |o| {
                assert_eq!(o.ok()["semitones"], o.clip(3, 2)["pitch_coarse"]);
                assert_eq!(o.ok()["semitones"], -3);
                Outcome::approx(&o.ok()["cents"], &o.clip(3, 2)["pitch_fine"]);
                o.unchanged();
            },
        ),
        "get_clip_warp_info" => case(tc(3, 2), |o| {
            assert_eq!(o.ok()["warping"], o.clip(3, 2)["warping"]);
            assert_eq!(o.ok()["warp_mode_number"], o.clip(3, 2)["warp_mode"]);
            assert_eq!(o.ok()["warp_mode"], "beats");
            o.unchanged();
        }),
        "get_track_monitoring" => after(
            vec![(
                "set_track_monitoring",
                json!({"track_index": 0, "monitoring": "in"}),
            )],
            t(0),
            |o| {
                assert_eq!(o.ok()["monitoring"], "in");
                assert_eq!(o.after["tracks"][0]["monitoring"], 0);
                o.unchanged();
            },
        ),
        "get_device_by_name" => case(json!({"track_index": 3, "device_name": "eq"}), |o| {
            assert_eq!(o.ok()["name"], o.after["tracks"][3]["devices"][0]["name"]);
            assert_eq!(o.ok()["name"], "EQ Eight");
            o.unchanged();
        }),

        // Tracks.
        "create_midi_track" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/tracks", "/selection/track"]);
            assert_eq!(
                o.after["selection"]["track"], 4,
                "Live selects the new track"
            );

            assert_eq!(
                Outcome::count(&o.after["tracks"]),
                Outcome::count(&o.before["tracks"]) + 1
            );
            assert_eq!(o.ok()["name"], o.after["tracks"][4]["name"]);
            assert_eq!(o.ok()["index"], 4);
            assert_eq!(o.after["tracks"][4]["is_midi"], true);
        }),
        "create_audio_track" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/tracks", "/selection/track"]);
            assert_eq!(
                o.after["selection"]["track"], 4,
                "Live selects the new track"
            );

            assert_eq!(
                Outcome::count(&o.after["tracks"]),
                Outcome::count(&o.before["tracks"]) + 1
            );
            assert_eq!(o.ok()["name"], o.after["tracks"][4]["name"]);
            assert_eq!(o.ok()["index"], 4);
            assert_eq!(o.after["tracks"][4]["is_midi"], false);
        }),
        "set_track_name" => case(json!({"track_index": 0, "name": "Beats"}), |o| {
            o.ok();
            o.only_changed(&["/tracks/0/name"]);
            assert_eq!(o.after["tracks"][0]["name"], "Beats");
        }),
        "set_track_mute" => case(json!({"track_index": 1, "mute": true}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/mute"]);
            assert_eq!(o.before["tracks"][1]["mute"], false);
            assert_eq!(o.after["tracks"][1]["mute"], true);
        }),
        "set_track_solo" => case(json!({"track_index": 1, "solo": true}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/solo"]);
            assert_eq!(o.before["tracks"][1]["solo"], false);
            assert_eq!(o.after["tracks"][1]["solo"], true);
        }),
        "set_track_arm" => case(json!({"track_index": 1, "arm": true}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/arm"]);
            assert_eq!(o.before["tracks"][1]["arm"], false);
            assert_eq!(o.after["tracks"][1]["arm"], true);
        }),
        "set_track_volume" => case(json!({"track_index": 1, "volume": 0.5}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/volume"]);
            assert_eq!(o.after["tracks"][1]["volume"], 0.5);
        }),
        "set_track_pan" => case(json!({"track_index": 1, "pan": -0.5}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/panning"]);
            assert_eq!(o.after["tracks"][1]["panning"], -0.5);
        }),
        "set_track_color" => case(json!({"track_index": 0, "color": 0xFF0000}), |o| {
            o.ok();
            o.only_changed(&["/tracks/0/color", "/tracks/0/color_index"]);
            assert_eq!(o.after["tracks"][0]["color"], 0xFF0000);
        }),
        "delete_track" => case(t(3), |o| {
            o.ok();
            o.only_changed(&["/tracks"]);
            assert_eq!(Outcome::count(&o.after["tracks"]), 3);
            assert!(o.after["tracks"]
                .as_array()
                .expect("tracks")
                .iter()
                .all(|t| t["name"] != "Vox"));
        }),
        "duplicate_track" => case(t(1), |o| {
            o.ok();
            o.only_changed(&["/tracks", "/selection/track"]);
            assert_eq!(o.after["selection"]["track"], 2, "Live selects the copy");

            assert_eq!(Outcome::count(&o.after["tracks"]), 5);
            assert_eq!(
                o.after["tracks"][2]["devices"],
                o.before["tracks"][1]["devices"]
            );
            assert_eq!(
                o.after["tracks"][2]["clip_slots"][1]["clip"]["name"],
                "Bassline"
            );
            assert_eq!(o.after["tracks"][3]["name"], "Keys");
        }),
        "unarm_all" => after(
            vec![
                ("set_track_arm", json!({"track_index": 0, "arm": true})),
                ("set_track_arm", json!({"track_index": 2, "arm": true})),
            ],
            json!({}),
            |o| {
                assert_eq!(o.ok()["disarmed"], json!([0, 2]));
                o.only_changed(&["/tracks/0/arm", "/tracks/2/arm"]);
                assert_eq!(o.before["tracks"][2]["arm"], true);
                assert!(o.after["tracks"]
                    .as_array()
                    .expect("tracks")
                    .iter()
                    .all(|t| t["arm"] == false));
            },
        ),
        "set_send_level" => case(
            json!({"track_index": 2, "send_index": 0, "level": 0.25}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/2/sends/0"]);
                assert_eq!(o.after["tracks"][2]["sends"][0], 0.25);
            },
        ),
        "set_track_input_routing" => case(
            json!({"track_index": 0, "routing_type": "Computer Keyboard"}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/0/input_routing_type"]);
                assert_eq!(
                    o.after["tracks"][0]["input_routing_type"],
                    "Computer Keyboard"
                );
            },
        ),
        "set_track_output_routing" => case(
            json!({"track_index": 0, "routing_type": "Sends Only"}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/0/output_routing_type"]);
                assert_eq!(o.after["tracks"][0]["output_routing_type"], "Sends Only");
            },
        ),
        "set_track_monitoring" => case(json!({"track_index": 3, "monitoring": "off"}), |o| {
            o.ok();
            o.only_changed(&["/tracks/3/monitoring"]);
            assert_eq!(o.after["tracks"][3]["monitoring"], 2, "Live's Off is 2");
        }),
        // The demo set has no group track (and create_group_track is not available), so only
        // the refusal can be checked.
        "fold_track" => case(t(3), |o| {
            assert!(
                o.err()
                    .contains("track 3 is not a group track, so it cannot be folded"),
                "{}",
                o.text
            );
            assert_eq!(o.after["tracks"][3]["fold_state"], false);
            o.unchanged();
        }),
        "unfold_track" => case(t(3), |o| {
            assert!(
                o.err()
                    .contains("track 3 is not a group track, so it cannot be unfolded"),
                "{}",
                o.text
            );
            o.unchanged();
        }),
        "select_track" => case(t(2), |o| {
            o.ok();
            o.only_changed(&["/selection/track"]);
            assert_eq!(o.after["selection"]["track"], 2);
        }),

        // Clips and notes.
        "create_clip" => case(
            json!({"track_index": 2, "clip_index": 0, "length": 8}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/2/clip_slots/0/clip"]);
                assert!(o.before["tracks"][2]["clip_slots"][0]["clip"].is_null());
                assert_eq!(o.clip(2, 0)["length"], 8.0);
            },
        ),
        "delete_clip" => case(tc(0, 0), |o| {
            o.ok();
            o.only_changed(&["/tracks/0/clip_slots/0/clip"]);
            assert!(!o.before["tracks"][0]["clip_slots"][0]["clip"].is_null());
            assert!(o.clip(0, 0).is_null());
            assert_eq!(o.clip(0, 1)["name"], "Fill", "the other clip stays");
        }),
        "add_notes_to_clip" => case(
            json!({"track_index": 2, "clip_index": 2, "notes": [
                {"pitch": 72, "start_time": 0.5, "duration": 0.25, "velocity": 99}]}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/2/clip_slots/2/clip/notes"]);
                let notes = o.clip(2, 2)["notes"].as_array().expect("notes");
                assert_eq!(notes.len(), 7);
                assert!(
                    notes.iter().any(|n| n["pitch"] == 72
                        && n["start_time"] == 0.5
                        && n["duration"] == 0.25
                        && n["velocity"] == 99.0),
                    "{notes:?}"
                );
            },
        ),
        "set_clip_name" => case(
            json!({"track_index": 0, "clip_index": 0, "name": "Loop"}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/0/clip_slots/0/clip/name"]);
                assert_eq!(o.clip(0, 0)["name"], "Loop");
            },
        ),
        "set_clip_color" => case(
            json!({"track_index": 0, "clip_index": 0, "color": 255}),
            |o| {
                o.ok();
                o.only_changed(&[
                    "/tracks/0/clip_slots/0/clip/color",
                    "/tracks/0/clip_slots/0/clip/color_index",
                ]);
                assert_eq!(o.clip(0, 0)["color"], 255);
            },
        ),
        "set_clip_loop" => case(
            json!({"track_index": 1, "clip_index": 1, "loop_start": 2, "loop_end": 6}),
            |o| {
                o.ok();
                o.only_changed(&[
                    "/tracks/1/clip_slots/1/clip/loop_start",
                    "/tracks/1/clip_slots/1/clip/loop_end",
                    "/tracks/1/clip_slots/1/clip/length",
                ]);
                assert_eq!(o.clip(1, 1)["loop_start"], 2.0);
                assert_eq!(
                    o.clip(1, 1)["length"],
                    4.0,
                    "a looped clip is as long as its loop"
                );
                assert_eq!(o.clip(1, 1)["loop_end"], 6.0);
            },
        ),
        "fire_clip" => case(tc(0, 1), |o| {
            o.ok();
            o.only_changed(&[
                "/tracks/0/playing_slot_index",
                "/tracks/0/fired_slot_index",
                "/tracks/0/clip_slots/1/clip/is_playing",
                "/is_playing",
                "/current_song_time",
            ]);
            assert_eq!(o.after["tracks"][0]["playing_slot_index"], 1);
            assert_eq!(o.clip(0, 1)["is_playing"], true);
            assert_eq!(
                o.after["is_playing"], true,
                "launching a clip starts the transport"
            );
        }),
        "stop_clip" => after(vec![("fire_clip", tc(0, 0))], tc(0, 0), |o| {
            o.ok();
            o.only_changed(&[
                "/tracks/0/playing_slot_index",
                "/tracks/0/clip_slots/0/clip/is_playing",
                "/current_song_time",
            ]);
            assert_eq!(o.before["tracks"][0]["playing_slot_index"], 0);
            assert_eq!(o.clip(0, 0)["is_playing"], false);
            assert_eq!(o.after["tracks"][0]["playing_slot_index"], -1);
        }),
        "duplicate_clip" => case(tc(2, 2), |o| {
            let new = o.ok()["new_clip_index"].as_u64().expect("new_clip_index") as usize;
            assert_ne!(new, 2);
            o.only_changed(&[&format!("/tracks/2/clip_slots/{new}/clip")]);
            assert!(o.before["tracks"][2]["clip_slots"][new]["clip"].is_null());
            assert_eq!(o.clip(2, new)["name"], "Chords");
            assert_eq!(o.clip(2, new)["notes"], o.clip(2, 2)["notes"]);
        }),
        "remove_notes" => case(
            json!({"track_index": 0, "clip_index": 0, "from_time": 1, "time_span": 4}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/0/clip_slots/0/clip/notes"]);
                let pitches: Vec<&Value> = o.clip(0, 0)["notes"]
                    .as_array()
                    .expect("notes")
                    .iter()
                    .map(|n| &n["pitch"])
                    .collect();
                assert_eq!(pitches, [&json!(36), &json!(42)]);
            },
        ),
        "remove_all_notes" => case(tc(0, 0), |o| {
            o.ok();
            o.only_changed(&["/tracks/0/clip_slots/0/clip/notes"]);
            assert_eq!(Outcome::count(&o.clip(0, 0)["notes"]), 0);
            assert_eq!(o.clip(0, 0)["name"], "Beat", "the clip stays");
        }),
        "transpose_notes" => case(
            json!({"track_index": 1, "clip_index": 1, "semitones": 2}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/1/clip_slots/1/clip/notes"]);
                let pitches: Vec<i64> = o.clip(1, 1)["notes"]
                    .as_array()
                    .expect("notes")
                    .iter()
                    .filter_map(|n| n["pitch"].as_i64())
                    .collect();
                assert_eq!(pitches, [38, 45, 43]);
            },
        ),
        "quantize_clip_notes" => case(json!({"track_index": 0, "clip_index": 0, "grid": 1}), |o| {
            o.ok();
            o.only_changed(&["/tracks/0/clip_slots/0/clip/notes"]);
            let starts = |v: &Value| -> Vec<f64> {
                v["notes"]
                    .as_array()
                    .expect("notes")
                    .iter()
                    .filter_map(|n| n["start_time"].as_f64())
                    .collect()
            };
            assert!(starts(&o.before["tracks"][0]["clip_slots"][0]["clip"]).contains(&0.5));
            let after = starts(o.clip(0, 0));
            assert_eq!(after.len(), 5);
            assert!(after.iter().all(|s| s.fract() == 0.0), "{after:?}");
        }),
        "humanize_clip_timing" => case(
            json!({"track_index": 2, "clip_index": 2, "amount": 0.5, "seed": 7}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/2/clip_slots/2/clip/notes"]);
                let before = &o.before["tracks"][2]["clip_slots"][2]["clip"]["notes"];
                let after = &o.clip(2, 2)["notes"];
                assert_eq!(Outcome::count(before), Outcome::count(after));
                assert_ne!(before, after, "the timing moved");
                let pitches = |v: &Value| -> Vec<i64> {
                    let mut p: Vec<i64> = v
                        .as_array()
                        .expect("notes")
                        .iter()
                        .filter_map(|n| n["pitch"].as_i64())
                        .collect();
                    p.sort_unstable();
                    p
                };
                assert_eq!(pitches(before), pitches(after));
            },
        ),
        "humanize_clip_velocity" => case(
            json!({"track_index": 2, "clip_index": 2, "amount": 0.5, "seed": 7}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/2/clip_slots/2/clip/notes"]);
                let vel = |v: &Value| -> Vec<f64> {
                    v.as_array()
                        .expect("notes")
                        .iter()
                        .filter_map(|n| n["velocity"].as_f64())
                        .collect()
                };
                let before = vel(&o.before["tracks"][2]["clip_slots"][2]["clip"]["notes"]);
                let after = vel(&o.clip(2, 2)["notes"]);
                assert_eq!(before.len(), after.len());
                assert_ne!(before, after, "the velocities moved");
                assert!(after.iter().all(|v| (1.0..=127.0).contains(v)));
            },
        ),
        "generate_drum_pattern" => case(
            json!({"track_index": 0, "clip_index": 2, "style": "house", "length": 4}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/0/clip_slots/2/clip"]);
                let notes = o.clip(0, 2)["notes"]
                    .as_array()
                    .expect("a new clip with notes");
                assert_eq!(
                    notes.iter().filter(|n| n["pitch"] == 36).count(),
                    4,
                    "four on the floor"
                );
            },
        ),
        "generate_bassline" => case(
            json!({"track_index": 1, "clip_index": 2, "root": 36, "scale_type": "minor", "length": 4}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/1/clip_slots/2/clip"]);
                let notes = o.clip(1, 2)["notes"]
                    .as_array()
                    .expect("a new clip with notes");
                assert_eq!(notes.len(), 8);
                let minor = [0, 2, 3, 5, 7, 8, 10];
                assert!(notes.iter().all(|n| n["pitch"]
                    .as_i64()
                    .is_some_and(|p| minor.contains(&(p - 36).rem_euclid(12)))));
            },
        ),
        "set_clip_gain" => case(
            json!({"track_index": 3, "clip_index": 2, "gain": 0.5}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/3/clip_slots/2/clip/gain"]);
                assert_eq!(o.clip(3, 2)["gain"], 0.5);
            },
        ),
        "set_clip_pitch" => case(
            json!({"track_index": 3, "clip_index": 2, "pitch": 2}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/3/clip_slots/2/clip/pitch_coarse"]);
                assert_eq!(o.clip(3, 2)["pitch_coarse"], 2);
            },
        ),
        "set_clip_warp_mode" => case(
            json!({"track_index": 3, "clip_index": 2, "warp_mode": "complex"}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/3/clip_slots/2/clip/warp_mode"]);
                assert_eq!(o.clip(3, 2)["warp_mode"], 4, "Live's Complex is 4");
            },
        ),
        "select_clip" => case(tc(1, 1), |o| {
            o.ok();
            o.only_changed(&["/selection"]);
            assert_eq!(o.after["selection"]["track"], 1);
            assert_eq!(o.after["selection"]["scene"], 1);
        }),

        // Song, transport, undo.
        "set_tempo" => case(json!({"tempo": 128}), |o| {
            o.ok();
            o.only_changed(&["/tempo"]);
            assert_eq!(o.after["tempo"], 128.0);
        }),
        "start_playback" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/is_playing", "/current_song_time"]);
            assert_eq!(o.after["is_playing"], true);
        }),
        "stop_playback" => after(vec![("start_playback", json!({}))], json!({}), |o| {
            o.ok();
            o.only_changed(&["/is_playing", "/current_song_time"]);
            assert_eq!(o.before["is_playing"], true);
            assert_eq!(o.after["is_playing"], false);
        }),
        "undo" => after(vec![("set_tempo", json!({"tempo": 128}))], json!({}), |o| {
            o.ok();
            assert_eq!(o.before["tempo"], 128.0);
            assert_eq!(o.after["tempo"], 120.0);
            let mut initial = o.initial.clone();
            initial["redo_depth"] = o.after["redo_depth"].clone();
            assert_eq!(initial, o.after, "undo restores the set as it was");
            assert_eq!(o.after["redo_depth"], 1);
        }),
        "redo" => after(
            vec![("set_tempo", json!({"tempo": 128})), ("undo", json!({}))],
            json!({}),
            |o| {
                o.ok();
                o.only_changed(&["/tempo"]);
                assert_eq!(o.before["tempo"], 120.0);
                assert_eq!(o.after["tempo"], 128.0);
                assert_eq!(o.after["redo_depth"], 0);
            },
        ),
        "start_recording" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/record_mode", "/is_playing", "/current_song_time"]);
            assert_eq!(o.after["record_mode"], true);
            assert_eq!(o.after["is_playing"], true);
        }),
        "stop_recording" => after(vec![("start_recording", json!({}))], json!({}), |o| {
            o.ok();
            o.only_changed(&["/record_mode", "/current_song_time"]);
            assert_eq!(o.before["record_mode"], true);
            assert_eq!(o.after["record_mode"], false);
            assert_eq!(o.after["is_playing"], true, "the transport keeps playing");
        }),
        "toggle_session_record" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/session_record"]);
            assert_eq!(o.before["session_record"], false);
            assert_eq!(o.after["session_record"], true);
        }),
        "toggle_arrangement_record" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/record_mode"]);
            assert_eq!(o.before["record_mode"], false);
            assert_eq!(o.after["record_mode"], true);
        }),
        "set_overdub" => case(json!({"enabled": true}), |o| {
            o.ok();
            o.only_changed(&["/arrangement_overdub"]);
            assert_eq!(o.after["arrangement_overdub"], true);
        }),
        // The simulator does not model captured MIDI: the call succeeds and the set (with its
        // clips) is left as it was.
        "capture_midi" => case(json!({}), |o| {
            assert_eq!(o.ok()["captured"], true);
            o.unchanged();
        }),
        "set_arrangement_loop" => case(json!({"start": 4, "end": 12}), |o| {
            o.ok();
            o.only_changed(&["/loop", "/loop_start", "/loop_length"]);
            assert_eq!(o.after["loop"], true);
            assert_eq!(o.after["loop_start"], 4.0);
            assert_eq!(o.after["loop_length"], 8.0);
        }),
        "jump_to_time" => case(json!({"time": 8}), |o| {
            o.ok();
            o.only_changed(&["/current_song_time"]);
            assert_eq!(o.after["current_song_time"], 8.0);
        }),
        "create_locator" => case(json!({"time": 4, "name": "Intro"}), |o| {
            o.ok();
            o.only_changed(&["/cue_points"]);
            let cues = o.after["cue_points"].as_array().expect("cue points");
            assert_eq!(cues.len(), 2);
            assert!(
                cues.iter()
                    .any(|c| c["name"] == "Intro" && c["time"] == 4.0),
                "{cues:?}"
            );
        }),
        "delete_locator" => case(json!({"locator_index": 0}), |o| {
            o.ok();
            o.only_changed(&["/cue_points"]);
            assert_eq!(Outcome::count(&o.before["cue_points"]), 1);
            assert_eq!(Outcome::count(&o.after["cue_points"]), 0);
        }),
        "set_metronome" => case(json!({"enabled": true}), |o| {
            o.ok();
            o.only_changed(&["/metronome"]);
            assert_eq!(o.after["metronome"], true);
        }),

        // Scenes.
        "create_scene" => case(json!({}), |o| {
            o.ok();
            o.only_changed(&["/scenes", "/tracks", "/selection/scene"]);
            assert_eq!(
                o.after["selection"]["scene"], 4,
                "Live selects the new scene"
            );

            assert_eq!(Outcome::count(&o.after["scenes"]), 5);
            assert_eq!(Outcome::count(&o.after["tracks"][0]["clip_slots"]), 5);
        }),
        "delete_scene" => case(json!({"scene_index": 0}), |o| {
            o.ok();
            o.only_changed(&["/scenes", "/tracks"]);
            assert_eq!(Outcome::count(&o.after["scenes"]), 3);
            assert_eq!(o.after["scenes"][0]["name"], "Verse");
            assert_eq!(o.clip(0, 0)["name"], "Fill", "the row's clips went with it");
        }),
        "fire_scene" => case(json!({"scene_index": 1}), |o| {
            o.ok();
            for t in [0, 1] {
                assert_eq!(o.clip(t, 1)["is_playing"], true, "track {t}");
            }
        }),
        "stop_scene" => after(
            vec![("fire_scene", json!({"scene_index": 1}))],
            json!({"scene_index": 1}),
            |o| {
                o.ok();
                assert_eq!(o.before["tracks"][1]["playing_slot_index"], 1);
                assert_eq!(o.ok()["stopped_tracks"], json!([0, 1]));
                for t in [0, 1] {
                    assert_eq!(o.clip(t, 1)["is_playing"], false);
                }
            },
        ),
        "set_scene_name" => case(json!({"scene_index": 0, "name": "Drop"}), |o| {
            o.ok();
            o.only_changed(&["/scenes/0/name"]);
            assert_eq!(o.after["scenes"][0]["name"], "Drop");
        }),
        "set_scene_color" => case(json!({"scene_index": 0, "color": 0x00FF00}), |o| {
            o.ok();
            o.only_changed(&["/scenes/0/color", "/scenes/0/color_index"]);
            assert_eq!(o.after["scenes"][0]["color"], 0x00FF00);
        }),
        "duplicate_scene" => case(json!({"scene_index": 0}), |o| {
            o.ok();
            o.only_changed(&["/scenes", "/tracks", "/selection/scene"]);
            assert_eq!(o.after["selection"]["scene"], 1, "Live selects the copy");

            assert_eq!(Outcome::count(&o.after["scenes"]), 5);
            assert_eq!(o.clip(0, 1)["name"], "Beat", "the copy of row 0 is row 1");
            assert_eq!(o.clip(0, 2)["name"], "Fill");
        }),
        "select_scene" => case(json!({"scene_index": 2}), |o| {
            o.ok();
            o.only_changed(&["/selection/scene"]);
            assert_eq!(o.after["selection"]["scene"], 2);
        }),

        // Devices.
        "set_device_parameter" => case(
            json!({"track_index": 1, "device_index": 0, "parameter_index": 1, "value": 0.25}),
            |o| {
                o.ok();
                o.only_changed(&["/tracks/1/devices/0/parameters/1/value"]);
                assert_eq!(
                    o.after["tracks"][1]["devices"][0]["parameters"][1]["value"],
                    0.25
                );
            },
        ),
        "toggle_device" => case(json!({"track_index": 1, "device_index": 0}), |o| {
            o.ok();
            o.only_changed(&["/tracks/1/devices/0/parameters/0/value"]);
            let on = |v: &Value| v["tracks"][1]["devices"][0]["parameters"][0].clone();
            assert_eq!(on(&o.before)["name"], "Device On");
            assert_eq!(on(&o.before)["value"], 1.0);
            assert_eq!(on(&o.after)["value"], 0.0);
        }),
        _ => None,
    }
}

fn ableton() -> UpstreamConfig {
    UpstreamConfig::Builtin {
        name: "ableton".into(),
        builtin: "ableton".into(),
    }
}

fn snapshot(gw: &common::TestGateway) -> Value {
    gw.running
        .live
        .as_ref()
        .and_then(|l| l.sim.as_ref())
        .expect("a simulated Live")
        .snapshot()
}

async fn call(gw: &common::TestGateway, id: u64, name: &str, args: &Value) -> common::Reply {
    gw.stateless(
        id,
        "tools/call",
        json!({"name": name, "arguments": args.clone()}),
    )
    .await
}

/// Runs one row against a fresh gateway and demo set.
async fn run(name: &str, case: Case) -> bool {
    let home = tempfile::tempdir().expect("temp dir");
    let gw = common::start_with(
        home.path(),
        ALLOW_ALL,
        vec![ableton()],
        Some(SimulatorMode::Always),
    )
    .await;
    let initial = snapshot(&gw);
    for (i, (tool, args)) in case.setup.iter().enumerate() {
        let r = call(&gw, 100 + i as u64, tool, args).await;
        assert_ne!(
            r.body["result"]["isError"], true,
            "{name}: setup {tool} {args} failed: {:?}",
            r.body
        );
    }
    let before = snapshot(&gw);
    let r = call(&gw, 1, name, &case.args).await;
    assert!(
        r.body["result"].is_object(),
        "{name}: no tool result: {:?}",
        r.body
    );
    let outcome = Outcome {
        name: name.to_string(),
        initial,
        before,
        after: snapshot(&gw),
        text: tool_text(&r),
        result: r.body["result"].clone(),
    };
    eprintln!(
        "{name} {} -> {} {}",
        case.args, outcome.text, outcome.result["structuredContent"]
    );
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.check)(&outcome)));
    let common::TestGateway { running, http, .. } = gw;
    drop(http);
    running.stop().await;
    checked.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ableton_tool_changes_or_reads_the_simulated_set() {
    let started = std::time::Instant::now();
    let catalog = livegate::policy::Catalog::ableton();
    let mut names: Vec<String> = catalog.tools().map(|t| t.name.clone()).collect();
    assert_eq!(names.len(), 128, "the catalog's tools");
    names.extend(MIDI_TOOLS.iter().map(|n| n.to_string()));
    let unsupported = livegate::ableton::tools::UNSUPPORTED;
    assert_eq!(unsupported.len(), 36, "the tools AbletonOSC cannot do");
    assert!(unsupported
        .iter()
        .all(|(n, _)| names.iter().any(|m| m == n)));
    let missing: Vec<&String> = names.iter().filter(|n| row(n).is_none()).collect();
    assert!(missing.is_empty(), "tools without a table row: {missing:?}");
    let mut checked = 0;
    let mut failed = Vec::new();
    for name in &names {
        let case = row(name).expect("a row");
        if run(name, case).await {
            checked += 1;
        } else {
            failed.push(name.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "tools that failed their check: {failed:?}"
    );
    println!(
        "checked {checked} tools ({} catalog + {} MIDI) in {:?}",
        checked - MIDI_TOOLS.len(),
        MIDI_TOOLS.len(),
        started.elapsed()
    );
    assert_eq!(checked, 128 + 4);
}
