//! Running livegate: reads the settings, loads and watches the policy, starts the upstreams,
//! builds the gateway and serves it over HTTP. The CLI's `serve`, `connect --embedded` and the
//! desktop shell all start livegate through [`start`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ableton::link::LiveLink;
use crate::admin::{discovery, Admin, AdminConfig, AdminToken, LiveInfo, TokenError};
use crate::approval::ApprovalQueue;
use crate::audit::{record_events, AuditError, AuditLog, Entry, EventEntry};
use crate::events::EventBus;
use crate::grants::GrantStore;
use crate::mcp::downstream::http::{self, HttpConfig};
use crate::mcp::gateway::Gateway;
use crate::mcp::pins::PinStore;
use crate::mcp::upstream::{
    EchoUpstream, HttpOptions, HttpUpstream, StdioOptions, StdioUpstream, Upstream,
};
use crate::policy::watch::WatchError;
use crate::policy::{Catalog, PolicyErrors, PolicyHandle, PolicyWatcher, Reloaded, SystemClock};
use crate::settings::{
    LiveSettings, Paths, Settings, SettingsError, SimulatorMode, UpstreamConfig,
};

/// How long open requests may take to finish when livegate stops.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// How often the settings file is checked for edits (pause, grants) made by the CLI.
const SETTINGS_POLL: Duration = Duration::from_millis(300);

/// Why livegate could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Settings or data files could not be read.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The policy file could not be watched.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The admin token could not be read or created.
    #[error(transparent)]
    AdminToken(#[from] TokenError),
    /// The listen address is taken or not allowed.
    #[error("cannot listen on {addr}: {source}; is another livegate running? Change `listen` in settings.json or pass --listen")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The audit log cannot be opened: livegate does not run calls it cannot record.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// An upstream in the settings cannot be built.
    #[error("upstream {name}: {reason}")]
    Upstream {
        /// Its name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// What to start.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// livegate's folders.
    pub paths: Paths,
    /// The policy file to enforce and watch.
    pub policy_file: PathBuf,
    /// Listen here instead of the settings' address (port 0 picks a free one).
    pub listen: Option<SocketAddr>,
    /// Extra risk catalogs.
    pub catalogs: Vec<Catalog>,
    /// Overrides the settings' choice between the real and the simulated Live.
    pub simulator: Option<SimulatorMode>,
}

/// A running livegate.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The gateway core.
    pub gateway: Arc<Gateway>,
    /// The policy in force.
    pub policy: Arc<PolicyHandle>,
    /// How the first policy load went (`Err`: the file is invalid, so everything is denied).
    pub initial_policy: Result<Reloaded, PolicyErrors>,
    /// The event bus everything publishes on.
    pub bus: EventBus,
    /// The grant tokens the HTTP endpoint accepts.
    pub grants: Arc<GrantStore>,
    /// The Live the `ableton` upstream talks to, if one is configured.
    pub live: Option<LiveLink>,
    /// Calls waiting for the human's yes or no.
    pub approvals: ApprovalQueue,
    /// The audit log every call and admin event is recorded in.
    pub audit: AuditLog,
    /// The admin API (and the UI's sign-in links).
    pub admin: Admin,
    server_file: PathBuf,
    shutdown: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    _watcher: PolicyWatcher,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The MCP endpoint agents connect to.
    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// A fresh one-time URL that signs a browser in to the admin UI (valid ten minutes, once).
    pub fn login_url(&self) -> String {
        self.admin.login_url()
    }

    /// Stops serving: open requests get a moment to finish, then open streams (agents'
    /// notification streams never end by themselves) are cut, and the audit log is closed.
    pub async fn stop(mut self) {
        discovery::withdraw(&self.server_file, &self.admin.base_url());
        self.shutdown.cancel();
        match tokio::time::timeout(STOP_GRACE, &mut self.server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the HTTP server stopped with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "the HTTP server task failed"),
            Err(_) => {
                tracing::info!("closing the connections still open");
                self.server.abort();
            }
        }
        if let Err(error) = self.audit.close().await {
            tracing::warn!(%error, "the audit log did not close cleanly");
        }
    }

    /// Resolves when the server stops on its own (it should not).
    pub async fn wait(&mut self) {
        let _ = (&mut self.server).await;
    }
}

/// Starts livegate: policy, upstreams, gateway, HTTP server.
pub async fn start(options: ServerOptions) -> Result<Running, ServerError> {
    options.paths.ensure()?;
    let settings_file = options.paths.settings_file();
    let settings = Settings::load(&settings_file)?;
    let mut catalog = Catalog::ableton();
    for extra in options.catalogs {
        catalog.merge(extra);
    }
    let policy = Arc::new(PolicyHandle::deny_all(
        Arc::new(catalog),
        Arc::new(SystemClock),
    ));
    policy.set_approval_timeout_s(settings.approval_timeout_s);
    let admin_token = Arc::new(AdminToken::load_or_create(
        &options.paths.admin_token_file(),
    )?);
    let bus = EventBus::new();
    // Watch first, then load: an edit made in between is seen, not lost.
    let audit = AuditLog::open(options.paths.audit_db(), settings.audit_config())?;
    record_events(audit.clone(), &bus);
    let watcher = PolicyWatcher::start(Arc::clone(&policy), &options.policy_file, bus.clone())?;
    let initial_policy = policy.reload_file(&options.policy_file);
    audit
        .append(Entry::Event(EventEntry::now(
            "start",
            match &initial_policy {
                Ok(_) => format!("livegate {} started", env!("CARGO_PKG_VERSION")),
                Err(errors) => format!(
                    "livegate {} started with an invalid policy ({} errors): everything is denied",
                    env!("CARGO_PKG_VERSION"),
                    errors.0.len()
                ),
            },
            serde_json::json!({
                "policy_file": options.policy_file,
                "errors": initial_policy.as_ref().err().map(|errors| {
                    errors.0.iter().map(ToString::to_string).collect::<Vec<_>>()
                }),
            }),
        )))
        .await?;

    let mut live_settings = settings.live.clone();
    if let Some(mode) = options.simulator {
        live_settings.simulator = mode;
    }
    let (upstreams, live) = build_upstreams(&settings.upstreams, &live_settings, &bus).await?;
    let pins = Arc::new(PinStore::open(&options.paths.pins_file())?);
    let approvals = ApprovalQueue::new(bus.clone());
    let gateway = Gateway::new(
        Arc::clone(&policy),
        upstreams,
        pins,
        Arc::new(approvals.clone()),
        audit.clone(),
        bus.clone(),
    );
    gateway.set_paused(settings.paused);

    let addr = options.listen.unwrap_or(settings.listen);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Listen { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Listen { addr, source })?;
    let grants = Arc::new(GrantStore::open(&settings_file).with_events(bus.clone()));
    let shutdown = CancellationToken::new();
    let admin = Admin::new(AdminConfig {
        token: admin_token,
        gateway: Arc::clone(&gateway),
        policy: Arc::clone(&policy),
        policy_file: options.policy_file.clone(),
        approvals: approvals.clone(),
        grants: Arc::clone(&grants),
        bus: bus.clone(),
        audit: audit.clone(),
        settings_file: settings_file.clone(),
        live: live.as_ref().map(|link| LiveInfo {
            osc: Arc::clone(&link.osc),
            simulator: link.sim.is_some(),
            description: link.description.clone(),
        }),
        listen: addr,
        max_body_bytes: settings.max_body_bytes,
        shutdown: shutdown.clone(),
    });
    let router = http::router(HttpConfig {
        gateway: Arc::clone(&gateway),
        grants: Arc::clone(&grants),
        allowed_origins: settings.allowed_origins.clone(),
        max_body_bytes: settings.max_body_bytes,
        listen: addr,
    })
    .merge(admin.router());
    let stop = shutdown.clone();
    let server = tokio::spawn(http::serve(listener, router, async move {
        stop.cancelled().await
    }));
    tokio::spawn(follow_settings(
        settings_file,
        Following {
            gateway: Arc::downgrade(&gateway),
            grants: Arc::downgrade(&grants),
            policy: Arc::downgrade(&policy),
            paused: settings.paused,
        },
        shutdown.clone(),
    ));
    let server_file = options.paths.server_file();
    if let Err(e) = discovery::announce(&server_file, &admin.base_url()) {
        tracing::warn!(error = %e, "the CLI will not find this livegate by its server file");
    }
    tracing::info!(%addr, "livegate is serving MCP at http://{addr}/mcp and its admin UI at http://{addr}/");
    Ok(Running {
        addr,
        gateway,
        policy,
        initial_policy,
        bus,
        grants,
        live,
        approvals,
        audit,
        admin,
        server_file,
        shutdown,
        server,
        _watcher: watcher,
    })
}

/// `policy.json` in the config folder, written from the recommended Ableton policy when it
/// does not exist yet; `true` when it was just written.
pub fn ensure_policy_file(paths: &Paths) -> Result<(PathBuf, bool), SettingsError> {
    let file = paths.policy_file();
    if file.exists() {
        return Ok((file, false));
    }
    paths.ensure()?;
    std::fs::write(&file, crate::policy::builtin::ABLETON_DEFAULT_JSON).map_err(|source| {
        SettingsError::Io {
            action: "writing the recommended policy to",
            path: file.clone(),
            source,
        }
    })?;
    Ok((file, true))
}

/// Builds the configured upstreams; the `ableton` built-in also opens the link to Live
/// (real or simulated), returned so it lives as long as livegate.
pub async fn build_upstreams(
    configs: &[UpstreamConfig],
    live_settings: &LiveSettings,
    bus: &EventBus,
) -> Result<(Vec<Arc<dyn Upstream>>, Option<LiveLink>), ServerError> {
    let mut upstreams: Vec<Arc<dyn Upstream>> = Vec::with_capacity(configs.len());
    let mut live: Option<LiveLink> = None;
    for config in configs {
        let upstream: Arc<dyn Upstream> = match config {
            UpstreamConfig::Builtin { name, builtin } if builtin == "echo" => {
                Arc::new(EchoUpstream::new(name.clone()))
            }
            UpstreamConfig::Builtin { name, builtin } if builtin == "ableton" => {
                if live.is_none() {
                    let link = LiveLink::open(live_settings, bus).await.map_err(|e| {
                        ServerError::Upstream {
                            name: name.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                    tracing::info!(live = %link.description, "Ableton upstream ready");
                    live = Some(link);
                }
                match &live {
                    Some(link) => Arc::new(link.upstream(name, &live_settings.midi_port)),
                    None => continue,
                }
            }
            UpstreamConfig::Builtin { name, builtin } => {
                return Err(ServerError::Upstream {
                    name: name.clone(),
                    reason: format!(
                        "there is no built-in upstream {builtin:?}; built-ins: ableton, echo"
                    ),
                })
            }
            UpstreamConfig::Stdio {
                name,
                command,
                args,
                env,
                cwd,
            } => StdioUpstream::spawn(
                name.clone(),
                command.clone(),
                args.clone(),
                env.clone(),
                cwd.clone(),
                StdioOptions::default(),
            ),
            UpstreamConfig::Http { name, url, headers } => HttpUpstream::connect(
                name.clone(),
                url.clone(),
                headers.clone(),
                HttpOptions::default(),
            ),
        };
        upstreams.push(upstream);
    }
    Ok((upstreams, live))
}

/// What the settings follower updates.
struct Following {
    gateway: std::sync::Weak<Gateway>,
    grants: std::sync::Weak<GrantStore>,
    policy: std::sync::Weak<PolicyHandle>,
    /// The `paused` the file said last: only a change in the file is applied, so a stale read
    /// never undoes a pause made through the admin API meanwhile.
    paused: bool,
}

/// Applies edits to the settings file that matter while running (pause/resume, grants, the
/// approval wait), made by the CLI or by hand.
async fn follow_settings(file: PathBuf, mut following: Following, stop: CancellationToken) {
    let mut seen: Option<SystemTime> = modified(&file);
    let mut tick = tokio::time::interval(SETTINGS_POLL);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = modified(&file);
        if now == seen {
            continue;
        }
        seen = now;
        let (Some(gateway), Some(grants), Some(policy)) = (
            following.gateway.upgrade(),
            following.grants.upgrade(),
            following.policy.upgrade(),
        ) else {
            return;
        };
        match Settings::load(&file) {
            Ok(settings) => {
                if settings.paused != following.paused {
                    following.paused = settings.paused;
                    if settings.paused != gateway.is_paused() {
                        tracing::info!(
                            paused = settings.paused,
                            "agents {}",
                            if settings.paused { "paused" } else { "resumed" }
                        );
                    }
                    gateway.set_paused(settings.paused);
                }
                policy.set_approval_timeout_s(settings.approval_timeout_s);
                grants.reload();
            }
            Err(e) => tracing::error!(error = %e, "settings edit ignored"),
        }
    }
}

fn modified(file: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}
