//! Choosing the revision to speak with an upstream, and the streams that carry its
//! notifications. livegate first asks `server/discover` in the stateless revision; a server
//! that does not list 2026-07-28 (or answers with an error, or not at all) gets the
//! handshake: `initialize`, `notifications/initialized`, and a session id on everything
//! after. Each successful negotiation is one [`Conn`]; when it ends (connection lost,
//! session expired) the next request negotiates again.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::revision::{
    client_info, handshake_headers, stateless_headers, stateless_params, HANDSHAKE_VERSION,
    HANDSHAKE_VERSIONS, STATELESS_VERSION,
};
use super::wire::{classify, Incoming};
use super::Inner;
use crate::mcp::jsonrpc;
use crate::mcp::sse::{SseError, SseReader};
use crate::mcp::upstream::{UpstreamError, UpstreamHealth};

/// Longest wait between attempts to reopen a notification stream.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The revision spoken on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode {
    /// 2026-07-28: `_meta` and headers on every request, no session.
    Stateless,
    /// A handshake revision, with the session the server minted (if it minted one).
    Handshake {
        /// The negotiated revision.
        version: String,
        /// The `Mcp-Session-Id`.
        session: Option<String>,
    },
}

/// One negotiated connection.
#[derive(Debug)]
pub(super) struct Conn {
    /// Counts negotiations, so that a stale connection is not forgotten twice.
    pub generation: u64,
    /// The revision spoken.
    pub mode: Mode,
    /// The server's capabilities.
    pub capabilities: Value,
    /// Cancelled when the connection is given up; stops its notification stream.
    pub stop: CancellationToken,
}

impl Conn {
    /// True in the stateless revision.
    pub fn is_stateless(&self) -> bool {
        self.mode == Mode::Stateless
    }

    /// The revision's date string.
    pub fn version(&self) -> &str {
        match &self.mode {
            Mode::Stateless => STATELESS_VERSION,
            Mode::Handshake { version, .. } => version,
        }
    }

    /// The handshake session id, if there is one.
    pub fn session(&self) -> Option<&str> {
        match &self.mode {
            Mode::Stateless => None,
            Mode::Handshake { session, .. } => session.as_deref(),
        }
    }

    /// The protocol headers for a message with `method` and `params`.
    pub fn headers(&self, method: &str, params: Option<&Value>) -> HeaderMap {
        match &self.mode {
            Mode::Stateless => stateless_headers(method, params),
            Mode::Handshake { version, session } => handshake_headers(version, session.as_deref()),
        }
    }

    /// A request's params as sent on this connection.
    pub fn params(&self, params: Option<Value>) -> Option<Value> {
        match self.mode {
            Mode::Stateless => stateless_params(params),
            Mode::Handshake { .. } => params,
        }
    }
}

impl Inner {
    /// The current connection, negotiating one first if there is none. `handshake_only`
    /// skips the stateless probe (used when a handshake session has just expired).
    pub(super) async fn connection(
        self: &Arc<Self>,
        handshake_only: bool,
    ) -> Result<Arc<Conn>, UpstreamError> {
        let attempts = {
            let state = self.state.lock();
            if let Some(conn) = &state.conn {
                return Ok(Arc::clone(conn));
            }
            state.attempts
        };
        let _turn = self.negotiating.lock().await;
        {
            let state = self.state.lock();
            if let Some(conn) = &state.conn {
                return Ok(Arc::clone(conn));
            }
            // A negotiation failed while this request waited for its turn: share its
            // outcome rather than make every queued request wait through another.
            if state.attempts != attempts {
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
            }
        }
        let negotiated = tokio::select! {
            negotiated = self.negotiate(handshake_only) => negotiated,
            () = self.shutdown.cancelled() => Err(self.unavailable("livegate let go of this upstream")),
        };
        match negotiated {
            Ok((mode, capabilities)) => {
                let conn = {
                    let mut state = self.state.lock();
                    state.attempts += 1;
                    state.last_error = None;
                    state.generation += 1;
                    let conn = Arc::new(Conn {
                        generation: state.generation,
                        mode,
                        capabilities,
                        stop: self.shutdown.child_token(),
                    });
                    state.conn = Some(Arc::clone(&conn));
                    state.health = UpstreamHealth::Ready;
                    conn
                };
                tracing::info!(upstream = %self.name, url = %self.url, revision = conn.version(),
                    session = conn.session().unwrap_or("-"), "connected to the upstream");
                self.spawn_stream(&conn);
                Ok(conn)
            }
            Err(error) => {
                tracing::warn!(upstream = %self.name, url = %self.url, %error, "cannot connect to the upstream");
                let mut state = self.state.lock();
                state.attempts += 1;
                state.last_error = Some(error.clone());
                state.health = UpstreamHealth::Down {
                    detail: error.to_string(),
                };
                Err(error)
            }
        }
    }

    /// Gives up `conn` if it is still the current connection; `health` says why.
    pub(super) fn forget(&self, conn: &Conn, health: UpstreamHealth) {
        let mut state = self.state.lock();
        if state
            .conn
            .as_ref()
            .is_some_and(|c| c.generation == conn.generation)
        {
            state.conn = None;
            state.health = health;
            conn.stop.cancel();
        }
    }

    async fn negotiate(
        self: &Arc<Self>,
        handshake_only: bool,
    ) -> Result<(Mode, Value), UpstreamError> {
        if !handshake_only {
            if let Some(capabilities) = self.probe().await? {
                return Ok((Mode::Stateless, capabilities));
            }
        }
        self.initialize().await
    }

    /// `server/discover`: the server's capabilities if it speaks the stateless revision,
    /// `None` if it does not (so: handshake), an error if it cannot be reached at all.
    async fn probe(self: &Arc<Self>) -> Result<Option<Value>, UpstreamError> {
        let id = self.next_id();
        let method = "server/discover";
        let exchange = self.post_request(
            id,
            method,
            stateless_params(None),
            stateless_headers(method, None),
            None,
        );
        let reply = match tokio::time::timeout(self.options.request_timeout, exchange).await {
            Err(_) => {
                tracing::info!(upstream = %self.name, "no answer to server/discover; trying the handshake revisions");
                return Ok(None);
            }
            Ok(reply) => reply?,
        };
        match reply.outcome {
            Ok(result) if lists_stateless(&result) => {
                let server = result
                    .pointer("/_meta/io.modelcontextprotocol~1serverInfo")
                    .cloned()
                    .unwrap_or(Value::Null);
                tracing::debug!(upstream = %self.name, %server, "the upstream speaks the stateless revision");
                Ok(Some(
                    result
                        .get("capabilities")
                        .cloned()
                        .unwrap_or_else(|| json!({})),
                ))
            }
            Ok(_) => {
                tracing::info!(upstream = %self.name, "server/discover does not list {STATELESS_VERSION}; trying the handshake revisions");
                Ok(None)
            }
            Err(error) => {
                tracing::info!(upstream = %self.name, status = %reply.status, %error,
                    "server/discover failed; trying the handshake revisions");
                Ok(None)
            }
        }
    }

    /// `initialize`, then `notifications/initialized`.
    async fn initialize(self: &Arc<Self>) -> Result<(Mode, Value), UpstreamError> {
        let id = self.next_id();
        let params = json!({
            "protocolVersion": HANDSHAKE_VERSION,
            "capabilities": {},
            "clientInfo": client_info(),
        });
        let exchange = self.post_request(id, "initialize", Some(params), HeaderMap::new(), None);
        let reply = tokio::time::timeout(self.options.request_timeout, exchange)
            .await
            .map_err(|_| self.timeout())??;
        let result = reply.outcome?;
        let version = result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        if !HANDSHAKE_VERSIONS.contains(&version) {
            return Err(self.protocol(format!(
                "answered initialize with protocol version {version:?}; livegate speaks {}",
                HANDSHAKE_VERSIONS.join(", ")
            )));
        }
        let mode = Mode::Handshake {
            version: version.to_string(),
            session: reply.session,
        };
        let capabilities = result
            .get("capabilities")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let headers = match &mode {
            Mode::Handshake { version, session } => handshake_headers(version, session.as_deref()),
            Mode::Stateless => HeaderMap::new(),
        };
        let initialized = jsonrpc::notification("notifications/initialized", None);
        let sent = tokio::time::timeout(
            self.options.request_timeout,
            self.post_message(&initialized, headers),
        )
        .await
        .map_err(|_| self.timeout())?;
        if let Err(error) = sent {
            tracing::warn!(upstream = %self.name, %error, "notifications/initialized was not accepted");
        }
        Ok((mode, capabilities))
    }

    /// Starts the task that carries the server's own notifications for `conn`: the GET
    /// stream of a handshake session, or `subscriptions/listen` in the stateless revision
    /// (when the server announces list changes). It ends with the connection.
    fn spawn_stream(self: &Arc<Self>, conn: &Arc<Conn>) {
        let inner = Arc::clone(self);
        let conn = Arc::clone(conn);
        tokio::spawn(async move {
            let stop = conn.stop.clone();
            tokio::select! {
                () = stop.cancelled() => {}
                () = inner.stream_loop(&conn) => {}
            }
        });
    }

    async fn stream_loop(self: &Arc<Self>, conn: &Arc<Conn>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let opened = match conn.mode {
                Mode::Stateless => self.open_listen(conn).await,
                Mode::Handshake { .. } => self.open_get(conn).await,
            };
            match opened {
                Ok(None) => return,
                Ok(Some(response)) => {
                    if self.pump(response, conn).await {
                        backoff = Duration::from_secs(1);
                    }
                    tracing::debug!(upstream = %self.name, "the notification stream ended; reopening");
                }
                Err(error) => {
                    tracing::debug!(upstream = %self.name, %error, "cannot open the notification stream")
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// GET for a handshake session's notifications; `None` if the server offers none.
    async fn open_get(&self, conn: &Conn) -> Result<Option<reqwest::Response>, UpstreamError> {
        let response = self.get_stream(conn.headers("GET", None)).await?;
        Ok(self.stream_response(response, "GET"))
    }

    /// `subscriptions/listen` for the list changes the server announces; `None` if it
    /// announces none or does not offer the stream.
    async fn open_listen(
        self: &Arc<Self>,
        conn: &Conn,
    ) -> Result<Option<reqwest::Response>, UpstreamError> {
        let announces = |key: &str| {
            conn.capabilities
                .pointer(&format!("/{key}/listChanged"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let wanted = json!({
            "toolsListChanged": announces("tools"),
            "promptsListChanged": announces("prompts"),
            "resourcesListChanged": announces("resources"),
        });
        if !wanted
            .as_object()
            .is_some_and(|w| w.values().any(|v| v == &json!(true)))
        {
            return Ok(None);
        }
        let method = "subscriptions/listen";
        let params = conn.params(Some(json!({ "notifications": wanted })));
        let body = jsonrpc::request(json!(self.next_id()), method, params);
        let response = self.post(&body, conn.headers(method, None)).await?;
        Ok(self.stream_response(response, method))
    }

    /// The response if it is an event stream; `None` (and why, in the log) otherwise.
    fn stream_response(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Option<reqwest::Response> {
        let status = response.status();
        let streams = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if status.is_success() && streams {
            return Some(response);
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            tracing::debug!(upstream = %self.name, "the upstream offers no {what} notification stream (405)");
        } else {
            tracing::info!(upstream = %self.name, %status, "the upstream did not open a {what} notification stream");
        }
        None
    }

    /// Reads a notification stream until it ends; true if anything came.
    async fn pump(self: &Arc<Self>, response: reqwest::Response, conn: &Arc<Conn>) -> bool {
        let mut reader = SseReader::new(response);
        let mut got_any = false;
        loop {
            let event = match reader.next().await {
                Ok(Some(event)) => event,
                Ok(None) => return got_any,
                Err(SseError::Broken(error)) => {
                    tracing::debug!(upstream = %self.name, %error, "the notification stream broke off");
                    return got_any;
                }
                Err(SseError::TooLarge(detail)) => {
                    tracing::warn!(upstream = %self.name, %detail, "dropping the notification stream");
                    return got_any;
                }
            };
            if event.event != "message" || event.data.trim().is_empty() {
                continue;
            }
            got_any = true;
            match serde_json::from_str::<Value>(&event.data).map(classify) {
                Ok(Incoming::Notification { method, params }) => {
                    self.on_notification(method, params)
                }
                Ok(Incoming::Request { id, method }) => {
                    self.on_server_request(Some(conn), id, &method)
                }
                Ok(Incoming::Response { .. }) => {}
                Ok(Incoming::Invalid(detail)) => {
                    tracing::warn!(upstream = %self.name, %detail, "ignored an invalid message on the notification stream")
                }
                Err(error) => {
                    tracing::warn!(upstream = %self.name, %error, "ignored a non-JSON event on the notification stream")
                }
            }
        }
    }

    pub(super) fn timeout(&self) -> UpstreamError {
        UpstreamError::Timeout {
            upstream: self.name.clone(),
            after_ms: u64::try_from(self.options.request_timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// True if a `server/discover` result lists the stateless revision.
fn lists_stateless(result: &Value) -> bool {
    result
        .get("supportedVersions")
        .and_then(Value::as_array)
        .is_some_and(|versions| versions.iter().any(|v| v == STATELESS_VERSION))
}
