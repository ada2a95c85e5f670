//! `GET /api/status` (the status screen and the tray in one answer) and `GET /api/tools`
//! (every tool the upstreams expose, with its category and risk).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::policy::PolicyFile;
use crate::ableton::osc::LiveStatus;
use crate::admin::error::ApiError;
use crate::admin::AdminState;
use crate::audit::KIND_CALL;
use crate::mcp::gateway::ToolInfo;
use crate::mcp::upstream::UpstreamHealth;

/// `GET /api/status`.
pub(super) async fn status(State(state): State<Arc<AdminState>>) -> Result<Json<Value>, ApiError> {
    let c = &state.config;
    let tools = c.gateway.tool_infos().await;
    let upstreams: Vec<Value> = c
        .gateway
        .upstreams()
        .iter()
        .map(|u| {
            let count = tools.iter().filter(|t| t.upstream == u.name()).count();
            json!({"name": u.name(), "health": health_text(&u.health()), "tools": count})
        })
        .collect();
    let grants: Vec<Value> = crate::grants::list(&c.settings_file)
        .map_err(|e| ApiError::internal(format!("cannot read the grants: {e}")))?
        .into_iter()
        .map(|g| json!({"name": g.name, "created": g.created}))
        .collect();
    let live = c.live.as_ref().map(|live| {
        let (connected, detail) = match live.osc.status() {
            LiveStatus::Connected { version } => (true, format!("Ableton Live {version}")),
            LiveStatus::NotResponding { detail } => (false, detail),
            LiveStatus::Unknown => (false, live.description.clone()),
        };
        let detail = if live.simulator {
            live.description.clone()
        } else {
            detail
        };
        json!({"connected": connected, "detail": detail, "simulator": live.simulator})
    });
    let policy = PolicyFile::read(&state);
    let audit = c.audit.clone();
    let since = chrono::Utc::now().timestamp_millis() - 60_000;
    let calls_last_minute =
        tokio::task::spawn_blocking(move || audit.count_since(since, Some(KIND_CALL)))
            .await
            .map_err(|e| ApiError::internal(format!("counting calls stopped: {e}")))?
            .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "mcp_url": format!("{}/mcp", state.base_url()),
        "paused": c.gateway.is_paused(),
        "live": live,
        "upstreams": upstreams,
        "grants": grants,
        "pending_approvals": c.approvals.list().len(),
        "calls_last_minute": calls_last_minute,
        "policy": {"file": policy.file, "ok": policy.ok(), "errors": policy.errors, "in_force": policy.in_force},
    })))
}

/// `GET /api/tools`.
pub(super) async fn tools(State(state): State<Arc<AdminState>>) -> Json<Vec<ToolInfo>> {
    Json(state.config.gateway.tool_infos().await)
}

/// `ready`, `starting`, `starting: why`, `down: why`: as the `upstream_health` event says it.
fn health_text(health: &UpstreamHealth) -> String {
    match health {
        UpstreamHealth::Ready => "ready".to_string(),
        UpstreamHealth::Starting { detail: None } => "starting".to_string(),
        UpstreamHealth::Starting {
            detail: Some(detail),
        } => format!("starting: {detail}"),
        UpstreamHealth::Down { detail } => format!("down: {detail}"),
    }
}
