//! The tray's state: looks, menu lines, and following a real bus with a real approval queue.

use std::sync::Arc;
use std::time::Duration;

use livegate::approval::{ApprovalAnswer, ApprovalQueue, ApprovalRequest, Approver};
use livegate::events::EventBus;
use livegate::policy::Remember;
use parking_lot::Mutex;
use serde_json::json;

use super::*;

fn connected() -> LiveState {
    LiveState::Connected {
        detail: "Live 12.1".into(),
    }
}

fn disconnected() -> LiveState {
    LiveState::Disconnected {
        detail: "no reply from Ableton Live".into(),
    }
}

fn state(pending: &[&str], paused: bool, live: LiveState) -> TrayState {
    TrayState::new(
        Snapshot {
            pending: pending.iter().map(|s| s.to_string()).collect(),
            paused,
        },
        live,
    )
}

#[test]
fn the_most_urgent_state_sets_the_look() {
    let cases = [
        (state(&[], false, connected()), Look::Ok),
        (state(&[], false, LiveState::Simulated), Look::Ok),
        (state(&[], false, LiveState::NotConfigured), Look::Ok),
        (state(&[], false, disconnected()), Look::LiveDisconnected),
        (state(&[], true, connected()), Look::Paused),
        (state(&[], true, disconnected()), Look::Paused),
        (state(&["a"], false, connected()), Look::Waiting),
        (state(&["a", "b"], true, disconnected()), Look::Waiting),
    ];
    for (state, look) in cases {
        assert_eq!(state.look(), look, "{state:?}");
    }
}

#[test]
fn menu_lines_say_what_is_going_on() {
    let s = state(&[], false, connected());
    assert_eq!(s.status_line(), "livegate is running · Live 12.1");
    assert_eq!(s.pending_line(), "No approvals waiting");
    assert_eq!(s.pause_label(), "Pause all agents");

    let s = state(&["a"], true, LiveState::Simulated);
    assert_eq!(
        s.status_line(),
        "Agents paused (read only) · simulated Live"
    );
    assert_eq!(s.pending_line(), "1 approval waiting…");
    assert_eq!(s.pause_label(), "Resume agents");

    let s = state(&["a", "b", "c"], false, disconnected());
    assert_eq!(
        s.status_line(),
        "livegate is running · Live is not answering"
    );
    assert_eq!(s.pending_line(), "3 approvals waiting…");
    assert!(
        s.tooltip().ends_with("no reply from Ableton Live"),
        "{}",
        s.tooltip()
    );
}

#[test]
fn live_status_maps_to_live_state() {
    assert_eq!(
        LiveState::from_status(&LiveStatus::Connected {
            version: "12.1".into()
        }),
        connected()
    );
    assert_eq!(
        LiveState::from_status(&LiveStatus::NotResponding {
            detail: "start Live".into()
        }),
        LiveState::Disconnected {
            detail: "start Live".into()
        }
    );
    assert!(matches!(
        LiveState::from_status(&LiveStatus::Unknown),
        LiveState::Disconnected { .. }
    ));
}

#[test]
fn events_change_the_state_and_say_when() {
    let mut s = state(&[], false, connected());
    assert!(s.apply(&Event::PausedChanged { paused: true }));
    assert!(
        !s.apply(&Event::PausedChanged { paused: true }),
        "no change"
    );
    assert_eq!(s.look(), Look::Paused);
    assert!(s.apply(&Event::PausedChanged { paused: false }));
    assert!(s.apply(&Event::LiveConnection {
        connected: false,
        detail: "no reply".into()
    }));
    assert_eq!(s.look(), Look::LiveDisconnected);
    assert!(s.apply(&Event::LiveConnection {
        connected: true,
        detail: "Live 12.2".into()
    }));
    assert_eq!(s.status_line(), "livegate is running · Live 12.2");
    for id in ["x", "y"] {
        assert!(!s.apply(&Event::ApprovalExpired { id: id.into() }));
    }
    assert!(!s.apply(&Event::PolicyReloaded {
        ok: true,
        errors: vec![]
    }));

    let mut sim = state(&[], false, LiveState::Simulated);
    assert!(
        !sim.apply(&Event::LiveConnection {
            connected: false,
            detail: "x".into()
        }),
        "the simulated Live stays"
    );
}

#[test]
fn resync_replaces_pending_and_paused() {
    let mut s = state(&["a", "b"], false, connected());
    assert!(!s.resync(Snapshot {
        pending: vec!["b".into(), "a".into()],
        paused: false
    }));
    assert!(s.resync(Snapshot {
        pending: vec!["c".into()],
        paused: true
    }));
    assert_eq!((s.pending(), s.paused()), (1, true));
}

fn request(tool: &str) -> ApprovalRequest {
    ApprovalRequest {
        tool: tool.into(),
        args: json!({"track": 1}),
        grant: "claude".into(),
        session: None,
        rule: "tools.delete_track".into(),
        reason: None,
        timeout_s: 60,
        remember: Remember::Once,
    }
}

/// Waits until `check` holds for the last rendered state.
async fn rendered(seen: &Mutex<Vec<TrayState>>, check: impl Fn(&TrayState) -> bool) -> TrayState {
    for _ in 0..500 {
        if let Some(last) = seen.lock().last().filter(|s| check(s)) {
            return last.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never rendered the expected state; saw {:?}", seen.lock());
}

#[tokio::test]
async fn follow_tracks_a_real_approval_queue() {
    let bus = EventBus::new();
    let queue = ApprovalQueue::new(bus.clone());
    let seen = Arc::new(Mutex::new(Vec::<TrayState>::new()));
    let follower = tokio::spawn(follow(
        state(&[], false, connected()),
        bus.subscribe(),
        Snapshot::default,
        {
            let seen = Arc::clone(&seen);
            move |s: &TrayState| seen.lock().push(s.clone())
        },
    ));
    rendered(&seen, |s| s.look() == Look::Ok).await;

    let asks: Vec<_> = ["delete_track", "delete_clip"]
        .into_iter()
        .map(|tool| {
            let queue = queue.clone();
            tokio::spawn(async move { queue.ask(request(tool)).await })
        })
        .collect();
    let two = rendered(&seen, |s| s.pending() == 2).await;
    assert_eq!(two.look(), Look::Waiting);
    assert_eq!(two.pending_line(), "2 approvals waiting…");

    let pending = queue.list();
    let id_of = |tool: &str| {
        pending
            .iter()
            .find(|p| p.tool == tool)
            .map(|p| p.id.clone())
            .expect("pending")
    };
    queue
        .approve(&id_of("delete_track"), "ui")
        .expect("approve");
    rendered(&seen, |s| s.pending() == 1).await;
    queue.deny(&id_of("delete_clip"), None, "ui").expect("deny");
    let done = rendered(&seen, |s| s.pending() == 0).await;
    assert_eq!(done.look(), Look::Ok);
    let answers: Vec<ApprovalAnswer> = futures::future::join_all(asks)
        .await
        .into_iter()
        .map(|a| a.expect("ask task"))
        .collect();
    assert!(matches!(answers[0], ApprovalAnswer::Approved { .. }));
    assert!(matches!(answers[1], ApprovalAnswer::Denied { .. }));

    bus.publish(Event::PausedChanged { paused: true });
    rendered(&seen, |s| s.look() == Look::Paused).await;
    let renders = seen.lock().len();
    bus.publish(Event::PausedChanged { paused: true });
    bus.publish(Event::PausedChanged { paused: false });
    rendered(&seen, |s| s.look() == Look::Ok).await;
    assert_eq!(
        seen.lock().len(),
        renders + 1,
        "unchanged states are not redrawn"
    );
    follower.abort();
}

#[tokio::test]
async fn follow_reads_the_state_afresh_after_missing_events() {
    let bus = EventBus::new();
    let events = bus.subscribe();
    // More events than the bus keeps, before the follower reads any: it lags.
    for i in 0..2000 {
        bus.publish(Event::ApprovalRequested {
            approval: pending_approval(&format!("lost-{i}")),
        });
    }
    let seen = Arc::new(Mutex::new(Vec::<TrayState>::new()));
    let follower = tokio::spawn(follow(
        state(&[], false, connected()),
        events,
        || Snapshot {
            pending: vec!["only-this".into()],
            paused: true,
        },
        {
            let seen = Arc::clone(&seen);
            move |s: &TrayState| seen.lock().push(s.clone())
        },
    ));
    for _ in 0..500 {
        if seen.lock().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let renders = seen.lock().clone();
    assert_eq!(
        renders[1],
        state(&["only-this"], true, connected()),
        "the first redraw after the lag is the snapshot"
    );
    assert!(renders.iter().skip(1).all(TrayState::paused));
    follower.abort();
}

fn pending_approval(id: &str) -> livegate::approval::PendingApproval {
    livegate::approval::PendingApproval {
        id: id.into(),
        tool: "delete_track".into(),
        args: json!({}),
        args_hash: String::new(),
        grant: "claude".into(),
        session: None,
        rule: "r".into(),
        reason: None,
        remember: Remember::Once,
        timeout_s: 60,
        created_ms: 0,
        deadline_ms: 60_000,
        seconds_left: 60,
    }
}
