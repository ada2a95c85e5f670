//! Hot reload: watches the policy file and swaps each valid edit into a [`PolicyHandle`].
//! An invalid edit is rejected with its errors (logged and published on the event bus)
//! and the last good policy stays in force; a deleted file means deny everything.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::handle::{PolicyHandle, Reloaded};
use crate::events::{Event, EventBus};

/// Editors save in bursts (truncate, write, rename); events this close together are one edit.
const SETTLE: Duration = Duration::from_millis(150);

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for policy changes: {source}")]
pub struct WatchError {
    /// The folder that could not be watched.
    pub path: PathBuf,
    /// The underlying error.
    pub source: notify::Error,
}

/// Watches one policy file while it lives; dropping it stops the watching.
pub struct PolicyWatcher {
    watcher: Option<RecommendedWatcher>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PolicyWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyWatcher").finish_non_exhaustive()
    }
}

impl PolicyWatcher {
    /// Starts watching `path` (its folder, so that atomic saves by rename are seen).
    pub fn start(
        handle: Arc<PolicyHandle>,
        path: &Path,
        bus: EventBus,
    ) -> Result<Self, WatchError> {
        let file = path.to_path_buf();
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let (tx, rx) = mpsc::channel::<()>();
        let name = file.file_name().map(|n| n.to_os_string());
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(event) = res {
                let ours = event
                    .paths
                    .iter()
                    .any(|p| p.file_name().map(|n| n.to_os_string()) == name);
                if ours && !event.kind.is_access() {
                    let _ = tx.send(());
                }
            }
        })
        .map_err(|source| WatchError {
            path: folder.clone(),
            source,
        })?;
        watcher
            .watch(&folder, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError {
                path: folder.clone(),
                source,
            })?;
        // Read now, not in the thread, so an edit right after `start` returns is never
        // mistaken for the text already loaded.
        let loaded = std::fs::read_to_string(&file).ok();
        let thread = std::thread::Builder::new()
            .name("policy-watch".into())
            .spawn(move || reload_loop(&handle, &file, &bus, &rx, loaded))
            .ok();
        Ok(Self {
            watcher: Some(watcher),
            thread,
        })
    }
}

impl Drop for PolicyWatcher {
    fn drop(&mut self) {
        // Dropping the watcher drops the sender, which ends the reload loop.
        self.watcher.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reload_loop(
    handle: &PolicyHandle,
    file: &Path,
    bus: &EventBus,
    rx: &mpsc::Receiver<()>,
    mut last_text: Option<String>,
) {
    while rx.recv().is_ok() {
        // Let the burst settle, then reload once.
        while rx.recv_timeout(SETTLE).is_ok() {}
        let text = std::fs::read_to_string(file).ok();
        if text.is_some() && text == last_text {
            continue;
        }
        // Already in force: someone (the admin API) wrote and loaded this very text.
        let in_force = text.as_deref().is_some_and(|t| handle.is_loaded(t));
        last_text = text;
        if in_force {
            continue;
        }
        match handle.reload_file(file) {
            Ok(Reloaded::Policy) => {
                tracing::info!(file = %file.display(), "policy reloaded");
                bus.publish(Event::PolicyReloaded {
                    ok: true,
                    errors: Vec::new(),
                });
            }
            Ok(Reloaded::NoFileDenyAll) => {
                tracing::warn!(file = %file.display(), "policy file removed: denying every call until it is back");
                bus.publish(Event::PolicyReloaded {
                    ok: true,
                    errors: vec!["no policy file: every call is denied".to_string()],
                });
            }
            Err(errors) => {
                tracing::error!(file = %file.display(), %errors, "policy edit rejected; the last good policy stays in force");
                bus.publish(Event::PolicyReloaded {
                    ok: false,
                    errors: errors.lines(),
                });
            }
        }
    }
}
