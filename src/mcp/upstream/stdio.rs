//! The stdio transport: an [`Upstream`] that is a spawned MCP server process.
//!
//! [`StdioUpstream::spawn`] starts the configured command from a background task and
//! speaks newline-delimited JSON-RPC 2.0 with it, one message per line on the child's
//! stdin and stdout, as the MCP stdio transport prescribes; the child's stderr is only
//! logged. After every (re)start livegate performs the `initialize` handshake. While
//! the child runs, responses are matched to requests by their integer id, the
//! server's notifications are broadcast to subscribers, and the server's own requests
//! are answered (`ping`) or refused. When the child exits, every pending request
//! fails at once and the child is restarted with exponential backoff, until
//! [`StdioUpstream::shutdown`] is called or the last handle is dropped.

mod supervisor;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Upstream, UpstreamError, UpstreamHealth, UpstreamNotification};

/// The protocol revisions livegate accepts from a stdio server, newest first; the
/// first is the one it asks for.
const SUPPORTED_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// How many notifications a slow subscriber may lag behind before it loses some.
const NOTIFICATION_CAPACITY: usize = 256;

/// Timeouts and restart pacing of a [`StdioUpstream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdioOptions {
    /// How long a request may take in all, waiting for a starting server included.
    pub request_timeout: Duration,
    /// Delay before restarting after a failure; it doubles with each failure in a row.
    pub initial_backoff: Duration,
    /// The longest delay between restarts.
    pub max_backoff: Duration,
    /// How long a freshly started server may take to answer `initialize`.
    pub init_timeout: Duration,
}

impl Default for StdioOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            init_timeout: Duration::from_secs(10),
        }
    }
}

/// An MCP server run as a child process and reached over its stdin and stdout.
///
/// Created with [`StdioUpstream::spawn`]; the child is restarted whenever it exits,
/// and killed by [`StdioUpstream::shutdown`] or when the last handle is dropped.
pub struct StdioUpstream {
    shared: Arc<Shared>,
    stop: CancellationToken,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl StdioUpstream {
    /// Starts `command` with `args`, the extra environment variables `env` and the
    /// working folder `cwd`, and returns at once: the process is started, initialized
    /// and restarted by a background task.
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime.
    pub fn spawn(
        name: String,
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
        options: StdioOptions,
    ) -> Arc<Self> {
        let (health, _) = watch::channel(UpstreamHealth::Starting {
            detail: Some(format!("starting `{command}`")),
        });
        let (notifications, _) = broadcast::channel(NOTIFICATION_CAPACITY);
        let shared = Arc::new(Shared {
            name,
            options,
            state: Mutex::new(State {
                capabilities: json!({}),
                server_info: Value::Null,
                protocol_version: None,
                link: None,
            }),
            health,
            notifications,
            next_id: AtomicI64::new(1),
        });
        let stop = CancellationToken::new();
        let launch = supervisor::Launch {
            command,
            args,
            env,
            cwd,
        };
        let task = tokio::spawn(supervisor::supervise(
            Arc::clone(&shared),
            launch,
            stop.clone(),
        ));
        Arc::new(Self {
            shared,
            stop,
            supervisor: Mutex::new(Some(task)),
        })
    }

    /// The protocol revision the server chose in its last successful `initialize`
    /// answer (`None` before the first one).
    pub fn protocol_version(&self) -> Option<String> {
        self.shared.state.lock().protocol_version.clone()
    }

    /// The server's `serverInfo` from its last successful `initialize` answer
    /// (`null` before the first one).
    pub fn server_info(&self) -> Value {
        self.shared.state.lock().server_info.clone()
    }

    /// Kills the child, stops restarting it and fails whatever is pending; returns
    /// once the child has exited. Later requests fail with
    /// [`UpstreamError::Unavailable`].
    pub async fn shutdown(&self) {
        self.stop.cancel();
        let task = self.supervisor.lock().take();
        if let Some(task) = task {
            if let Err(error) = task.await {
                tracing::warn!(upstream = %self.shared.name, %error, "the stdio supervisor task failed");
            }
        }
    }
}

impl Drop for StdioUpstream {
    fn drop(&mut self) {
        // The supervisor holds only `Shared`, so it notices this and kills the child.
        self.stop.cancel();
    }
}

#[async_trait::async_trait]
impl Upstream for StdioUpstream {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn capabilities(&self) -> Value {
        self.shared.state.lock().capabilities.clone()
    }

    async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, UpstreamError> {
        let shared = &*self.shared;
        let timeout = shared.options.request_timeout;
        let deadline = Instant::now() + timeout;
        let sent = shared
            .start_when_ready(method, params.as_ref(), deadline)
            .await?;
        let mut in_flight = InFlight {
            shared,
            generation: sent.generation,
            id: sent.id,
            armed: true,
        };
        match tokio::time::timeout_at(deadline, sent.reply).await {
            Ok(Ok(reply)) => {
                in_flight.armed = false;
                reply.map_err(|error| *error)
            }
            Ok(Err(_)) => {
                in_flight.armed = false;
                Err(shared.unavailable("the connection closed while the request was pending"))
            }
            Err(_) => {
                let after_ms = millis(timeout);
                tracing::warn!(upstream = %shared.name, method, id = sent.id, after_ms, "request timed out; cancelling it");
                in_flight.cancel(&format!("livegate stopped waiting after {after_ms} ms"));
                Err(UpstreamError::Timeout {
                    upstream: shared.name.clone(),
                    after_ms,
                })
            }
        }
    }

    async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), UpstreamError> {
        let sent = self
            .shared
            .send_notification(Target::Ready, method, params.as_ref())
            .map_err(|error| self.shared.send_failed(error))?;
        if sent {
            return Ok(());
        }
        let reason = match self.health() {
            UpstreamHealth::Down { detail } => detail,
            _ => "the server is still starting".to_owned(),
        };
        Err(self.shared.unavailable(reason))
    }

    fn subscribe(&self) -> broadcast::Receiver<UpstreamNotification> {
        self.shared.notifications.subscribe()
    }

    fn health(&self) -> UpstreamHealth {
        self.shared.health.borrow().clone()
    }
}

/// What a request waits on: its final result, or why there is none (boxed, as
/// [`UpstreamError`] is large).
type Reply = Result<Value, Box<UpstreamError>>;

/// Why a message could not be handed to the writer task.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// It cannot be written as JSON.
    #[error("cannot encode the {method} message: {source}")]
    Encode {
        method: String,
        source: serde_json::Error,
    },
    /// The writer task is gone.
    #[error("the connection to the server is closed")]
    Closed,
}

/// The state the public handle, the supervisor and the stdout reader share.
struct Shared {
    /// The configured name.
    name: String,
    /// Timeouts and backoff.
    options: StdioOptions,
    /// What the last handshake said, and the connection to the running child.
    state: Mutex<State>,
    /// Current health; requests watch it while the child starts.
    health: watch::Sender<UpstreamHealth>,
    /// Where the server's notifications go.
    notifications: broadcast::Sender<UpstreamNotification>,
    /// The next request id; ids are never reused, even across restarts.
    next_id: AtomicI64,
}

/// The mutable part of [`Shared`].
struct State {
    capabilities: Value,
    server_info: Value,
    protocol_version: Option<String>,
    /// The running child's connection; `None` while there is none.
    link: Option<Link>,
}

/// The connection to one run of the child.
struct Link {
    /// Which run this is (1 for the first start).
    generation: u64,
    /// Whether the handshake is done, so that any request may go out.
    ready: bool,
    /// Lines for the writer task, which owns the child's stdin.
    outgoing: mpsc::UnboundedSender<String>,
    /// Requests sent to this run and not answered yet.
    pending: HashMap<i64, oneshot::Sender<Reply>>,
}

/// Which connection a message may go out on.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The current connection, once it is initialized.
    Ready,
    /// The connection of this run, initialized or not.
    Generation(u64),
}

/// A request written to the child, waiting for its answer.
struct Sent {
    generation: u64,
    id: i64,
    reply: oneshot::Receiver<Reply>,
}

/// An outgoing JSON-RPC request.
#[derive(Serialize)]
struct OutRequest<'a> {
    jsonrpc: &'static str,
    id: i64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

/// An outgoing JSON-RPC notification.
#[derive(Serialize)]
struct OutNotification<'a> {
    jsonrpc: &'static str,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

impl Shared {
    fn unavailable(&self, reason: impl Into<String>) -> UpstreamError {
        UpstreamError::Unavailable {
            upstream: self.name.clone(),
            reason: reason.into(),
        }
    }

    fn send_failed(&self, error: SendError) -> UpstreamError {
        match error {
            SendError::Encode { .. } => UpstreamError::Protocol {
                upstream: self.name.clone(),
                detail: error.to_string(),
            },
            SendError::Closed => self.unavailable(error.to_string()),
        }
    }

    fn set_health(&self, health: UpstreamHealth) {
        self.health.send_replace(health);
    }

    /// Sends a request once the child is initialized: waits while it is starting,
    /// fails at once while it is down, and gives up at `deadline`.
    async fn start_when_ready(
        &self,
        method: &str,
        params: Option<&Value>,
        deadline: Instant,
    ) -> Result<Sent, UpstreamError> {
        let mut changes = self.health.subscribe();
        loop {
            let sent = self
                .start_request(Target::Ready, method, params)
                .map_err(|error| self.send_failed(error))?;
            if let Some(sent) = sent {
                return Ok(sent);
            }
            let health = changes.borrow_and_update().clone();
            let detail = match health {
                UpstreamHealth::Down { detail } => return Err(self.unavailable(detail)),
                UpstreamHealth::Starting { detail } => detail,
                // The connection is being replaced; its new state is about to be set.
                UpstreamHealth::Ready => None,
            };
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(self.unavailable("the upstream was dropped")),
                Err(_) => {
                    let waited = millis(self.options.request_timeout);
                    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
                    return Err(self.unavailable(format!(
                        "the server was still starting after {waited} ms{detail}"
                    )));
                }
            }
        }
    }

    /// Registers a request on the connection `target` designates and writes it out;
    /// `Ok(None)` when there is no such connection.
    fn start_request(
        &self,
        target: Target,
        method: &str,
        params: Option<&Value>,
    ) -> Result<Option<Sent>, SendError> {
        let mut state = self.state.lock();
        let Some(link) = state.link.as_mut().filter(|link| link.accepts(target)) else {
            return Ok(None);
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = OutRequest {
            jsonrpc: "2.0",
            id,
            method,
            params,
        };
        let line = serde_json::to_string(&message).map_err(|source| SendError::Encode {
            method: method.to_owned(),
            source,
        })?;
        if link.outgoing.send(line).is_err() {
            return Err(SendError::Closed);
        }
        let (reply_tx, reply) = oneshot::channel();
        link.pending.insert(id, reply_tx);
        Ok(Some(Sent {
            generation: link.generation,
            id,
            reply,
        }))
    }

    /// Writes a notification on the connection `target` designates; `Ok(false)` when
    /// there is no such connection.
    fn send_notification(
        &self,
        target: Target,
        method: &str,
        params: Option<&Value>,
    ) -> Result<bool, SendError> {
        let message = OutNotification {
            jsonrpc: "2.0",
            method,
            params,
        };
        let line = serde_json::to_string(&message).map_err(|source| SendError::Encode {
            method: method.to_owned(),
            source,
        })?;
        Ok(self.write_line(target, line))
    }

    /// Hands a line to the writer of the connection `target` designates.
    fn write_line(&self, target: Target, line: String) -> bool {
        let state = self.state.lock();
        match state.link.as_ref().filter(|link| link.accepts(target)) {
            Some(link) => link.outgoing.send(line).is_ok(),
            None => false,
        }
    }

    /// Passes a response on to the request waiting for it.
    fn complete(&self, generation: u64, id: i64, reply: Reply) {
        let waiter = {
            let mut state = self.state.lock();
            state
                .link
                .as_mut()
                .filter(|link| link.generation == generation)
                .and_then(|link| link.pending.remove(&id))
        };
        match waiter {
            // The receiver is gone when the request was dropped in the meantime.
            Some(waiter) => drop(waiter.send(reply)),
            None => {
                tracing::debug!(upstream = %self.name, id, "ignoring a response to a request nobody waits for");
            }
        }
    }

    /// Forgets a pending request and tells the server it was cancelled, unless it
    /// was answered or failed in the meantime.
    fn cancel_request(&self, generation: u64, id: i64, reason: &str) {
        let mut state = self.state.lock();
        let Some(link) = state
            .link
            .as_mut()
            .filter(|link| link.generation == generation)
        else {
            return;
        };
        if link.pending.remove(&id).is_none() {
            return;
        }
        let params = json!({ "requestId": id, "reason": reason });
        let message = OutNotification {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: Some(&params),
        };
        match serde_json::to_string(&message) {
            Ok(line) => drop(link.outgoing.send(line)),
            Err(error) => {
                tracing::warn!(upstream = %self.name, id, %error, "cannot encode notifications/cancelled");
            }
        }
    }

    /// Makes `outgoing` the connection of run `generation`.
    fn install_link(&self, generation: u64, outgoing: mpsc::UnboundedSender<String>) {
        self.state.lock().link = Some(Link {
            generation,
            ready: false,
            outgoing,
            pending: HashMap::new(),
        });
    }

    /// Records a successful handshake and opens run `generation` to all requests;
    /// false when that run's connection is already gone.
    fn mark_ready(
        &self,
        generation: u64,
        capabilities: Value,
        server_info: Value,
        protocol_version: String,
    ) -> bool {
        let mut state = self.state.lock();
        let state = &mut *state;
        match state
            .link
            .as_mut()
            .filter(|link| link.generation == generation)
        {
            Some(link) => {
                link.ready = true;
                state.capabilities = capabilities;
                state.server_info = server_info;
                state.protocol_version = Some(protocol_version);
                true
            }
            None => false,
        }
    }

    /// Drops the connection of run `generation` and fails its pending requests with
    /// `reason`.
    fn fail_link(&self, generation: u64, reason: &str) {
        let link = {
            let mut state = self.state.lock();
            match &state.link {
                Some(link) if link.generation == generation => state.link.take(),
                _ => None,
            }
        };
        let Some(link) = link else { return };
        if !link.pending.is_empty() {
            tracing::debug!(upstream = %self.name, count = link.pending.len(), reason, "failing pending requests");
        }
        for (_, waiter) in link.pending {
            drop(waiter.send(Err(Box::new(self.unavailable(reason)))));
        }
    }

    /// Broadcasts a notification to the subscribers, if any.
    fn publish(&self, method: String, params: Option<Value>) {
        tracing::debug!(upstream = %self.name, method, "notification from the server");
        // Sending fails only when nobody subscribed, which is fine.
        drop(self.notifications.send(UpstreamNotification {
            upstream: self.name.clone(),
            method,
            params,
        }));
    }
}

impl Link {
    fn accepts(&self, target: Target) -> bool {
        match target {
            Target::Ready => self.ready,
            Target::Generation(generation) => self.generation == generation,
        }
    }
}

/// A request whose answer is awaited; dropping it cancels the request on the server.
struct InFlight<'a> {
    shared: &'a Shared,
    generation: u64,
    id: i64,
    armed: bool,
}

impl InFlight<'_> {
    fn cancel(&mut self, reason: &str) {
        if std::mem::take(&mut self.armed) {
            self.shared.cancel_request(self.generation, self.id, reason);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.cancel("the client no longer waits for the result");
    }
}

/// A duration in whole milliseconds, for messages.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
