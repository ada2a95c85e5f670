//! One HTTP exchange with an upstream: sending a POST (or the GET of a notification
//! stream), and reading what comes back, whether one JSON body or an event stream with
//! notifications before the response. Failures become [`UpstreamError`]s that say what
//! happened in terms a user can act on.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::negotiate::Conn;
use super::revision::{META_SUBSCRIPTION, SESSION_HEADER};
use super::Inner;
use crate::mcp::jsonrpc::{self, Message, RpcError};
use crate::mcp::sse::{SseError, SseReader};
use crate::mcp::upstream::{UpstreamError, UpstreamNotification};

/// How much of an unexpected body goes into an error message.
const SNIPPET_CHARS: usize = 300;

/// A message the upstream sent, classified. Unlike [`Message::parse`], error responses
/// with a `null` id are accepted: servers send those when they cannot tell the request.
pub(super) enum Incoming {
    /// The answer to a request.
    Response {
        id: Value,
        result: Result<Value, RpcError>,
    },
    /// A notification.
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A request from the server (`ping`, `sampling/createMessage`, …).
    Request { id: Value, method: String },
    /// Not a JSON-RPC message.
    Invalid(String),
}

pub(super) fn classify(value: Value) -> Incoming {
    if let Some(error) = value.get("error").filter(|_| value.get("method").is_none()) {
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        return match serde_json::from_value::<RpcError>(error.clone()) {
            Ok(error) => Incoming::Response {
                id,
                result: Err(error),
            },
            Err(e) => Incoming::Invalid(format!("a bad \"error\" object ({e})")),
        };
    }
    match Message::parse(value) {
        Ok(Message::Response { id, result }) => Incoming::Response {
            id,
            result: Ok(result),
        },
        Ok(Message::Error { id, error }) => Incoming::Response {
            id,
            result: Err(error),
        },
        Ok(Message::Notification { method, params }) => Incoming::Notification { method, params },
        Ok(Message::Request { id, method, .. }) => Incoming::Request { id, method },
        Err((_, error)) => Incoming::Invalid(error.message),
    }
}

/// What the upstream answered to one POSTed request.
pub(super) struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `Mcp-Session-Id` response header, if any.
    pub session: Option<String>,
    /// The result, or why there is none.
    pub outcome: Result<Value, UpstreamError>,
}

impl Inner {
    /// A request to the upstream with the configured headers, plus `extra` (which win).
    fn build(
        &self,
        method: reqwest::Method,
        extra: HeaderMap,
    ) -> Result<reqwest::RequestBuilder, UpstreamError> {
        let setup = self
            .setup
            .as_ref()
            .map_err(|reason| self.unavailable(reason))?;
        let mut headers = setup.headers.clone();
        headers.extend(extra);
        Ok(setup.client.request(method, &self.url).headers(headers))
    }

    /// POSTs one JSON-RPC message; the error is a transport failure (nothing came back).
    pub(super) async fn post(
        &self,
        body: &Value,
        mut extra: HeaderMap,
    ) -> Result<reqwest::Response, UpstreamError> {
        extra.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        extra.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        self.build(reqwest::Method::POST, extra)?
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))
    }

    /// Opens a GET stream (the handshake revisions' server-to-client channel).
    pub(super) async fn get_stream(
        &self,
        mut extra: HeaderMap,
    ) -> Result<reqwest::Response, UpstreamError> {
        extra.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        self.build(reqwest::Method::GET, extra)?
            .send()
            .await
            .map_err(|e| self.unreachable(&e))
    }

    /// Sends DELETE for a handshake session (best effort, when livegate lets go of it).
    pub(super) async fn delete_session(&self, extra: HeaderMap) -> Result<(), UpstreamError> {
        self.build(reqwest::Method::DELETE, extra)?
            .send()
            .await
            .map(drop)
            .map_err(|e| self.unreachable(&e))
    }

    /// POSTs a request and reads its answer. The error is a transport failure; everything
    /// the upstream did answer is in [`Reply::outcome`].
    pub(super) async fn post_request(
        self: &Arc<Self>,
        id: u64,
        method: &str,
        params: Option<Value>,
        extra: HeaderMap,
        conn: Option<&Arc<Conn>>,
    ) -> Result<Reply, UpstreamError> {
        let id = json!(id);
        let body = jsonrpc::request(id.clone(), method, params);
        tracing::debug!(upstream = %self.name, method, id = %id, "request");
        let response = self.post(&body, extra).await?;
        let status = response.status();
        let session = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let outcome = if is_event_stream(response.headers()) {
            self.read_events(response, &id, conn).await?
        } else {
            let bytes = response.bytes().await.map_err(|e| self.lost(&e))?;
            self.read_json(status, &bytes, &id)
        };
        Ok(Reply {
            status,
            session,
            outcome,
        })
    }

    /// POSTs a notification or a response; the upstream should answer `202`.
    pub(super) async fn post_message(
        &self,
        body: &Value,
        extra: HeaderMap,
    ) -> Result<(), UpstreamError> {
        let response = self.post(body, extra).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.map_err(|e| self.lost(&e))?;
        let answer = serde_json::from_slice::<Value>(&bytes).ok().map(classify);
        Err(match answer {
            Some(Incoming::Response { result: Err(e), .. }) => self.rpc(e),
            _ => self.bad_body(status, &bytes),
        })
    }

    /// A JSON body: the response to request `id`, or an error saying what came instead.
    fn read_json(
        &self,
        status: StatusCode,
        bytes: &[u8],
        id: &Value,
    ) -> Result<Value, UpstreamError> {
        let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
            return Err(self.bad_body(status, bytes));
        };
        if let Value::Array(items) = &mut value {
            // A batch (2025-03-26 servers may answer with one): take our response from it.
            let ours = items.iter().position(|m| m.get("id") == Some(id));
            value = match ours {
                Some(index) => items.swap_remove(index),
                None => return Err(self.bad_body(status, bytes)),
            };
        }
        match classify(value) {
            Incoming::Response { id: got, result } if got == *id || got.is_null() => {
                result.map_err(|e| self.rpc(e))
            }
            Incoming::Response { id: got, .. } => Err(self.protocol(format!(
                "answered request {id} with the response to request {got}"
            ))),
            Incoming::Notification { method, .. } | Incoming::Request { method, .. } => Err(self
                .protocol(format!(
                    "answered request {id} with a {method:?} message instead of a response"
                ))),
            Incoming::Invalid(_) => Err(self.bad_body(status, bytes)),
        }
    }

    /// An event stream answering request `id`: notifications before the response are
    /// published, server requests answered; the response ends it. The outer error is a
    /// lost connection.
    async fn read_events(
        self: &Arc<Self>,
        response: reqwest::Response,
        id: &Value,
        conn: Option<&Arc<Conn>>,
    ) -> Result<Result<Value, UpstreamError>, UpstreamError> {
        let mut reader = SseReader::new(response);
        loop {
            let event = match reader.next().await {
                Ok(Some(event)) => event,
                Ok(None) => {
                    return Ok(Err(self.protocol(format!(
                        "the event stream ended before the response to request {id}"
                    ))))
                }
                Err(SseError::Broken(e)) => return Err(self.lost(&e)),
                Err(SseError::TooLarge(detail)) => return Ok(Err(self.protocol(detail))),
            };
            if event.event != "message" || event.data.trim().is_empty() {
                continue;
            }
            let value = match serde_json::from_str::<Value>(&event.data) {
                Ok(value) => value,
                Err(e) => {
                    let detail = format!(
                        "sent an event that is not JSON ({e}): {}",
                        snippet(event.data.as_bytes())
                    );
                    return Ok(Err(self.protocol(detail)));
                }
            };
            match classify(value) {
                Incoming::Response { id: got, result } if got == *id || got.is_null() => {
                    return Ok(result.map_err(|e| self.rpc(e)))
                }
                Incoming::Response { id: got, .. } => {
                    return Ok(Err(self.protocol(format!(
                        "answered request {id} with the response to request {got}"
                    ))))
                }
                Incoming::Notification { method, params } => self.on_notification(method, params),
                Incoming::Request { id, method } => self.on_server_request(conn, id, &method),
                Incoming::Invalid(detail) => {
                    return Ok(Err(
                        self.protocol(format!("sent an invalid message: {detail}"))
                    ))
                }
            }
        }
    }

    /// Publishes a notification the upstream sent (minus the stateless revision's
    /// subscription bookkeeping, which is this hop's business only).
    pub(super) fn on_notification(&self, method: String, mut params: Option<Value>) {
        if method == "notifications/subscriptions/acknowledged" {
            return;
        }
        if let Some(obj) = params.as_mut().and_then(Value::as_object_mut) {
            if let Some(meta) = obj.get_mut("_meta").and_then(Value::as_object_mut) {
                meta.remove(META_SUBSCRIPTION);
                if meta.is_empty() {
                    obj.remove("_meta");
                }
            }
        }
        tracing::debug!(upstream = %self.name, method = %method, "notification");
        // Nobody listening is fine.
        let _ = self.notifications.send(UpstreamNotification {
            upstream: self.name.clone(),
            method,
            params,
        });
    }

    /// Answers a request the server sent: `ping` with `{}`, anything else with "method not
    /// found" (livegate offers agents' upstreams no sampling, roots or elicitation).
    /// Only handshake sessions get answers; the stateless revision has no such requests.
    pub(super) fn on_server_request(
        self: &Arc<Self>,
        conn: Option<&Arc<Conn>>,
        id: Value,
        method: &str,
    ) {
        let Some(conn) = conn.filter(|c| !c.is_stateless()) else {
            tracing::debug!(upstream = %self.name, method, "ignored a request from the server");
            return;
        };
        let body = if method == "ping" {
            jsonrpc::response(id, json!({}))
        } else {
            jsonrpc::error_response(id, &RpcError::method_not_found(method))
        };
        let inner = Arc::clone(self);
        let headers = conn.headers(method, None);
        tokio::spawn(async move {
            let sent = tokio::time::timeout(
                inner.options.request_timeout,
                inner.post_message(&body, headers),
            )
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                tracing::debug!(upstream = %inner.name, "could not answer a request from the server");
            }
        });
    }

    /// A transport failure before any answer.
    pub(super) fn unreachable(&self, error: &reqwest::Error) -> UpstreamError {
        let reason = if error.is_connect() && error.is_timeout() {
            format!(
                "no connection within {} ms",
                self.options.connect_timeout.as_millis()
            )
        } else {
            cause(error)
        };
        self.unavailable(&format!("cannot reach {}: {reason}", self.url))
    }

    /// The connection failed while the answer was being read.
    fn lost(&self, error: &reqwest::Error) -> UpstreamError {
        self.unavailable(&format!(
            "lost the connection to {} while reading its answer: {}",
            self.url,
            cause(error)
        ))
    }

    /// A body that is not the JSON-RPC the upstream should have sent. Refused credentials
    /// and server-side failures make it unavailable; anything else is a protocol error.
    fn bad_body(&self, status: StatusCode, bytes: &[u8]) -> UpstreamError {
        let body = snippet(bytes);
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            self.unavailable(&format!(
                "{} refused access (HTTP {status}): {body}; check the headers configured for it",
                self.url
            ))
        } else if status.is_server_error() {
            self.unavailable(&format!("{} answered HTTP {status}: {body}", self.url))
        } else if status.is_success() {
            self.protocol(format!(
                "expected a JSON-RPC response, got HTTP {status}: {body}"
            ))
        } else {
            self.protocol(format!("answered HTTP {status}: {body}"))
        }
    }

    pub(super) fn unavailable(&self, reason: &str) -> UpstreamError {
        UpstreamError::Unavailable {
            upstream: self.name.clone(),
            reason: reason.to_string(),
        }
    }

    pub(super) fn protocol(&self, detail: String) -> UpstreamError {
        UpstreamError::Protocol {
            upstream: self.name.clone(),
            detail,
        }
    }

    fn rpc(&self, error: RpcError) -> UpstreamError {
        UpstreamError::Rpc {
            upstream: self.name.clone(),
            code: error.code,
            message: error.message,
            data: error.data,
        }
    }

    /// A stateless result in the handshake revisions' shape: `resultType` and the cache
    /// hints removed. Results that ask for more input cannot be passed on.
    pub(super) fn stateless_result(
        &self,
        method: &str,
        result: Value,
    ) -> Result<Value, UpstreamError> {
        let Value::Object(mut obj) = result else {
            return Ok(result);
        };
        match obj.remove("resultType") {
            Some(Value::String(kind)) if kind != "complete" => {
                return Err(self.protocol(format!(
                    "answered {method} with resultType {kind:?}, which livegate cannot pass on (only \"complete\" results)"
                )))
            }
            _ => {}
        }
        obj.remove("ttlMs");
        obj.remove("cacheScope");
        Ok(Value::Object(obj))
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
}

/// The most telling part of a transport error: "connection refused" and the like, or the
/// innermost cause (a DNS or TLS failure's own words).
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = error.to_string();
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::TimedOut => return "connection timed out".into(),
                _ => {}
            }
        }
        innermost = e.to_string();
        current = e.source();
    }
    innermost
}

/// The start of a body, for error messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "(no body)".into();
    }
    let mut short: String = text.chars().take(SNIPPET_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_responses_with_null_ids_are_responses() {
        let incoming =
            classify(json!({"jsonrpc": "2.0", "id": null, "error": {"code": -1, "message": "m"}}));
        assert!(matches!(
            incoming,
            Incoming::Response {
                id: Value::Null,
                result: Err(_)
            }
        ));
        let incoming = classify(json!({"jsonrpc": "2.0", "method": "notifications/progress"}));
        assert!(matches!(incoming, Incoming::Notification { .. }));
    }
}
