//! The livegate core inside the desktop app: started in-process through
//! [`livegate::server::start`] (gateway, Ableton connector or simulated Live, approvals, the
//! HTTP server with `/mcp` and the UI), plus the few things the shell asks of it: the URLs
//! the window opens, pausing and resuming agents, and the state the tray starts from.
//! Nothing here knows about Tauri, so tests drive it directly.

use std::net::SocketAddr;
use std::sync::Arc;

use livegate::admin::{Admin, PauseError};
use livegate::approval::ApprovalQueue;
use livegate::audit::AuditLog;
use livegate::events::EventBus;
use livegate::mcp::gateway::Gateway;
use livegate::server::{self, Running, ServerError, ServerOptions};
use livegate::settings::{Paths, SettingsError};
use parking_lot::Mutex;

use crate::tray_state::{LiveState, Snapshot, TrayState};

/// Why the core could not start or change.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// livegate's files could not be read or written.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The server did not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The paused flag could not be saved: a pause holds anyway (the safe direction), a
    /// resume does not.
    #[error(transparent)]
    Pause(#[from] PauseError),
}

/// A running livegate core.
pub struct Core {
    /// The address the HTTP server listens on.
    pub addr: SocketAddr,
    /// livegate's folders.
    pub paths: Paths,
    /// The gateway (pause flag, upstreams).
    pub gateway: Arc<Gateway>,
    /// Calls waiting for the human.
    pub approvals: ApprovalQueue,
    /// The event bus the tray and the notifications follow.
    pub bus: EventBus,
    /// The audit log every call is recorded in.
    pub audit: AuditLog,
    /// The admin API (sign-in links for the window, pausing).
    pub admin: Admin,
    live: LiveState,
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("addr", &self.addr)
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// Starts livegate with the user's settings and policy in `paths` (the recommended
    /// Ableton policy is written on first start, as `livegate serve` does).
    pub async fn start(paths: Paths) -> Result<Self, CoreError> {
        let (policy_file, written) = server::ensure_policy_file(&paths)?;
        if written {
            tracing::info!(file = %policy_file.display(), "wrote livegate's recommended Ableton policy");
        }
        let running = server::start(ServerOptions {
            paths: paths.clone(),
            policy_file,
            listen: None,
            catalogs: Vec::new(),
            simulator: None,
        })
        .await?;
        if let Err(errors) = &running.initial_policy {
            tracing::error!(%errors, "the policy file is not valid, so every call is denied until it is fixed");
        }
        let live = match &running.live {
            None => LiveState::NotConfigured,
            Some(link) if link.sim.is_some() => LiveState::Simulated,
            Some(link) => LiveState::from_status(&link.osc.status()),
        };
        if let Some(link) = &running.live {
            tracing::info!(live = %link.description, "Live");
        }
        tracing::info!(url = %running.mcp_url(), "MCP endpoint for agents");
        Ok(Self {
            addr: running.addr,
            paths,
            gateway: Arc::clone(&running.gateway),
            approvals: running.approvals.clone(),
            bus: running.bus.clone(),
            audit: running.audit.clone(),
            admin: running.admin.clone(),
            live,
            running: Mutex::new(Some(running)),
        })
    }

    /// The address of livegate's own pages (`http://127.0.0.1:7420`).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the window opens first: a fresh one-time sign-in link, which signs the window in
    /// to the UI and leads to its front page.
    pub fn window_url(&self) -> String {
        self.admin.login_url()
    }

    /// The tray's state now: pending approvals, the paused flag, and Live as found at start
    /// (bus events keep it current from here on).
    pub fn tray_state(&self) -> TrayState {
        TrayState::new(self.snapshot(), self.live.clone())
    }

    /// The pending approvals and the paused flag, read afresh (after missed events).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            pending: self.approvals.list().into_iter().map(|a| a.id).collect(),
            paused: self.gateway.is_paused(),
        }
    }

    /// Pauses (only Read tools run) or resumes all agents, the way the admin API does: saved
    /// in `settings.json` first (so it survives a restart and the CLI sees it), then applied.
    /// When the file cannot be written a pause still holds and a resume does not; the error
    /// says so.
    pub async fn set_paused(&self, paused: bool) -> Result<(), CoreError> {
        Ok(self.admin.set_paused(paused, "the tray menu").await?)
    }

    /// Stops the server (open requests get a moment to finish). Later calls do nothing.
    pub async fn stop(&self) {
        let running = self.running.lock().take();
        if let Some(running) = running {
            running.stop().await;
            tracing::info!("livegate stopped");
        }
    }
}
