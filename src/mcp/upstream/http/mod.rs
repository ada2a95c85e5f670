//! Streamable HTTP upstreams: an MCP server reached at a URL. [`HttpUpstream`] negotiates
//! the revision on first use (the stateless 2026-07-28 if the server lists it in
//! `server/discover`, else the `initialize` handshake with a session), converts requests
//! and results between that revision and the 2025-11-25 shape the gateway speaks, reads
//! JSON and event-stream answers, publishes the server's notifications, and renegotiates
//! after a lost connection or an expired session. It sends only the headers configured
//! for the upstream, never anything of the agent's.

mod negotiate;
mod revision;

mod wire;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{Upstream, UpstreamError, UpstreamHealth, UpstreamNotification};
use crate::mcp::jsonrpc;
use negotiate::Conn;

/// Timeouts for an [`HttpUpstream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// How long a request (or a negotiation step) may take, answer included.
    pub request_timeout: Duration,
    /// How long opening a TCP (and TLS) connection may take.
    pub connect_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// An MCP server reached over Streamable HTTP.
pub struct HttpUpstream {
    inner: Arc<Inner>,
}

/// The HTTP client and the headers sent on every request.
struct Setup {
    client: reqwest::Client,
    headers: HeaderMap,
}

/// Everything shared with the tasks an upstream spawns.
struct Inner {
    name: String,
    url: String,
    /// The client, or why there is none (an unusable configured header, a TLS setup failure).
    setup: Result<Setup, String>,
    options: HttpOptions,
    state: Mutex<State>,
    /// Held while negotiating, so that concurrent requests negotiate once.
    negotiating: tokio::sync::Mutex<()>,
    notifications: broadcast::Sender<UpstreamNotification>,
    next_id: AtomicU64,
    /// Cancelled when the [`HttpUpstream`] is dropped; stops every task it spawned.
    shutdown: CancellationToken,
}

struct State {
    conn: Option<Arc<Conn>>,
    health: UpstreamHealth,
    /// Counts successful negotiations (each [`Conn`] has its number).
    generation: u64,
    /// Counts finished negotiation attempts, successful or not.
    attempts: u64,
    /// Why the last attempt failed, if it did.
    last_error: Option<UpstreamError>,
}

impl std::fmt::Debug for HttpUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpUpstream")
            .field("name", &self.inner.name)
            .field("url", &self.inner.url)
            .field("protocol_version", &self.protocol_version())
            .finish_non_exhaustive()
    }
}

impl HttpUpstream {
    /// An upstream called `name` at `url`, sending `headers` (e.g. `Authorization`) on
    /// every request. Returns at once: the revision is negotiated in the background when
    /// called inside a Tokio runtime, and on the first request otherwise.
    pub fn connect(
        name: impl Into<String>,
        url: impl Into<String>,
        headers: BTreeMap<String, String>,
        options: HttpOptions,
    ) -> Arc<Self> {
        let name = name.into();
        let url = url.into();
        let setup = build_setup(&headers, options);
        if let Err(reason) = &setup {
            tracing::warn!(upstream = %name, %reason, "the upstream cannot be used");
        }
        let (notifications, _) = broadcast::channel(256);
        let upstream = Arc::new(Self {
            inner: Arc::new(Inner {
                name,
                url,
                setup,
                options,
                state: Mutex::new(State {
                    conn: None,
                    health: UpstreamHealth::Starting { detail: None },
                    generation: 0,
                    attempts: 0,
                    last_error: None,
                }),
                negotiating: tokio::sync::Mutex::new(()),
                notifications,
                next_id: AtomicU64::new(1),
                shutdown: CancellationToken::new(),
            }),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let inner = Arc::clone(&upstream.inner);
            runtime.spawn(async move {
                // Failures are logged and kept in the health; the next request retries.
                let _ = inner.connection(false).await;
            });
        }
        upstream
    }

    /// The negotiated revision (`"2026-07-28"`, or the handshake revision the server
    /// answered), or `None` while there is no connection.
    pub fn protocol_version(&self) -> Option<String> {
        self.inner
            .state
            .lock()
            .conn
            .as_ref()
            .map(|c| c.version().to_string())
    }

    /// The configured URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }
}

impl Drop for HttpUpstream {
    fn drop(&mut self) {
        self.inner.shutdown.cancel();
        let conn = self.inner.state.lock().conn.take();
        let Some(conn) = conn.filter(|c| c.session().is_some()) else {
            return;
        };
        // Ending the session is a courtesy to the server: best effort, bounded.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let inner = Arc::clone(&self.inner);
            runtime.spawn(async move {
                let deleted = tokio::time::timeout(
                    inner.options.request_timeout,
                    inner.delete_session(conn.headers("DELETE", None)),
                );
                let _ = deleted.await;
            });
        }
    }
}

fn build_setup(headers: &BTreeMap<String, String>, options: HttpOptions) -> Result<Setup, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("the configured header name {name:?} is not valid HTTP"))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| format!("the configured value of header {name} is not valid HTTP"))?;
        value.set_sensitive(true);
        map.insert(header, value);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .build()
        .map_err(|e| format!("cannot set up an HTTP client: {e}"))?;
    Ok(Setup {
        client,
        headers: map,
    })
}

/// Why one attempt at a request failed.
enum Failure {
    /// The handshake session is gone (`404` on a request naming it): re-initialize, retry.
    SessionExpired(UpstreamError),
    /// Anything else.
    Error(UpstreamError),
}

impl Inner {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// One attempt at a request on `conn`.
    async fn call(
        self: &Arc<Self>,
        conn: &Arc<Conn>,
        method: &str,
        params: Option<Value>,
    ) -> Result<Value, Failure> {
        let id = self.next_id();
        let headers = conn.headers(method, params.as_ref());
        let params = conn.params(params);
        // Stateless requests are cancelled by closing their stream, which dropping does.
        let mut guard = (!conn.is_stateless()).then(|| CancelOnDrop {
            inner: Arc::clone(self),
            conn: Arc::clone(conn),
            id,
            reason: Some("the client cancelled the request".into()),
        });
        let exchange = self.post_request(id, method, params, headers, Some(conn));
        let reply = match tokio::time::timeout(self.options.request_timeout, exchange).await {
            Err(_) => {
                if let Some(guard) = &mut guard {
                    guard.reason = Some(format!(
                        "no answer within {} ms",
                        self.options.request_timeout.as_millis()
                    ));
                }
                tracing::warn!(upstream = %self.name, method, id, "request timed out");
                return Err(Failure::Error(self.timeout()));
            }
            Ok(Err(error)) => {
                // The connection failed: there is nobody to tell about cancelling.
                if let Some(guard) = &mut guard {
                    guard.reason = None;
                }
                self.forget(
                    conn,
                    UpstreamHealth::Down {
                        detail: error.to_string(),
                    },
                );
                return Err(Failure::Error(error));
            }
            Ok(Ok(reply)) => {
                if let Some(guard) = &mut guard {
                    guard.reason = None;
                }
                reply
            }
        };
        if reply.status == StatusCode::NOT_FOUND && conn.session().is_some() {
            let error = reply
                .outcome
                .err()
                .unwrap_or_else(|| self.protocol("answered 404 with a result".to_string()));
            return Err(Failure::SessionExpired(error));
        }
        let result = reply.outcome.map_err(Failure::Error)?;
        if conn.is_stateless() {
            self.stateless_result(method, result)
                .map_err(Failure::Error)
        } else {
            Ok(result)
        }
    }
}

/// In a handshake session, tells the server a request was given up (dropped, or timed
/// out) with `notifications/cancelled`, unless `reason` was cleared because it finished.
struct CancelOnDrop {
    inner: Arc<Inner>,
    conn: Arc<Conn>,
    id: u64,
    reason: Option<String>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(reason) = self.reason.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = Arc::clone(&self.inner);
        let conn = Arc::clone(&self.conn);
        let id = self.id;
        runtime.spawn(async move {
            let method = "notifications/cancelled";
            let body = jsonrpc::notification(
                method,
                Some(json!({"requestId": id, "reason": reason})),
            );
            let sent = tokio::time::timeout(
                inner.options.request_timeout,
                inner.post_message(&body, conn.headers(method, None)),
            )
            .await;
            match sent {
                Ok(Ok(())) => tracing::debug!(upstream = %inner.name, id, "told the upstream the request was cancelled"),
                _ => tracing::debug!(upstream = %inner.name, id, "could not tell the upstream the request was cancelled"),
            }
        });
    }
}

#[async_trait::async_trait]
impl Upstream for HttpUpstream {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn capabilities(&self) -> Value {
        self.inner
            .state
            .lock()
            .conn
            .as_ref()
            .map_or_else(|| json!({}), |c| c.capabilities.clone())
    }

    async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, UpstreamError> {
        let inner = &self.inner;
        let conn = inner.connection(false).await?;
        match inner.call(&conn, method, params.clone()).await {
            Ok(result) => Ok(result),
            Err(Failure::Error(error)) => Err(error),
            Err(Failure::SessionExpired(error)) => {
                tracing::info!(upstream = %inner.name, %error, "the session ended; initializing a new one");
                inner.forget(
                    &conn,
                    UpstreamHealth::Starting {
                        detail: Some("the session ended; initializing a new one".into()),
                    },
                );
                let conn = inner.connection(true).await?;
                match inner.call(&conn, method, params).await {
                    Ok(result) => Ok(result),
                    Err(Failure::Error(error) | Failure::SessionExpired(error)) => Err(error),
                }
            }
        }
    }

    async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), UpstreamError> {
        let inner = &self.inner;
        let conn = inner.connection(false).await?;
        if conn.is_stateless() && method != "notifications/cancelled" {
            tracing::debug!(upstream = %inner.name, method, "not sent: the stateless revision has no such notification");
            return Ok(());
        }
        let headers = conn.headers(method, params.as_ref());
        let body = jsonrpc::notification(method, params);
        tokio::time::timeout(
            inner.options.request_timeout,
            inner.post_message(&body, headers),
        )
        .await
        .map_err(|_| inner.timeout())?
    }

    fn subscribe(&self) -> broadcast::Receiver<UpstreamNotification> {
        self.inner.notifications.subscribe()
    }

    fn health(&self) -> UpstreamHealth {
        self.inner.state.lock().health.clone()
    }
}
