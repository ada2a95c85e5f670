//! Calls waiting for the human: `GET /api/approvals` (oldest first), `GET /api/approvals/{id}`,
//! `POST /api/approvals/{id}/approve` (optionally remembering the yes for the session or
//! some minutes) and `POST /api/approvals/{id}/deny` (optionally with a reason, and for the
//! rest of the agent's session). Only the human's channels answer: `via` is `ui`,
//! `notification` or `cli`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::error::{ApiError, JsonBody};
use crate::admin::AdminState;
use crate::approval::{ApprovalError, PendingApproval};
use crate::policy::Remember;

/// The channels a human answers through.
const VIAS: [&str; 3] = ["ui", "notification", "cli"];

/// The body of an approve.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApproveBody {
    /// `once`, `session` or `minutes:N`; the rule's mode when absent.
    remember: Option<Remember>,
    via: Option<String>,
}

/// The body of a deny.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DenyBody {
    reason: Option<String>,
    #[serde(default)]
    for_session: bool,
    via: Option<String>,
}

/// `GET /api/approvals`.
pub(super) async fn list(State(state): State<Arc<AdminState>>) -> Json<Vec<PendingApproval>> {
    Json(state.config.approvals.list())
}

/// `GET /api/approvals/{id}`.
pub(super) async fn one(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
) -> Result<Json<PendingApproval>, ApiError> {
    state.config.approvals.get(&id).map(Json).ok_or_else(|| {
        ApiError::not_found(format!(
            "no approval {id:?} is pending; GET /api/approvals lists them"
        ))
    })
}

/// `POST /api/approvals/{id}/approve`.
pub(super) async fn approve(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ApproveBody>,
) -> Result<Json<Value>, ApiError> {
    let via = via(body.via)?;
    state
        .config
        .approvals
        .approve_with(&id, body.remember, via)
        .map_err(answer_error)?;
    Ok(Json(json!({"ok": true})))
}

/// `POST /api/approvals/{id}/deny`.
pub(super) async fn deny(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DenyBody>,
) -> Result<Json<Value>, ApiError> {
    let via = via(body.via)?;
    state
        .config
        .approvals
        .deny_with(&id, body.reason, body.for_session, via)
        .map_err(answer_error)?;
    Ok(Json(json!({"ok": true})))
}

/// The answering channel: `ui` unless the body names another human one.
fn via(given: Option<String>) -> Result<String, ApiError> {
    match given {
        None => Ok("ui".to_string()),
        Some(v) if VIAS.contains(&v.as_str()) => Ok(v),
        Some(v) => Err(ApiError::bad_request(format!(
            "via {v:?} is not a way a human answers; use ui, notification or cli"
        ))),
    }
}

fn answer_error(error: ApprovalError) -> ApiError {
    match error {
        ApprovalError::NotFound { .. } => ApiError::not_found(error.to_string()),
        ApprovalError::AlreadyResolved { .. } => ApiError::conflict(error.to_string()),
    }
}
