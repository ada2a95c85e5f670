//! `settings.json`: what livegate listens on, which upstreams it forwards to, the grants
//! (agent credentials, stored as hashes), and the limits of what it accepts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::paths::{write_json_atomically, SettingsError};

/// Where the gateway listens when the settings do not say.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";

/// Largest request body accepted when the settings do not say (4 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The whole settings file. Missing fields take their defaults; unknown fields are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the gateway listens on (`/mcp` for agents, `/api` for the admin UI).
    pub listen: SocketAddr,
    /// Browser origins allowed besides loopback ones (e.g. `https://my-tool.example`).
    pub allowed_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The MCP servers behind livegate.
    pub upstreams: Vec<UpstreamConfig>,
    /// Agent credentials.
    pub grants: Vec<GrantRecord>,
    /// While true, every call except Read tools is denied ("paused by the user").
    pub paused: bool,
    /// How Ableton Live is reached (the `ableton` built-in upstream).
    pub live: LiveSettings,
    /// Seconds an approval waits for the human when the policy rule does not say.
    pub approval_timeout_s: u64,
    /// Which categories of calls waiting for approval raise a desktop notification.
    pub notifications: Notifications,
    /// How long the audit log keeps records.
    pub retention: Retention,
    /// Whether the desktop app starts when the user logs in.
    pub start_at_login: bool,
}

/// Seconds an approval waits when neither the rule nor the settings say (as the policy engine).
pub const DEFAULT_APPROVAL_TIMEOUT_S: u64 = crate::policy::model::DEFAULT_APPROVAL_TIMEOUT_S;

/// Desktop notifications per risk category: true raises one when a call of that category
/// waits for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notifications {
    /// Read tools (off by default: they rarely need asking).
    pub read: bool,
    /// Write tools.
    pub write: bool,
    /// Execute tools.
    pub execute: bool,
    /// Destructive tools.
    pub destructive: bool,
    /// Financial tools.
    pub financial: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            read: false,
            write: true,
            execute: true,
            destructive: true,
            financial: true,
        }
    }
}

impl Notifications {
    /// Whether a waiting call of `category` raises a notification.
    pub fn for_category(&self, category: crate::policy::Category) -> bool {
        use crate::policy::Category;
        match category {
            Category::Read => self.read,
            Category::Write => self.write,
            Category::Execute => self.execute,
            Category::Destructive => self.destructive,
            Category::Financial => self.financial,
        }
    }
}

/// How long audit records are kept: whichever limit is reached first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Records older than this many days are removed.
    pub days: u32,
    /// The audit database is kept below this many megabytes (oldest records go first).
    pub max_mb: u32,
}

impl Retention {
    /// The audit log's retention with these limits.
    pub fn for_audit(&self) -> crate::audit::Retention {
        crate::audit::Retention {
            days: Some(self.days),
            max_mb: Some(u64::from(self.max_mb)),
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: 90,
            max_mb: 500,
        }
    }
}

/// Whether to use the real Live or the simulated one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimulatorMode {
    /// Use Live when it answers at start, else a simulated Live (the default).
    #[default]
    Auto,
    /// Always the simulated Live.
    Always,
    /// Never: only the real Live (its tools fail clearly while it does not answer).
    Never,
}

/// How Ableton Live is reached over AbletonOSC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSettings {
    /// Where AbletonOSC listens.
    pub osc: SocketAddr,
    /// Where its replies arrive (AbletonOSC always answers to port 11001).
    pub reply: SocketAddr,
    /// How long a query waits for Live, in milliseconds.
    pub timeout_ms: u64,
    /// Real Live, simulated Live, or whichever answers.
    pub simulator: SimulatorMode,
    /// The virtual MIDI output port Live can take as a MIDI input.
    pub midi_port: String,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            osc: SocketAddr::from(([127, 0, 0, 1], 11000)),
            reply: SocketAddr::from(([127, 0, 0, 1], 11001)),
            timeout_ms: 2_000,
            simulator: SimulatorMode::Auto,
            midi_port: "livegate".to_string(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 7420))),
            allowed_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            upstreams: vec![UpstreamConfig::Builtin {
                name: "ableton".to_string(),
                builtin: "ableton".to_string(),
            }],
            grants: Vec::new(),
            paused: false,
            live: LiveSettings::default(),
            approval_timeout_s: DEFAULT_APPROVAL_TIMEOUT_S,
            notifications: Notifications::default(),
            retention: Retention::default(),
            start_at_login: false,
        }
    }
}

/// One MCP server behind livegate, and how it is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum UpstreamConfig {
    /// A child process speaking MCP over stdin/stdout; restarted when it dies.
    Stdio {
        /// Its name: namespaces colliding tools (`<name>.<tool>`), shown in the audit log.
        name: String,
        /// The program.
        command: String,
        /// Its arguments.
        #[serde(default)]
        args: Vec<String>,
        /// Extra environment variables.
        #[serde(default)]
        env: BTreeMap<String, String>,
        /// Working folder.
        #[serde(default)]
        cwd: Option<PathBuf>,
    },
    /// A Streamable HTTP MCP server.
    Http {
        /// Its name.
        name: String,
        /// Its MCP endpoint, e.g. `http://127.0.0.1:9000/mcp`.
        url: String,
        /// Headers sent with every request (e.g. its own `Authorization`).
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// An upstream built into livegate.
    Builtin {
        /// Its name.
        name: String,
        /// Which one (e.g. `ableton`, or `echo` for tests).
        builtin: String,
    },
}

impl UpstreamConfig {
    /// The upstream's name.
    pub fn name(&self) -> &str {
        match self {
            UpstreamConfig::Stdio { name, .. }
            | UpstreamConfig::Http { name, .. }
            | UpstreamConfig::Builtin { name, .. } => name,
        }
    }
}

/// A grant as stored: the token itself is never kept, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRecord {
    /// The agent's name (`claude-desktop`, `cursor`).
    pub name: String,
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    /// When it was created (RFC 3339).
    pub created: String,
}

impl Settings {
    /// How the audit log is opened with these settings (their retention).
    pub fn audit_config(&self) -> crate::audit::AuditConfig {
        crate::audit::AuditConfig {
            retention: self.retention.for_audit(),
            ..crate::audit::AuditConfig::default()
        }
    }

    /// Reads the settings file; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(SettingsError::Io {
                    action: "reading",
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let settings: Self = serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        settings.check(path)?;
        Ok(settings)
    }

    /// Writes the settings file atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        write_json_atomically(path, self)
    }

    /// Checks what serde cannot: unique, usable upstream names.
    fn check(&self, path: &Path) -> Result<(), SettingsError> {
        let invalid = |message: String| SettingsError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for (i, upstream) in self.upstreams.iter().enumerate() {
            let name = upstream.name();
            if name.is_empty() || name.contains(|c: char| c == '.' || c.is_whitespace()) {
                return Err(invalid(format!(
                    "upstreams[{i}].name {name:?} must be non-empty, without dots or spaces"
                )));
            }
            if !seen.insert(name) {
                return Err(invalid(format!(
                    "upstreams[{i}].name {name:?} is used twice"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_saves_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        let mut settings = Settings::load(&path).expect("defaults");
        assert_eq!(settings.listen.to_string(), DEFAULT_LISTEN);
        settings.upstreams.push(UpstreamConfig::Stdio {
            name: "everything".into(),
            command: "npx".into(),
            args: vec!["server-everything".into()],
            env: BTreeMap::new(),
            cwd: None,
        });
        settings.save(&path).expect("saved");
        assert_eq!(Settings::load(&path).expect("loads"), settings);
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(text.contains("\"type\": \"stdio\""), "{text}");
    }

    #[test]
    fn files_written_before_the_admin_settings_still_load_with_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"listen": "127.0.0.1:7421", "paused": true}"#).expect("write");
        let settings = Settings::load(&path).expect("loads");
        assert_eq!(settings.approval_timeout_s, 120);
        assert_eq!(
            settings.retention,
            Retention {
                days: 90,
                max_mb: 500
            }
        );
        assert!(!settings.notifications.read && settings.notifications.destructive);
        assert!(!settings.start_at_login);
        std::fs::write(
            &path,
            r#"{"notifications": {"read": true}, "retention": {"days": 7}}"#,
        )
        .expect("write");
        let settings = Settings::load(&path).expect("partial objects load");
        assert!(settings.notifications.read && settings.notifications.write);
        assert_eq!(
            settings.retention,
            Retention {
                days: 7,
                max_mb: 500
            }
        );
        assert!(settings
            .notifications
            .for_category(crate::policy::Category::Financial));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"listen": "127.0.0.1:1", "lisen": 1}"#).expect("write");
        let err = Settings::load(&path)
            .expect_err("unknown field")
            .to_string();
        assert!(err.contains("unknown field `lisen`"), "{err}");
        std::fs::write(
            &path,
            r#"{"upstreams": [{"name": "a", "type": "builtin", "builtin": "echo"},
                              {"name": "a", "type": "http", "url": "http://127.0.0.1:1/mcp"}]}"#,
        )
        .expect("write");
        let err = Settings::load(&path).expect_err("duplicate").to_string();
        assert!(
            err.contains("upstreams[1].name \"a\" is used twice"),
            "{err}"
        );
    }
}
