//! The client against a small AbletonOSC peer on real UDP sockets: the peer answers the way
//! AbletonOSC does (to the sender's address, indices repeated, `/live/error` on failure).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};
use tokio::net::UdpSocket;

use super::*;

/// A peer that answers with `answer(message)` (each returned message is sent back, after
/// `delay` for track queries with an odd index, so replies arrive out of order).
async fn peer(answer: fn(&OscMessage) -> Vec<OscMessage>) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("peer binds");
    let addr = socket.local_addr().expect("peer addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let socket = Arc::new(socket);
        let mut buf = vec![0_u8; 65_536];
        while let Ok((len, from)) = socket.recv_from(&mut buf).await {
            let Ok(messages) = wire::decode(&buf[..len]) else {
                continue;
            };
            for message in messages {
                log.lock().push(message.addr.clone());
                let delay = matches!(message.args.first(), Some(OscType::Int(i)) if i % 2 == 1);
                let replies = answer(&message);
                let socket = Arc::clone(&socket);
                tokio::spawn(async move {
                    if delay {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                    for reply in replies {
                        let bytes =
                            rosc::encoder::encode(&OscPacket::Message(reply)).expect("encodes");
                        let _ = socket.send_to(&bytes, from).await;
                    }
                });
            }
        }
    });
    (addr, seen)
}

fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: addr.to_string(),
        args,
    }
}

fn live(message: &OscMessage) -> Vec<OscMessage> {
    let args = message.args.clone();
    match message.addr.as_str() {
        "/live/test" => vec![msg("/live/test", vec![OscType::String("ok".into())])],
        "/live/application/get/version" => {
            vec![msg(&message.addr, vec![OscType::Int(12), OscType::Int(1)])]
        }
        "/live/song/get/tempo" => vec![msg(&message.addr, vec![OscType::Float(120.0)])],
        "/live/track/get/volume" => match args.first() {
            Some(OscType::Int(i)) if *i < 50 => vec![msg(
                &message.addr,
                vec![OscType::Int(*i), OscType::Float(*i as f32 / 100.0)],
            )],
            _ => vec![msg(
                "/live/error",
                vec![OscType::String("Index out of range: track 99".into())],
            )],
        },
        "/live/track/set/mute" => match args.first() {
            Some(OscType::Int(_)) => Vec::new(),
            _ => vec![msg(
                "/live/error",
                vec![OscType::String("wrong argument type".into())],
            )],
        },
        "/live/song/start_listen/tempo" => vec![
            msg("/live/song/get/tempo", vec![OscType::Float(121.0)]),
            msg("/live/song/get/tempo", vec![OscType::Float(122.0)]),
        ],
        "/live/song/stop_listen/tempo" | "/live/silence" => Vec::new(),
        _ => vec![msg(
            "/live/error",
            vec![OscType::String(format!("Unknown address {}", message.addr))],
        )],
    }
}

/// A simulated Live on free loopback ports and a client of it.
async fn sim_client(
    seed: crate::ableton::sim::Seed,
    timeout_ms: u64,
) -> (crate::ableton::sim::SimHandle, Arc<OscClient>) {
    let reply_port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port();
    let sim = crate::ableton::sim::start(crate::ableton::sim::SimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        reply_port,
        seed,
    })
    .await
    .expect("sim starts");
    let client = OscClient::connect(OscConfig {
        live: sim.local_addr(),
        bind: SocketAddr::from(([127, 0, 0, 1], reply_port)),
        timeout: Duration::from_millis(timeout_ms),
    })
    .await
    .expect("client binds");
    (sim, client)
}

async fn client(live: SocketAddr, timeout_ms: u64) -> Arc<OscClient> {
    OscClient::connect(OscConfig {
        live,
        bind: "127.0.0.1:0".parse().expect("addr"),
        timeout: Duration::from_millis(timeout_ms),
    })
    .await
    .expect("client binds")
}

#[tokio::test]
async fn queries_get_their_own_replies_even_out_of_order() {
    let (addr, _) = peer(live).await;
    let c = client(addr, 2_000).await;
    assert_eq!(
        c.query("/live/song/get/tempo", vec![])
            .await
            .expect("tempo"),
        [OscType::Float(120.0)]
    );
    let answers = futures::future::join_all((0..20).map(|i| {
        let c = Arc::clone(&c);
        async move {
            (
                i,
                c.query("/live/track/get/volume", vec![OscType::Int(i)])
                    .await,
            )
        }
    }))
    .await;
    for (i, answer) in answers {
        assert_eq!(
            answer.expect("volume"),
            [OscType::Float(i as f32 / 100.0)],
            "track {i}"
        );
    }
    assert_eq!(
        c.check().await,
        LiveStatus::Connected {
            version: "12.1".into()
        }
    );
}

#[tokio::test]
async fn live_errors_fail_the_query_with_lives_message() {
    let (addr, _) = peer(live).await;
    let c = client(addr, 2_000).await;
    let err = c
        .query("/live/track/get/volume", vec![OscType::Int(99)])
        .await
        .expect_err("bad index");
    assert_eq!(
        err.to_string(),
        "Ableton Live refused it: Index out of range: track 99"
    );
    c.command(
        "/live/track/set/mute",
        vec![OscType::Int(1), OscType::Int(1)],
    )
    .await
    .expect("a good setter");
    let err = c
        .command("/live/track/set/mute", vec![OscType::String("x".into())])
        .await
        .expect_err("bad type");
    assert!(err.to_string().contains("wrong argument type"), "{err}");
    // The client is still in step afterwards.
    assert_eq!(
        c.query("/live/song/get/tempo", vec![])
            .await
            .expect("tempo"),
        [OscType::Float(120.0)]
    );
}

#[tokio::test]
async fn a_silent_live_gives_a_clear_error_not_a_hang() {
    // Nothing listens on this port: the client still answers within its timeout.
    let quiet = UdpSocket::bind("127.0.0.1:0").await.expect("binds");
    let c = client(quiet.local_addr().expect("addr"), 200).await;
    let started = std::time::Instant::now();
    let err = c
        .query("/live/song/get/tempo", vec![])
        .await
        .expect_err("no reply");
    assert!(started.elapsed() < Duration::from_secs(2));
    let text = err.to_string();
    assert!(
        text.starts_with("no reply from Ableton Live on 127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("AbletonOSC selected as a Control Surface"),
        "{text}"
    );
    assert!(matches!(c.status(), LiveStatus::NotResponding { .. }));
    assert!(matches!(c.check().await, LiveStatus::NotResponding { .. }));
}

#[tokio::test]
async fn listeners_receive_pushed_values_and_stop_when_dropped() {
    let (addr, seen) = peer(live).await;
    let c = client(addr, 2_000).await;
    let mut listener = c.listen("song", "tempo", vec![]).await.expect("listening");
    let first = tokio::time::timeout(Duration::from_secs(2), listener.next())
        .await
        .expect("pushed")
        .expect("value");
    assert_eq!(first, [OscType::Float(121.0)]);
    let second = tokio::time::timeout(Duration::from_secs(2), listener.next())
        .await
        .expect("pushed")
        .expect("value");
    assert_eq!(second, [OscType::Float(122.0)]);
    drop(listener);
    for _ in 0..100 {
        if seen
            .lock()
            .iter()
            .any(|a| a == "/live/song/stop_listen/tempo")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("stop_listen was not sent: {:?}", seen.lock());
}

#[tokio::test]
async fn garbage_and_unexpected_packets_are_ignored() {
    let (addr, _) = peer(live).await;
    let c = client(addr, 2_000).await;
    let local = c.local_addr().expect("bound");
    let noise = UdpSocket::bind("127.0.0.1:0").await.expect("binds");
    for packet in [&b"\x00garbage"[..], b"", b"/live/song/get/tempo\x00"] {
        noise.send_to(packet, local).await.expect("sent");
    }
    let stray = rosc::encoder::encode(&OscPacket::Message(msg(
        "/live/track/get/volume",
        vec![OscType::Int(7)],
    )))
    .expect("encodes");
    noise.send_to(&stray, local).await.expect("sent");
    assert_eq!(
        c.query("/live/song/get/tempo", vec![])
            .await
            .expect("tempo"),
        [OscType::Float(120.0)]
    );
}

#[tokio::test]
async fn health_checks_publish_connection_changes() {
    let (addr, _) = peer(live).await;
    let c = client(addr, 500).await;
    let bus = crate::events::EventBus::new();
    let mut events = bus.subscribe();
    c.spawn_health_checks(Duration::from_millis(50), bus);
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event")
        .expect("received");
    match event {
        crate::events::Event::LiveConnection { connected, detail } => {
            assert!(connected);
            assert_eq!(detail, "Live 12.1");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn replies_split_over_several_datagrams_are_joined() {
    // The simulated Live splits large replies the way AbletonOSC does.
    let (sim, c) = sim_client(crate::ableton::sim::Seed::Empty, 5000).await;
    c.command(
        "/live/clip_slot/create_clip",
        vec![OscType::Int(0), OscType::Int(0), OscType::Float(512.0)],
    )
    .await
    .expect("clip");
    let mut notes = vec![OscType::Int(0), OscType::Int(0)];
    for i in 0..4_000 {
        notes.extend([
            OscType::Int(36 + i % 48),
            OscType::Float(i as f32 * 0.125),
            OscType::Float(0.1),
            OscType::Float(100.0),
            OscType::Bool(false),
        ]);
    }
    for batch in notes[2..].chunks(5 * 500) {
        let mut args = vec![OscType::Int(0), OscType::Int(0)];
        args.extend_from_slice(batch);
        c.command("/live/clip/add/notes", args)
            .await
            .expect("notes added");
    }
    let values = c
        .query(
            "/live/clip/get/notes",
            vec![OscType::Int(0), OscType::Int(0)],
        )
        .await
        .expect("notes");
    assert_eq!(
        values.len(),
        4_000 * 5,
        "every note of the split reply arrived"
    );
    assert!(!values
        .iter()
        .any(|v| matches!(v, OscType::String(s) if s == CHUNK_MARKER)));
    sim.stop().await;
}

#[tokio::test]
async fn a_live_that_stops_answering_mid_session_gives_clear_errors() {
    let (sim, c) = sim_client(crate::ableton::sim::Seed::Demo, 300).await;
    assert!(matches!(c.check().await, LiveStatus::Connected { .. }));
    assert_eq!(
        c.query("/live/song/get/tempo", vec![])
            .await
            .expect("tempo"),
        [OscType::Float(120.0)]
    );
    sim.stop().await;
    let err = c
        .query("/live/song/get/tempo", vec![])
        .await
        .expect_err("Live is gone");
    assert!(matches!(err, OscError::NoReply { .. }), "{err}");
    assert!(matches!(c.status(), LiveStatus::NotResponding { .. }));
    let err = c
        .command("/live/song/set/tempo", vec![OscType::Float(90.0)])
        .await
        .expect_err("Live is gone");
    assert!(err.to_string().contains("is Live running"), "{err}");
}
