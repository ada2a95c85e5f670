//! `livegate pins list|accept`: tools whose definition changed upstream are blocked until
//! accepted here.

use std::process::ExitCode;

use livegate::mcp::pins::PinStore;
use livegate::settings::Paths;

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
            for key in accepted {
                println!("accepted {key}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
