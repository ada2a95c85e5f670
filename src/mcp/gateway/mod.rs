//! The gateway: what every downstream transport hands its requests to. It merges the
//! upstreams' tools, resources and prompts, decides every `tools/call` by the policy, and
//! routes everything else to the upstream that owns it. It speaks in the shape of the
//! handshake revisions (2025-11-25); the transports convert from and to what their peer speaks.

mod enforce;
mod record;
mod tools;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, RwLock};

pub use enforce::refusal;
pub use tools::{ExposedTool, ToolIndex, ToolInfo};

use super::jsonrpc::RpcError;
use super::pins::PinStore;
use super::upstream::{list_all, Upstream, UpstreamError, UpstreamNotification};
use crate::approval::Approver;
use crate::audit::AuditLog;
use crate::events::{Event, EventBus};
use crate::policy::PolicyHandle;
use enforce::upstream_error;

/// The client program calling, as it named itself (`clientInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its name, e.g. `claude-code`.
    pub name: String,
    /// Its version, when given.
    pub version: Option<String>,
}

impl ClientInfo {
    /// Reads an MCP `clientInfo` object (`{name, version}`); `None` without a name.
    pub fn from_value(value: &Value) -> Option<Self> {
        let name = value.get("name")?.as_str()?.trim();
        if name.is_empty() {
            return None;
        }
        Some(Self {
            name: name.to_string(),
            version: value
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

/// Who is calling, and where their request's progress goes.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The grant (agent credential) name.
    pub grant: String,
    /// The MCP session, where the client's revision has one.
    pub session: Option<String>,
    /// The client program, when it said (in `initialize` or the request's `_meta`).
    pub client: Option<ClientInfo>,
    /// Where `notifications/progress` params for this request go, if the client asked.
    pub progress: Option<mpsc::UnboundedSender<Value>>,
}

/// A notification for every connected client (`notifications/tools/list_changed`, …).
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// JSON-RPC method.
    pub method: String,
    /// Its params.
    pub params: Option<Value>,
}

/// The gateway core, shared by all transports.
pub struct Gateway {
    policy: Arc<PolicyHandle>,
    upstreams: Vec<Arc<dyn Upstream>>,
    index: RwLock<ToolIndex>,
    stale: AtomicBool,
    pins: Arc<PinStore>,
    approver: Arc<dyn Approver>,
    audit: AuditLog,
    paused: AtomicBool,
    bus: EventBus,
    broadcasts: broadcast::Sender<Broadcast>,
    next_token: AtomicU64,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field(
                "upstreams",
                &self
                    .upstreams
                    .iter()
                    .map(|u| u.name().to_string())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway over `upstreams`, deciding by `policy`, asking `approver` where a rule says
    /// `approve`, and recording every call in `audit`. Starts a task that forwards the
    /// upstreams' notifications; it ends when the gateway is dropped.
    pub fn new(
        policy: Arc<PolicyHandle>,
        upstreams: Vec<Arc<dyn Upstream>>,
        pins: Arc<PinStore>,
        approver: Arc<dyn Approver>,
        audit: AuditLog,
        bus: EventBus,
    ) -> Arc<Self> {
        let (broadcasts, _) = broadcast::channel(256);
        let gateway = Arc::new(Self {
            policy,
            upstreams,
            index: RwLock::new(ToolIndex::default()),
            stale: AtomicBool::new(true),
            pins,
            approver,
            audit,
            paused: AtomicBool::new(false),
            bus,
            broadcasts,
            next_token: AtomicU64::new(1),
        });
        for upstream in &gateway.upstreams {
            let mut rx = upstream.subscribe();
            let weak = Arc::downgrade(&gateway);
            tokio::spawn(async move {
                loop {
                    let note = match rx.recv().await {
                        Ok(note) => note,
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(missed = n, "missed upstream notifications");
                            continue;
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    let Some(gateway) = weak.upgrade() else { break };
                    gateway.on_upstream_notification(&note.method, note.params);
                }
            });
        }
        gateway
    }

    /// The policy handle (for status and explain).
    pub fn policy(&self) -> &Arc<PolicyHandle> {
        &self.policy
    }

    /// The upstreams, in configured order.
    pub fn upstreams(&self) -> &[Arc<dyn Upstream>] {
        &self.upstreams
    }

    /// Pauses or resumes all agents: while paused every call but Read tools is denied.
    pub fn set_paused(&self, paused: bool) {
        if self.paused.swap(paused, Ordering::SeqCst) != paused {
            self.bus.publish(Event::PausedChanged { paused });
        }
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// An MCP session ended: what was remembered for it (approvals) is forgotten.
    pub fn end_session(&self, session: &str) {
        self.approver.session_ended(session);
    }

    /// Notifications for every connected client.
    pub fn subscribe(&self) -> broadcast::Receiver<Broadcast> {
        self.broadcasts.subscribe()
    }

    /// What livegate offers downstream: tools always; resources, prompts, completions and
    /// logging when some upstream offers them.
    pub fn capabilities(&self) -> Value {
        let offered = |key: &str| {
            self.upstreams
                .iter()
                .any(|u| u.capabilities().get(key).is_some())
        };
        let mut caps = json!({"tools": {"listChanged": true}});
        if offered("resources") {
            caps["resources"] = json!({"subscribe": true, "listChanged": true});
        }
        if offered("prompts") {
            caps["prompts"] = json!({"listChanged": true});
        }
        if offered("completions") {
            caps["completions"] = json!({});
        }
        if offered("logging") {
            caps["logging"] = json!({});
        }
        caps
    }

    /// livegate's own name and version, as `serverInfo`.
    pub fn server_info() -> Value {
        json!({"name": "livegate", "title": "livegate", "version": env!("CARGO_PKG_VERSION")})
    }

    /// Handles one request from an agent.
    pub async fn request(
        &self,
        caller: &Caller,
        method: &str,
        params: Option<Value>,
    ) -> Result<Value, RpcError> {
        match method {
            "ping" => Ok(json!({})),
            "tools/list" => Ok(self.list_tools().await),
            "tools/call" => self.call_tool(caller, params).await,
            "resources/list" => {
                self.merge_lists("resources/list", "resources", "resources")
                    .await
            }
            "resources/templates/list" => {
                self.merge_lists("resources/templates/list", "resources", "resourceTemplates")
                    .await
            }
            "prompts/list" => self.merge_lists("prompts/list", "prompts", "prompts").await,
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                self.first_success(caller, method, "resources", params)
                    .await
            }
            "prompts/get" | "completion/complete" => {
                let capability = if method == "prompts/get" {
                    "prompts"
                } else {
                    "completions"
                };
                self.first_success(caller, method, capability, params).await
            }
            "logging/setLevel" => {
                for upstream in self.offering("logging") {
                    if let Err(e) = upstream.request(method, params.clone()).await {
                        tracing::warn!(upstream = upstream.name(), error = %e, "setting the log level failed");
                    }
                }
                Ok(json!({}))
            }
            other => Err(RpcError::method_not_found(other)),
        }
    }

    /// Handles a notification from an agent (cancellation is done by dropping the request).
    pub async fn notification(&self, method: &str, params: Option<Value>) {
        if method == "notifications/roots/list_changed" {
            for upstream in &self.upstreams {
                let _ = upstream.notify(method, params.clone()).await;
            }
        }
    }

    /// The merged tool list, without hidden or blocked tools.
    async fn list_tools(&self) -> Value {
        self.refresh_if_stale().await;
        let policy = self.policy.current();
        let index = self.index.read().await;
        let tools: Vec<Value> = index
            .iter()
            .filter(|t| t.blocked.is_none() && policy.hidden_by(&t.name).is_none())
            .map(|t| t.definition.clone())
            .collect();
        json!({ "tools": tools })
    }

    /// A tool by its exposed name, re-listing once if it is not known (yet).
    async fn find_tool(&self, name: &str) -> Option<Arc<ExposedTool>> {
        self.refresh_if_stale().await;
        if let Some(tool) = self.index.read().await.get(name) {
            return Some(tool.clone());
        }
        self.refresh().await;
        self.index.read().await.get(name).cloned()
    }

    async fn refresh_if_stale(&self) {
        if self.stale.load(Ordering::SeqCst) {
            self.refresh().await;
        }
    }

    /// Re-lists every upstream's tools (all pages) and rebuilds the index. An upstream that
    /// cannot list right now keeps the tools it had, so calls to them get "upstream not
    /// available" rather than "unknown tool"; the index stays stale and is retried.
    async fn refresh(&self) {
        self.stale.store(false, Ordering::SeqCst);
        let listed = futures::future::join_all(
            self.upstreams
                .iter()
                .map(|u| list_all(u.as_ref(), "tools/list", "tools")),
        )
        .await;
        let mut lists = Vec::with_capacity(listed.len());
        {
            let previous = self.index.read().await;
            for (i, (upstream, result)) in self.upstreams.iter().zip(listed).enumerate() {
                let tools = match result {
                    Ok(tools) => tools,
                    Err(e) => {
                        tracing::warn!(upstream = upstream.name(), error = %e, "cannot list tools; keeping the ones listed before");
                        self.stale.store(true, Ordering::SeqCst);
                        previous.definitions_of(i)
                    }
                };
                lists.push((upstream.name().to_string(), tools));
            }
        }
        let (index, changed) = ToolIndex::build(lists, &self.pins);
        for key in changed {
            self.bus.publish(Event::ToolChanged { key });
        }
        *self.index.write().await = index;
    }

    /// Merges a list method over every upstream offering `capability`.
    async fn merge_lists(
        &self,
        method: &str,
        capability: &str,
        field: &str,
    ) -> Result<Value, RpcError> {
        let mut items = Vec::new();
        for upstream in self.offering(capability) {
            match list_all(upstream.as_ref(), method, field).await {
                Ok(mut more) => items.append(&mut more),
                Err(e) => {
                    tracing::warn!(upstream = upstream.name(), error = %e, "{method} failed; its items are left out")
                }
            }
        }
        Ok(json!({ field: items }))
    }

    /// Sends to each upstream offering `capability` until one answers; the last error if none does.
    async fn first_success(
        &self,
        caller: &Caller,
        method: &str,
        capability: &str,
        params: Option<Value>,
    ) -> Result<Value, RpcError> {
        let mut last = RpcError::method_not_found(method);
        for upstream in self.offering(capability) {
            let params = params.clone().unwrap_or_else(|| json!({}));
            match self
                .forward_with_progress(caller, upstream.as_ref(), method, params)
                .await
            {
                Ok(result) => return Ok(result),
                Err(e) => last = upstream_error(e),
            }
        }
        Err(last)
    }

    fn offering<'a>(
        &'a self,
        capability: &'a str,
    ) -> impl Iterator<Item = &'a Arc<dyn Upstream>> + 'a {
        self.upstreams
            .iter()
            .filter(move |u| u.capabilities().get(capability).is_some())
    }

    fn upstream(&self, index: usize) -> Result<&Arc<dyn Upstream>, RpcError> {
        self.upstreams
            .get(index)
            .ok_or_else(|| RpcError::internal("the tool's upstream is gone"))
    }

    /// Forwards a request; if the caller asked for progress, the token is replaced by one
    /// unique across callers, and the upstream's progress notifications for it are passed to
    /// the caller under the original token. Notifications are read from the upstream's own
    /// stream while the request runs and drained after it, so none sent before the response
    /// is lost.
    async fn forward_with_progress(
        &self,
        caller: &Caller,
        upstream: &dyn Upstream,
        method: &str,
        mut params: Value,
    ) -> Result<Value, UpstreamError> {
        let original = params.pointer("/_meta/progressToken").cloned();
        let (Some(original), Some(sink)) = (original, caller.progress.clone()) else {
            return upstream.request(method, Some(params)).await;
        };
        let token = format!(
            "livegate-{}",
            self.next_token.fetch_add(1, Ordering::Relaxed)
        );
        params["_meta"]["progressToken"] = Value::String(token.clone());
        let mut notes = upstream.subscribe();
        let deliver = |note: UpstreamNotification| {
            let Some(mut params) = note.params else {
                return;
            };
            if note.method == "notifications/progress"
                && params.get("progressToken").and_then(Value::as_str) == Some(token.as_str())
            {
                params["progressToken"] = original.clone();
                let _ = sink.send(params);
            }
        };
        let request = upstream.request(method, Some(params));
        tokio::pin!(request);
        let result = loop {
            tokio::select! {
                result = &mut request => break result,
                note = notes.recv() => match note {
                    Ok(note) => deliver(note),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break (&mut request).await,
                },
            }
        };
        while let Ok(note) = notes.try_recv() {
            deliver(note);
        }
        result
    }

    fn on_upstream_notification(&self, method: &str, params: Option<Value>) {
        match method {
            // Progress goes to the one caller waiting for it (see forward_with_progress).
            "notifications/progress" => {}
            "notifications/tools/list_changed" => {
                self.stale.store(true, Ordering::SeqCst);
                self.send_broadcast(method, params);
            }
            _ => self.send_broadcast(method, params),
        }
    }

    fn send_broadcast(&self, method: &str, params: Option<Value>) {
        let _ = self.broadcasts.send(Broadcast {
            method: method.to_string(),
            params,
        });
    }
}
