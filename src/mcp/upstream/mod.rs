//! Upstreams: the MCP servers livegate forwards calls to.
//!
//! Every upstream, whether a spawned stdio server, a Streamable HTTP server or a
//! built-in one (the Ableton connector), is reached through the [`Upstream`]
//! trait. The trait is revision-neutral: `params` and results are the JSON-RPC
//! `params`/`result` objects in the shape of the handshake revisions (2025-11-25),
//! and each transport converts between that and whatever revision its peer speaks.
//! Fields livegate does not interpret pass through unchanged.

pub mod builtin;
pub mod http;
pub mod stdio;

pub use builtin::EchoUpstream;
pub use http::{HttpOptions, HttpUpstream};
pub use stdio::{StdioOptions, StdioUpstream};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// Why a request to an upstream did not produce a result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream is down, starting, or could not be reached.
    #[error("upstream {upstream} is not available: {reason}")]
    Unavailable {
        /// The upstream's configured name.
        upstream: String,
        /// What went wrong, for the agent and the log.
        reason: String,
    },
    /// The upstream answered with a JSON-RPC error; it is passed on as is.
    #[error("upstream {upstream} returned error {code}: {message}")]
    Rpc {
        /// The upstream's configured name.
        upstream: String,
        /// JSON-RPC error code.
        code: i64,
        /// JSON-RPC error message.
        message: String,
        /// JSON-RPC error data, if any.
        data: Option<Value>,
    },
    /// No answer within the deadline.
    #[error("upstream {upstream} did not answer within {after_ms} ms")]
    Timeout {
        /// The upstream's configured name.
        upstream: String,
        /// How long livegate waited.
        after_ms: u64,
    },
    /// The upstream sent something that is not valid MCP.
    #[error("upstream {upstream} sent an invalid reply: {detail}")]
    Protocol {
        /// The upstream's configured name.
        upstream: String,
        /// What was wrong with it.
        detail: String,
    },
}

impl UpstreamError {
    /// The JSON-RPC "method not found" error an in-process upstream answers with.
    pub fn method_not_found(upstream: &str, method: &str) -> Self {
        UpstreamError::Rpc {
            upstream: upstream.to_string(),
            code: crate::mcp::jsonrpc::METHOD_NOT_FOUND,
            message: format!("Method not found: {method}"),
            data: None,
        }
    }

    /// The JSON-RPC "invalid params" error (also MCP's "unknown tool").
    pub fn invalid_params(upstream: &str, message: impl Into<String>) -> Self {
        UpstreamError::Rpc {
            upstream: upstream.to_string(),
            code: crate::mcp::jsonrpc::INVALID_PARAMS,
            message: message.into(),
            data: None,
        }
    }
}

/// A message an upstream sent on its own (e.g. `notifications/tools/list_changed`,
/// `notifications/progress`, `notifications/message`).
#[derive(Debug, Clone)]
pub struct UpstreamNotification {
    /// The upstream's configured name.
    pub upstream: String,
    /// JSON-RPC method, e.g. `notifications/tools/list_changed`.
    pub method: String,
    /// JSON-RPC params, passed on unchanged.
    pub params: Option<Value>,
}

/// How an upstream is doing, for the status screen and the tray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpstreamHealth {
    /// Connected and initialized.
    Ready,
    /// Starting, or restarting after a failure.
    Starting {
        /// Why it is (re)starting, when known.
        detail: Option<String>,
    },
    /// Not reachable; livegate keeps retrying where it can.
    Down {
        /// What went wrong.
        detail: String,
    },
}

/// One MCP server behind livegate.
///
/// Dropping the future returned by [`Upstream::request`] cancels the request:
/// the implementation tells its peer (`notifications/cancelled`) where it can.
#[async_trait::async_trait]
pub trait Upstream: Send + Sync {
    /// The configured name, used for routing, namespacing and the audit log.
    fn name(&self) -> &str;

    /// The server's `capabilities` object from its initialization (`{}` before that).
    fn capabilities(&self) -> Value;

    /// Sends a JSON-RPC request (`tools/list`, `tools/call`, `resources/read`, …)
    /// and returns its `result`.
    async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, UpstreamError>;

    /// Sends a JSON-RPC notification (e.g. `notifications/cancelled`).
    async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), UpstreamError>;

    /// Notifications the upstream sends from now on.
    fn subscribe(&self) -> broadcast::Receiver<UpstreamNotification>;

    /// Current health.
    fn health(&self) -> UpstreamHealth;
}

/// Every item of a paginated list method (`tools/list`, `resources/list`, …): follows
/// `nextCursor` until the last page (at most 1,000 pages).
pub async fn list_all(
    upstream: &dyn Upstream,
    method: &str,
    field: &str,
) -> Result<Vec<Value>, UpstreamError> {
    let mut items = Vec::new();
    let mut cursor: Option<Value> = None;
    for _ in 0..1_000 {
        let params = cursor.take().map(|c| json!({ "cursor": c }));
        let result = upstream.request(method, params).await?;
        if let Some(page) = result.get(field).and_then(Value::as_array) {
            items.extend(page.iter().cloned());
        }
        match result.get("nextCursor") {
            Some(next) if !next.is_null() => cursor = Some(next.clone()),
            _ => return Ok(items),
        }
    }
    Ok(items)
}
