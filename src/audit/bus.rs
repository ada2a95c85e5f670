//! Admin events from the event bus into the audit log: policy reloads (applied or rejected
//! with their errors), pauses, grants added or revoked, tool-pin changes, Live and upstream
//! health.
//! Approval events are not recorded here: the call they belong to carries its approval.

use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::{AuditLog, Entry, EventEntry};
use crate::events::{Event, EventBus};

/// Records the bus's admin events until the bus closes. Subscribes before returning, so
/// every event published after this call is seen.
pub fn record_events(audit: AuditLog, bus: &EventBus) -> JoinHandle<()> {
    let mut events = bus.subscribe();
    tokio::spawn(async move {
        loop {
            let entry = match events.recv().await {
                Ok(event) => match entry_for(&event) {
                    Some(entry) => entry,
                    None => continue,
                },
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the audit log fell behind the event bus");
                    EventEntry::now(
                        "events_missed",
                        format!("{missed} admin events were published too fast to record"),
                        json!({"missed": missed}),
                    )
                }
                Err(RecvError::Closed) => return,
            };
            if let Err(error) = audit.append(Entry::Event(entry)).await {
                tracing::error!(%error, "an admin event could not be recorded in the audit log");
            }
        }
    })
}

/// The record for an event, or `None` for events recorded elsewhere (approvals) or not at all.
pub fn entry_for(event: &Event) -> Option<EventEntry> {
    let entry = match event {
        Event::PolicyReloaded { ok: true, .. } => {
            EventEntry::now("policy_reload", "policy reloaded and in force", Value::Null)
        }
        Event::PolicyReloaded { ok: false, errors } => EventEntry::now(
            "policy_rejected",
            format!(
                "policy edit rejected with {} error{}; the previous policy stays in force",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
            json!({ "errors": errors }),
        ),
        Event::PausedChanged { paused: true } => {
            EventEntry::now("pause", "all agents paused", Value::Null)
        }
        Event::PausedChanged { paused: false } => {
            EventEntry::now("resume", "agents resumed", Value::Null)
        }
        Event::ToolChanged { key } => EventEntry::now(
            "pin_changed",
            format!("{key} changed its definition; blocked until accepted"),
            json!({ "key": key }),
        ),
        Event::LiveConnection { connected, detail } => EventEntry::now(
            if *connected {
                "live_connected"
            } else {
                "live_disconnected"
            },
            detail.clone(),
            Value::Null,
        ),
        Event::GrantsChanged {
            grants,
            added,
            revoked,
        } => {
            let kind = match (added.is_empty(), revoked.is_empty()) {
                (false, true) => "grant_added",
                (true, false) => "grant_revoked",
                _ => "grants_changed",
            };
            let mut said = Vec::new();
            if !added.is_empty() {
                said.push(format!("added {}", added.join(", ")));
            }
            if !revoked.is_empty() {
                said.push(format!("revoked {}", revoked.join(", ")));
            }
            EventEntry::now(
                kind,
                format!("grant {}", said.join("; ")),
                json!({ "added": added, "revoked": revoked, "grants": grants }),
            )
        }
        Event::UpstreamHealth { upstream, health } => EventEntry::now(
            "upstream_health",
            format!("{upstream}: {health}"),
            json!({ "upstream": upstream, "health": health }),
        ),
        _ => return None,
    };
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_policies_keep_their_errors_and_approvals_are_left_to_calls() {
        let entry = entry_for(&Event::PolicyReloaded {
            ok: false,
            errors: vec!["default: expected allow or deny".into()],
        })
        .expect("recorded");
        assert_eq!(entry.kind, "policy_rejected");
        assert_eq!(entry.detail["errors"][0], "default: expected allow or deny");
        assert!(entry.summary.contains("1 error;"), "{}", entry.summary);
        assert!(entry_for(&Event::ApprovalExpired { id: "a".into() }).is_none());
    }

    #[test]
    fn grant_changes_say_which_grant() {
        let change = |added: &[&str], revoked: &[&str]| {
            entry_for(&Event::GrantsChanged {
                grants: vec!["claude".into()],
                added: added.iter().map(|s| s.to_string()).collect(),
                revoked: revoked.iter().map(|s| s.to_string()).collect(),
            })
            .expect("recorded")
        };
        let added = change(&["claude"], &[]);
        assert_eq!(added.kind, "grant_added");
        assert_eq!(added.summary, "grant added claude");
        assert_eq!(added.detail["added"][0], "claude");
        assert_eq!(change(&[], &["cursor"]).kind, "grant_revoked");
        assert_eq!(change(&["claude"], &["claude"]).kind, "grants_changed");
    }
}
