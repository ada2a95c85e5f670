//! Tool pinning: the first time livegate sees a tool, it stores a hash of the tool's
//! definition (name, title, description, schemas, annotations). If an upstream later changes
//! a definition, the tool is blocked (hidden from `tools/list`, calls refused) until the user
//! accepts the change (`livegate pins accept`). This stops an upstream from silently
//! rewriting what a tool says it does after the user came to trust it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::settings::{write_json_atomically, SettingsError};

/// The parts of a tool definition that are pinned.
const PINNED_FIELDS: [&str; 6] = [
    "name",
    "title",
    "description",
    "inputSchema",
    "outputSchema",
    "annotations",
];

/// One pinned tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Hash of the accepted definition.
    pub sha256: String,
    /// When it was first seen or last accepted (RFC 3339).
    pub accepted: String,
    /// A different definition the upstream now offers, waiting for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<PendingChange>,
}

/// A changed definition waiting to be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    /// Hash of the new definition.
    pub sha256: String,
    /// When it was first seen (RFC 3339).
    pub seen: String,
    /// The new definition, so the user can read what changed.
    pub definition: Value,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// Never seen before; pinned now.
    New,
    /// Same as pinned.
    Same,
    /// Differs from the pinned definition: blocked until accepted.
    Changed,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PinFile {
    /// `<upstream>/<tool>` → pin.
    pins: BTreeMap<String, Pin>,
}

#[derive(Debug, Default)]
struct State {
    file: PinFile,
    modified: Option<SystemTime>,
}

/// The pins, kept in `pins.json` in the data folder (or only in memory).
#[derive(Debug)]
pub struct PinStore {
    path: Option<PathBuf>,
    state: Mutex<State>,
}

/// The key a tool is pinned under.
pub fn pin_key(upstream: &str, tool: &str) -> String {
    format!("{upstream}/{tool}")
}

/// Hex SHA-256 of the pinned fields of a tool definition, with object keys sorted so the
/// hash does not depend on the order the upstream writes them in.
pub fn definition_hash(definition: &Value) -> String {
    let pinned: Map<String, Value> = PINNED_FIELDS
        .iter()
        .filter_map(|f| definition.get(*f).map(|v| ((*f).to_string(), canonical(v))))
        .collect();
    let text = serde_json::to_string(&canonical(&Value::Object(pinned))).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl PinStore {
    /// Pins kept in `path` (created on first write; a missing file means no pins yet).
    pub fn open(path: &Path) -> Result<Self, SettingsError> {
        let store = Self {
            path: Some(path.to_path_buf()),
            state: Mutex::new(State::default()),
        };
        store.reload_if_changed(&mut store.state.lock())?;
        Ok(store)
    }

    /// Pins kept only in memory (tests, `--embedded` runs without a data folder).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            state: Mutex::new(State::default()),
        }
    }

    /// Checks a tool's definition against its pin, pinning new tools and recording changes.
    pub fn check(&self, upstream: &str, tool: &str, definition: &Value) -> PinStatus {
        let mut state = self.state.lock();
        if let Err(e) = self.reload_if_changed(&mut state) {
            tracing::error!(error = %e, "cannot read tool pins; using the ones read before");
        }
        let key = pin_key(upstream, tool);
        let hash = definition_hash(definition);
        let status = match state.file.pins.get_mut(&key) {
            None => {
                state.file.pins.insert(
                    key.clone(),
                    Pin {
                        sha256: hash,
                        accepted: now(),
                        changed: None,
                    },
                );
                PinStatus::New
            }
            Some(pin) if pin.sha256 == hash => {
                if pin.changed.take().is_some() {
                    // The upstream went back to the accepted definition.
                    self.persist(&mut state);
                }
                return PinStatus::Same;
            }
            Some(pin) => {
                if pin.changed.as_ref().map(|c| &c.sha256) == Some(&hash) {
                    return PinStatus::Changed;
                }
                tracing::warn!(tool = %key, "tool definition changed upstream; blocked until accepted (`livegate pins accept {key}`)");
                pin.changed = Some(PendingChange {
                    sha256: hash,
                    seen: now(),
                    definition: definition.clone(),
                });
                PinStatus::Changed
            }
        };
        self.persist(&mut state);
        status
    }

    /// Accepts pending changes: the keys given, or all when `keys` is empty. Returns the
    /// keys accepted.
    pub fn accept(&self, keys: &[String]) -> Result<Vec<String>, SettingsError> {
        let mut state = self.state.lock();
        self.reload_if_changed(&mut state)?;
        let mut accepted = Vec::new();
        for (key, pin) in state.file.pins.iter_mut() {
            if !keys.is_empty() && !keys.contains(key) {
                continue;
            }
            if let Some(change) = pin.changed.take() {
                pin.sha256 = change.sha256;
                pin.accepted = now();
                accepted.push(key.clone());
            }
        }
        self.save(&mut state)?;
        Ok(accepted)
    }

    /// Every pin, by key.
    pub fn list(&self) -> BTreeMap<String, Pin> {
        let mut state = self.state.lock();
        if let Err(e) = self.reload_if_changed(&mut state) {
            tracing::error!(error = %e, "cannot read tool pins");
        }
        state.file.pins.clone()
    }

    fn persist(&self, state: &mut State) {
        if let Err(e) = self.save(state) {
            tracing::error!(error = %e, "cannot save tool pins");
        }
    }

    fn save(&self, state: &mut State) -> Result<(), SettingsError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_json_atomically(path, &state.file)?;
        state.modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Ok(())
    }

    fn reload_if_changed(&self, state: &mut State) -> Result<(), SettingsError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified.is_none() || modified == state.modified {
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
            action: "reading",
            path: path.clone(),
            source,
        })?;
        state.file = serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        state.modified = modified;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_ignore_key_order_and_unpinned_fields() {
        let a = json!({"name": "t", "description": "d", "inputSchema": {"type": "object", "properties": {"x": {}, "y": {}}}});
        let b = json!({"inputSchema": {"properties": {"y": {}, "x": {}}, "type": "object"}, "description": "d", "name": "t", "_meta": {"z": 1}});
        assert_eq!(definition_hash(&a), definition_hash(&b));
        let c = json!({"name": "t", "description": "d (now also emails your files)", "inputSchema": {"type": "object"}});
        assert_ne!(definition_hash(&a), definition_hash(&c));
    }

    #[test]
    fn a_changed_definition_is_blocked_until_accepted_across_restarts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pins.json");
        let v1 = json!({"name": "echo", "description": "Echoes."});
        let v2 = json!({"name": "echo", "description": "Echoes, and more."});
        let store = PinStore::open(&path).expect("opens");
        assert_eq!(store.check("up", "echo", &v1), PinStatus::New);
        assert_eq!(store.check("up", "echo", &v1), PinStatus::Same);
        drop(store);

        // A later run: the upstream changed the tool.
        let store = PinStore::open(&path).expect("opens");
        assert_eq!(store.check("up", "echo", &v2), PinStatus::Changed);
        assert_eq!(store.check("up", "echo", &v2), PinStatus::Changed);
        let pending = store.list()["up/echo"]
            .changed
            .clone()
            .expect("pending change");
        assert_eq!(pending.definition, v2);

        // Accepted from another process (the CLI), seen by the running store.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let cli = PinStore::open(&path).expect("opens");
        assert_eq!(cli.accept(&[]).expect("accepted"), ["up/echo"]);
        assert_eq!(store.check("up", "echo", &v2), PinStatus::Same);
        assert_eq!(
            store.check("up", "echo", &v1),
            PinStatus::Changed,
            "going back is a change too"
        );
    }
}
