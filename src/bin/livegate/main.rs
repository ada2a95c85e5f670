//! The `livegate` command line: one subcommand per job, each in its own module.

mod admin_client;
mod approvals;
mod audit;
mod check;
mod connect;
mod explain;
mod grant;
mod import;
mod pause;
mod pins;
mod scan;
mod schema;
mod serve;
mod sim;
mod ui;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// livegate: a policy gateway between AI agents and Ableton Live.
///
/// With no subcommand, livegate serves (`livegate serve`).
#[derive(Debug, Parser)]
#[command(name = "livegate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway: agents connect to its MCP URL; every call is checked by the policy.
    Serve(serve::Args),
    /// A stdio MCP server bridging to the gateway (for clients that launch a command).
    Connect(connect::Args),
    /// Manage agent credentials (grants).
    #[command(subcommand)]
    Grant(grant::Command),
    /// Review tools whose definition changed upstream.
    #[command(subcommand)]
    Pins(pins::Command),
    /// Answer the calls waiting for approval (talks to the running livegate).
    #[command(subcommand)]
    Approvals(approvals::Command),
    /// Print a one-time link that signs a browser in to the running livegate's UI.
    Ui(ui::Args),
    /// Pause all agents: only Read tools run until `livegate resume`.
    Pause,
    /// Resume all agents.
    Resume,
    /// Validate policy files; prints every error with its JSON path, exits 1 if any.
    Check(check::Args),
    /// Say which rule decides a tool call under a policy, and why.
    Explain(explain::Args),
    /// Convert a policy from another gateway's format.
    #[command(subcommand)]
    Import(import::Command),
    /// Start an MCP server, list its tools and write a starter policy for them.
    Scan(scan::Args),
    /// Print the JSON Schema of the policy format.
    Schema,
    /// Run a simulated Ableton Live that speaks AbletonOSC (no Ableton needed).
    Sim(sim::Args),
    /// Read, export, verify and prune the audit log.
    #[command(subcommand)]
    Audit(audit::Command),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve::run(serve::Args::default()),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Connect(args)) => connect::run(&args),
        Some(Command::Grant(command)) => grant::run(&command),
        Some(Command::Pins(command)) => pins::run(&command),
        Some(Command::Approvals(command)) => approvals::run(&command),
        Some(Command::Ui(args)) => ui::run(&args),
        Some(Command::Pause) => pause::run(true),
        Some(Command::Resume) => pause::run(false),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Import(command)) => import::run(&command),
        Some(Command::Scan(args)) => scan::run(&args),
        Some(Command::Schema) => schema::run(),
        Some(Command::Sim(args)) => sim::run(&args),
        Some(Command::Audit(command)) => audit::run(&command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("livegate: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime the long-running subcommands share.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))
}

/// Logs go to stderr; `RUST_LOG` tunes them (default: info for livegate).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("livegate=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
