//! `livegate import intercept FILE`: converts a PolicyLayer Intercept YAML policy into a
//! livegate JSON policy and says which parts, if any, could not be translated.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use livegate::policy::{import_intercept, Catalog, CompiledPolicy};

/// Formats `livegate import` converts from.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Convert a PolicyLayer Intercept YAML policy.
    Intercept(Args),
}

/// Arguments of `livegate import intercept`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Intercept policy (YAML).
    file: PathBuf,
    /// Write the livegate policy here instead of to standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Exit with status 2 when anything could not be translated (the policy is still written).
    #[arg(long)]
    strict: bool,
}

/// Converts, validates the result, writes it, and lists what was not translated on stderr.
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let Command::Intercept(args) = command;
    let yaml = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let import =
        import_intercept(&yaml).with_context(|| format!("importing {}", args.file.display()))?;
    // What we write must load: validate it the way the gateway will.
    CompiledPolicy::compile(import.policy.clone(), Arc::new(Catalog::ableton())).map_err(|e| {
        anyhow::anyhow!("the converted policy does not validate (a bug in the importer): {e}")
    })?;
    let mut json = serde_json::to_string_pretty(&import.policy)?;
    json.push('\n');
    match &args.output {
        Some(path) => {
            std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(json.as_bytes())?,
    }
    let mut stderr = std::io::stderr().lock();
    if import.untranslated.is_empty() {
        writeln!(
            stderr,
            "imported {}: everything was translated",
            args.file.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stderr,
        "imported {} with {} part(s) not translated; review them before using the policy:",
        args.file.display(),
        import.untranslated.len()
    )?;
    for part in &import.untranslated {
        writeln!(stderr, "  {}: {}", part.path, part.reason)?;
    }
    Ok(if args.strict {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
