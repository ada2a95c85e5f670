//! Grants: named agent credentials. A grant's token is shown once when it is created;
//! livegate keeps only its SHA-256 in `settings.json`. The gateway authenticates each
//! request's `Authorization: Bearer` token through a [`GrantStore`], which notices grants
//! added or revoked by the CLI or the admin API while the gateway runs (and, given the event
//! bus, announces each change as [`Event::GrantsChanged`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use parking_lot::RwLock;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::events::{Event, EventBus};
use crate::settings::{GrantRecord, Settings, SettingsError};

/// How long a look at the settings file stays fresh: grants added or revoked by the CLI
/// take effect within this time, and busy gateways do not stat the file on every request.
const RECHECK: Duration = Duration::from_millis(100);

/// Every token starts with this, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "lg_";

/// Why a grant could not be added or revoked.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The name is empty or has characters that would be confusing in logs.
    #[error("grant name {0:?} must be 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName(String),
    /// A grant with this name exists.
    #[error("a grant named {0:?} exists already; revoke it first or pick another name")]
    Exists(String),
    /// No grant has this name.
    #[error("no grant named {0:?}; `livegate grant list` shows them")]
    NotFound(String),
    /// The settings file could not be read or written.
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// A fresh random token (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The hex SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Adds a grant named `name` to the settings file and returns its token (shown only now).
pub fn add(settings_file: &Path, name: &str) -> Result<String, GrantError> {
    let valid = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        return Err(GrantError::BadName(name.to_string()));
    }
    let mut settings = Settings::load(settings_file)?;
    if settings.grants.iter().any(|g| g.name == name) {
        return Err(GrantError::Exists(name.to_string()));
    }
    let token = new_token();
    settings.grants.push(GrantRecord {
        name: name.to_string(),
        token_sha256: hash_token(&token),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    settings.save(settings_file)?;
    Ok(token)
}

/// Removes the grant named `name`; its token stops working at once.
pub fn revoke(settings_file: &Path, name: &str) -> Result<(), GrantError> {
    let mut settings = Settings::load(settings_file)?;
    let before = settings.grants.len();
    settings.grants.retain(|g| g.name != name);
    if settings.grants.len() == before {
        return Err(GrantError::NotFound(name.to_string()));
    }
    settings.save(settings_file)?;
    Ok(())
}

/// The grants in the settings file.
pub fn list(settings_file: &Path) -> Result<Vec<GrantRecord>, GrantError> {
    Ok(Settings::load(settings_file)?.grants)
}

#[derive(Debug, Default)]
struct Known {
    /// When the settings file was last looked at.
    checked: Option<Instant>,
    modified: Option<SystemTime>,
    by_hash: HashMap<String, String>,
    /// The grants last read (name to token hash); `None` before the first read.
    grants: Option<BTreeMap<String, String>>,
    /// Grants that live only in memory (`livegate connect --embedded`).
    ephemeral: HashMap<String, String>,
}

/// Authenticates tokens against the settings file, re-reading it whenever it changed.
#[derive(Debug)]
pub struct GrantStore {
    settings_file: PathBuf,
    known: RwLock<Known>,
    events: Option<EventBus>,
}

impl GrantStore {
    /// A store reading `settings_file`.
    pub fn open(settings_file: &Path) -> Self {
        let store = Self {
            settings_file: settings_file.to_path_buf(),
            known: RwLock::new(Known::default()),
            events: None,
        };
        store.refresh(true);
        store
    }

    /// Publishes [`Event::GrantsChanged`] on `bus` whenever the grants read differ from the
    /// ones read before.
    #[must_use]
    pub fn with_events(mut self, bus: EventBus) -> Self {
        self.events = Some(bus);
        self
    }

    /// The grant name a token belongs to, if any. A token not known yet makes the store
    /// look at the settings file at once, so a grant just added works on its first request.
    pub fn authenticate(&self, token: &str) -> Option<String> {
        self.refresh(false);
        let hash = hash_token(token);
        let lookup = |known: &Known| {
            known
                .by_hash
                .get(&hash)
                .or_else(|| known.ephemeral.get(&hash))
                .cloned()
        };
        if let Some(name) = lookup(&self.known.read()) {
            return Some(name);
        }
        self.refresh(true);
        lookup(&self.known.read())
    }

    /// Adds a grant that lives only as long as this store (never written to disk) and
    /// returns its token.
    pub fn add_ephemeral(&self, name: &str) -> String {
        let token = new_token();
        self.known
            .write()
            .ephemeral
            .insert(hash_token(&token), name.to_string());
        token
    }

    /// Re-reads the grants from the settings file now, whatever its modification time says
    /// (after livegate itself added or revoked one, so a revoked token stops working at once).
    pub fn reload(&self) {
        self.known.write().modified = None;
        self.refresh(true);
    }

    /// Re-reads the grants if the settings file changed since the last read. A broken file
    /// keeps the grants last read (and says so in the log).
    fn refresh(&self, now: bool) {
        if !now
            && self
                .known
                .read()
                .checked
                .is_some_and(|at| at.elapsed() < RECHECK)
        {
            return;
        }
        self.known.write().checked = Some(Instant::now());
        let modified = std::fs::metadata(&self.settings_file)
            .and_then(|m| m.modified())
            .ok();
        if self.known.read().modified == modified && modified.is_some() {
            return;
        }
        match Settings::load(&self.settings_file) {
            Ok(settings) => {
                let grants: BTreeMap<String, String> = settings
                    .grants
                    .iter()
                    .map(|g| (g.name.clone(), g.token_sha256.clone()))
                    .collect();
                let by_hash = settings
                    .grants
                    .into_iter()
                    .map(|g| (g.token_sha256, g.name))
                    .collect();
                let before = {
                    let mut known = self.known.write();
                    known.modified = modified;
                    known.by_hash = by_hash;
                    known.grants.replace(grants.clone())
                };
                if let Some(event) = before.and_then(|before| change(&before, &grants)) {
                    tracing::info!(?event, "grants changed");
                    if let Some(bus) = &self.events {
                        bus.publish(event);
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read grants; keeping the ones read before")
            }
        }
    }
}

/// The [`Event::GrantsChanged`] from `before` to `after`, if anything changed. A grant whose
/// token was replaced counts as revoked and added.
fn change(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Option<Event> {
    let added: Vec<String> = after
        .iter()
        .filter(|(name, hash)| before.get(*name) != Some(hash))
        .map(|(name, _)| name.clone())
        .collect();
    let revoked: Vec<String> = before
        .iter()
        .filter(|(name, hash)| after.get(*name) != Some(hash))
        .map(|(name, _)| name.clone())
        .collect();
    if added.is_empty() && revoked.is_empty() {
        return None;
    }
    Some(Event::GrantsChanged {
        grants: after.keys().cloned().collect(),
        added,
        revoked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_stored_only_as_hashes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("settings.json");
        let store = GrantStore::open(&file);
        let token = add(&file, "claude").expect("added");
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() > 40);
        assert_ne!(token, new_token());
        let text = std::fs::read_to_string(&file).expect("saved");
        assert!(
            !text.contains(&token),
            "the token itself must not be stored"
        );
        assert!(text.contains(&hash_token(&token)));

        // The store sees the new grant without a restart.
        assert_eq!(store.authenticate(&token).as_deref(), Some("claude"));
        assert_eq!(store.authenticate("lg_wrong"), None);
        assert!(matches!(add(&file, "claude"), Err(GrantError::Exists(_))));
        assert!(matches!(
            add(&file, "two words"),
            Err(GrantError::BadName(_))
        ));

        revoke(&file, "claude").expect("revoked");
        std::thread::sleep(RECHECK);
        assert_eq!(store.authenticate(&token), None);
        assert!(matches!(
            revoke(&file, "claude"),
            Err(GrantError::NotFound(_))
        ));
        assert!(list(&file).expect("listed").is_empty());
    }

    #[test]
    fn a_store_with_events_announces_each_change_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("settings.json");
        add(&file, "first").expect("added");
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let store = GrantStore::open(&file).with_events(bus);
        store.reload();
        assert!(rx.try_recv().is_err(), "nothing changed since opening");
        add(&file, "second").expect("added");
        store.reload();
        store.reload();
        match rx.try_recv() {
            Ok(Event::GrantsChanged {
                grants,
                added,
                revoked,
            }) => {
                assert_eq!(grants, ["first", "second"]);
                assert_eq!(added, ["second"]);
                assert!(revoked.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(rx.try_recv().is_err(), "announced once");
        revoke(&file, "first").expect("revoked");
        add(&file, "first").expect("added again, with a new token");
        revoke(&file, "second").expect("revoked");
        store.reload();
        match rx.try_recv() {
            Ok(Event::GrantsChanged {
                grants,
                added,
                revoked,
            }) => {
                assert_eq!(grants, ["first"]);
                assert_eq!(added, ["first"]);
                assert_eq!(revoked, ["first", "second"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
