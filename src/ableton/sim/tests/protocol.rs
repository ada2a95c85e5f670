//! Protocol-level behaviour: test/version, errors, unknown addresses, bundles, wildcards,
//! garbage packets, listeners and the beat listener.

use std::time::Duration;

use rand::Rng;
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

use super::{b, f, i, s, setup, Client};
use crate::ableton::sim::Seed;

#[tokio::test]
async fn test_and_version() {
    let (sim, c) = setup(Seed::Empty).await;
    assert_eq!(c.query("/live/test", vec![]).await, vec![s("ok")]);
    assert_eq!(
        c.query("/live/application/get/version", vec![]).await,
        vec![i(12), i(1)]
    );
    assert_eq!(
        c.query("/live/api/get/log_level", vec![]).await,
        vec![s("info")]
    );
    c.ok("/live/api/set/log_level", vec![s("debug")]).await;
    assert_eq!(
        c.query("/live/api/get/log_level", vec![]).await,
        vec![s("debug")]
    );
    sim.stop().await;
}

#[tokio::test]
async fn errors_are_clear() {
    let (sim, c) = setup(Seed::Empty).await;
    let text = c.error("/live/track/get/volume", vec![i(99)]).await;
    assert!(
        text.contains("/live/track/get/volume") && text.contains("track index 99 out of range"),
        "{text}"
    );
    let text = c.error("/live/track/get/volume", vec![s("abc")]).await;
    assert!(
        text.contains("track_id must be an int, got string \"abc\""),
        "{text}"
    );
    let text = c.error("/live/track/set/volume", vec![i(0)]).await;
    assert!(text.contains("missing argument volume"), "{text}");
    let text = c.error("/live/nope/get/thing", vec![]).await;
    assert_eq!(text, "Unknown OSC address: /live/nope/get/thing");
    let text = c.error("/live/clip/get/name", vec![i(0), i(0)]).await;
    assert!(text.contains("no clip in slot 0 of track 0"), "{text}");
    let text = c.error("/live/song/set/tempo", vec![f(5000.0)]).await;
    assert!(text.contains("tempo must be between 20 and 999"), "{text}");
    let text = c.error("/live/track/set/mute", vec![i(0), s("yes")]).await;
    assert!(text.contains("mute must be a boolean"), "{text}");
    let text = c
        .error("/live/clip/add/notes", vec![i(0), i(0), i(60)])
        .await;
    assert!(text.contains("no clip"), "{text}");
    // Nothing changed on failures, so nothing to undo.
    assert_eq!(sim.snapshot()["undo_depth"], 0);
    sim.stop().await;
}

#[tokio::test]
async fn bundles_are_unpacked() {
    let (sim, c) = setup(Seed::Empty).await;
    let msg = |addr: &str, args: Vec<OscType>| {
        OscPacket::Message(OscMessage {
            addr: addr.to_string(),
            args,
        })
    };
    let inner = OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((0, 1)),
        content: vec![msg("/live/song/get/tempo", vec![])],
    });
    let bundle = OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((0, 1)),
        content: vec![msg("/live/song/set/tempo", vec![f(100.0)]), inner],
    });
    c.send_packet(&bundle).await;
    assert_eq!(c.wait_for("/live/song/get/tempo").await, vec![f(100.0)]);
    assert_eq!(sim.snapshot()["tempo"], 100.0);
    sim.stop().await;
}

#[tokio::test]
async fn wildcard_queries_every_property() {
    let (sim, c) = setup(Seed::Demo).await;
    c.send("/live/clip/get/*", vec![i(0), i(0)]).await;
    c.send("/live/test", vec![]).await;
    let mut seen = std::collections::HashMap::new();
    loop {
        let m = c.recv().await;
        if m.addr == "/live/test" {
            break;
        }
        assert_ne!(m.addr, "/live/error", "{m:?}");
        seen.insert(m.addr.clone(), m.args);
    }
    assert_eq!(seen["/live/clip/get/name"], vec![i(0), i(0), s("Beat")]);
    assert_eq!(seen["/live/clip/get/length"], vec![i(0), i(0), f(4.0)]);
    assert_eq!(
        seen["/live/clip/get/is_midi_clip"],
        vec![i(0), i(0), b(true)]
    );
    assert_eq!(seen["/live/clip/get/notes"].len(), 2 + 5 * 5);
    // Audio-only properties fail on a MIDI clip and are skipped, as AbletonOSC does.
    assert!(!seen.contains_key("/live/clip/get/gain"));
    assert!(seen.len() > 20, "{}", seen.len());
    // A pattern in the middle of an address.
    c.send("/live/song/get/signature_*", vec![]).await;
    let first = c.recv().await;
    let second = c.recv().await;
    let mut got = vec![first.addr, second.addr];
    got.sort();
    assert_eq!(
        got,
        [
            "/live/song/get/signature_denominator",
            "/live/song/get/signature_numerator"
        ]
    );
    let text = c.error("/live/nothing/*", vec![]).await;
    assert!(text.contains("Unknown OSC address"), "{text}");
    sim.stop().await;
}

#[tokio::test]
async fn garbage_never_crashes_it() {
    let (sim, c) = setup(Seed::Demo).await;
    let mut rng = rand::rng();
    for k in 0..1000 {
        let len = rng.random_range(0..200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Half of them look like OSC: an address, then noise (truncated type tags and args).
        if k % 2 == 0 {
            let mut head = b"/live/track/get/volume\0\0,iis\0\0\0\0".to_vec();
            head.truncate(rng.random_range(0..head.len()));
            head.extend(bytes);
            bytes = head;
        }
        c.sock.send_to(&bytes, c.sim).await.expect("send");
        if k % 100 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Still alive, state intact.
    c.send("/live/test", vec![]).await;
    assert_eq!(c.wait_for("/live/test").await, vec![s("ok")]);
    assert_eq!(sim.snapshot()["tracks"].as_array().map(Vec::len), Some(4));
    sim.stop().await;
}

async fn no_message_on(c: &Client, addr: &str) {
    c.send("/live/test", vec![]).await;
    loop {
        let m = c.recv().await;
        assert_ne!(m.addr, addr, "unexpected push {m:?}");
        if m.addr == "/live/test" {
            return;
        }
    }
}

#[tokio::test]
async fn listeners_push_changes_from_any_client_and_stop() {
    let (sim, c) = setup(Seed::Empty).await;
    // A second client on the same IP only sends (its replies would go to c's port anyway).
    let other = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let send_other = |addr: &str, args: Vec<OscType>| {
        rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: addr.to_string(),
            args,
        }))
        .expect("encode")
    };
    c.send("/live/track/start_listen/volume", vec![i(1)]).await;
    assert_eq!(
        c.wait_for("/live/track/get/volume").await,
        vec![i(1), f(0.85)]
    );
    other
        .send_to(
            &send_other("/live/track/set/volume", vec![i(1), f(0.5)]),
            c.sim,
        )
        .await
        .expect("send");
    assert_eq!(
        c.wait_for("/live/track/get/volume").await,
        vec![i(1), f(0.5)]
    );
    // Same value again: no push.
    c.send("/live/track/set/volume", vec![i(1), f(0.5)]).await;
    no_message_on(&c, "/live/track/get/volume").await;

    c.send("/live/song/start_listen/tempo", vec![]).await;
    assert_eq!(c.wait_for("/live/song/get/tempo").await, vec![f(120.0)]);
    c.send("/live/song/set/tempo", vec![f(90.0)]).await;
    assert_eq!(c.wait_for("/live/song/get/tempo").await, vec![f(90.0)]);

    c.send("/live/view/start_listen/selected_track", vec![])
        .await;
    assert_eq!(
        c.wait_for("/live/view/get/selected_track").await,
        vec![i(0)]
    );
    c.send("/live/view/set/selected_track", vec![i(3)]).await;
    assert_eq!(
        c.wait_for("/live/view/get/selected_track").await,
        vec![i(3)]
    );

    c.send("/live/track/stop_listen/volume", vec![i(1)]).await;
    c.send("/live/song/stop_listen/tempo", vec![]).await;
    c.send("/live/track/set/volume", vec![i(1), f(0.25)]).await;
    c.send("/live/song/set/tempo", vec![f(95.0)]).await;
    no_message_on(&c, "/live/track/get/volume").await;
    no_message_on(&c, "/live/song/get/tempo").await;
    assert_eq!(sim.snapshot()["listeners"], 1);
    let text = c
        .error("/live/track/start_listen/volume", vec![i(42)])
        .await;
    assert!(text.contains("track index 42"), "{text}");
    sim.stop().await;
}

#[tokio::test]
async fn clip_listener_follows_playing_state() {
    let (sim, c) = setup(Seed::Demo).await;
    c.send("/live/clip/start_listen/is_playing", vec![i(0), i(0)])
        .await;
    assert_eq!(
        c.wait_for("/live/clip/get/is_playing").await,
        vec![i(0), i(0), b(false)]
    );
    c.send("/live/clip/fire", vec![i(0), i(0)]).await;
    assert_eq!(
        c.wait_for("/live/clip/get/is_playing").await,
        vec![i(0), i(0), b(true)]
    );
    c.send("/live/song/stop_all_clips", vec![]).await;
    assert_eq!(
        c.wait_for("/live/clip/get/is_playing").await,
        vec![i(0), i(0), b(false)]
    );
    sim.stop().await;
}

#[tokio::test]
async fn beats_arrive_at_the_tempo_while_playing() {
    let (sim, c) = setup(Seed::Empty).await;
    c.send("/live/song/start_listen/beat", vec![]).await;
    c.send("/live/song/start_playing", vec![]).await;
    let started = tokio::time::Instant::now();
    let mut beats = Vec::new();
    while started.elapsed() < Duration::from_millis(1700) {
        if let Some(m) = c.recv_within(Duration::from_millis(200)).await {
            if m.addr == "/live/song/get/beat" {
                beats.push(m.args);
            }
        }
    }
    // 120 BPM = 2 beats a second: beats 0, 1, 2, 3 in 1.7 s (allow for a slow machine).
    assert!(beats.len() >= 2 && beats.len() <= 5, "{beats:?}");
    for (k, beat) in beats.iter().enumerate() {
        assert_eq!(beat, &vec![i(k as i32)]);
    }
    let time = c.query("/live/song/get/current_song_time", vec![]).await;
    let OscType::Float(t) = time[0] else {
        panic!("{time:?}")
    };
    assert!(t > 1.5, "{t}");
    c.send("/live/song/stop_listen/beat", vec![]).await;
    c.send("/live/song/stop_playing", vec![]).await;
    assert_eq!(
        c.query("/live/song/get/is_playing", vec![]).await,
        vec![b(false)]
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    no_message_on(&c, "/live/song/get/beat").await;
    sim.stop().await;
}

#[tokio::test]
async fn huge_replies_come_in_delimited_chunks() {
    let (sim, c) = setup(Seed::Empty).await;
    c.ok("/live/clip_slot/create_clip", vec![i(0), i(0), f(64.0)])
        .await;
    let total = 4000;
    for batch in 0..(total / 500) {
        let mut args = vec![i(0), i(0)];
        for k in 0..500 {
            let n = batch * 500 + k;
            args.extend([i(n % 128), f(n as f32 / 64.0), f(0.25), i(100), b(false)]);
        }
        c.ok("/live/clip/add/notes", args).await;
    }
    c.send("/live/clip/get/notes", vec![i(0), i(0)]).await;
    let mut values = Vec::new();
    let mut chunks = 0;
    loop {
        let m = c.recv().await;
        assert_eq!(m.addr, "/live/clip/get/notes");
        chunks += 1;
        let last = m.args.last() == Some(&s("#$#")) && chunks > 1;
        if chunks == 1 {
            assert_eq!(m.args.first(), Some(&s("#$#")));
        }
        values.extend(m.args.into_iter().filter(|a| a != &s("#$#")));
        if last {
            break;
        }
    }
    assert!(chunks > 1);
    assert_eq!(values.len(), 2 + 5 * total as usize);
    assert_eq!(values[..2], [i(0), i(0)]);
    sim.stop().await;
}
