//! The settings the UI edits: `GET /api/settings` and `PUT /api/settings` (any subset of the
//! same shape). Every field is checked, each problem reported with its path (`422`), and
//! nothing is written unless all of it is valid. The approval wait and the audit retention
//! apply at once; the listen address and Live's address at the next start
//! (`restart_needed`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::admin::error::{ApiError, JsonBody, PathError};
use crate::admin::AdminState;
use crate::settings::{Notifications, Retention, Settings, SimulatorMode};

/// Longest approval wait, as the policy format allows (one day).
const MAX_APPROVAL_TIMEOUT_S: u64 = 86_400;

/// The editable settings, as the API shows them.
#[derive(Debug, Serialize)]
struct View {
    listen: String,
    approval_timeout_s: u64,
    notifications: Notifications,
    retention: Retention,
    live: LiveView,
    start_at_login: bool,
}

#[derive(Debug, Serialize)]
struct LiveView {
    host: String,
    osc_port: u16,
    reply_port: u16,
    simulator: SimulatorMode,
}

fn view(settings: &Settings) -> View {
    View {
        listen: settings.listen.to_string(),
        approval_timeout_s: settings.approval_timeout_s,
        notifications: settings.notifications,
        retention: settings.retention,
        live: LiveView {
            host: settings.live.osc.ip().to_string(),
            osc_port: settings.live.osc.port(),
            reply_port: settings.live.reply.port(),
            simulator: settings.live.simulator,
        },
        start_at_login: settings.start_at_login,
    }
}

fn load(state: &AdminState) -> Result<Settings, ApiError> {
    Settings::load(&state.config.settings_file).map_err(|e| {
        ApiError::internal(format!(
            "cannot read the settings: {e}; fix settings.json by hand"
        ))
    })
}

/// `GET /api/settings`.
pub(super) async fn get(State(state): State<Arc<AdminState>>) -> Result<Json<Value>, ApiError> {
    let settings = load(&state)?;
    Ok(Json(json!(view(&settings))))
}

/// `PUT /api/settings`: `{settings, restart_needed}`, or `422 {error, errors}`.
pub(super) async fn put(
    State(state): State<Arc<AdminState>>,
    JsonBody(patch): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let _settings = state.settings_lock.lock().await;
    let before = load(&state)?;
    let mut after = before.clone();
    let errors = apply(&mut after, &patch);
    if !errors.is_empty() {
        let n = errors.len();
        return Err(ApiError::invalid(
            format!(
                "the settings are not valid ({n} error{}); nothing was saved",
                if n == 1 { "" } else { "s" }
            ),
            errors,
        ));
    }
    after
        .save(&state.config.settings_file)
        .map_err(|e| ApiError::internal(format!("the settings were not saved: {e}")))?;
    state
        .config
        .policy
        .set_approval_timeout_s(after.approval_timeout_s);
    if let Err(e) = state
        .config
        .audit
        .set_retention(after.retention.for_audit())
    {
        tracing::error!(error = %e, "the audit log keeps its old retention until restart");
    }
    let restart_needed = after.listen != before.listen
        || after.live.osc != before.live.osc
        || after.live.reply != before.live.reply
        || after.live.simulator != before.live.simulator;
    tracing::info!(restart_needed, "settings saved through the admin API");
    state
        .config
        .bus
        .publish(crate::events::Event::SettingsChanged {
            start_at_login: after.start_at_login,
        });
    Ok(Json(
        json!({"settings": view(&after), "restart_needed": restart_needed}),
    ))
}

/// Applies `patch` to `settings`; every problem found, with its path.
fn apply(settings: &mut Settings, patch: &Value) -> Vec<PathError> {
    let mut errors = Vec::new();
    let Some(patch) = patch.as_object() else {
        errors.push(PathError::new(
            "(document)",
            "expected an object of settings",
        ));
        return errors;
    };
    let mut check = Checker {
        errors: &mut errors,
    };
    for (key, value) in patch {
        match key.as_str() {
            "listen" => {
                if let Some(addr) = check.socket_addr("listen", value) {
                    settings.listen = addr;
                }
            }
            "approval_timeout_s" => {
                if let Some(s) =
                    check.number("approval_timeout_s", value, 1, MAX_APPROVAL_TIMEOUT_S)
                {
                    settings.approval_timeout_s = s;
                }
            }
            "notifications" => check.notifications(&mut settings.notifications, value),
            "retention" => check.retention(&mut settings.retention, value),
            "live" => check.live(settings, value),
            "start_at_login" => {
                if let Some(b) = check.boolean("start_at_login", value) {
                    settings.start_at_login = b;
                }
            }
            _ => check.unknown(
                "",
                key,
                &[
                    "listen",
                    "approval_timeout_s",
                    "notifications",
                    "retention",
                    "live",
                    "start_at_login",
                ],
            ),
        }
    }
    errors
}

/// Checks values, collecting every problem.
struct Checker<'a> {
    errors: &'a mut Vec<PathError>,
}

impl Checker<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(PathError::new(path, message));
    }

    fn unknown(&mut self, parent: &str, key: &str, known: &[&str]) {
        let path = if parent.is_empty() {
            key.to_string()
        } else {
            format!("{parent}.{key}")
        };
        self.error(
            &path,
            format!("unknown setting; expected one of {}", known.join(", ")),
        );
    }

    fn object<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.error(path, format!("expected an object, found {value}"));
        }
        object
    }

    fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        let b = value.as_bool();
        if b.is_none() {
            self.error(path, format!("expected true or false, found {value}"));
        }
        b
    }

    fn number(&mut self, path: &str, value: &Value, min: u64, max: u64) -> Option<u64> {
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(
                    path,
                    format!("expected a whole number from {min} to {max}, found {value}"),
                );
                None
            }
        }
    }

    fn port(&mut self, path: &str, value: &Value) -> Option<u16> {
        self.number(path, value, 1, u64::from(u16::MAX))
            .and_then(|p| u16::try_from(p).ok())
    }

    fn socket_addr(&mut self, path: &str, value: &Value) -> Option<SocketAddr> {
        match value.as_str().map(str::parse::<SocketAddr>) {
            Some(Ok(addr)) if addr.port() != 0 => Some(addr),
            _ => {
                self.error(
                    path,
                    format!(
                        "expected an address with a port, like \"127.0.0.1:7420\", found {value}"
                    ),
                );
                None
            }
        }
    }

    fn notifications(&mut self, into: &mut Notifications, value: &Value) {
        let Some(object) = self.object("notifications", value) else {
            return;
        };
        for (key, value) in object {
            let path = format!("notifications.{key}");
            let slot = match key.as_str() {
                "read" => &mut into.read,
                "write" => &mut into.write,
                "execute" => &mut into.execute,
                "destructive" => &mut into.destructive,
                "financial" => &mut into.financial,
                _ => {
                    self.unknown(
                        "notifications",
                        key,
                        &["read", "write", "execute", "destructive", "financial"],
                    );
                    continue;
                }
            };
            if let Some(b) = self.boolean(&path, value) {
                *slot = b;
            }
        }
    }

    fn retention(&mut self, into: &mut Retention, value: &Value) {
        let Some(object) = self.object("retention", value) else {
            return;
        };
        for (key, value) in object {
            match key.as_str() {
                "days" => {
                    if let Some(n) = self.number("retention.days", value, 1, 36_500) {
                        into.days = u32::try_from(n).unwrap_or(u32::MAX);
                    }
                }
                "max_mb" => {
                    if let Some(n) = self.number("retention.max_mb", value, 1, 1_000_000) {
                        into.max_mb = u32::try_from(n).unwrap_or(u32::MAX);
                    }
                }
                _ => self.unknown("retention", key, &["days", "max_mb"]),
            }
        }
    }

    /// `host` and `osc_port` say where AbletonOSC listens; `reply_port` where its replies
    /// arrive (on the same local address as before).
    fn live(&mut self, settings: &mut Settings, value: &Value) {
        let Some(object) = self.object("live", value) else {
            return;
        };
        let live = &mut settings.live;
        for (key, value) in object {
            match key.as_str() {
                "host" => match value.as_str().map(|h| h.trim().parse::<IpAddr>()) {
                    Some(Ok(ip)) => live.osc.set_ip(ip),
                    _ => self.error(
                        "live.host",
                        format!("expected an IP address, like \"127.0.0.1\", found {value}"),
                    ),
                },
                "osc_port" => {
                    if let Some(port) = self.port("live.osc_port", value) {
                        live.osc.set_port(port);
                    }
                }
                "reply_port" => {
                    if let Some(port) = self.port("live.reply_port", value) {
                        live.reply.set_port(port);
                    }
                }
                "simulator" => match serde_json::from_value::<SimulatorMode>(value.clone()) {
                    Ok(mode) => live.simulator = mode,
                    Err(_) => self.error(
                        "live.simulator",
                        format!("expected \"auto\", \"always\" or \"never\", found {value}"),
                    ),
                },
                _ => self.unknown(
                    "live",
                    key,
                    &["host", "osc_port", "reply_port", "simulator"],
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(errors: &[PathError]) -> Vec<&str> {
        errors.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn a_valid_subset_changes_only_what_it_names() {
        let mut settings = Settings::default();
        let errors = apply(
            &mut settings,
            &json!({"approval_timeout_s": 30, "notifications": {"read": true},
                    "retention": {"max_mb": 50}, "live": {"host": "10.0.0.5", "simulator": "never"},
                    "start_at_login": true}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(settings.approval_timeout_s, 30);
        assert!(settings.notifications.read && settings.notifications.write);
        assert_eq!(
            settings.retention,
            Retention {
                days: 90,
                max_mb: 50
            }
        );
        assert_eq!(settings.live.osc, "10.0.0.5:11000".parse().expect("addr"));
        assert_eq!(
            settings.live.reply,
            "127.0.0.1:11001".parse().expect("addr")
        );
        assert_eq!(settings.live.simulator, SimulatorMode::Never);
        assert!(settings.start_at_login);
        assert_eq!(settings.listen, Settings::default().listen);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut settings = Settings::default();
        let errors = apply(
            &mut settings,
            &json!({"listen": "localhost", "approval_timeout_s": 0,
                    "notifications": {"read": "yes", "music": true},
                    "retention": {"days": -1}, "live": {"osc_port": 70000, "host": "live.local",
                    "simulator": "sometimes"}, "start_at_login": 1, "colour": "blue"}),
        );
        let mut got = paths(&errors);
        got.sort_unstable();
        assert_eq!(
            got,
            [
                "approval_timeout_s",
                "colour",
                "listen",
                "live.host",
                "live.osc_port",
                "live.simulator",
                "notifications.music",
                "notifications.read",
                "retention.days",
                "start_at_login",
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
        assert_eq!(paths(&apply(&mut settings, &json!([1]))), ["(document)"]);
        assert_eq!(paths(&apply(&mut settings, &json!({"live": 3}))), ["live"]);
    }
}
