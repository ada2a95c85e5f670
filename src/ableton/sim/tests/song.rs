//! Song-level tests: transport, tempo, signature, record modes, undo/redo, cue points,
//! creating/deleting/duplicating tracks and scenes, and the list queries.

use rosc::OscType;

use super::{b, f, i, s, setup};
use crate::ableton::sim::Seed;

#[tokio::test]
async fn empty_seed_is_a_new_live_set() {
    let (sim, c) = setup(Seed::Empty).await;
    assert_eq!(
        c.query("/live/song/get/num_tracks", vec![]).await,
        vec![i(4)]
    );
    assert_eq!(
        c.query("/live/song/get/num_scenes", vec![]).await,
        vec![i(8)]
    );
    assert_eq!(
        c.query("/live/song/get/track_names", vec![]).await,
        vec![s("1-MIDI"), s("2-MIDI"), s("3-Audio"), s("4-Audio")]
    );
    assert_eq!(
        c.query("/live/song/get/track_names", vec![i(1), i(3)])
            .await,
        vec![s("2-MIDI"), s("3-Audio")]
    );
    assert_eq!(
        c.query("/live/song/get/tempo", vec![]).await,
        vec![f(120.0)]
    );
    assert_eq!(
        c.query("/live/song/get/is_playing", vec![]).await,
        vec![b(false)]
    );
    assert_eq!(c.query("/live/song/get/cue_points", vec![]).await, vec![]);
    let snap = sim.snapshot();
    assert_eq!(snap["return_tracks"].as_array().map(Vec::len), Some(2));
    assert_eq!(snap["tracks"][0]["sends"].as_array().map(Vec::len), Some(2));
    sim.stop().await;
}

#[tokio::test]
async fn transport_tempo_signature_and_modes() {
    let (sim, c) = setup(Seed::Empty).await;
    c.ok("/live/song/set/tempo", vec![f(128.5)]).await;
    assert_eq!(
        c.query("/live/song/get/tempo", vec![]).await,
        vec![f(128.5)]
    );
    c.ok("/live/song/set/signature_numerator", vec![i(7)]).await;
    c.ok("/live/song/set/signature_denominator", vec![i(8)])
        .await;
    assert_eq!(
        c.query("/live/song/get/signature_numerator", vec![]).await,
        vec![i(7)]
    );
    assert_eq!(
        c.query("/live/song/get/signature_denominator", vec![])
            .await,
        vec![i(8)]
    );
    for (prop, value) in [
        ("metronome", b(true)),
        ("record_mode", b(true)),
        ("session_record", b(true)),
        ("arrangement_overdub", b(true)),
        ("loop", b(true)),
        ("punch_in", b(true)),
        ("loop_start", f(8.0)),
        ("loop_length", f(4.0)),
        ("clip_trigger_quantization", i(7)),
        ("groove_amount", f(0.5)),
    ] {
        // Booleans may be sent as ints 0/1, as most clients do.
        let sent = match value {
            OscType::Bool(v) => i(i32::from(v)),
            ref other => other.clone(),
        };
        c.ok(&format!("/live/song/set/{prop}"), vec![sent]).await;
        assert_eq!(
            c.query(&format!("/live/song/get/{prop}"), vec![]).await,
            vec![value],
            "{prop}"
        );
    }
    c.ok("/live/song/start_playing", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/is_playing", vec![]).await,
        vec![b(true)]
    );
    c.ok("/live/song/stop_playing", vec![]).await;
    c.ok("/live/song/set/current_song_time", vec![f(12.0)])
        .await;
    c.ok("/live/song/jump_by", vec![f(4.0)]).await;
    assert_eq!(
        c.query("/live/song/get/current_song_time", vec![]).await,
        vec![f(16.0)]
    );
    c.ok("/live/song/continue_playing", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/is_playing", vec![]).await,
        vec![b(true)]
    );
    let snap = sim.snapshot();
    assert_eq!(snap["metronome"], true);
    assert_eq!(snap["signature_numerator"], 7);
    assert_eq!(snap["record_mode"], true);
    assert_eq!(snap["is_playing"], true);
    c.ok("/live/song/tap_tempo", vec![]).await;
    sim.stop().await;
}

#[tokio::test]
async fn undo_and_redo_restore_edits() {
    let (sim, c) = setup(Seed::Empty).await;
    assert_eq!(
        c.query("/live/song/get/can_undo", vec![]).await,
        vec![b(false)]
    );
    c.ok("/live/song/set/tempo", vec![f(130.0)]).await;
    c.ok("/live/song/create_midi_track", vec![i(-1)]).await;
    assert_eq!(
        c.query("/live/song/get/num_tracks", vec![]).await,
        vec![i(5)]
    );
    assert_eq!(sim.snapshot()["undo_depth"], 2);
    assert_eq!(
        c.query("/live/song/get/can_undo", vec![]).await,
        vec![b(true)]
    );
    c.ok("/live/song/undo", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/num_tracks", vec![]).await,
        vec![i(4)]
    );
    c.ok("/live/song/undo", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/tempo", vec![]).await,
        vec![f(120.0)]
    );
    assert_eq!(
        c.query("/live/song/get/can_undo", vec![]).await,
        vec![b(false)]
    );
    assert_eq!(
        c.query("/live/song/get/can_redo", vec![]).await,
        vec![b(true)]
    );
    c.ok("/live/song/redo", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/tempo", vec![]).await,
        vec![f(130.0)]
    );
    // A new edit clears the redo history.
    c.ok("/live/track/set/name", vec![i(0), s("Lead")]).await;
    assert_eq!(
        c.query("/live/song/get/can_redo", vec![]).await,
        vec![b(false)]
    );
    c.ok("/live/song/undo", vec![]).await;
    assert_eq!(
        c.query("/live/track/get/name", vec![i(0)]).await,
        vec![i(0), s("1-MIDI")]
    );
    // Undo restores edits, not playback.
    c.ok("/live/clip_slot/create_clip", vec![i(0), i(0), f(4.0)])
        .await;
    c.ok("/live/clip/fire", vec![i(0), i(0)]).await;
    c.ok("/live/track/set/mute", vec![i(0), i(1)]).await;
    c.ok("/live/song/undo", vec![]).await;
    assert_eq!(
        c.query("/live/track/get/mute", vec![i(0)]).await,
        vec![i(0), b(false)]
    );
    assert_eq!(
        c.query("/live/clip/get/is_playing", vec![i(0), i(0)]).await,
        vec![i(0), i(0), b(true)]
    );
    c.ok("/live/song/undo", vec![]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(-1)]
    );
    // Undo past the start is a no-op, not an error.
    for _ in 0..5 {
        c.ok("/live/song/undo", vec![]).await;
    }
    assert_eq!(sim.snapshot()["tempo"], 120.0);
    sim.stop().await;
}

#[tokio::test]
async fn create_delete_duplicate_tracks_and_scenes() {
    let (sim, c) = setup(Seed::Empty).await;
    c.ok("/live/song/create_audio_track", vec![i(0)]).await;
    c.ok("/live/song/create_midi_track", vec![i(-1)]).await;
    assert_eq!(
        c.query("/live/song/get/track_names", vec![]).await,
        vec![
            s("1-Audio"),
            s("1-MIDI"),
            s("2-MIDI"),
            s("3-Audio"),
            s("4-Audio"),
            s("6-MIDI")
        ]
    );
    c.ok("/live/song/duplicate_track", vec![i(1)]).await;
    assert_eq!(
        c.query("/live/track/get/name", vec![i(2)]).await,
        vec![i(2), s("1-MIDI copy")]
    );
    c.ok("/live/song/delete_track", vec![i(0)]).await;
    assert_eq!(
        c.query("/live/song/get/num_tracks", vec![]).await,
        vec![i(6)]
    );
    let text = c.error("/live/song/delete_track", vec![i(6)]).await;
    assert!(
        text.contains("track index 6 out of range (there are 6 tracks)"),
        "{text}"
    );
    let text = c.error("/live/song/create_midi_track", vec![i(40)]).await;
    assert!(text.contains("out of range"), "{text}");

    c.ok("/live/song/create_scene", vec![i(-1)]).await;
    assert_eq!(
        c.query("/live/song/get/num_scenes", vec![]).await,
        vec![i(9)]
    );
    c.ok("/live/scene/set/name", vec![i(0), s("Intro")]).await;
    c.ok("/live/song/duplicate_scene", vec![i(0)]).await;
    assert_eq!(
        c.query("/live/scene/get/name", vec![i(1)]).await,
        vec![i(1), s("Intro")]
    );
    c.ok("/live/song/delete_scene", vec![i(1)]).await;
    assert_eq!(
        c.query("/live/song/get/num_scenes", vec![]).await,
        vec![i(9)]
    );
    let snap = sim.snapshot();
    assert_eq!(
        snap["tracks"][0]["clip_slots"].as_array().map(Vec::len),
        Some(9)
    );

    c.ok("/live/song/create_return_track", vec![]).await;
    assert_eq!(
        sim.snapshot()["tracks"][0]["sends"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    c.ok("/live/track/set/send", vec![i(0), i(2), f(0.7)]).await;
    assert_eq!(
        c.query("/live/track/get/send", vec![i(0), i(2)]).await,
        vec![i(0), i(2), f(0.7)]
    );
    c.ok("/live/song/delete_return_track", vec![i(2)]).await;
    assert_eq!(
        sim.snapshot()["return_tracks"].as_array().map(Vec::len),
        Some(2)
    );
    sim.stop().await;
}

#[tokio::test]
async fn cue_points() {
    let (sim, c) = setup(Seed::Demo).await;
    assert_eq!(
        c.query("/live/song/get/cue_points", vec![]).await,
        vec![s("Verse"), f(16.0)]
    );
    c.ok("/live/song/cue_point/jump", vec![s("Verse")]).await;
    assert_eq!(
        c.query("/live/song/get/current_song_time", vec![]).await,
        vec![f(16.0)]
    );
    c.ok("/live/song/set/current_song_time", vec![f(4.0)]).await;
    c.ok("/live/song/cue_point/add_or_delete", vec![]).await;
    c.ok("/live/song/cue_point/set/name", vec![i(0), s("Intro")])
        .await;
    assert_eq!(
        c.query("/live/song/get/cue_points", vec![]).await,
        vec![s("Intro"), f(4.0), s("Verse"), f(16.0)]
    );
    c.ok("/live/song/jump_to_next_cue", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/current_song_time", vec![]).await,
        vec![f(16.0)]
    );
    c.ok("/live/song/jump_to_prev_cue", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/current_song_time", vec![]).await,
        vec![f(4.0)]
    );
    c.ok("/live/song/cue_point/add_or_delete", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/cue_points", vec![]).await,
        vec![s("Verse"), f(16.0)]
    );
    c.ok("/live/song/cue_point/jump", vec![i(0)]).await;
    assert_eq!(
        c.query("/live/song/get/current_song_time", vec![]).await,
        vec![f(16.0)]
    );
    let text = c.error("/live/song/cue_point/jump", vec![i(5)]).await;
    assert!(text.contains("cue_point index 5 out of range"), "{text}");
    assert_eq!(sim.snapshot()["cue_points"][0]["name"], "Verse");
    sim.stop().await;
}

#[tokio::test]
async fn track_data_is_flattened_like_abletonosc() {
    let (sim, c) = setup(Seed::Demo).await;
    let nil = OscType::Nil;
    assert_eq!(
        c.query(
            "/live/song/get/track_data",
            vec![i(0), i(2), s("track.name"), s("clip.name")]
        )
        .await,
        vec![
            s("Drums"),
            s("Beat"),
            s("Fill"),
            nil.clone(),
            nil.clone(),
            s("Bass"),
            nil.clone(),
            s("Bassline"),
            nil.clone(),
            nil,
        ]
    );
    assert_eq!(
        c.query(
            "/live/song/get/track_data",
            vec![i(2), i(-1), s("track.num_devices"), s("device.name")]
        )
        .await,
        vec![i(1), s("Electric"), i(1), s("EQ Eight")]
    );
    let text = c
        .error("/live/song/get/track_data", vec![i(0), i(1), s("bogus")])
        .await;
    assert!(text.contains("track.name"), "{text}");
    sim.stop().await;
}
