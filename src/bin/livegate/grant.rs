//! `livegate grant add|list|revoke`: agent credentials. A token is printed once, at `add`;
//! livegate keeps only its hash.

use std::process::ExitCode;

use livegate::grants;
use livegate::settings::Paths;

/// Grant subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a credential for an agent and print its token (shown only this once).
    Add {
        /// A name for the agent, e.g. claude-desktop.
        name: String,
    },
    /// List the grants (names and creation times; tokens are never stored).
    List,
    /// Revoke a grant; its token stops working at once.
    Revoke {
        /// The grant's name.
        name: String,
    },
}

/// Runs a grant subcommand.
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let paths = Paths::discover()?;
    paths.ensure()?;
    let file = paths.settings_file();
    match command {
        Command::Add { name } => {
            let token = grants::add(&file, name)?;
            eprintln!("grant {name:?} created. Its token (shown only now; keep it secret):");
            println!("{token}");
        }
        Command::List => {
            let list = grants::list(&file)?;
            if list.is_empty() {
                println!("no grants yet; create one with `livegate grant add NAME`");
            }
            for grant in list {
                println!("{}\tcreated {}", grant.name, grant.created);
            }
        }
        Command::Revoke { name } => {
            grants::revoke(&file, name)?;
            println!("grant {name:?} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
