//! How the CLI finds the running livegate: at start it writes `server.json` in the data
//! folder (`{"url": "http://127.0.0.1:7420", "pid": 1234}`) and removes it when it stops, so
//! `livegate approvals` and `livegate ui` reach it even when it listens elsewhere than
//! `listen` in the settings (`--listen`, port 0).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::settings::{write_json_atomically, SettingsError};

/// What `server.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFile {
    /// The server's own origin, e.g. `http://127.0.0.1:7420`.
    pub url: String,
    /// The process serving it.
    pub pid: u32,
}

/// Records that this process serves `url`.
pub fn announce(file: &Path, url: &str) -> Result<(), SettingsError> {
    write_json_atomically(
        file,
        &ServerFile {
            url: url.to_string(),
            pid: std::process::id(),
        },
    )
}

/// Removes the record if it is still this process's for `url` (another livegate may have
/// started since).
pub fn withdraw(file: &Path, url: &str) {
    if read(file).is_some_and(|s| s.url == url && s.pid == std::process::id()) {
        if let Err(e) = std::fs::remove_file(file) {
            tracing::warn!(file = %file.display(), error = %e, "cannot remove the server file");
        }
    }
}

/// What `server.json` says, if it exists and reads.
pub fn read(file: &Path) -> Option<ServerFile> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_read_back_and_withdrawn_only_by_its_owner() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("data/server.json");
        assert_eq!(read(&file), None);
        announce(&file, "http://127.0.0.1:7420").expect("written");
        let found = read(&file).expect("read");
        assert_eq!(found.url, "http://127.0.0.1:7420");
        assert_eq!(found.pid, std::process::id());
        withdraw(&file, "http://127.0.0.1:9999");
        assert!(read(&file).is_some(), "not ours to remove");
        withdraw(&file, "http://127.0.0.1:7420");
        assert_eq!(read(&file), None);
    }
}
