//! "Start at login": an entry the desktop session reads at login that starts livegate hidden
//! in the tray. Linux and other freedesktop desktops: `~/.config/autostart/livegate.desktop`
//! (the XDG autostart spec); macOS: a LaunchAgent in `~/Library/LaunchAgents`. Elsewhere the
//! setting is kept but not applied, and the log says so.

use std::path::{Path, PathBuf};

use livegate::events::{Event, EventBus};
use tokio::sync::broadcast::error::RecvError;

/// The entry's file name (without folder).
#[cfg(not(target_os = "macos"))]
const ENTRY: &str = "livegate.desktop";
#[cfg(target_os = "macos")]
const ENTRY: &str = "app.livegate.desktop.plist";

/// Why the login entry could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    /// No home folder to put the entry in.
    #[error("cannot find your home folder to set up starting at login")]
    NoHome,
    /// The running program's path is unknown.
    #[error("cannot tell where livegate-desktop is installed: {0}")]
    Exe(std::io::Error),
    /// Writing or removing the entry failed.
    #[error("{action} {path}: {source}; check that folder's permissions")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The entry.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Keeps the login entry in step with the settings: written at start when the settings ask
/// for it (so it names this program, wherever it is installed now), then changed whenever
/// the settings are saved. Call inside the tokio runtime.
pub fn follow(bus: &EventBus, start_at_login: bool) -> tokio::task::JoinHandle<()> {
    let mut events = bus.subscribe();
    if start_at_login {
        report(apply(true));
    }
    tokio::spawn(async move {
        let mut current = start_at_login;
        loop {
            match events.recv().await {
                Ok(Event::SettingsChanged { start_at_login }) if start_at_login != current => {
                    current = start_at_login;
                    report(apply(start_at_login));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    })
}

fn report(result: Result<(), AutostartError>) {
    if let Err(error) = result {
        tracing::error!(%error, "could not change whether livegate starts at login");
    }
}

/// The folder login entries go in for this user, on this platform.
pub fn entries_folder() -> Result<PathBuf, AutostartError> {
    let base = directories::BaseDirs::new().ok_or(AutostartError::NoHome)?;
    #[cfg(target_os = "macos")]
    let folder = base.home_dir().join("Library/LaunchAgents");
    #[cfg(not(target_os = "macos"))]
    let folder = base.config_dir().join("autostart");
    Ok(folder)
}

/// Makes livegate start (hidden, in the tray) at login, or stops it doing so, for the
/// program running now.
pub fn apply(enabled: bool) -> Result<(), AutostartError> {
    let exe = std::env::current_exe().map_err(AutostartError::Exe)?;
    apply_in(&entries_folder()?, &exe, enabled)
}

/// [`apply`] with the folder and the program given (tests use a temporary folder).
pub fn apply_in(folder: &Path, exe: &Path, enabled: bool) -> Result<(), AutostartError> {
    let path = folder.join(ENTRY);
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| AutostartError::Io {
            action,
            path,
            source,
        }
    };
    if !enabled {
        return match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::info!(entry = %path.display(), "livegate no longer starts at login");
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("removing", &path)(e)),
        };
    }
    std::fs::create_dir_all(folder).map_err(io("creating", folder))?;
    std::fs::write(&path, entry(exe)).map_err(io("writing", &path))?;
    tracing::info!(entry = %path.display(), "livegate starts at login");
    Ok(())
}

/// The entry's text: run `exe --hidden`.
#[cfg(not(target_os = "macos"))]
fn entry(exe: &Path) -> String {
    // Desktop entry `Exec` quoting: the path in double quotes, with `"`, `` ` ``, `$` and `\`
    // escaped by a backslash.
    let mut quoted = String::from("\"");
    for c in exe.display().to_string().chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    format!(
        "[Desktop Entry]\nType=Application\nName=livegate\n\
         Comment=Lets AI agents work in Ableton Live by your rules\n\
         Exec={quoted} --hidden\nIcon=livegate-desktop\nTerminal=false\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// The entry's text: run `exe --hidden`.
#[cfg(target_os = "macos")]
fn entry(exe: &Path) -> String {
    let exe = exe
        .display()
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \
         \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\"><dict>\
         <key>Label</key><string>app.livegate.desktop</string>\
         <key>ProgramArguments</key><array><string>{exe}</string><string>--hidden</string></array>\
         <key>RunAtLoad</key><true/></dict></plist>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabling_writes_an_entry_that_starts_hidden_and_disabling_removes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("autostart");
        let exe = Path::new("/opt/live gate/bin/livegate-desktop");
        apply_in(&folder, exe, true).expect("enabled");
        let text = std::fs::read_to_string(folder.join(ENTRY)).expect("entry written");
        assert!(
            text.contains("/opt/live gate/bin/livegate-desktop"),
            "{text}"
        );
        assert!(text.contains("--hidden"), "{text}");
        apply_in(&folder, exe, true).expect("enabling twice is fine");
        apply_in(&folder, exe, false).expect("disabled");
        assert!(!folder.join(ENTRY).exists());
        apply_in(&folder, exe, false).expect("disabling twice is fine");
    }

    #[cfg(not(target_os = "macos"))]
    #[test]
    fn the_program_path_is_quoted_for_the_desktop_entry() {
        let text = entry(Path::new("/home/a \"b\"/$x/livegate-desktop"));
        assert!(
            text.contains("Exec=\"/home/a \\\"b\\\"/\\$x/livegate-desktop\" --hidden\n"),
            "{text}"
        );
    }
}
