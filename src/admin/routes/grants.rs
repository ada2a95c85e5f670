//! Agent credentials: `GET /api/grants`, `POST /api/grants` (the token is in this answer
//! and nowhere else, ever), `DELETE /api/grants/{name}` (its token stops working at once).
//! Every change is announced on the bus as `grants_changed` by the grant store.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::error::{ApiError, JsonBody};
use crate::admin::AdminState;
use crate::grants::{self, GrantError};

/// The body of `POST /api/grants`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewGrant {
    name: Option<String>,
}

/// `GET /api/grants`: `[{name, created}]`.
pub(super) async fn list(State(state): State<Arc<AdminState>>) -> Result<Json<Value>, ApiError> {
    let list = grants::list(&state.config.settings_file).map_err(grant_error)?;
    Ok(Json(json!(list
        .into_iter()
        .map(|g| json!({"name": g.name, "created": g.created}))
        .collect::<Vec<_>>())))
}

/// `POST /api/grants`: `201 {name, token}`.
pub(super) async fn add(
    State(state): State<Arc<AdminState>>,
    JsonBody(body): JsonBody<NewGrant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body
        .name
        .ok_or_else(|| ApiError::bad_request("say the agent's name: {\"name\": \"claude\"}"))?;
    let token = {
        let _settings = state.settings_lock.lock().await;
        grants::add(&state.config.settings_file, &name).map_err(grant_error)?
    };
    state.config.grants.reload();
    tracing::info!(grant = %name, "grant added through the admin API");
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": name, "token": token})),
    ))
}

/// `DELETE /api/grants/{name}`.
pub(super) async fn revoke(
    State(state): State<Arc<AdminState>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    {
        let _settings = state.settings_lock.lock().await;
        grants::revoke(&state.config.settings_file, &name).map_err(grant_error)?;
    }
    state.config.grants.reload();
    tracing::info!(grant = %name, "grant revoked through the admin API");
    Ok(Json(json!({"ok": true})))
}

fn grant_error(error: GrantError) -> ApiError {
    let message = error.to_string();
    match error {
        GrantError::BadName(_) => ApiError::bad_request(message),
        GrantError::Exists(_) => ApiError::conflict(message),
        GrantError::NotFound(_) => ApiError::not_found(message),
        GrantError::Settings(_) => ApiError::internal(message),
    }
}
