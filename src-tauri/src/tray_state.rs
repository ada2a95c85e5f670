//! What the tray shows: its look (ok, waiting for approval, Live disconnected, paused) and the
//! lines of its menu, worked out from the event bus, Live's status and the paused flag.
//! Plain data and one loop ([`follow`]) that feeds bus events in; drawing it is the shell's job.

use std::collections::BTreeSet;

use livegate::ableton::osc::LiveStatus;
use livegate::events::Event;
use tokio::sync::broadcast::{self, error::RecvError};

/// The tray icon's look, most urgent first: a waiting approval needs the human now; a pause is
/// the human's own choice and changes what every agent may do; a silent Live breaks the tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    /// One or more calls wait for approval.
    Waiting,
    /// Agents are paused: only Read tools run.
    Paused,
    /// Ableton Live does not answer.
    LiveDisconnected,
    /// Running, nothing waiting.
    Ok,
}

impl Look {
    /// Every look, for drawing each icon once.
    pub const ALL: [Look; 4] = [
        Look::Waiting,
        Look::Paused,
        Look::LiveDisconnected,
        Look::Ok,
    ];
}

/// Ableton Live as the tray sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveState {
    /// No `ableton` upstream is configured.
    NotConfigured,
    /// livegate runs its simulated Live.
    Simulated,
    /// Live answers.
    Connected {
        /// e.g. `Live 12.1`.
        detail: String,
    },
    /// Live does not answer.
    Disconnected {
        /// Why, or what to do.
        detail: String,
    },
}

impl LiveState {
    /// From the OSC client's last known status.
    pub fn from_status(status: &LiveStatus) -> Self {
        match status {
            LiveStatus::Connected { version } => Self::Connected {
                detail: format!("Live {version}"),
            },
            LiveStatus::NotResponding { detail } => Self::Disconnected {
                detail: detail.clone(),
            },
            LiveStatus::Unknown => Self::Disconnected {
                detail: "not checked yet".to_string(),
            },
        }
    }
}

/// What the tray needs to re-read after it missed events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The ids of the pending approvals.
    pub pending: Vec<String>,
    /// Whether agents are paused.
    pub paused: bool,
}

/// The tray's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayState {
    pending: BTreeSet<String>,
    paused: bool,
    live: LiveState,
}

impl TrayState {
    /// The state from a snapshot and Live's state.
    pub fn new(snapshot: Snapshot, live: LiveState) -> Self {
        Self {
            pending: snapshot.pending.into_iter().collect(),
            paused: snapshot.paused,
            live,
        }
    }

    /// Applies one bus event; true when anything the tray shows changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        let before = self.clone();
        match event {
            Event::ApprovalRequested { approval } => {
                self.pending.insert(approval.id.clone());
            }
            Event::ApprovalResolved { id, .. }
            | Event::ApprovalExpired { id }
            | Event::ApprovalWithdrawn { id } => {
                self.pending.remove(id);
            }
            Event::PausedChanged { paused } => self.paused = *paused,
            // The simulated Live never goes away; a real one reports each change.
            Event::LiveConnection { connected, detail } if self.live != LiveState::Simulated => {
                self.live = if *connected {
                    LiveState::Connected {
                        detail: detail.clone(),
                    }
                } else {
                    LiveState::Disconnected {
                        detail: detail.clone(),
                    }
                };
            }
            _ => {}
        }
        *self != before
    }

    /// Replaces what may have been missed; true when anything changed.
    pub fn resync(&mut self, snapshot: Snapshot) -> bool {
        let pending: BTreeSet<String> = snapshot.pending.into_iter().collect();
        let changed = pending != self.pending || snapshot.paused != self.paused;
        self.pending = pending;
        self.paused = snapshot.paused;
        changed
    }

    /// How many approvals wait.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether agents are paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Live as last seen.
    pub fn live(&self) -> &LiveState {
        &self.live
    }

    /// The icon's look.
    pub fn look(&self) -> Look {
        if !self.pending.is_empty() {
            Look::Waiting
        } else if self.paused {
            Look::Paused
        } else if matches!(self.live, LiveState::Disconnected { .. }) {
            Look::LiveDisconnected
        } else {
            Look::Ok
        }
    }

    /// The menu's first line: is livegate working, and with which Live.
    pub fn status_line(&self) -> String {
        let live = match &self.live {
            LiveState::NotConfigured => "no Ableton upstream".to_string(),
            LiveState::Simulated => "simulated Live".to_string(),
            LiveState::Connected { detail } => detail.clone(),
            LiveState::Disconnected { .. } => "Live is not answering".to_string(),
        };
        if self.paused {
            format!("Agents paused (read only) · {live}")
        } else {
            format!("livegate is running · {live}")
        }
    }

    /// The menu's pending-approvals line.
    pub fn pending_line(&self) -> String {
        match self.pending.len() {
            0 => "No approvals waiting".to_string(),
            1 => "1 approval waiting…".to_string(),
            n => format!("{n} approvals waiting…"),
        }
    }

    /// The pause item's label.
    pub fn pause_label(&self) -> &'static str {
        if self.paused {
            "Resume agents"
        } else {
            "Pause all agents"
        }
    }

    /// The icon's tooltip: status and pending approvals, plus why Live is silent.
    pub fn tooltip(&self) -> String {
        let mut text = format!("livegate\n{}\n{}", self.status_line(), self.pending_line());
        if let LiveState::Disconnected { detail } = &self.live {
            text.push('\n');
            text.push_str(detail);
        }
        text
    }
}

/// Keeps `state` current from `events` and calls `render` with every change (and once at the
/// start). After missed events (a lagging receiver) the pending list and the paused flag are
/// read afresh from `snapshot`. Returns when the bus closes.
pub async fn follow(
    mut state: TrayState,
    mut events: broadcast::Receiver<Event>,
    snapshot: impl Fn() -> Snapshot,
    mut render: impl FnMut(&TrayState),
) {
    render(&state);
    loop {
        let changed = match events.recv().await {
            Ok(event) => state.apply(&event),
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "the tray missed events; reading the state afresh");
                state.resync(snapshot())
            }
            Err(RecvError::Closed) => return,
        };
        if changed {
            render(&state);
        }
    }
}

#[cfg(test)]
mod tests;
