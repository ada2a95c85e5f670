//! `livegate pins list|accept`: tools whose definition changed upstream are blocked until
//! accepted here.

use std::process::ExitCode;

use anyhow::Context;
use livegate::audit::{AuditLog, Entry, EventEntry};
use livegate::mcp::pins::PinStore;
use livegate::settings::{Paths, Settings};

/// Pin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List pinned tools; changed ones are marked BLOCKED with their new definition.
    List,
    /// Accept changed definitions: the keys given (`upstream/tool`), or all with --all.
    Accept {
        /// Pin keys, as `pins list` shows them.
        keys: Vec<String>,
        /// Accept every pending change.
        #[arg(long, conflicts_with = "keys")]
        all: bool,
    },
}

/// Runs a pins subcommand.
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let paths = Paths::discover()?;
    let store = PinStore::open(&paths.pins_file())?;
    match command {
        Command::List => {
            let pins = store.list();
            if pins.is_empty() {
                println!(
                    "no tools pinned yet: tools are pinned the first time livegate lists them"
                );
            }
            for (key, pin) in pins {
                match pin.changed {
                    Some(change) => println!(
                        "{key}\tBLOCKED: changed {} (accepted {})\n  new definition: {}",
                        change.seen, pin.accepted, change.definition
                    ),
                    None => println!("{key}\tpinned {}", pin.accepted),
                }
            }
        }
        Command::Accept { keys, all } => {
            if keys.is_empty() && !all {
                anyhow::bail!("name the tools to accept (see `livegate pins list`) or pass --all");
            }
            let accepted = store.accept(keys)?;
            if accepted.is_empty() {
                println!("nothing to accept");
                return Ok(ExitCode::FAILURE);
            }
            record_accepted(&paths, &accepted)?;
            for key in accepted {
                println!("accepted {key}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Records the accepted changes in the audit log (beside a running livegate, which writes it
/// too: the log's hash chain is shared safely between processes).
fn record_accepted(paths: &Paths, keys: &[String]) -> anyhow::Result<()> {
    let settings = Settings::load(&paths.settings_file())?;
    let log = AuditLog::open(paths.audit_db(), settings.audit_config())
        .context("the pins were accepted, but the audit log could not be opened to record it")?;
    log.append_blocking(Entry::Event(EventEntry::now(
        "pin_accepted",
        format!("accepted the changed definition of {}", keys.join(", ")),
        serde_json::json!({ "keys": keys }),
    )))
    .context("the pins were accepted, but recording it in the audit log failed")?;
    log.close_blocking()
        .context("closing the audit log after recording the accepted pins")?;
    Ok(())
}
