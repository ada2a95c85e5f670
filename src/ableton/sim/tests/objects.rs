//! Object tests: tracks, clip slots, clips and notes, scenes, devices and the view.

use rosc::OscType;

use super::{b, f, i, s, setup};
use crate::ableton::sim::Seed;

#[tokio::test]
async fn track_properties() {
    let (sim, c) = setup(Seed::Demo).await;
    assert_eq!(
        c.query("/live/track/get/volume", vec![i(2)]).await,
        vec![i(2), f(0.85)]
    );
    c.ok("/live/track/set/volume", vec![i(2), f(0.6)]).await;
    assert_eq!(
        c.query("/live/track/get/volume", vec![i(2)]).await,
        vec![i(2), f(0.6)]
    );
    c.ok("/live/track/set/panning", vec![i(2), f(-0.5)]).await;
    c.ok("/live/track/set/mute", vec![i(2), i(1)]).await;
    c.ok("/live/track/set/solo", vec![i(2), b(true)]).await;
    c.ok("/live/track/set/arm", vec![i(2), i(1)]).await;
    c.ok("/live/track/set/color", vec![i(2), i(0x123456)]).await;
    c.ok("/live/track/set/color_index", vec![i(2), i(5)]).await;
    c.ok("/live/track/set/name", vec![i(2), s("Piano")]).await;
    c.ok("/live/track/set/current_monitoring_state", vec![i(2), i(0)])
        .await;
    for (prop, value) in [
        ("panning", f(-0.5)),
        ("mute", b(true)),
        ("solo", b(true)),
        ("arm", b(true)),
        ("color", i(0x123456)),
        ("color_index", i(5)),
        ("name", s("Piano")),
        ("current_monitoring_state", i(0)),
        ("has_midi_input", b(true)),
        ("has_audio_output", b(true)),
        ("is_foldable", b(false)),
        ("is_grouped", b(false)),
        ("fold_state", b(false)),
        ("num_devices", i(1)),
        ("playing_slot_index", i(-1)),
        ("fired_slot_index", i(-1)),
    ] {
        assert_eq!(
            c.query(&format!("/live/track/get/{prop}"), vec![i(2)])
                .await,
            vec![i(2), value],
            "{prop}"
        );
    }
    assert_eq!(
        c.query("/live/track/get/devices/name", vec![i(1)]).await,
        vec![i(1), s("Operator")]
    );
    assert_eq!(
        c.query("/live/track/get/devices/class_name", vec![i(1)])
            .await,
        vec![i(1), s("Operator")]
    );
    assert_eq!(
        c.query("/live/track/get/devices/type", vec![i(1)]).await,
        vec![i(1), i(2)]
    );
    assert_eq!(
        c.query("/live/track/get/clips/name", vec![i(0)]).await,
        vec![i(0), s("Beat"), s("Fill"), OscType::Nil, OscType::Nil]
    );
    assert_eq!(
        c.query("/live/track/get/clips/length", vec![i(1)]).await,
        vec![i(1), OscType::Nil, f(8.0), OscType::Nil, OscType::Nil]
    );
    let types = c
        .query("/live/track/get/available_output_routing_types", vec![i(0)])
        .await;
    assert_eq!(types[..2], [i(0), s("Master")]);
    c.ok(
        "/live/track/set/output_routing_type",
        vec![i(0), s("Sends Only")],
    )
    .await;
    assert_eq!(
        c.query("/live/track/get/output_routing_type", vec![i(0)])
            .await,
        vec![i(0), s("Sends Only")]
    );
    let text = c
        .error(
            "/live/track/set/output_routing_type",
            vec![i(0), s("Nowhere")],
        )
        .await;
    assert!(text.contains("\"Nowhere\" is not one of"), "{text}");
    let text = c
        .error("/live/track/set/fold_state", vec![i(0), i(1)])
        .await;
    assert!(text.contains("not a group track"), "{text}");
    let text = c.error("/live/track/get/send", vec![i(0), i(9)]).await;
    assert!(text.contains("send index 9 out of range"), "{text}");
    let snap = sim.snapshot();
    assert_eq!(snap["tracks"][2]["name"], "Piano");
    assert_eq!(snap["tracks"][2]["volume"], 0.6000000238418579);
    assert_eq!(snap["tracks"][2]["mute"], true);
    sim.stop().await;
}

#[tokio::test]
async fn clip_slots_create_delete_duplicate_fire() {
    let (sim, c) = setup(Seed::Empty).await;
    assert_eq!(
        c.query("/live/clip_slot/get/has_clip", vec![i(0), i(0)])
            .await,
        vec![i(0), i(0), b(false)]
    );
    c.ok("/live/clip_slot/create_clip", vec![i(0), i(0), f(4.0)])
        .await;
    assert_eq!(
        c.query("/live/clip_slot/get/has_clip", vec![i(0), i(0)])
            .await,
        vec![i(0), i(0), b(true)]
    );
    assert_eq!(
        c.query("/live/clip/get/length", vec![i(0), i(0)]).await,
        vec![i(0), i(0), f(4.0)]
    );
    let text = c
        .error("/live/clip_slot/create_clip", vec![i(0), i(0), f(4.0)])
        .await;
    assert!(text.contains("already has a clip"), "{text}");
    let text = c
        .error("/live/clip_slot/create_clip", vec![i(2), i(0), f(4.0)])
        .await;
    assert!(text.contains("audio track"), "{text}");
    c.ok(
        "/live/clip_slot/duplicate_clip_to",
        vec![i(0), i(0), i(1), i(3)],
    )
    .await;
    assert_eq!(
        c.query("/live/clip_slot/get/has_clip", vec![i(1), i(3)])
            .await,
        vec![i(1), i(3), b(true)]
    );
    c.ok(
        "/live/clip_slot/set/has_stop_button",
        vec![i(0), i(5), i(0)],
    )
    .await;
    assert_eq!(
        c.query("/live/clip_slot/get/has_stop_button", vec![i(0), i(5)])
            .await,
        vec![i(0), i(5), b(false)]
    );
    c.ok("/live/clip_slot/fire", vec![i(0), i(0)]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(0)]
    );
    assert_eq!(
        c.query("/live/clip/get/is_playing", vec![i(0), i(0)]).await,
        vec![i(0), i(0), b(true)]
    );
    // Firing an empty slot with a stop button stops the track.
    c.ok("/live/clip_slot/fire", vec![i(0), i(1)]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(-1)]
    );
    assert_eq!(
        c.query("/live/track/get/fired_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(1)]
    );
    c.ok("/live/clip_slot/delete_clip", vec![i(0), i(0)]).await;
    assert_eq!(
        c.query("/live/clip_slot/get/has_clip", vec![i(0), i(0)])
            .await,
        vec![i(0), i(0), b(false)]
    );
    let text = c
        .error("/live/clip_slot/get/has_clip", vec![i(0), i(8)])
        .await;
    assert!(text.contains("clip_slot index 8 out of range"), "{text}");
    assert!(sim.snapshot()["tracks"][0]["clip_slots"][0]["clip"].is_null());
    sim.stop().await;
}

#[tokio::test]
async fn notes_add_get_remove_with_exact_shape() {
    let (sim, c) = setup(Seed::Empty).await;
    c.ok("/live/clip_slot/create_clip", vec![i(1), i(2), f(4.0)])
        .await;
    assert_eq!(
        c.query("/live/clip/get/notes", vec![i(1), i(2)]).await,
        vec![i(1), i(2)]
    );
    c.ok(
        "/live/clip/add/notes",
        vec![
            i(1),
            i(2),
            i(64),
            f(1.0),
            f(0.5),
            i(90),
            b(true),
            i(60),
            f(0.0),
            f(1.0),
            f(100.0),
            i(0),
        ],
    )
    .await;
    let all = vec![
        i(1),
        i(2),
        i(60),
        f(0.0),
        f(1.0),
        f(100.0),
        b(false),
        i(64),
        f(1.0),
        f(0.5),
        f(90.0),
        b(true),
    ];
    assert_eq!(c.query("/live/clip/get/notes", vec![i(1), i(2)]).await, all);
    // Pitch 62..=127, any time.
    assert_eq!(
        c.query(
            "/live/clip/get/notes",
            vec![i(1), i(2), i(62), i(66), f(0.0), f(4.0)]
        )
        .await,
        vec![i(1), i(2), i(64), f(1.0), f(0.5), f(90.0), b(true)]
    );
    let text = c
        .error(
            "/live/clip/add/notes",
            vec![i(1), i(2), i(60), f(0.0), f(1.0)],
        )
        .await;
    assert!(text.contains("groups of 5"), "{text}");
    let text = c
        .error("/live/clip/get/notes", vec![i(1), i(2), i(60)])
        .await;
    assert!(text.contains("no range or all four"), "{text}");
    c.ok(
        "/live/clip/remove/notes",
        vec![i(1), i(2), i(0), i(128), f(0.0), f(0.5)],
    )
    .await;
    assert_eq!(
        c.query("/live/clip/get/notes", vec![i(1), i(2)]).await,
        vec![i(1), i(2), i(64), f(1.0), f(0.5), f(90.0), b(true)]
    );
    let notes = &sim.snapshot()["tracks"][1]["clip_slots"][2]["clip"]["notes"];
    assert_eq!(notes[0]["pitch"], 64);
    assert_eq!(notes[0]["mute"], true);
    c.ok("/live/clip/duplicate_loop", vec![i(1), i(2)]).await;
    assert_eq!(
        c.query("/live/clip/get/length", vec![i(1), i(2)]).await,
        vec![i(1), i(2), f(8.0)]
    );
    assert_eq!(
        c.query("/live/clip/get/notes", vec![i(1), i(2)])
            .await
            .len(),
        2 + 10
    );
    c.ok("/live/clip/remove/notes", vec![i(1), i(2)]).await;
    assert_eq!(
        c.query("/live/clip/get/notes", vec![i(1), i(2)]).await,
        vec![i(1), i(2)]
    );
    sim.stop().await;
}

#[tokio::test]
async fn clip_properties_midi_and_audio() {
    let (sim, c) = setup(Seed::Demo).await;
    c.ok("/live/clip/set/name", vec![i(0), i(0), s("Groove")])
        .await;
    c.ok("/live/clip/set/color", vec![i(0), i(0), i(0xFF0000)])
        .await;
    c.ok("/live/clip/set/loop_start", vec![i(0), i(0), f(1.0)])
        .await;
    c.ok("/live/clip/set/loop_end", vec![i(0), i(0), f(3.0)])
        .await;
    c.ok("/live/clip/set/launch_mode", vec![i(0), i(0), i(2)])
        .await;
    for (prop, value) in [
        ("name", s("Groove")),
        ("color", i(0xFF0000)),
        ("loop_start", f(1.0)),
        ("loop_end", f(3.0)),
        ("length", f(2.0)),
        ("start_marker", f(0.0)),
        ("end_marker", f(4.0)),
        ("launch_mode", i(2)),
        ("is_audio_clip", b(false)),
        ("is_midi_clip", b(true)),
        ("is_playing", b(false)),
        ("playing_position", f(0.0)),
    ] {
        assert_eq!(
            c.query(&format!("/live/clip/get/{prop}"), vec![i(0), i(0)])
                .await,
            vec![i(0), i(0), value],
            "{prop}"
        );
    }
    let text = c
        .error("/live/clip/set/loop_end", vec![i(0), i(0), f(0.5)])
        .await;
    assert!(text.contains("must be after loop_start"), "{text}");
    let text = c.error("/live/clip/get/gain", vec![i(0), i(0)]).await;
    assert!(text.contains("only available on audio clips"), "{text}");
    // The audio clip on Vox, scene 2.
    c.ok("/live/clip/set/gain", vec![i(3), i(2), f(0.7)]).await;
    c.ok("/live/clip/set/pitch_coarse", vec![i(3), i(2), i(-3)])
        .await;
    c.ok("/live/clip/set/pitch_fine", vec![i(3), i(2), f(12.0)])
        .await;
    c.ok("/live/clip/set/warping", vec![i(3), i(2), i(0)]).await;
    c.ok("/live/clip/set/warp_mode", vec![i(3), i(2), i(4)])
        .await;
    for (prop, value) in [
        ("gain", f(0.7)),
        ("pitch_coarse", i(-3)),
        ("pitch_fine", f(12.0)),
        ("warping", b(false)),
        ("warp_mode", i(4)),
        ("is_audio_clip", b(true)),
        ("file_path", s("/Samples/vox_hook.wav")),
    ] {
        assert_eq!(
            c.query(&format!("/live/clip/get/{prop}"), vec![i(3), i(2)])
                .await,
            vec![i(3), i(2), value],
            "{prop}"
        );
    }
    c.ok("/live/clip/fire", vec![i(3), i(2)]).await;
    assert_eq!(
        c.query("/live/clip/get/is_playing", vec![i(3), i(2)]).await,
        vec![i(3), i(2), b(true)]
    );
    let snap = sim.snapshot();
    assert_eq!(snap["is_playing"], true);
    assert_eq!(
        snap["tracks"][3]["clip_slots"][2]["clip"]["is_playing"],
        true
    );
    assert_eq!(snap["tracks"][0]["clip_slots"][0]["clip"]["name"], "Groove");
    c.ok("/live/clip/stop", vec![i(3), i(2)]).await;
    assert_eq!(
        c.query("/live/clip/get/is_playing", vec![i(3), i(2)]).await,
        vec![i(3), i(2), b(false)]
    );
    sim.stop().await;
}

#[tokio::test]
async fn scenes() {
    let (sim, c) = setup(Seed::Demo).await;
    assert_eq!(
        c.query("/live/scene/get/name", vec![i(2)]).await,
        vec![i(2), s("Chorus")]
    );
    assert_eq!(
        c.query("/live/scene/get/is_empty", vec![i(3)]).await,
        vec![i(3), b(true)]
    );
    c.ok("/live/scene/set/tempo", vec![i(2), f(140.0)]).await;
    c.ok("/live/scene/set/color", vec![i(2), i(0x00FF00)]).await;
    assert_eq!(
        c.query("/live/scene/get/tempo_enabled", vec![i(2)]).await,
        vec![i(2), b(true)]
    );
    assert_eq!(
        c.query("/live/scene/get/color", vec![i(2)]).await,
        vec![i(2), i(0x00FF00)]
    );
    c.ok("/live/clip/fire", vec![i(0), i(0)]).await;
    c.ok("/live/scene/fire", vec![i(2)]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(2)])
            .await,
        vec![i(2), i(2)]
    );
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(3)])
            .await,
        vec![i(3), i(2)]
    );
    // Drums' slot 2 is empty, with a stop button: the drums stop.
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(-1)]
    );
    assert_eq!(
        c.query("/live/song/get/tempo", vec![]).await,
        vec![f(140.0)]
    );
    assert_eq!(
        c.query("/live/view/get/selected_scene", vec![]).await,
        vec![i(2)]
    );
    let text = c.error("/live/scene/fire", vec![i(9)]).await;
    assert!(
        text.contains("scene index 9 out of range (there are 4 scenes)"),
        "{text}"
    );
    assert_eq!(sim.snapshot()["scenes"][2]["tempo"], 140.0);
    sim.stop().await;
}

#[tokio::test]
async fn devices_and_parameters() {
    let (sim, c) = setup(Seed::Demo).await;
    assert_eq!(
        c.query("/live/device/get/name", vec![i(1), i(0)]).await,
        vec![i(1), i(0), s("Operator")]
    );
    assert_eq!(
        c.query("/live/device/get/class_name", vec![i(1), i(0)])
            .await,
        vec![i(1), i(0), s("Operator")]
    );
    assert_eq!(
        c.query("/live/device/get/type", vec![i(1), i(0)]).await,
        vec![i(1), i(0), i(2)]
    );
    assert_eq!(
        c.query("/live/device/get/num_parameters", vec![i(1), i(0)])
            .await,
        vec![i(1), i(0), i(4)]
    );
    assert_eq!(
        c.query("/live/device/get/parameters/name", vec![i(1), i(0)])
            .await,
        vec![
            i(1),
            i(0),
            s("Device On"),
            s("Filter Freq"),
            s("Filter Res"),
            s("Algorithm")
        ]
    );
    assert_eq!(
        c.query("/live/device/get/parameters/is_quantized", vec![i(1), i(0)])
            .await,
        vec![i(1), i(0), b(true), b(false), b(false), b(true)]
    );
    assert_eq!(
        c.query("/live/device/get/parameters/max", vec![i(1), i(0)])
            .await,
        vec![i(1), i(0), f(1.0), f(1.0), f(1.0), f(10.0)]
    );
    c.ok(
        "/live/device/set/parameter/value",
        vec![i(1), i(0), i(1), f(0.25)],
    )
    .await;
    assert_eq!(
        c.query("/live/device/get/parameter/value", vec![i(1), i(0), i(1)])
            .await,
        vec![i(1), i(0), i(1), f(0.25)]
    );
    assert_eq!(
        c.query(
            "/live/device/get/parameter/value_string",
            vec![i(1), i(0), i(1)]
        )
        .await,
        vec![i(1), i(0), i(1), s("0.25")]
    );
    c.ok(
        "/live/device/set/parameters/value",
        vec![i(1), i(0), f(0.0), f(0.5), f(0.5), f(3.4)],
    )
    .await;
    assert_eq!(
        c.query("/live/device/get/parameters/value", vec![i(1), i(0)])
            .await,
        vec![i(1), i(0), f(0.0), f(0.5), f(0.5), f(3.0)]
    );
    let text = c
        .error(
            "/live/device/set/parameter/value",
            vec![i(1), i(0), i(1), f(7.0)],
        )
        .await;
    assert!(text.contains("outside 0..1"), "{text}");
    let text = c.error("/live/device/get/name", vec![i(1), i(3)]).await;
    assert!(
        text.contains("device index 3 out of range (there are 1 devices)"),
        "{text}"
    );
    assert_eq!(
        sim.snapshot()["tracks"][1]["devices"][0]["parameters"][3]["value"],
        3.0
    );
    sim.stop().await;
}

#[tokio::test]
async fn view_selection() {
    let (sim, c) = setup(Seed::Demo).await;
    c.ok("/live/view/set/selected_track", vec![i(2)]).await;
    assert_eq!(
        c.query("/live/view/get/selected_track", vec![]).await,
        vec![i(2)]
    );
    c.ok("/live/view/set/selected_clip", vec![i(1), i(3)]).await;
    assert_eq!(
        c.query("/live/view/get/selected_clip", vec![]).await,
        vec![i(1), i(3)]
    );
    assert_eq!(
        c.query("/live/view/get/selected_scene", vec![]).await,
        vec![i(3)]
    );
    c.ok("/live/view/set/selected_device", vec![i(3), i(0)])
        .await;
    assert_eq!(
        c.query("/live/view/get/selected_device", vec![]).await,
        vec![i(3), i(0)]
    );
    c.send("/live/view/start_listen/selected_scene", vec![])
        .await;
    assert_eq!(
        c.wait_for("/live/view/get/selected_scene").await,
        vec![i(3)]
    );
    c.send("/live/view/set/selected_scene", vec![i(1)]).await;
    assert_eq!(
        c.wait_for("/live/view/get/selected_scene").await,
        vec![i(1)]
    );
    let text = c.error("/live/view/set/selected_track", vec![i(10)]).await;
    assert!(text.contains("track index 10 out of range"), "{text}");
    assert_eq!(sim.snapshot()["selection"]["track"], 3);
    sim.stop().await;
}
