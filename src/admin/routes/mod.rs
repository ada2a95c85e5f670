//! The `/api/…` routes, one module per area, and the `/login` page. Every handler here runs
//! after [`super::auth`] admitted the request.

mod agents;
mod approvals;
mod audit;
mod events;
mod grants;
pub(super) mod login;
pub(super) mod pause;
mod policy;
mod settings;
mod status;

use std::sync::Arc;

use axum::http::Uri;
use axum::routing::{any, delete, get, post};
use axum::Router;

use super::error::ApiError;
use super::AdminState;

/// Every `/api/…` route.
pub(super) fn api() -> Router<Arc<AdminState>> {
    Router::new()
        .route("/api/status", get(status::status))
        .route("/api/tools", get(status::tools))
        .route("/api/policy", get(policy::get).put(policy::put))
        .route("/api/policy/validate", post(policy::validate))
        .route("/api/policy/explain", get(policy::explain))
        .route("/api/audit", get(audit::query))
        .route("/api/audit/export", get(audit::export))
        .route("/api/audit/{id}", get(audit::one))
        .route("/api/approvals", get(approvals::list))
        .route("/api/approvals/{id}", get(approvals::one))
        .route("/api/approvals/{id}/approve", post(approvals::approve))
        .route("/api/approvals/{id}/deny", post(approvals::deny))
        .route("/api/grants", get(grants::list).post(grants::add))
        .route("/api/grants/{name}", delete(grants::revoke))
        .route("/api/pause", post(pause::pause))
        .route("/api/resume", post(pause::resume))
        .route("/api/settings", get(settings::get).put(settings::put))
        .route("/api/login-links", post(login::new_link))
        .route(
            "/api/agents/claude-desktop",
            get(agents::claude_desktop).post(agents::add_to_claude_desktop),
        )
        .route("/api/events", get(events::stream))
        .route("/api/{*rest}", any(not_found))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "there is no {} in the admin API; docs/admin-api.md lists the endpoints",
        uri.path()
    ))
}
