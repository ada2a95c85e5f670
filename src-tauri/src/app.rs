//! The desktop app: one instance per user, the core started in-process, the UI in a window
//! (closing it keeps livegate running in the tray), the tray icon and its menu, and approval
//! notifications. Everything that can be tested without a GUI lives in [`crate::core`],
//! [`crate::tray_state`] and [`crate::notifications`]; this module only wires them to Tauri.

use std::sync::Arc;

use anyhow::Context as _;
use livegate::settings::{Paths, Settings};
use tauri::webview::PageLoadEvent;
use tauri::{
    AppHandle, Manager, RunEvent, Runtime, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent,
};

use crate::autostart;
use crate::core::Core;
use crate::notifications::NotificationBridge;
use crate::tray::{ids, Tray};
use crate::tray_state;

/// The main window's label.
pub const MAIN_WINDOW: &str = "main";

/// The argument that starts livegate in the tray without opening the window (for starting at
/// login).
pub const HIDDEN_ARG: &str = "--hidden";

/// Turns the UI to its Approvals screen.
const APPROVALS_SCRIPT: &str = "location.hash = '#/approvals'";

/// What the app keeps while it runs.
struct Shell {
    core: Arc<Core>,
    runtime: tokio::runtime::Handle,
    _notifications: NotificationBridge,
}

/// Start-up: a second start may ask for the window before setup has made it.
#[derive(Default)]
struct Startup(parking_lot::Mutex<StartupState>);

#[derive(Default)]
struct StartupState {
    /// Setup has finished.
    done: bool,
    /// A second start asked for the window meanwhile (it is shown when setup finishes).
    window_wanted: bool,
}

/// Which page "show the window" leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// Whatever the window shows.
    Current,
    /// The Approvals screen.
    Approvals,
}

/// Runs the desktop app until the user quits it. A second start only brings the running
/// instance's window forward.
pub fn run() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("livegate")
        .build()
        .context("starting livegate's async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());
    let hidden = std::env::args().any(|a| a == HIDDEN_ARG);
    let handle = runtime.handle().clone();
    let app = tauri::Builder::default()
        // First: a second instance hands over to the first and exits here, before it starts
        // a second core on the same port.
        .manage(Startup::default())
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("livegate was started again; showing the window");
            {
                let startup = app.state::<Startup>();
                let mut state = startup.0.lock();
                if !state.done {
                    state.window_wanted = true;
                    return;
                }
            }
            show_window(app, Page::Current);
        }))
        .setup(move |app| setup(app, handle, hidden).map_err(Into::into))
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW {
                    // livegate keeps running in the tray; Quit is in the tray's menu.
                    api.prevent_close();
                    if let Err(e) = window.hide() {
                        tracing::warn!(error = %e, "could not hide the window");
                    }
                }
            }
        })
        .build(tauri::generate_context!())
        .context("starting the livegate desktop app")?;
    app.run(|app, event| match event {
        // Only when every window is gone (ours hide instead): livegate stays in the tray.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(shell) = app.try_state::<Shell>() {
                shell.runtime.block_on(shell.core.stop());
            }
        }
        // macOS: clicking livegate's notification (or its Dock icon) brings the app forward;
        // with calls waiting, to the Approvals screen.
        #[cfg(target_os = "macos")]
        RunEvent::Reopen { .. } => {
            let waiting = app
                .try_state::<Shell>()
                .is_some_and(|shell| !shell.core.approvals.list().is_empty());
            let page = if waiting {
                Page::Approvals
            } else {
                Page::Current
            };
            show_window(app, page);
        }
        _ => {}
    });
    Ok(())
}

/// Starts the core, the window, the tray and the notifications.
fn setup(
    app: &mut tauri::App,
    runtime: tokio::runtime::Handle,
    hidden: bool,
) -> anyhow::Result<()> {
    let paths = Paths::discover()?;
    let start_at_login = Settings::load(&paths.settings_file())?.start_at_login;
    let core = Arc::new(runtime.block_on(Core::start(paths))?);
    let _in_runtime = runtime.enter();
    autostart::follow(&core.bus, start_at_login);

    // Started hidden (at login), the window and its web view are made when first shown: a
    // tray-only livegate does not carry a browser engine it may never use.
    if !hidden {
        open_window(app.handle(), &core, Page::Current)?;
    }

    // Subscribe before reading the state, so nothing happens in between unseen.
    let events = core.bus.subscribe();
    let state = core.tray_state();
    let menu_core = Arc::clone(&core);
    let mut tray = Tray::build(app, &state, move |app, id| on_menu(app, &menu_core, id))
        .context("creating the tray icon")?;
    let snapshot_core = Arc::clone(&core);
    tokio::spawn(tray_state::follow(
        state,
        events,
        move || snapshot_core.snapshot(),
        move |state| {
            if let Err(e) = tray.render(state) {
                tracing::warn!(error = %e, "could not update the tray icon");
            }
        },
    ));

    // Stopped by the system (logout, `kill`, Ctrl-C in a terminal): quit as the menu does, so
    // the core stops cleanly.
    let quitter = app.handle().clone();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("asked to stop; quitting");
        quitter.exit(0);
    });

    let opener = app.handle().clone();
    let notifications = NotificationBridge::start(
        core.approvals.clone(),
        &core.bus,
        Arc::new(move || show_window(&opener, Page::Approvals)),
    );
    app.manage(Shell {
        core,
        runtime,
        _notifications: notifications,
    });
    let asked_meanwhile = {
        let startup = app.state::<Startup>();
        let mut state = startup.0.lock();
        state.done = true;
        std::mem::take(&mut state.window_wanted)
    };
    if asked_meanwhile {
        show_window(app.handle(), Page::Current);
    }
    Ok(())
}

/// Acts on a click in the tray's menu.
fn on_menu<R: Runtime>(app: &AppHandle<R>, core: &Arc<Core>, id: &str) {
    match id {
        ids::PENDING => show_window(app, Page::Approvals),
        ids::OPEN => show_window(app, Page::Current),
        ids::PAUSE => {
            let core = Arc::clone(core);
            tauri::async_runtime::spawn(async move {
                let paused = !core.gateway.is_paused();
                if let Err(e) = core.set_paused(paused).await {
                    tracing::error!("{e}");
                }
            });
        }
        ids::QUIT => app.exit(0),
        _ => {}
    }
}

/// Opens the main window: a fresh sign-in link leads it to the UI, then to `page`. Only pages
/// of livegate's own address are shown in it.
fn open_window<R: Runtime>(app: &AppHandle<R>, core: &Core, page: Page) -> anyhow::Result<()> {
    let origin = core.origin();
    let link = core.window_url();
    let url: Url = link
        .parse()
        .with_context(|| format!("livegate's address {link} is not a URL"))?;
    let to_approvals = std::sync::atomic::AtomicBool::new(page == Page::Approvals);
    WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::External(url))
        .title("livegate")
        .inner_size(1180.0, 780.0)
        .min_inner_size(720.0, 480.0)
        .on_navigation(move |url| {
            let own = url.origin().ascii_serialization() == origin;
            if !own {
                tracing::warn!(%url, "the livegate window shows only livegate's own pages");
            }
            own
        })
        .on_page_load(move |window, load| {
            // Signed in and on the UI: now to the page asked for (once).
            if load.event() == PageLoadEvent::Finished
                && load.url().path() == "/"
                && to_approvals.swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                if let Err(e) = window.eval(APPROVALS_SCRIPT) {
                    tracing::warn!(error = %e, "could not open the Approvals screen");
                }
            }
        })
        .build()
        .context("opening the livegate window")?;
    Ok(())
}

/// Shows, restores and focuses the main window (opening it again if it was destroyed), on
/// `page`.
fn show_window<R: Runtime>(app: &AppHandle<R>, page: Page) {
    let mut on_page = false;
    let window = match app.get_webview_window(MAIN_WINDOW) {
        Some(window) => window,
        None => {
            let Some(shell) = app.try_state::<Shell>() else {
                return;
            };
            on_page = true;
            let opened =
                open_window(app, &shell.core, page).map(|()| app.get_webview_window(MAIN_WINDOW));
            match opened {
                Ok(Some(window)) => window,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not open the livegate window again");
                    return;
                }
            }
        }
    };
    if page == Page::Approvals && !on_page {
        if let Err(e) = window.eval(APPROVALS_SCRIPT) {
            tracing::warn!(error = %e, "could not open the Approvals screen");
        }
    }
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(e) = shown {
        tracing::warn!(error = %e, "could not show the livegate window");
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT); never when neither can be watched.
async fn stop_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = terminate => {}
        result = tokio::signal::ctrl_c() => {
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot watch for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}
