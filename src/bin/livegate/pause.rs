//! `livegate pause` / `livegate resume`: while paused, every call except Read tools is
//! denied ("paused by the user"). A running gateway picks the change up within a second.

use std::process::ExitCode;

use livegate::settings::{Paths, Settings};

/// Sets the paused flag in settings.json.
pub fn run(paused: bool) -> anyhow::Result<ExitCode> {
    let paths = Paths::discover()?;
    paths.ensure()?;
    let file = paths.settings_file();
    let mut settings = Settings::load(&file)?;
    settings.paused = paused;
    settings.save(&file)?;
    if paused {
        println!("agents paused: only Read tools run until `livegate resume`");
    } else {
        println!("agents resumed");
    }
    Ok(ExitCode::SUCCESS)
}
