//! `livegate sim`: an in-memory Ableton Live that speaks the AbletonOSC protocol over UDP,
//! so that a client written against AbletonOSC and real Live works unchanged against it.
//!
//! Like AbletonOSC, it listens for OSC on one UDP port (11000 by default) and sends every
//! reply to a fixed port (11001 by default) on the *sender's IP address*. Query replies repeat
//! the object indices before the values; booleans go out as OSC `T`/`F`, as AbletonOSC's
//! Python booleans do; failures go out as `/live/error "<text>"`. Bundles are unpacked,
//! malformed packets are logged and dropped. `start_listen` pushes are sent to the IP that
//! registered the listener, beats (`/live/song/get/beat`) to every IP that asked for them.
//! A reply too large for one datagram is split into chunks delimited by `#$#`, as AbletonOSC
//! documents for `track_data` and `get/notes`.
//!
//! [`Seed::Empty`] is Live's default new set (2 MIDI tracks, 2 audio tracks, 2 returns,
//! 8 scenes, 120 BPM); [`Seed::Demo`] a small song (Drums, Bass, Keys, Vox; 4 scenes).

mod args;
mod clip;
mod engine;
mod other;
mod song;
mod state;
mod track;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rosc::{OscMessage, OscPacket};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use engine::{Outgoing, Sim};
use state::Doc;

/// How often the clock advances while playing.
const TICK: Duration = Duration::from_millis(10);

/// Which Live set the simulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// A new Live set: tracks "1-MIDI", "2-MIDI", "3-Audio", "4-Audio", returns A and B,
    /// 8 empty scenes, 120 BPM, 4/4.
    #[default]
    Empty,
    /// A demo set: Drums, Bass, Keys (MIDI, clips with notes, one device each) and Vox
    /// (audio clip, EQ); 4 scenes; 120 BPM; a cue point "Verse" at beat 16.
    Demo,
}

/// Where the simulator listens and replies, and what it starts with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// UDP address to listen on (default `127.0.0.1:11000`).
    pub listen: SocketAddr,
    /// Port replies are sent to, on the sender's IP (default 11001).
    pub reply_port: u16,
    /// The initial Live set.
    pub seed: Seed,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 11000)),
            reply_port: 11001,
            seed: Seed::Empty,
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen socket could not be bound.
    #[error("binding the simulator's UDP socket on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running simulator; drop it or call [`SimHandle::stop`] to end it.
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    sim: Arc<Mutex<Sim>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The address the simulator listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A JSON view of the whole state: transport, tempo, signature, tracks with mixer,
    /// devices and clip slots (clips with notes), returns, scenes, cue points, selection,
    /// undo depth.
    pub fn snapshot(&self) -> serde_json::Value {
        self.sim.lock().snapshot()
    }

    /// Stop the simulator and wait for its task to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Bind the listen socket and start serving AbletonOSC.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let socket = UdpSocket::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = socket.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let doc = match config.seed {
        Seed::Empty => Doc::empty(),
        Seed::Demo => Doc::demo(),
    };
    let sim = Arc::new(Mutex::new(Sim::new(doc)));
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(serve(socket, Arc::clone(&sim), config.reply_port, stop_rx));
    tracing::info!(%local_addr, reply_port = config.reply_port, seed = ?config.seed, "sim: listening for AbletonOSC");
    Ok(SimHandle {
        local_addr,
        sim,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

async fn serve(
    socket: UdpSocket,
    sim: Arc<Mutex<Sim>>,
    reply_port: u16,
    mut stop: oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; 65536];
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = tokio::time::Instant::now();
    loop {
        let mut out: Vec<Outgoing> = Vec::new();
        tokio::select! {
            _ = &mut stop => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, from)) => {
                    let data = buf.get(..len).unwrap_or_default();
                    handle_datagram(&sim, data, from.ip(), &mut out);
                }
                Err(error) => {
                    // e.g. ICMP port unreachable from an earlier reply (Windows): not fatal.
                    tracing::debug!(%error, "sim: receive error");
                }
            },
            _ = tick.tick() => {
                let now = tokio::time::Instant::now();
                let seconds = now.duration_since(last).as_secs_f64();
                last = now;
                sim.lock().tick(seconds, &mut out);
            }
        }
        for (ip, msg) in out {
            send(&socket, SocketAddr::new(ip, reply_port), msg).await;
        }
    }
    tracing::info!("sim: stopped");
}

fn handle_datagram(sim: &Mutex<Sim>, data: &[u8], from: IpAddr, out: &mut Vec<Outgoing>) {
    match rosc::decoder::decode_udp(data) {
        Ok((_, packet)) => {
            let mut messages = Vec::new();
            flatten(packet, &mut messages, 0);
            let mut sim = sim.lock();
            for msg in &messages {
                sim.handle(from, msg, out);
            }
        }
        Err(error) => {
            tracing::info!(%from, len = data.len(), ?error, "sim: ignoring malformed OSC packet");
        }
    }
}

/// Unpack (nested) bundles into their messages, in order.
fn flatten(packet: OscPacket, into: &mut Vec<OscMessage>, depth: usize) {
    match packet {
        OscPacket::Message(msg) => into.push(msg),
        OscPacket::Bundle(bundle) if depth < 8 => {
            for inner in bundle.content {
                flatten(inner, into, depth + 1);
            }
        }
        OscPacket::Bundle(_) => tracing::info!("sim: ignoring bundle nested too deep"),
    }
}

async fn send(socket: &UdpSocket, to: SocketAddr, msg: OscMessage) {
    for bytes in datagrams(msg) {
        if let Err(error) = socket.send_to(&bytes, to).await {
            tracing::debug!(%to, %error, "sim: reply not sent");
        }
    }
}

/// Largest reply sent as one datagram; larger ones are split as AbletonOSC does.
const MAX_DATAGRAM: usize = 60_000;

/// Rough size of the argument values in each chunk of a split reply.
const CHUNK_BYTES: usize = 16_000;

/// The marker that opens the first chunk and closes the last chunk of a split reply.
pub const CHUNK_DELIMITER: &str = "#$#";

/// Encode a reply; when it is too large for one datagram (e.g. thousands of notes), split its
/// arguments over several messages on the same address, the first beginning and the last
/// ending with the string `#$#`, as AbletonOSC documents.
fn datagrams(msg: OscMessage) -> Vec<Vec<u8>> {
    let encode = |msg: OscMessage| match rosc::encoder::encode(&OscPacket::Message(msg)) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            tracing::warn!(?error, "sim: could not encode a reply");
            None
        }
    };
    let addr = msg.addr.clone();
    let args = msg.args.clone();
    let Some(whole) = encode(msg) else {
        return Vec::new();
    };
    if whole.len() <= MAX_DATAGRAM {
        return vec![whole];
    }
    let mut chunks = Vec::new();
    let mut current = vec![rosc::OscType::String(CHUNK_DELIMITER.to_string())];
    let mut size = 0;
    for arg in args {
        let cost = 1 + match &arg {
            rosc::OscType::String(text) => text.len() + 4,
            rosc::OscType::Long(_) | rosc::OscType::Double(_) => 8,
            _ => 4,
        };
        if size + cost > CHUNK_BYTES {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.push(arg);
        size += cost;
    }
    current.push(rosc::OscType::String(CHUNK_DELIMITER.to_string()));
    chunks.push(current);
    chunks
        .into_iter()
        .filter_map(|args| {
            encode(OscMessage {
                addr: addr.clone(),
                args,
            })
        })
        .collect()
}
