//! Playback tests: playing position while a clip plays, tap tempo, stopping a track,
//! firing the selected scene, and MIDI mapping checks.

use std::time::Duration;

use rosc::OscType;

use super::{f, i, s, setup};
use crate::ableton::sim::Seed;

#[tokio::test]
async fn playing_position_is_pushed_while_a_clip_plays() {
    let (sim, c) = setup(Seed::Demo).await;
    c.ok("/live/clip/fire", vec![i(1), i(1)]).await;
    c.send("/live/clip/start_listen/playing_position", vec![i(1), i(1)])
        .await;
    let mut positions = Vec::new();
    while positions.len() < 5 {
        let args = c.wait_for("/live/clip/get/playing_position").await;
        assert_eq!(args[..2], [i(1), i(1)]);
        let OscType::Float(p) = args[2] else {
            panic!("{args:?}")
        };
        positions.push(p);
    }
    assert!(positions.windows(2).all(|w| w[1] >= w[0]), "{positions:?}");
    assert!(
        positions.iter().all(|p| (0.0..8.0).contains(p)),
        "{positions:?}"
    );
    c.send("/live/clip/stop_listen/playing_position", vec![i(1), i(1)])
        .await;
    c.send("/live/song/stop_playing", vec![]).await;
    c.query("/live/song/get/is_playing", vec![]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.send("/live/test", vec![]).await;
    loop {
        let m = c.recv().await;
        assert_ne!(m.addr, "/live/clip/get/playing_position");
        if m.addr == "/live/test" {
            break;
        }
    }
    assert_eq!(sim.snapshot()["listeners"], 0);
    sim.stop().await;
}

#[tokio::test]
async fn tap_tempo_follows_the_taps() {
    let (sim, c) = setup(Seed::Empty).await;
    for _ in 0..4 {
        c.ok("/live/song/tap_tempo", vec![]).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let tempo = c.query("/live/song/get/tempo", vec![]).await;
    let OscType::Float(bpm) = tempo[0] else {
        panic!("{tempo:?}")
    };
    // 400 ms between taps = 150 BPM; allow for a busy machine.
    assert!((120.0..=160.0).contains(&bpm), "{bpm}");
    sim.stop().await;
}

#[tokio::test]
async fn stopping_tracks_and_firing_the_selected_scene() {
    let (sim, c) = setup(Seed::Demo).await;
    c.ok("/live/view/set/selected_scene", vec![i(1)]).await;
    c.ok("/live/scene/fire_selected", vec![]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(1)]
    );
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(1)])
            .await,
        vec![i(1), i(1)]
    );
    assert_eq!(
        c.query("/live/scene/get/is_empty", vec![i(1)]).await,
        vec![i(1), OscType::Bool(false)]
    );
    c.ok("/live/track/stop_all_clips", vec![i(0)]).await;
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(0)])
            .await,
        vec![i(0), i(-1)]
    );
    assert_eq!(
        c.query("/live/track/get/playing_slot_index", vec![i(1)])
            .await,
        vec![i(1), i(1)]
    );
    c.ok("/live/midimap/map_cc", vec![i(1), i(0), i(1), i(0), i(74)])
        .await;
    let text = c
        .error("/live/midimap/map_cc", vec![i(1), i(0), i(1), i(0), i(200)])
        .await;
    assert!(text.contains("cc 0..127"), "{text}");
    c.ok("/live/api/show_message", vec![s("hello")]).await;
    c.ok(
        "/live/scene/set/time_signature_numerator",
        vec![i(2), f(3.0)],
    )
    .await;
    c.ok("/live/scene/set/time_signature_enabled", vec![i(2), i(1)])
        .await;
    c.ok("/live/scene/fire", vec![i(2)]).await;
    assert_eq!(
        c.query("/live/song/get/signature_numerator", vec![]).await,
        vec![i(3)]
    );
    sim.stop().await;
}
