//! OSC round trip: `/live/song/get/tempo` answered by `livegate sim` through livegate's
//! AbletonOSC client, against a native UDP echo on loopback (the floor any OSC peer on
//! this machine can reach), measured in one run. Target: sim p50 ≤ 2× echo p50.
//! Run with `cargo bench --bench osc`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use livegate::ableton::osc::{OscClient, OscConfig};
use livegate::ableton::sim::{self, Seed, SimConfig};
use rosc::{OscMessage, OscPacket};
use tokio::net::UdpSocket;

const CALLS: usize = 5_000;
const WARMUP: usize = 500;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // The floor: a UDP echo answering the same encoded query.
        let echo = UdpSocket::bind("127.0.0.1:0").await.expect("echo binds");
        let echo_addr = echo.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = vec![0_u8; 2048];
            while let Ok((len, from)) = echo.recv_from(&mut buf).await {
                let _ = echo.send_to(&buf[..len], from).await;
            }
        });
        let packet = rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: "/live/song/get/tempo".into(),
            args: vec![],
        }))
        .expect("encodes");
        let client = UdpSocket::bind("127.0.0.1:0").await.expect("client binds");
        let mut buf = vec![0_u8; 2048];
        let mut echo_us = Vec::with_capacity(CALLS);
        for i in 0..WARMUP + CALLS {
            let started = Instant::now();
            client.send_to(&packet, echo_addr).await.expect("sent");
            client.recv_from(&mut buf).await.expect("echoed");
            if i >= WARMUP {
                echo_us.push(started.elapsed().as_secs_f64() * 1e6);
            }
        }

        // livegate sim, queried through the AbletonOSC client.
        let reply_port = {
            let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("probe binds");
            probe.local_addr().expect("addr").port()
        };
        let sim = sim::start(SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            reply_port,
            seed: Seed::Demo,
        })
        .await
        .expect("sim starts");
        let osc = OscClient::connect(OscConfig {
            live: sim.local_addr(),
            bind: SocketAddr::from(([127, 0, 0, 1], reply_port)),
            timeout: Duration::from_secs(2),
        })
        .await
        .expect("client binds");
        let mut sim_us = Vec::with_capacity(CALLS);
        for i in 0..WARMUP + CALLS {
            let started = Instant::now();
            osc.query("/live/song/get/tempo", vec![])
                .await
                .expect("tempo");
            if i >= WARMUP {
                sim_us.push(started.elapsed().as_secs_f64() * 1e6);
            }
        }
        echo_us.sort_by(f64::total_cmp);
        sim_us.sort_by(f64::total_cmp);
        let (e50, e99, s50, s99) = (
            percentile(&echo_us, 0.5),
            percentile(&echo_us, 0.99),
            percentile(&sim_us, 0.5),
            percentile(&sim_us, 0.99),
        );
        println!("OSC round trip, {CALLS} sequential /live/song/get/tempo queries");
        println!("UDP echo:           p50 {e50:7.1} µs   p99 {e99:7.1} µs");
        println!("livegate sim:       p50 {s50:7.1} µs   p99 {s99:7.1} µs");
        println!(
            "sim / echo:         p50 {:.2}×  (target ≤ 2×)   p99 {:.2}×",
            s50 / e50,
            s99 / e99
        );
        sim.stop().await;
    });
}
