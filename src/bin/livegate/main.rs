//! The `livegate` command line: one subcommand per job, each in its own module.

use clap::{Parser, Subcommand};

/// livegate: a policy gateway between AI agents and Ableton Live.
#[derive(Debug, Parser)]
#[command(name = "livegate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {}

fn main() -> anyhow::Result<()> {
    init_tracing();
    let cli = Cli::parse();
    match cli.command {
        None => Ok(()),
    }
}

/// Logs go to stderr; `RUST_LOG` tunes them (default: info for livegate).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("livegate=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
