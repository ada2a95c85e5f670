//! `livegate connect`: a stdio MCP server for clients that only launch commands (Claude
//! Desktop, Claude Code). It bridges each line on stdin to the running gateway's HTTP
//! endpoint and writes every answer and notification back as a line on stdout. The client's
//! revision passes through: a handshake client gets a gateway session (so one stdio
//! connection is one MCP session); a stateless client's `_meta` becomes the headers that
//! revision wants.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::mcp::jsonrpc::{error_response, Message, RpcError};
use crate::mcp::sse::SseParser;

/// How long requests still in flight may take to answer once stdin has closed.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why the bridge stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// No gateway answers at the URL.
    #[error("no livegate is answering at {url} ({reason}); start it with `livegate serve`, or run `livegate connect --embedded`")]
    Unreachable {
        /// The MCP URL tried.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// Reading stdin or writing stdout failed.
    #[error("stdio: {0}")]
    Io(#[from] std::io::Error),
}

/// Where to bridge to.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The gateway's MCP URL, e.g. `http://127.0.0.1:7420/mcp`.
    pub url: String,
    /// The grant token sent as `Authorization: Bearer`.
    pub token: String,
}

struct Bridge {
    http: reqwest::Client,
    config: BridgeConfig,
    session: Mutex<Option<(String, String)>>,
    in_flight: Mutex<HashMap<String, AbortHandle>>,
    out: mpsc::UnboundedSender<Value>,
}

/// Checks that something answers HTTP at the URL.
pub async fn check_reachable(url: &str) -> Result<(), BridgeError> {
    match reqwest::Client::new().get(url).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(BridgeError::Unreachable {
            url: url.to_string(),
            reason: describe(&e),
        }),
    }
}

/// Runs the bridge until stdin ends; then ends the gateway session, if any.
pub async fn run<R, W>(config: BridgeConfig, stdin: R, mut stdout: W) -> Result<(), BridgeError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, mut out_rx) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        while let Some(message) = out_rx.recv().await {
            let mut line = message.to_string();
            line.push('\n');
            stdout.write_all(line.as_bytes()).await?;
            stdout.flush().await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let bridge = Arc::new(Bridge {
        http: reqwest::Client::new(),
        config,
        session: Mutex::new(None),
        in_flight: Mutex::new(HashMap::new()),
        out,
    });
    let mut lines = stdin.lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&line) {
            Ok(value) => Arc::clone(&bridge).dispatch(value).await,
            Err(e) => bridge.emit(error_response(Value::Null, &RpcError::parse(e))),
        }
    }
    // stdin closed: let the requests in flight answer (for a while), then end the session.
    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    while !bridge.in_flight.lock().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let handles: Vec<AbortHandle> = bridge.in_flight.lock().drain().map(|(_, h)| h).collect();
    for handle in handles {
        handle.abort();
    }
    bridge.end_session().await;
    drop(bridge);
    match writer.await {
        Ok(result) => result.map_err(BridgeError::Io),
        Err(_) => Ok(()),
    }
}

impl Bridge {
    fn emit(&self, message: Value) {
        let _ = self.out.send(message);
    }

    async fn dispatch(self: Arc<Self>, value: Value) {
        let message = match Message::parse(value.clone()) {
            Ok(message) => message,
            Err((id, error)) if !value.is_array() => return self.emit(error_response(id, &error)),
            // Batches (2025-03-26) go through whole; the gateway answers them as a batch.
            Err(_) => return self.forward(value, None).await,
        };
        match message {
            Message::Request { id, method, .. } if method == "initialize" => {
                self.forward(value, Some(id)).await;
                self.open_notification_stream();
            }
            Message::Request { id, .. } => {
                let key = id.to_string();
                let bridge = Arc::clone(&self);
                // Held while spawning, so the task cannot remove its entry before it exists.
                let mut in_flight = self.in_flight.lock();
                let task_key = key.clone();
                let task = tokio::spawn(async move {
                    bridge.forward(value, Some(id)).await;
                    bridge.in_flight.lock().remove(&task_key);
                });
                in_flight.insert(key, task.abort_handle());
            }
            Message::Notification { method, params } => {
                if method == "notifications/cancelled" {
                    let request = params
                        .as_ref()
                        .and_then(|p| p.get("requestId"))
                        .map(Value::to_string);
                    if let Some(handle) = request.and_then(|r| self.in_flight.lock().remove(&r)) {
                        handle.abort();
                    }
                }
                self.forward(value, None).await;
            }
            Message::Response { .. } | Message::Error { .. } => self.forward(value, None).await,
        }
    }

    /// POSTs one message and emits whatever comes back (a response, or an event stream of
    /// notifications ending in the response). `id` is the request's, to answer errors with.
    async fn forward(&self, message: Value, id: Option<Value>) {
        let mut request = self
            .http
            .post(&self.config.url)
            .bearer_auth(&self.config.token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in self.headers_for(&message) {
            request = request.header(name, value);
        }
        let response = match request.json(&message).send().await {
            Ok(response) => response,
            Err(e) => {
                if let Some(id) = id {
                    let reason = format!(
                        "livegate at {} is not reachable ({}); is `livegate serve` running?",
                        self.config.url,
                        describe(&e)
                    );
                    self.emit(error_response(id, &RpcError::internal(reason)));
                }
                return;
            }
        };
        if let Some(session) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            *self.session.lock() = Some((session.to_string(), String::new()));
        }
        let is_sse = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if is_sse {
            let mut parser = SseParser::default();
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                let Ok(chunk) = chunk else { break };
                let Ok(events) = parser.feed(&chunk) else {
                    break;
                };
                for event in events {
                    if let Ok(value) = serde_json::from_str::<Value>(&event.data) {
                        self.emit(value);
                    }
                }
            }
            return;
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if text.trim().is_empty() {
            return; // 202 for notifications and responses
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(mut value) => {
                if let Some(version) = value
                    .pointer("/result/protocolVersion")
                    .and_then(Value::as_str)
                {
                    if let Some((_, v)) = self.session.lock().as_mut() {
                        *v = version.to_string();
                    }
                }
                // Gate errors carry no id; give them the request's so the client can match.
                if value.get("id").is_some_and(Value::is_null) {
                    if let Some(id) = id {
                        value["id"] = id;
                    }
                }
                self.emit(value);
            }
            Err(_) => {
                if let Some(id) = id {
                    let reason = format!("livegate answered {status}: {}", text.trim());
                    self.emit(error_response(id, &RpcError::internal(reason)));
                }
            }
        }
    }

    /// Session headers for a handshake client; the stateless revision's headers otherwise.
    fn headers_for(&self, message: &Value) -> Vec<(&'static str, String)> {
        if let Some((session, version)) = self.session.lock().clone() {
            let mut headers = vec![("mcp-session-id", session)];
            if !version.is_empty() {
                headers.push(("mcp-protocol-version", version));
            }
            return headers;
        }
        let params = message.get("params");
        let Some(version) = params
            .and_then(|p| p.pointer("/_meta/io.modelcontextprotocol~1protocolVersion"))
            .and_then(Value::as_str)
        else {
            return Vec::new();
        };
        let mut headers = vec![("mcp-protocol-version", version.to_string())];
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            headers.push(("mcp-method", method.to_string()));
        }
        if let Some(name) = params
            .and_then(|p| p.get("name").or_else(|| p.get("uri")))
            .and_then(Value::as_str)
        {
            headers.push(("mcp-name", header_safe(name)));
        }
        headers
    }

    /// In handshake sessions, relays the gateway's notification stream (GET) to stdout.
    fn open_notification_stream(self: &Arc<Self>) {
        let bridge = Arc::clone(self);
        tokio::spawn(async move {
            let Some((session, version)) = bridge.session.lock().clone() else {
                return;
            };
            let response = bridge
                .http
                .get(&bridge.config.url)
                .bearer_auth(&bridge.config.token)
                .header("accept", "text/event-stream")
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", version)
                .send()
                .await;
            let Ok(response) = response else { return };
            if !response.status().is_success() {
                return;
            }
            let mut parser = SseParser::default();
            let mut body = response.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                let Ok(events) = parser.feed(&chunk) else {
                    break;
                };
                for event in events {
                    if let Ok(value) = serde_json::from_str::<Value>(&event.data) {
                        bridge.emit(value);
                    }
                }
            }
        });
    }

    async fn end_session(&self) {
        let Some((session, _)) = self.session.lock().take() else {
            return;
        };
        let _ = self
            .http
            .delete(&self.config.url)
            .bearer_auth(&self.config.token)
            .header("mcp-session-id", session)
            .send()
            .await;
    }
}

/// Header values must be visible ASCII; anything else is sent as `=?base64?…?=`.
fn header_safe(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        value.to_string()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "connection refused".to_string()
    } else if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    }
}
