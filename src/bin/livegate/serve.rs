//! `livegate serve` (also what `livegate` alone does): runs the gateway. Agents connect to
//! the printed MCP URL with a grant token; every tool call is decided by the policy, which
//! is reloaded whenever its file is saved.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use livegate::events::Event;
use livegate::policy::{Action, Catalog, CompiledPolicy, Reloaded};
use livegate::server::{self, ServerOptions};
use livegate::settings::{Paths, SimulatorMode};

/// Arguments of `livegate serve`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// The policy file (default: policy.json in livegate's config folder, created from the
    /// recommended Ableton policy on first start).
    #[arg(long, env = "LIVEGATE_POLICY")]
    policy: Option<PathBuf>,
    /// Listen here instead of the address in settings.json (e.g. 127.0.0.1:0 for any free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Extra risk catalogs (JSON, same shape as policies/catalog/ableton.json).
    #[arg(long = "catalog")]
    catalogs: Vec<PathBuf>,
    /// Use the simulated Live even if Ableton Live answers.
    #[arg(long)]
    sim: bool,
}

/// Serves until Ctrl-C.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    println!("livegate {}", env!("CARGO_PKG_VERSION"));
    let paths = Paths::discover()?;
    paths.ensure()?;
    let policy_file = match args.policy {
        Some(file) => file,
        None => {
            let (file, written) = server::ensure_policy_file(&paths)?;
            if written {
                println!(
                    "wrote livegate's recommended Ableton policy to {}",
                    file.display()
                );
            }
            file
        }
    };
    let catalogs = args
        .catalogs
        .iter()
        .map(|f| Catalog::from_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = crate::runtime()?;
    runtime.block_on(async move {
        let simulator = args.sim.then_some(SimulatorMode::Always);
        let options = ServerOptions { paths, policy_file: policy_file.clone(), listen: args.listen, catalogs, simulator };
        let running = server::start(options).await?;
        match &running.initial_policy {
            Ok(Reloaded::Policy) => {}
            Ok(Reloaded::NoFileDenyAll) => println!(
                "no policy file at {}: every call is denied until one is there",
                policy_file.display()
            ),
            Err(errors) => println!(
                "the policy file {} is not valid, so every call is denied until it is fixed:\n{errors}",
                policy_file.display()
            ),
        }
        report(&policy_file, &running.policy.current());
        if let Some(live) = &running.live {
            println!("Live: {}", live.description);
        }
        let upstreams: Vec<&str> = running.gateway.upstreams().iter().map(|u| u.name()).collect();
        if upstreams.is_empty() {
            println!("no upstreams yet: add MCP servers to `upstreams` in {}", Paths::discover()?.settings_file().display());
        } else {
            println!("upstreams: {}", upstreams.join(", "));
        }
        println!("MCP endpoint for agents: {}", running.mcp_url());
        println!("agents need a token: `livegate grant add NAME`");
        println!(
            "admin UI (this sign-in link works once, for 10 minutes; `livegate ui` makes another): {}",
            running.login_url()
        );
        println!("watching {} for changes; press Ctrl-C to stop", policy_file.display());
        let mut events = running.bus.subscribe();
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                event = events.recv() => match event {
                    Ok(Event::PolicyReloaded { ok: true, .. }) => report(&policy_file, &running.policy.current()),
                    Ok(Event::PolicyReloaded { ok: false, errors }) => {
                        println!("edit rejected, the last good policy stays in force:");
                        for error in errors {
                            println!("  {error}");
                        }
                    }
                    Ok(Event::ToolChanged { key }) => println!(
                        "tool {key} changed its definition upstream and is blocked; `livegate pins list` shows it, `livegate pins accept {key}` allows it"
                    ),
                    Ok(Event::PausedChanged { paused }) => println!("agents {}", if paused { "paused" } else { "resumed" }),
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        running.stop().await;
        println!("livegate stopped");
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

/// One paragraph on what the policy in force does with the catalog's tools.
fn report(file: &Path, policy: &CompiledPolicy) {
    let (mut free, mut limited, mut ask, mut denied, mut hidden) = (0, 0, 0, 0, 0);
    for tool in policy.catalog().tools() {
        if policy.hidden_by(&tool.name).is_some() {
            hidden += 1;
            continue;
        }
        let (rule, _) = policy.rule_for(&tool.name, tool.category);
        match rule.action {
            Action::Deny => denied += 1,
            Action::Approve => ask += 1,
            Action::Allow if rule.conditions.is_empty() && rule.limits.is_empty() => free += 1,
            Action::Allow => limited += 1,
        }
    }
    let p = policy.policy();
    println!("policy {} (default {}):", file.display(), p.default);
    println!(
        "  {} known tools: {free} allowed, {limited} allowed within limits or conditions, \
         {ask} ask you first, {denied} denied, {hidden} hidden",
        policy.catalog().len()
    );
    if let Some(description) = &p.description {
        println!("  {description}");
    }
}
