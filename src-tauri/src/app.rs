//! The desktop app: one instance per user, the core started in-process, the UI in a window
//! (closing it keeps livegate running in the tray), the tray icon and its menu, and approval
//! notifications. Everything that can be tested without a GUI lives in [`crate::core`],
//! [`crate::tray_state`] and [`crate::notifications`]; this module only wires them to Tauri.

use std::sync::Arc;

use anyhow::Context as _;
use livegate::settings::Paths;
use tauri::{
    AppHandle, Manager, RunEvent, Runtime, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent,
};

use crate::core::Core;
use crate::notifications::NotificationBridge;
use crate::tray::{ids, Tray};
use crate::tray_state;

/// The main window's label.
pub const MAIN_WINDOW: &str = "main";

/// The argument that starts livegate in the tray without opening the window (for starting at
/// login).
pub const HIDDEN_ARG: &str = "--hidden";

/// What the app keeps while it runs.
struct Shell {
    core: Arc<Core>,
    runtime: tokio::runtime::Handle,
    _notifications: NotificationBridge,
}

/// Whether setup has finished, and whether a second start asked for the window before then
/// (it is shown once there is one).
#[derive(Default)]
struct Startup(parking_lot::Mutex<(bool, bool)>);

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
                if !state.0 {
                    // Still starting: the window is shown when it exists.
                    state.1 = true;
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
    let core = Arc::new(runtime.block_on(Core::start(paths))?);
    let _in_runtime = runtime.enter();

    // Started hidden (at login), the window and its web view are made when first shown: a
    // tray-only livegate does not carry a browser engine it may never use.
    if !hidden {
        open_window(app.handle(), &core, &core.window_url())?;
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
        state.0 = true;
        std::mem::take(&mut state.1)
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
                    tracing::error!(error = %e, "the pause is in force but was not saved");
                }
            });
        }
        ids::QUIT => app.exit(0),
        _ => {}
    }
}

/// Opens the main window on `url`. Only pages of livegate's own address are shown in it.
fn open_window<R: Runtime>(app: &AppHandle<R>, core: &Core, url: &str) -> anyhow::Result<()> {
    let origin = core.origin();
    let url: Url = url
        .parse()
        .with_context(|| format!("livegate's address {url} is not a URL"))?;
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
            let url = match page {
                Page::Current => shell.core.window_url(),
                Page::Approvals => shell.core.approvals_url(),
            };
            on_page = true;
            let opened =
                open_window(app, &shell.core, &url).map(|()| app.get_webview_window(MAIN_WINDOW));
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
        if let Err(e) = window.eval("location.hash = '#/approvals'") {
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
