//! The AbletonOSC client: one UDP socket to Live. AbletonOSC listens on UDP 11000 and sends
//! every reply to port 11001 on the sender's address, repeating the queried object's indices
//! before the values (`/live/track/get/volume 2` → `/live/track/get/volume 2 0.85`). Queries
//! are matched to replies by address and those leading indices, so queries about different
//! objects run concurrently; `/live/error` fails the oldest query waiting; a Live that does
//! not answer fails a query with a clear error after a timeout, never a hang. Listeners
//! (`start_listen`) receive pushed updates until dropped.

mod wire;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use rosc::{OscMessage, OscType};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use wire::{arg_to_json, id_count, Key};

/// The string that opens the first and closes the last datagram of a split reply.
const CHUNK_MARKER: &str = "#$#";

/// The most values a split reply may add up to (a clip of 100,000 notes has 500,000).
const MAX_JOINED_ARGS: usize = 1_000_000;

/// Where Live is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct OscConfig {
    /// Where AbletonOSC listens (default `127.0.0.1:11000`).
    pub live: SocketAddr,
    /// Where replies arrive (default `127.0.0.1:11001`; AbletonOSC always replies to 11001).
    pub bind: SocketAddr,
    /// How long a query waits for its reply (default 2 s).
    pub timeout: Duration,
}

impl Default for OscConfig {
    fn default() -> Self {
        Self {
            live: SocketAddr::from(([127, 0, 0, 1], 11000)),
            bind: SocketAddr::from(([127, 0, 0, 1], 11001)),
            timeout: Duration::from_secs(2),
        }
    }
}

/// Why talking to Live failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OscError {
    /// The reply port could not be opened.
    #[error("cannot listen for Live's replies on {addr}: {reason}; another program using AbletonOSC (or another livegate) may hold the port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The system's reason.
        reason: String,
    },
    /// Live did not answer in time.
    #[error("no reply from Ableton Live on {live} within {} s — is Live running with AbletonOSC selected as a Control Surface (Preferences → Link, Tempo & MIDI)?", .after.as_secs_f32())]
    NoReply {
        /// Where the query went.
        live: SocketAddr,
        /// How long livegate waited.
        after: Duration,
    },
    /// Live answered with `/live/error`.
    #[error("Ableton Live refused it: {0}")]
    Live(String),
    /// The message could not be sent or encoded.
    #[error("cannot send to Ableton Live: {0}")]
    Send(String),
}

/// Whether Live answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LiveStatus {
    /// Not checked yet.
    Unknown,
    /// Live answered; its version.
    Connected {
        /// e.g. `12.1`.
        version: String,
    },
    /// Live did not answer.
    NotResponding {
        /// What to do about it.
        detail: String,
    },
}

struct Waiting {
    seq: u64,
    reply: oneshot::Sender<Result<Vec<OscType>, OscError>>,
}

#[derive(Default)]
struct Routes {
    /// Queries waiting for a reply, by (address, leading ids), oldest first.
    queries: HashMap<Key, VecDeque<Waiting>>,
    /// Listeners by (get-address, ids).
    listeners: HashMap<Key, Vec<mpsc::UnboundedSender<Vec<OscType>>>>,
}

/// A connection to AbletonOSC. Cheap to share (`Arc`).
pub struct OscClient {
    socket: Arc<UdpSocket>,
    shutdown: CancellationToken,
    config: OscConfig,
    routes: Mutex<Routes>,
    /// Replies split over several datagrams, being put back together, by address.
    partial: Mutex<HashMap<String, Vec<OscType>>>,
    seq: AtomicU64,
    status: watch::Sender<LiveStatus>,
}

impl std::fmt::Debug for OscClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OscClient")
            .field("live", &self.config.live)
            .finish_non_exhaustive()
    }
}

impl OscClient {
    /// Opens the reply socket and starts reading replies. Does not contact Live yet.
    pub async fn connect(config: OscConfig) -> Result<Arc<Self>, OscError> {
        let socket = UdpSocket::bind(config.bind)
            .await
            .map_err(|e| OscError::Bind {
                addr: config.bind,
                reason: e.to_string(),
            })?;
        let (status, _) = watch::channel(LiveStatus::Unknown);
        let shutdown = CancellationToken::new();
        let client = Arc::new(Self {
            socket: Arc::new(socket),
            shutdown: shutdown.clone(),
            config,
            routes: Mutex::new(Routes::default()),
            partial: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(0),
            status,
        });
        tokio::spawn(receive(
            Arc::clone(&client.socket),
            Arc::downgrade(&client),
            shutdown,
        ));
        Ok(client)
    }

    /// Where replies arrive (the bound address, useful when bound to port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.local_addr().ok()
    }

    /// Where Live is expected.
    pub fn live_addr(&self) -> SocketAddr {
        self.config.live
    }

    /// Sends a query and returns the reply's values (the repeated indices removed).
    pub async fn query(&self, address: &str, args: Vec<OscType>) -> Result<Vec<OscType>, OscError> {
        let key = Key::for_request(address, &args);
        let ids = key.ids.len();
        let (tx, rx) = oneshot::channel();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        self.routes
            .lock()
            .queries
            .entry(key.clone())
            .or_default()
            .push_back(Waiting { seq, reply: tx });
        if let Err(e) = self.send(address, args).await {
            self.forget(&key, seq);
            return Err(e);
        }
        match tokio::time::timeout(self.config.timeout, rx).await {
            Ok(Ok(Ok(values))) => {
                self.set_connected_if_unknown();
                Ok(values.into_iter().skip(ids).collect())
            }
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) | Err(_) => {
                self.forget(&key, seq);
                let error = OscError::NoReply {
                    live: self.config.live,
                    after: self.config.timeout,
                };
                self.status.send_replace(LiveStatus::NotResponding {
                    detail: error.to_string(),
                });
                Err(error)
            }
        }
    }

    /// Sends a message that gets no reply (a setter or an action).
    pub async fn send(&self, address: &str, args: Vec<OscType>) -> Result<(), OscError> {
        let bytes = wire::encode(address, args)?;
        self.socket
            .send_to(&bytes, self.config.live)
            .await
            .map(|_| ())
            .map_err(|e| OscError::Send(e.to_string()))
    }

    /// Sends an action or setter, then waits until Live has handled it (a `/live/test`
    /// round trip behind it), so that a `/live/error` it causes is reported here.
    pub async fn command(&self, address: &str, args: Vec<OscType>) -> Result<(), OscError> {
        self.send(address, args).await?;
        self.query("/live/test", Vec::new()).await.map(|_| ())
    }

    /// Checks that Live answers and reads its version; updates [`Self::status`].
    pub async fn check(&self) -> LiveStatus {
        let status = match self
            .query("/live/application/get/version", Vec::new())
            .await
        {
            Ok(values) => {
                let parts: Vec<String> =
                    values.iter().map(|v| arg_to_json(v).to_string()).collect();
                LiveStatus::Connected {
                    version: parts.join("."),
                }
            }
            Err(e) => LiveStatus::NotResponding {
                detail: e.to_string(),
            },
        };
        self.status.send_replace(status.clone());
        status
    }

    /// The last known status.
    pub fn status(&self) -> LiveStatus {
        self.status.borrow().clone()
    }

    /// Status changes, for the UI and the tray.
    pub fn subscribe_status(&self) -> watch::Receiver<LiveStatus> {
        self.status.subscribe()
    }

    /// Checks Live every `every` in the background (until the client is dropped) and
    /// publishes each change of connection on the event bus.
    pub fn spawn_health_checks(self: &Arc<Self>, every: Duration, bus: crate::events::EventBus) {
        let weak = Arc::downgrade(self);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let mut last: Option<bool> = None;
            loop {
                let Some(client) = weak.upgrade() else { return };
                let status = client.check().await;
                drop(client);
                let (connected, detail) = match &status {
                    LiveStatus::Connected { version } => (true, format!("Live {version}")),
                    LiveStatus::NotResponding { detail } => (false, detail.clone()),
                    LiveStatus::Unknown => (false, "not checked yet".to_string()),
                };
                if last != Some(connected) {
                    if connected {
                        tracing::info!(%detail, "Ableton Live answers");
                    } else {
                        tracing::warn!(%detail, "Ableton Live does not answer");
                    }
                    bus.publish(crate::events::Event::LiveConnection { connected, detail });
                    last = Some(connected);
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
            }
        });
    }

    /// Starts listening to a property (`/live/<object>/start_listen/<property> ids…`); the
    /// listener receives each pushed value until it is dropped, which stops the listening.
    pub async fn listen(
        self: &Arc<Self>,
        object: &str,
        property: &str,
        ids: Vec<OscType>,
    ) -> Result<Listener, OscError> {
        let key = Key::for_request(&format!("/live/{object}/get/{property}"), &ids);
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes
            .lock()
            .listeners
            .entry(key.clone())
            .or_default()
            .push(tx);
        let start = format!("/live/{object}/start_listen/{property}");
        if let Err(e) = self.command(&start, ids.clone()).await {
            self.routes.lock().listeners.remove(&key);
            return Err(e);
        }
        Ok(Listener {
            client: Arc::downgrade(self),
            stop: format!("/live/{object}/stop_listen/{property}"),
            ids,
            key,
            rx,
        })
    }

    fn forget(&self, key: &Key, seq: u64) {
        let mut routes = self.routes.lock();
        if let Some(queue) = routes.queries.get_mut(key) {
            queue.retain(|w| w.seq != seq);
            if queue.is_empty() {
                routes.queries.remove(key);
            }
        }
    }

    fn set_connected_if_unknown(&self) {
        if !matches!(*self.status.borrow(), LiveStatus::Connected { .. }) {
            self.status.send_replace(LiveStatus::Connected {
                version: "unknown".to_string(),
            });
        }
    }

    /// Puts a reply split by AbletonOSC back together: its first datagram starts with the
    /// string `#$#`, its last ends with it, and the arguments in between are concatenated.
    /// `None` while parts are still missing.
    fn reassemble(&self, message: OscMessage) -> Option<OscMessage> {
        let marker =
            |arg: Option<&OscType>| matches!(arg, Some(OscType::String(s)) if s == CHUNK_MARKER);
        let starts = marker(message.args.first());
        let mut partial = self.partial.lock();
        if !starts && !partial.contains_key(&message.addr) {
            return Some(message);
        }
        let OscMessage { addr, args } = message;
        let mut args = args.into_iter();
        if starts {
            args.next();
            partial.insert(addr.clone(), Vec::new());
        }
        let mut rest: Vec<OscType> = args.collect();
        let ends = marker(rest.last());
        if ends {
            rest.pop();
        }
        let joined = partial.entry(addr.clone()).or_default();
        joined.extend(rest);
        if joined.len() > MAX_JOINED_ARGS {
            tracing::warn!(address = %addr, "dropping a split reply larger than {MAX_JOINED_ARGS} values");
            partial.remove(&addr);
            return None;
        }
        if !ends {
            return None;
        }
        partial.remove(&addr).map(|args| OscMessage { addr, args })
    }

    /// Routes one incoming message: a reply to the oldest matching query, else to listeners;
    /// `/live/error` fails the oldest query waiting.
    fn dispatch(&self, message: OscMessage) {
        let Some(message) = self.reassemble(message) else {
            return;
        };
        let mut routes = self.routes.lock();
        if message.addr == "/live/error" {
            let text = message
                .args
                .iter()
                .map(|a| arg_to_json(a).to_string().trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(" ");
            tracing::debug!(error = %text, "AbletonOSC reported an error");
            let oldest = routes
                .queries
                .iter()
                .filter_map(|(k, q)| q.front().map(|w| (w.seq, k.clone())))
                .min_by_key(|(seq, _)| *seq);
            if let Some((_, key)) = oldest {
                if let Some(waiting) = routes.queries.get_mut(&key).and_then(VecDeque::pop_front) {
                    let _ = waiting.reply.send(Err(OscError::Live(text)));
                }
                if routes.queries.get(&key).is_some_and(VecDeque::is_empty) {
                    routes.queries.remove(&key);
                }
            }
            return;
        }
        let matching = routes
            .queries
            .keys()
            .filter(|k| k.matches(&message))
            .max_by_key(|k| k.ids.len())
            .cloned();
        if let Some(key) = matching {
            if let Some(waiting) = routes.queries.get_mut(&key).and_then(VecDeque::pop_front) {
                let _ = waiting.reply.send(Ok(message.args));
            }
            if routes.queries.get(&key).is_some_and(VecDeque::is_empty) {
                routes.queries.remove(&key);
            }
            return;
        }
        let mut delivered = false;
        for (key, senders) in routes.listeners.iter_mut() {
            if key.matches(&message) {
                let values: Vec<OscType> =
                    message.args.iter().skip(key.ids.len()).cloned().collect();
                senders.retain(|s| s.send(values.clone()).is_ok());
                delivered = true;
            }
        }
        routes.listeners.retain(|_, senders| !senders.is_empty());
        if !delivered {
            tracing::debug!(address = %message.addr, "reply nobody waits for");
        }
    }
}

/// Pushed values of one listened property; dropping it stops the listening.
pub struct Listener {
    client: Weak<OscClient>,
    stop: String,
    ids: Vec<OscType>,
    key: Key,
    rx: mpsc::UnboundedReceiver<Vec<OscType>>,
}

impl Listener {
    /// The next pushed value (the indices removed); `None` once the client is gone.
    pub async fn next(&mut self) -> Option<Vec<OscType>> {
        self.rx.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let Some(client) = self.client.upgrade() else {
            return;
        };
        client.routes.lock().listeners.remove(&self.key);
        let (stop, ids) = (self.stop.clone(), std::mem::take(&mut self.ids));
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = client.send(&stop, ids).await {
                    tracing::debug!(error = %e, "stop_listen not sent");
                }
            });
        }
    }
}

impl Drop for OscClient {
    fn drop(&mut self) {
        // Ends the receive task, which frees the reply port.
        self.shutdown.cancel();
    }
}

async fn receive(socket: Arc<UdpSocket>, client: Weak<OscClient>, shutdown: CancellationToken) {
    let mut buffer = vec![0_u8; 65_536];
    loop {
        let received = tokio::select! {
            () = shutdown.cancelled() => return,
            received = socket.recv_from(&mut buffer) => received,
        };
        let Ok((len, from)) = received else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Some(client) = client.upgrade() else {
            return;
        };
        match wire::decode(&buffer[..len]) {
            Ok(messages) => {
                for message in messages {
                    client.dispatch(message);
                }
            }
            Err(e) => tracing::warn!(%from, error = %e, "ignoring a packet that is not OSC"),
        }
    }
}

#[cfg(test)]
mod tests;
