//! Where livegate keeps its state on disk.
//!
//! Paths come from the `directories` crate (per-user config and data dirs).
//! `LIVEGATE_HOME` overrides both, which tests and portable installs use: with
//! it set, config lives in `$LIVEGATE_HOME/config` and data in `$LIVEGATE_HOME/data`.

use std::path::{Path, PathBuf};

/// Environment variable that relocates all of livegate's files.
pub const HOME_ENV: &str = "LIVEGATE_HOME";

/// Errors while locating or reading livegate's files.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// No home directory could be determined for this user.
    #[error(
        "cannot find a home directory for this user; set {HOME_ENV} to a folder livegate may use"
    )]
    NoHome,
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What livegate was doing, e.g. "creating folder".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The settings file is not valid.
    #[error("{path} is not a valid settings file: {message}; fix it or move it away to start from defaults")]
    Invalid {
        /// The settings file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
}

/// Writes `value` as pretty JSON to `path` atomically: a temporary file beside it is renamed
/// over it, so a crash never leaves half a file, and a reader never sees one.
pub fn write_json_atomically(
    path: &Path,
    value: &impl serde::Serialize,
) -> Result<(), SettingsError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| SettingsError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    write_text_atomically(path, &text)
}

/// Writes `text` to `path` atomically, the same way as [`write_json_atomically`].
pub fn write_text_atomically(path: &Path, text: &str) -> Result<(), SettingsError> {
    let io = |action: &'static str| {
        move |source| SettingsError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("creating folder for"))?;
    }
    // One temporary name per process and write, so livegate and the CLI writing at once
    // never write into each other's temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::write(&tmp, text)
        .map_err(io("writing"))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io("replacing")));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The folders livegate reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Settings, policy, grants, admin token.
    pub config_dir: PathBuf,
    /// The audit database and other data.
    pub data_dir: PathBuf,
}

impl Paths {
    /// Paths for this user: `$LIVEGATE_HOME` if set, else the platform's dirs.
    pub fn discover() -> Result<Self, SettingsError> {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|h| !h.is_empty()) {
            return Ok(Self::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("app", "livegate", "livegate")
            .ok_or(SettingsError::NoHome)?;
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    /// Paths below one folder (`config/` and `data/`).
    pub fn under(home: &Path) -> Self {
        Self {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
        }
    }

    /// Creates both folders if they do not exist.
    pub fn ensure(&self) -> Result<(), SettingsError> {
        for dir in [&self.config_dir, &self.data_dir] {
            std::fs::create_dir_all(dir).map_err(|source| SettingsError::Io {
                action: "creating folder",
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// The settings file.
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    /// The active policy file.
    pub fn policy_file(&self) -> PathBuf {
        self.config_dir.join("policy.json")
    }

    /// The audit database.
    pub fn audit_db(&self) -> PathBuf {
        self.data_dir.join("audit.db")
    }

    /// The tool pins (hashes of every tool definition seen).
    pub fn pins_file(&self) -> PathBuf {
        self.data_dir.join("pins.json")
    }

    /// The admin API's token (created at first start; the CLI and the desktop app read it).
    pub fn admin_token_file(&self) -> PathBuf {
        self.config_dir.join("admin-token")
    }

    /// Where a running livegate says which address it serves (removed when it stops), so the
    /// CLI finds it even when it listens elsewhere than `listen` in the settings.
    pub fn server_file(&self) -> PathBuf {
        self.data_dir.join("server.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_puts_config_and_data_side_by_side() {
        let p = Paths::under(Path::new("/tmp/x"));
        assert_eq!(p.config_dir, PathBuf::from("/tmp/x/config"));
        assert_eq!(p.data_dir, PathBuf::from("/tmp/x/data"));
        assert_eq!(p.policy_file(), PathBuf::from("/tmp/x/config/policy.json"));
        assert_eq!(p.audit_db(), PathBuf::from("/tmp/x/data/audit.db"));
    }

    #[test]
    fn ensure_creates_both_folders() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let p = Paths::under(tmp.path());
        p.ensure().expect("folders created");
        assert!(p.config_dir.is_dir() && p.data_dir.is_dir());
    }
}
