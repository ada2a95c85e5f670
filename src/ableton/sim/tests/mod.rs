//! Tests of the simulator over real UDP sockets on 127.0.0.1: a tiny AbletonOSC client sends
//! messages and waits for replies on its own socket, whose port is the simulator's reply port.

mod objects;
mod protocol;
mod song;

use std::net::SocketAddr;
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};
use tokio::net::UdpSocket;

use super::{start, Seed, SimConfig, SimHandle};

/// How long a reply may take.
const WAIT: Duration = Duration::from_secs(2);

/// A test client: one socket that both sends and receives replies.
pub(super) struct Client {
    pub sock: UdpSocket,
    pub sim: SocketAddr,
}

/// Start a simulator on a free port, and a client whose port is the reply port.
pub(super) async fn setup(seed: Seed) -> (SimHandle, Client) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind client");
    let reply_port = sock.local_addr().expect("client addr").port();
    let handle = start(SimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        reply_port,
        seed,
    })
    .await
    .expect("start sim");
    let sim = handle.local_addr();
    (handle, Client { sock, sim })
}

/// OSC int.
pub(super) fn i(v: i32) -> OscType {
    OscType::Int(v)
}
/// OSC float.
pub(super) fn f(v: f32) -> OscType {
    OscType::Float(v)
}
/// OSC string.
pub(super) fn s(v: &str) -> OscType {
    OscType::String(v.to_string())
}
/// OSC bool.
pub(super) fn b(v: bool) -> OscType {
    OscType::Bool(v)
}

impl Client {
    /// Send one message.
    pub async fn send(&self, addr: &str, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage {
            addr: addr.to_string(),
            args,
        });
        self.send_packet(&packet).await;
    }

    /// Send any packet.
    pub async fn send_packet(&self, packet: &OscPacket) {
        let bytes = rosc::encoder::encode(packet).expect("encode");
        self.sock.send_to(&bytes, self.sim).await.expect("send");
    }

    /// The next message, or `None` after `wait`.
    pub async fn recv_within(&self, wait: Duration) -> Option<OscMessage> {
        let mut buf = vec![0u8; 65536];
        let (len, _) = tokio::time::timeout(wait, self.sock.recv_from(&mut buf))
            .await
            .ok()?
            .expect("recv");
        match rosc::decoder::decode_udp(&buf[..len])
            .expect("decode reply")
            .1
        {
            OscPacket::Message(m) => Some(m),
            OscPacket::Bundle(b) => panic!("unexpected bundle {b:?}"),
        }
    }

    /// The next message (fails the test after 2 s).
    pub async fn recv(&self) -> OscMessage {
        self.recv_within(WAIT).await.expect("no reply within 2 s")
    }

    /// Wait for a message on `addr`, skipping others.
    pub async fn wait_for(&self, addr: &str) -> Vec<OscType> {
        loop {
            let m = self.recv().await;
            if m.addr == addr {
                return m.args;
            }
        }
    }

    /// Send a query and return its reply's arguments; a `/live/error` fails the test.
    pub async fn query(&self, addr: &str, args: Vec<OscType>) -> Vec<OscType> {
        self.send(addr, args).await;
        loop {
            let m = self.recv().await;
            if m.addr == "/live/error" {
                panic!("{addr}: {:?}", m.args);
            }
            if m.addr == addr {
                return m.args;
            }
        }
    }

    /// Send a message that must fail and return the `/live/error` text.
    pub async fn error(&self, addr: &str, args: Vec<OscType>) -> String {
        self.send(addr, args).await;
        let m = self.recv().await;
        assert_eq!(
            m.addr, "/live/error",
            "expected an error for {addr}, got {m:?}"
        );
        match m.args.as_slice() {
            [OscType::String(text)] => text.clone(),
            other => panic!("bad /live/error args {other:?}"),
        }
    }

    /// Send a message and check nothing but the `/live/test` sent after it comes back.
    pub async fn ok(&self, addr: &str, args: Vec<OscType>) {
        self.send(addr, args).await;
        self.send("/live/test", vec![]).await;
        let m = self.recv().await;
        assert_eq!(m.addr, "/live/test", "{addr} answered {m:?}");
    }
}
