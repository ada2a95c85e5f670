//! The one event bus: everything the UI, the tray and notifications react to
//! (approvals, Live connection changes, policy reloads, pauses) goes through here.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::approval::PendingApproval;

/// How many events a slow subscriber may fall behind before it misses some.
const CAPACITY: usize = 1024;

/// Something that happened inside livegate that observers may care about.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The policy file was reloaded (or a reload was rejected).
    PolicyReloaded {
        /// Whether the new policy is now in force.
        ok: bool,
        /// Validation errors, with JSON paths, when rejected.
        errors: Vec<String>,
    },
    /// All agents were paused or resumed.
    PausedChanged {
        /// True while paused.
        paused: bool,
    },
    /// An upstream changed a pinned tool's definition; the tool is blocked until accepted.
    ToolChanged {
        /// The pin key, `<upstream>/<tool>`.
        key: String,
    },
    /// Ableton Live started or stopped answering.
    LiveConnection {
        /// True while Live answers.
        connected: bool,
        /// Live's version when connected; what to do when not.
        detail: String,
    },
    /// An upstream became ready, started, or went down.
    UpstreamHealth {
        /// The upstream's name.
        upstream: String,
        /// Its health now, as text (`ready`, `starting`, `down: …`).
        health: String,
    },
    /// A call is waiting for the human's yes or no.
    ApprovalRequested {
        /// What is asked, as the admin API and UI show it.
        approval: PendingApproval,
    },
    /// The human approved or denied a pending approval.
    ApprovalResolved {
        /// The approval's id.
        id: String,
        /// True when approved.
        approved: bool,
        /// Who or what answered (`ui`, `cli`, `notification`, …).
        via: String,
        /// The human's reason for a denial, when given.
        reason: Option<String>,
    },
    /// A pending approval's deadline passed with no answer; the call was denied.
    ApprovalExpired {
        /// The approval's id.
        id: String,
    },
    /// The agent stopped waiting (cancelled, or its connection closed); nothing runs.
    ApprovalWithdrawn {
        /// The approval's id.
        id: String,
    },
    /// A call passed without asking because an earlier approval is remembered.
    ApprovalRemembered {
        /// A fresh id for this call (never pending).
        id: String,
        /// The tool called.
        tool: String,
        /// The grant calling.
        grant: String,
        /// The MCP session, where there is one.
        session: Option<String>,
        /// The SHA-256 of the canonical JSON of this call's arguments.
        args_hash: String,
    },
    /// A grant was added or revoked (through the admin API, or the CLI while livegate runs).
    GrantsChanged {
        /// The names of the grants now, sorted.
        grants: Vec<String>,
        /// Grants added (or whose token was replaced).
        added: Vec<String>,
        /// Grants revoked (or whose token was replaced).
        revoked: Vec<String>,
    },
    /// The settings were saved through the admin API (the desktop app applies what it owns,
    /// such as starting at login).
    SettingsChanged {
        /// Whether livegate should start when the user logs in.
        start_at_login: bool,
    },
}

/// A cloneable handle to the bus; every clone publishes to the same subscribers.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A new bus with no subscribers.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// Publishes an event; it is dropped silently when nobody listens.
    pub fn publish(&self, event: Event) {
        tracing::debug!(?event, "event");
        let _ = self.sender.send(event);
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_published_events() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        bus.publish(Event::PausedChanged { paused: true });
        let got = rx.recv().await.expect("event received");
        assert!(matches!(got, Event::PausedChanged { paused: true }));
    }
}
