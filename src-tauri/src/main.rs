//! `livegate-desktop`: livegate in the tray, with its UI in a window and approvals as
//! notifications. `--hidden` starts it without opening the window.

// No console window on Windows release builds.
#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // WebKitGTK's DMA-BUF renderer draws nothing at all on many Linux set-ups (virtual
    // machines, some GPU drivers, Xvfb): the window stays blank while the page is loaded.
    // livegate's pages are light, so the plain renderer costs nothing noticeable. Set here,
    // before any thread exists; a value the user set wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("livegate=info,livegate_desktop=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match livegate_desktop::app::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!("{message}");
            eprintln!("livegate could not start: {message}");
            // The app may have been started from a menu, with nobody reading stderr.
            let _ = notify_rust::Notification::new()
                .appname("livegate")
                .summary("livegate could not start")
                .body(&message)
                .show();
            ExitCode::FAILURE
        }
    }
}
