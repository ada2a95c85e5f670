//! `livegate serve` (also what `livegate` alone does): loads the policy, reports what it
//! allows, and keeps it in force, applying every valid edit to the file as it is saved.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use livegate::events::{Event, EventBus};
use livegate::policy::builtin::ABLETON_DEFAULT_JSON;
use livegate::policy::{
    Action, Catalog, CompiledPolicy, PolicyHandle, PolicyWatcher, Reloaded, SystemClock,
};
use livegate::settings::Paths;

/// Arguments of `livegate serve`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// The policy file (default: policy.json in livegate's config folder, created from the
    /// recommended Ableton policy on first start).
    #[arg(long, env = "LIVEGATE_POLICY")]
    policy: Option<PathBuf>,
    /// Extra risk catalogs (JSON, same shape as policies/catalog/ableton.json).
    #[arg(long = "catalog")]
    catalogs: Vec<PathBuf>,
}

/// Serves until Ctrl-C.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    println!("livegate {}", env!("CARGO_PKG_VERSION"));
    let policy_file = match args.policy {
        Some(file) => file,
        None => default_policy_file()?,
    };
    let mut catalog = Catalog::ableton();
    for file in &args.catalogs {
        catalog.merge(Catalog::from_file(file)?);
    }
    let handle = Arc::new(PolicyHandle::deny_all(
        Arc::new(catalog),
        Arc::new(SystemClock),
    ));
    // Watch first, then load: an edit made in between is then seen, not lost.
    let bus = EventBus::new();
    let mut events = bus.subscribe();
    let _watcher = PolicyWatcher::start(Arc::clone(&handle), &policy_file, bus)?;
    match handle.reload_file(&policy_file) {
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
    report(&policy_file, &handle.current());

    println!(
        "watching {} for changes; press Ctrl-C to stop",
        policy_file.display()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                event = events.recv() => match event {
                    Ok(Event::PolicyReloaded { ok: true, .. }) => report(&policy_file, &handle.current()),
                    Ok(Event::PolicyReloaded { ok: false, errors }) => {
                        println!("edit rejected, the last good policy stays in force:");
                        for error in errors {
                            println!("  {error}");
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    });
    println!("livegate stopped");
    Ok(ExitCode::SUCCESS)
}

/// `policy.json` in the config folder, written from the recommended policy if missing.
fn default_policy_file() -> anyhow::Result<PathBuf> {
    let paths = Paths::discover()?;
    paths.ensure()?;
    let file = paths.policy_file();
    if !file.exists() {
        std::fs::write(&file, ABLETON_DEFAULT_JSON)
            .with_context(|| format!("writing the recommended policy to {}", file.display()))?;
        println!(
            "wrote livegate's recommended Ableton policy to {}",
            file.display()
        );
    }
    Ok(file)
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
