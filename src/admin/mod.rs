//! The admin HTTP API (under `/api/`) and the static UI, on the same server as `/mcp` but
//! with its own credential (see `docs/admin-api.md`, the contract).
//!
//! Agents cannot use it: grant tokens are refused here, and nothing on `/mcp` answers an
//! approval. The CLI and the desktop app authenticate with the admin token
//! (`token.rs`, `<config dir>/admin-token`); a browser signs in through a one-time login
//! link that sets an `HttpOnly; SameSite=Strict` session cookie (`session.rs`). Every
//! request must name a loopback `Host`; a cookie-authenticated change must come from the
//! server's own `Origin` (`auth.rs`). The routes, one file per area, live in `routes/`;
//! `static_ui` serves `ui/`.

mod auth;
pub mod discovery;
mod error;
mod routes;
pub mod session;
mod static_ui;
pub mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::ableton::osc::OscClient;
use crate::approval::ApprovalQueue;
use crate::audit::AuditLog;
use crate::events::EventBus;
use crate::grants::GrantStore;
use crate::mcp::gateway::Gateway;
use crate::policy::PolicyHandle;

pub use error::{ApiError, PathError};
pub use session::Sessions;
pub use token::{AdminToken, TokenError};

/// The Live livegate talks to, as the status shows it.
#[derive(Clone)]
pub struct LiveInfo {
    /// The AbletonOSC client (its status says whether Live answers).
    pub osc: Arc<OscClient>,
    /// True when it is the simulated Live.
    pub simulator: bool,
    /// One line for people: which Live.
    pub description: String,
}

/// What the admin API works on: the running livegate's parts and files.
pub struct AdminConfig {
    /// The admin token requests must carry (or have exchanged for a session).
    pub token: Arc<AdminToken>,
    /// The gateway (pause, tools, upstreams).
    pub gateway: Arc<Gateway>,
    /// The policy in force.
    pub policy: Arc<PolicyHandle>,
    /// The policy file it is loaded from (and `PUT /api/policy` writes).
    pub policy_file: PathBuf,
    /// Calls waiting for the human.
    pub approvals: ApprovalQueue,
    /// Agent credentials.
    pub grants: Arc<GrantStore>,
    /// The event bus streamed at `/api/events`.
    pub bus: EventBus,
    /// The audit log (queried, exported, and streamed at `/api/events`).
    pub audit: AuditLog,
    /// `settings.json`.
    pub settings_file: PathBuf,
    /// The Live the `ableton` upstream reaches, if configured.
    pub live: Option<LiveInfo>,
    /// The address served (for `Host`, `Origin` and the URLs handed out).
    pub listen: SocketAddr,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Cancelled when livegate stops (ends the event streams).
    pub shutdown: CancellationToken,
}

/// Everything the handlers share.
pub(crate) struct AdminState {
    config: AdminConfig,
    sessions: Sessions,
    /// Held while `settings.json` is read, changed and written, so edits never interleave.
    settings_lock: tokio::sync::Mutex<()>,
    /// Held while a policy is validated, written and loaded.
    policy_lock: tokio::sync::Mutex<()>,
}

impl AdminState {
    /// `http://<listen>` with a loopback address when listening on all interfaces.
    fn base_url(&self) -> String {
        let mut addr = self.config.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("http://{addr}")
    }

    /// A fresh one-time login URL.
    fn login_url(&self) -> String {
        format!(
            "{}/login?code={}",
            self.base_url(),
            self.sessions.new_code()
        )
    }
}

/// The admin API of one running livegate; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    state: Arc<AdminState>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("listen", &self.state.config.listen)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// The admin API over `config`.
    pub fn new(config: AdminConfig) -> Self {
        Self {
            state: Arc::new(AdminState {
                config,
                sessions: Sessions::default(),
                settings_lock: tokio::sync::Mutex::new(()),
                policy_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The routes: `/api/…` (authenticated), `/login` and the static UI, all behind the
    /// `Host` check. Merge it into the server's router.
    pub fn router(&self) -> Router {
        let state = Arc::clone(&self.state);
        let api = routes::api()
            .route_layer(from_fn_with_state(Arc::clone(&state), auth::require_admin))
            .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
        Router::new()
            .merge(api)
            .merge(routes::login::page())
            .fallback(static_ui::serve)
            .layer(from_fn_with_state(Arc::clone(&state), auth::check_host))
            .with_state(state)
    }

    /// A fresh one-time URL that signs a browser in to the UI (valid ten minutes, once).
    pub fn login_url(&self) -> String {
        self.state.login_url()
    }

    /// The server's own origin, e.g. `http://127.0.0.1:7420`.
    pub fn base_url(&self) -> String {
        self.state.base_url()
    }

    /// Pauses or resumes all agents as `POST /api/pause` and `/api/resume` do (saved in
    /// `settings.json` first, then applied); the desktop app's tray menu uses it. `who` is
    /// named in the log.
    pub async fn set_paused(&self, paused: bool, who: &str) -> Result<(), PauseError> {
        routes::pause::set_paused(&self.state, paused, who).await
    }
}

/// Pausing or resuming could not be saved to `settings.json`: a pause holds anyway (the safe
/// direction), a resume does not.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} but could not save that to settings.json: {source}",
    if *.paused { "agents are paused now" } else { "agents stay paused" }
)]
pub struct PauseError {
    /// What was asked.
    pub paused: bool,
    /// Why saving failed.
    pub source: crate::settings::SettingsError,
}
