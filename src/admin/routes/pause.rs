//! `POST /api/pause` and `POST /api/resume`: while paused, every call but Read tools is
//! refused. The flag is saved in `settings.json` first, then applied, so it survives a
//! restart and a failed save never leaves livegate less paused than it says.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::admin::error::ApiError;
use crate::admin::AdminState;
use crate::settings::Settings;

/// `POST /api/pause`: `{paused: true}`.
pub(super) async fn pause(State(state): State<Arc<AdminState>>) -> Result<Json<Value>, ApiError> {
    set(&state, true).await
}

/// `POST /api/resume`: `{paused: false}`.
pub(super) async fn resume(State(state): State<Arc<AdminState>>) -> Result<Json<Value>, ApiError> {
    set(&state, false).await
}

async fn set(state: &AdminState, paused: bool) -> Result<Json<Value>, ApiError> {
    let _settings = state.settings_lock.lock().await;
    let file = &state.config.settings_file;
    let saved = Settings::load(file).and_then(|mut settings| {
        settings.paused = paused;
        settings.save(file)
    });
    if let Err(e) = saved {
        if paused {
            // Pausing is the safe direction: do it now even though it is not saved.
            state.config.gateway.set_paused(true);
        }
        return Err(ApiError::internal(format!(
            "{} but could not save that to settings.json: {e}",
            if paused {
                "agents are paused now"
            } else {
                "agents stay paused"
            }
        )));
    }
    state.config.gateway.set_paused(paused);
    tracing::info!(
        paused,
        "agents {} through the admin API",
        if paused { "paused" } else { "resumed" }
    );
    Ok(Json(json!({"paused": paused})))
}
