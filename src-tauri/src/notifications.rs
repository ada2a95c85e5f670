//! Approval prompts as desktop notifications (notify-rust), one per pending call.
//!
//! The bridge follows the event bus: [`Event::ApprovalRequested`] shows a notification with
//! the exact tool and arguments; on Linux and the BSDs (freedesktop notifications over D-Bus)
//! it carries the actions **Approve** (`approve`) and **Deny** (`deny`), answered through the
//! approval queue with `via` = `notification`, and a click on its body opens the Approvals
//! screen. Dismissing it denies the call, as the architecture says. When the approval is
//! resolved elsewhere (the UI, the CLI, its deadline, the agent giving up) the notification is
//! withdrawn. Where notifications have no actions (macOS, Windows, servers without the
//! `actions` capability) it says to open livegate, where the Approvals screen waits (on macOS
//! a click on it brings livegate forward there: see `app`).
//!
//! It lives in the desktop crate, not the core: it is the shell's way of asking, built on the
//! core's public bus and queue, and keeps D-Bus out of `cargo test -p livegate`.

use std::collections::HashMap;
use std::sync::Arc;

use livegate::approval::{ApprovalQueue, PendingApproval};
use livegate::events::{Event, EventBus};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// The `via` recorded for answers given through a notification.
pub const VIA: &str = "notification";

/// The action key that approves.
pub const ACTION_APPROVE: &str = "approve";

/// The action key that denies.
pub const ACTION_DENY: &str = "deny";

/// The icon name the packages install (the desktop binary's name).
pub const ICON: &str = "livegate-desktop";

/// Why a dismissed notification denies the call, as the agent is told.
pub const DISMISSED: &str = "the notification was dismissed";

/// How much of the arguments a notification shows before cutting them short.
const ARGS_SHOWN: usize = 400;

/// Opens the Approvals screen (a click on a notification's body).
pub type OpenApprovals = Arc<dyn Fn() + Send + Sync>;

/// What the notification server can do (its `GetCapabilities`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCaps {
    /// It shows action buttons and reports which was invoked.
    pub actions: bool,
    /// It reads markup in the body (so text must be escaped).
    pub body_markup: bool,
}

impl ServerCaps {
    /// From the capability names a server reports.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        let has = |cap: &str| names.iter().any(|n| n.as_ref() == cap);
        Self {
            actions: has("actions"),
            body_markup: has("body-markup"),
        }
    }
}

/// The words of one approval prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptText {
    /// The title: who wants to run what.
    pub summary: String,
    /// The exact arguments, the rule's reason, and the deadline.
    pub body: String,
}

impl PromptText {
    /// The prompt for `approval`. The tool, arguments and reason come from the agent and the
    /// policy, so they are shown as JSON (no line breaks of their own), cut short, and
    /// escaped for servers that read markup.
    pub fn for_approval(approval: &PendingApproval, caps: ServerCaps) -> Self {
        let clean = |text: &str| -> String {
            if caps.body_markup {
                escape_markup(&one_line(text))
            } else {
                one_line(text)
            }
        };
        let summary = format!(
            "{} wants to run {}",
            one_line(&approval.grant),
            one_line(&approval.tool)
        );
        let mut body = clean(&shorten(&approval.args.to_string(), ARGS_SHOWN));
        if let Some(reason) = approval.reason.as_deref().filter(|r| !r.trim().is_empty()) {
            body.push('\n');
            body.push_str(&clean(&shorten(reason, 200)));
        }
        body.push('\n');
        body.push_str(&format!(
            "No answer within {} means no.",
            duration_words(approval.timeout_s)
        ));
        if !caps.actions {
            body.push_str(" Open livegate to approve or deny it.");
        }
        Self { summary, body }
    }
}

/// The running bridge; dropping it stops it and withdraws nothing (the queue still has the
/// approvals, and the UI shows them).
#[derive(Debug)]
pub struct NotificationBridge {
    task: JoinHandle<()>,
}

impl Drop for NotificationBridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl NotificationBridge {
    /// Starts following `bus` (call inside a tokio runtime). Approvals already pending get
    /// their notification at once.
    pub fn start(approvals: ApprovalQueue, bus: &EventBus, open: OpenApprovals) -> Self {
        let events = bus.subscribe();
        let task = tokio::spawn(run(approvals, events, open));
        Self { task }
    }
}

/// The bridge's loop: one prompt task per pending approval, told to withdraw its notification
/// when the approval is resolved elsewhere.
async fn run(
    approvals: ApprovalQueue,
    mut events: tokio::sync::broadcast::Receiver<Event>,
    open: OpenApprovals,
) {
    let caps = CapsCache::default();
    caps.get().await; // ask the server once up front, so the first prompt does not wait for it
    let mut shown: HashMap<String, oneshot::Sender<()>> = HashMap::new();
    let mut prompts = JoinSet::new();
    let show = |approval: PendingApproval,
                shown: &mut HashMap<String, oneshot::Sender<()>>,
                prompts: &mut JoinSet<()>| {
        if shown.contains_key(&approval.id) {
            return;
        }
        let (withdraw, withdrawn) = oneshot::channel();
        shown.insert(approval.id.clone(), withdraw);
        prompts.spawn(prompt(
            approval,
            approvals.clone(),
            Arc::clone(&open),
            caps.clone(),
            withdrawn,
        ));
    };
    for approval in approvals.list() {
        show(approval, &mut shown, &mut prompts);
    }
    loop {
        while prompts.try_join_next().is_some() {}
        match events.recv().await {
            Ok(Event::ApprovalRequested { approval }) => show(approval, &mut shown, &mut prompts),
            Ok(
                Event::ApprovalResolved { id, .. }
                | Event::ApprovalExpired { id }
                | Event::ApprovalWithdrawn { id },
            ) => {
                if let Some(withdraw) = shown.remove(&id) {
                    let _ = withdraw.send(());
                }
            }
            Ok(_) => {}
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "notifications missed events; catching up with the queue"
                );
                let pending = approvals.list();
                shown.retain(|id, _| pending.iter().any(|p| &p.id == id));
                for approval in pending {
                    show(approval, &mut shown, &mut prompts);
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The server's capabilities, asked once it answers (a server started later is asked again).
#[derive(Debug, Clone, Default)]
struct CapsCache(Arc<parking_lot::Mutex<Option<ServerCaps>>>);

impl CapsCache {
    async fn get(&self) -> ServerCaps {
        if let Some(caps) = *self.0.lock() {
            return caps;
        }
        match query_caps().await {
            Some(caps) => {
                tracing::debug!(?caps, "notification server capabilities");
                *self.0.lock() = Some(caps);
                caps
            }
            None => ServerCaps::default(),
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn query_caps() -> Option<ServerCaps> {
    match tokio::task::spawn_blocking(notify_rust::get_capabilities).await {
        Ok(Ok(names)) => Some(ServerCaps::from_names(&names)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "no desktop notification server answers; approvals wait in the Approvals screen");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "asking the notification server failed");
            None
        }
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn query_caps() -> Option<ServerCaps> {
    // Notifications here have no action buttons; a click brings the app forward.
    Some(ServerCaps {
        actions: false,
        body_markup: false,
    })
}

/// Shows one approval's notification and acts on the human's answer, until it is answered
/// or `withdrawn` fires (the approval ended elsewhere), which closes the notification.
#[cfg(all(unix, not(target_os = "macos")))]
async fn prompt(
    approval: PendingApproval,
    queue: ApprovalQueue,
    open: OpenApprovals,
    caps: CapsCache,
    mut withdrawn: oneshot::Receiver<()>,
) {
    use notify_rust::{CloseReason, Notification, NotificationResponse, Timeout, Urgency};

    let caps = caps.get().await;
    let text = PromptText::for_approval(&approval, caps);
    let mut notification = Notification::new();
    notification
        .appname("livegate")
        .summary(&text.summary)
        .body(&text.body)
        .icon(ICON)
        .urgency(Urgency::Critical)
        .timeout(Timeout::Never);
    if caps.actions {
        notification
            .action(ACTION_APPROVE, "Approve")
            .action(ACTION_DENY, "Deny")
            .action("default", "Open livegate");
    }
    if withdrawn.try_recv().is_ok() {
        return; // answered before it could be shown
    }
    // Not raced with `withdrawn`: a notification being shown is closed once it has its id.
    let handle = match notification.show_async().await {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(id = %approval.id, error = %e, "could not show the approval notification; it waits in the Approvals screen");
            return;
        }
    };
    tracing::debug!(id = %approval.id, notification = handle.id(), "approval notification shown");
    let mut response = None;
    tokio::select! {
        biased;
        _ = &mut withdrawn => {
            handle.close_async().await;
            tracing::debug!(id = %approval.id, "approval notification withdrawn");
            return;
        }
        () = handle.wait_for_action_async(|r| response = Some(r.clone())) => {}
    }
    if matches!(
        response,
        Some(NotificationResponse::Action(_) | NotificationResponse::Default)
    ) {
        // Servers differ in whether an invoked action closes the notification (dunst's
        // context menu leaves it); it has been answered either way.
        handle.close_async().await;
    }
    let id = approval.id.as_str();
    let outcome = match response {
        Some(NotificationResponse::Action(key)) if key == ACTION_APPROVE => {
            queue.approve(id, VIA).map(|()| "approved")
        }
        Some(NotificationResponse::Action(key)) if key == ACTION_DENY => {
            queue.deny(id, None, VIA).map(|()| "denied")
        }
        Some(NotificationResponse::Closed(CloseReason::Dismissed)) => queue
            .deny(id, Some(DISMISSED.to_string()), VIA)
            .map(|()| "denied (dismissed)"),
        Some(NotificationResponse::Default) => {
            open();
            Ok("opened the Approvals screen")
        }
        Some(NotificationResponse::Action(key)) if key == "default" => {
            open();
            Ok("opened the Approvals screen")
        }
        // Expired or closed by the server: the approval still waits in the UI.
        other => {
            tracing::debug!(id, response = ?other, "approval notification closed without an answer");
            return;
        }
    };
    match outcome {
        Ok(what) => tracing::info!(id, "approval notification: {what}"),
        // Answered elsewhere first: that answer stands.
        Err(e) => tracing::info!(id, "approval notification answered too late: {e}"),
    }
}

/// Shows one approval's notification (no actions on this platform); the Approvals screen
/// is where it is answered.
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn prompt(
    approval: PendingApproval,
    _queue: ApprovalQueue,
    _open: OpenApprovals,
    caps: CapsCache,
    _withdrawn: oneshot::Receiver<()>,
) {
    let caps = caps.get().await;
    let text = PromptText::for_approval(&approval, caps);
    let shown = tokio::task::spawn_blocking(move || {
        notify_rust::Notification::new()
            .appname("livegate")
            .summary(&text.summary)
            .body(&text.body)
            .show()
            .map(|_| ())
    })
    .await;
    match shown {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(id = %approval.id, error = %e, "could not show the approval notification")
        }
        Err(e) => {
            tracing::warn!(id = %approval.id, error = %e, "showing the approval notification failed")
        }
    }
}

/// `text` without line breaks or other control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Escapes the characters freedesktop body markup gives meaning to.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `45 s`, `2 min`, `1 h 30 min`.
fn duration_words(seconds: u64) -> String {
    if seconds < 90 {
        format!("{seconds} s")
    } else if seconds < 5400 {
        format!("{} min", (seconds + 30) / 60)
    } else {
        let minutes = (seconds + 30) / 60;
        match minutes % 60 {
            0 => format!("{} h", minutes / 60),
            m => format!("{} h {m} min", minutes / 60),
        }
    }
}

#[cfg(test)]
mod tests;
