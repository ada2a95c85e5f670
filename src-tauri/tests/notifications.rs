//! Approval notifications end to end, against a real notification daemon: livegate (the core
//! as the desktop app starts it, with the notification bridge) on 127.0.0.1, an agent calling
//! a tool that an `approve` rule holds, and dunst on a private D-Bus session bus under Xvfb.
//! A person's click is dunst's own context menu (`dunstctl context`), which sends the real
//! `ActionInvoked` signal. The cases share one desktop and run one after another.

mod support;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use livegate::events::Event;
use livegate_desktop::core::Core;
use livegate_desktop::notifications::NotificationBridge;
use serde_json::{json, Value};
use support::{call_tool, result_text, wait_for, Desktop, Home, Monitor, Seen, PATIENCE};

fn main() -> ExitCode {
    if !cfg!(target_os = "linux") {
        println!("skipped: these tests need Linux (Xvfb, D-Bus, dunst)");
        return ExitCode::SUCCESS;
    }
    // Before any thread starts: the bridge finds the bus through the environment.
    let desktop = Arc::new(Desktop::start());
    desktop.use_in_this_process();
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
    );
    let case = |f: fn(&Desktop, &tokio::runtime::Runtime)| -> Box<dyn FnOnce()> {
        let desktop = Arc::clone(&desktop);
        let runtime = Arc::clone(&runtime);
        Box::new(move || f(&desktop, &runtime))
    };
    support::run_cases(vec![
        (
            "approve_in_the_notification_runs_the_call",
            case(approve_in_the_notification_runs_the_call),
        ),
        (
            "deny_in_the_notification_refuses_the_call",
            case(deny_in_the_notification_refuses_the_call),
        ),
        (
            "dismissing_the_notification_refuses_the_call",
            case(dismissing_the_notification_refuses_the_call),
        ),
        (
            "clicking_the_notification_opens_the_approvals_screen",
            case(clicking_the_notification_opens_the_approvals_screen),
        ),
        (
            "an_answer_elsewhere_withdraws_the_notification",
            case(an_answer_elsewhere_withdraws_the_notification),
        ),
        (
            "an_answer_while_it_is_being_shown_still_withdraws_it",
            case(an_answer_while_it_is_being_shown_still_withdraws_it),
        ),
        (
            "a_deadline_withdraws_the_notification",
            case(a_deadline_withdraws_the_notification),
        ),
    ])
}

/// livegate with the notification bridge, its agent's HTTP client, and a count of
/// "open the Approvals screen" requests.
struct Running {
    core: Core,
    home: Home,
    http: reqwest::Client,
    opened: Arc<AtomicUsize>,
    _bridge: NotificationBridge,
}

impl Running {
    async fn start() -> Self {
        let home = Home::new(([127, 0, 0, 1], 0).into());
        let core = Core::start(home.paths.clone())
            .await
            .expect("livegate starts");
        let opened = Arc::new(AtomicUsize::new(0));
        let bridge = NotificationBridge::start(core.approvals.clone(), &core.bus, {
            let opened = Arc::clone(&opened);
            Arc::new(move || {
                opened.fetch_add(1, Ordering::SeqCst);
            })
        });
        Self {
            core,
            home,
            http: reqwest::Client::new(),
            opened,
            _bridge: bridge,
        }
    }

    /// Calls `tool` in the background, as an agent.
    fn call(&self, tool: &str, arguments: Value) -> tokio::task::JoinHandle<Value> {
        let http = self.http.clone();
        let url = format!("{}/mcp", self.core.origin());
        let token = self.home.token.clone();
        let tool = tool.to_string();
        tokio::spawn(async move { call_tool(&http, &url, &token, &tool, arguments).await })
    }

    async fn result(call: tokio::task::JoinHandle<Value>) -> Value {
        tokio::time::timeout(PATIENCE, call)
            .await
            .expect("the agent's call completes")
            .expect("call task")
    }
}

/// Waits for the bridge's `Notify` call and checks what it asks.
fn expect_prompt(monitor: &Monitor, tool: &str, args_shown: &str) -> Vec<String> {
    let (summary, body, actions) = monitor.next("the approval notification", |seen| match seen {
        Seen::Notify {
            summary,
            body,
            actions,
            ..
        } => Some((summary.clone(), body.clone(), actions.clone())),
        _ => None,
    });
    assert_eq!(summary, format!("tester wants to run {tool}"));
    assert!(body.contains(args_shown), "{body}");
    actions
}

/// The answer the approval queue published for the one approval resolved.
async fn resolution(events: &mut tokio::sync::broadcast::Receiver<Event>) -> Event {
    loop {
        let event = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .expect("an approval ends")
            .expect("bus open");
        if matches!(
            event,
            Event::ApprovalResolved { .. }
                | Event::ApprovalExpired { .. }
                | Event::ApprovalWithdrawn { .. }
        ) {
            return event;
        }
    }
}

fn approve_in_the_notification_runs_the_call(desktop: &Desktop, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        let mut events = lg.core.bus.subscribe();
        let call = lg.call("echo", json!({"text": "hello from the agent"}));

        let actions = expect_prompt(
            &monitor,
            "echo",
            r#"{&quot;text&quot;:&quot;hello from the agent&quot;}"#,
        );
        assert_eq!(
            actions,
            [
                "approve",
                "Approve",
                "deny",
                "Deny",
                "default",
                "Open livegate"
            ],
            "the notification offers Approve and Deny"
        );
        wait_for("dunst to show the notification", PATIENCE, || {
            (desktop.displayed() == 1).then_some(())
        });
        desktop.choose_action("^#Approve");

        let key = monitor.next("ActionInvoked", |seen| match seen {
            Seen::ActionInvoked { key, .. } => Some(key.clone()),
            _ => None,
        });
        assert_eq!(key, "approve");
        let result = Running::result(call).await;
        assert_eq!(result_text(&result), "hello from the agent", "{result}");
        assert_ne!(result["isError"], true, "{result}");
        match resolution(&mut events).await {
            Event::ApprovalResolved { approved, via, .. } => {
                assert!(approved);
                assert_eq!(via, "notification");
            }
            other => panic!("expected an approval, got {other:?}"),
        }
        let records = lg
            .core
            .audit
            .query(&livegate::audit::Query {
                tool: Some("echo".into()),
                ..Default::default()
            })
            .expect("audit query")
            .records;
        let approval = records
            .first()
            .and_then(|r| r.approval.as_ref())
            .expect("the call is in the audit log with its approval");
        assert_eq!(approval.via, "notification");
        let menu = desktop.menu_entries();
        assert!(
            menu.iter().any(|e| e.starts_with("#Approve"))
                && menu.iter().any(|e| e.starts_with("#Deny")),
            "dunst offered Approve and Deny: {menu:?}"
        );
        wait_for("the notification to go", PATIENCE, || {
            (desktop.displayed() == 0).then_some(())
        });
        assert_eq!(lg.opened.load(Ordering::SeqCst), 0);
        lg.core.stop().await;
    });
}

fn deny_in_the_notification_refuses_the_call(desktop: &Desktop, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        let call = lg.call("echo", json!({"text": "delete everything"}));
        expect_prompt(&monitor, "echo", "delete everything");
        wait_for("dunst to show the notification", PATIENCE, || {
            (desktop.displayed() == 1).then_some(())
        });
        desktop.choose_action("^#Deny");

        let result = Running::result(call).await;
        assert_eq!(result["isError"], true, "{result}");
        assert!(
            result_text(&result).contains("Denied by the user"),
            "{result}"
        );
        assert!(lg.core.approvals.list().is_empty());
        wait_for("the notification to go", PATIENCE, || {
            (desktop.displayed() == 0).then_some(())
        });
        lg.core.stop().await;
    });
}

fn dismissing_the_notification_refuses_the_call(desktop: &Desktop, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        let call = lg.call("echo", json!({"text": "x"}));
        expect_prompt(&monitor, "echo", "x");
        wait_for("dunst to show the notification", PATIENCE, || {
            (desktop.displayed() == 1).then_some(())
        });
        desktop.dismiss_all();

        let result = Running::result(call).await;
        assert_eq!(result["isError"], true, "{result}");
        let text = result_text(&result);
        assert!(
            text.contains("Denied by the user") && text.contains("dismissed"),
            "{result}"
        );
        lg.core.stop().await;
    });
}

fn clicking_the_notification_opens_the_approvals_screen(
    desktop: &Desktop,
    rt: &tokio::runtime::Runtime,
) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        let call = lg.call("echo", json!({"text": "look first"}));
        expect_prompt(&monitor, "echo", "look first");
        wait_for("dunst to show the notification", PATIENCE, || {
            (desktop.displayed() == 1).then_some(())
        });
        // dunst's "action" is a click on the notification: its default action.
        desktop.dunstctl(&["action", "0"]);
        wait_for("the Approvals screen to be asked for", PATIENCE, || {
            (lg.opened.load(Ordering::SeqCst) == 1).then_some(())
        });
        let pending = lg.core.approvals.list();
        assert_eq!(pending.len(), 1, "opening the screen answers nothing");
        lg.core
            .approvals
            .deny(&pending[0].id, None, "ui")
            .expect("denied in the queue");
        let result = Running::result(call).await;
        assert_eq!(result["isError"], true, "{result}");
        wait_for("the notification to go", PATIENCE, || {
            (desktop.displayed() == 0).then_some(())
        });
        lg.core.stop().await;
    });
}

fn an_answer_elsewhere_withdraws_the_notification(desktop: &Desktop, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        let call = lg.call("echo", json!({"text": "answered in the UI"}));
        expect_prompt(&monitor, "echo", "answered in the UI");
        wait_for("dunst to show the notification", PATIENCE, || {
            (desktop.displayed() == 1).then_some(())
        });
        let pending = lg.core.approvals.list();
        assert_eq!(pending.len(), 1);
        lg.core
            .approvals
            .approve(&pending[0].id, "ui")
            .expect("approved in the queue");

        let result = Running::result(call).await;
        assert_eq!(result_text(&result), "answered in the UI", "{result}");
        monitor.next("CloseNotification", |seen| {
            matches!(seen, Seen::Close { .. }).then_some(())
        });
        wait_for("dunst to take the notification away", PATIENCE, || {
            (desktop.displayed() == 0).then_some(())
        });
        lg.core.stop().await;
    });
}

fn an_answer_while_it_is_being_shown_still_withdraws_it(
    desktop: &Desktop,
    rt: &tokio::runtime::Runtime,
) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        for round in 0..5 {
            let call = lg.call("echo", json!({"text": format!("round {round}")}));
            // Answered the moment the notification reaches the bus, before the daemon has
            // replied with its id.
            expect_prompt(&monitor, "echo", &format!("round {round}"));
            let pending = lg.core.approvals.list();
            lg.core
                .approvals
                .deny(&pending[0].id, None, "ui")
                .expect("denied in the queue");
            let result = Running::result(call).await;
            assert_eq!(result["isError"], true, "{result}");
            monitor.next("CloseNotification", |seen| {
                matches!(seen, Seen::Close { .. }).then_some(())
            });
            wait_for("dunst to take the notification away", PATIENCE, || {
                (desktop.displayed() == 0).then_some(())
            });
        }
        lg.core.stop().await;
    });
}

fn a_deadline_withdraws_the_notification(desktop: &Desktop, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let monitor = Monitor::start(desktop);
        let lg = Running::start().await;
        // `add` waits 1 s for an answer.
        let call = lg.call("add", json!({"a": 1, "b": 2}));
        expect_prompt(&monitor, "add", "No answer within 1 s means no.");
        let result = Running::result(call).await;
        assert_eq!(result["isError"], true, "{result}");
        assert!(
            result_text(&result).contains("no answer within 1 s"),
            "{result}"
        );
        monitor.next("CloseNotification", |seen| {
            matches!(seen, Seen::Close { .. }).then_some(())
        });
        wait_for("dunst to take the notification away", PATIENCE, || {
            (desktop.displayed() == 0).then_some(())
        });
        lg.core.stop().await;
    });
}
