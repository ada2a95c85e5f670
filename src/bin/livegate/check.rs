//! `livegate check FILE…`: validates policy files and prints every error with its JSON path.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use livegate::policy::{Catalog, CompiledPolicy};

/// Arguments of `livegate check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files to validate.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Checks each file; exit status 0 only when every file is valid.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let catalog = Arc::new(Catalog::ableton());
    let mut all_valid = true;
    for file in &args.files {
        let name = file.display();
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                println!("{name}: cannot read: {e}");
                all_valid = false;
                continue;
            }
        };
        match CompiledPolicy::from_json(&text, Arc::clone(&catalog)) {
            Ok(policy) => {
                let p = policy.policy();
                println!(
                    "{name}: ok (default {}, {} tool rule{}, {} category rule{}, {} hidden)",
                    p.default,
                    p.tools.len(),
                    plural(p.tools.len()),
                    p.categories.len(),
                    plural(p.categories.len()),
                    p.hide.len()
                );
            }
            Err(errors) => {
                all_valid = false;
                for issue in errors.issues() {
                    println!("{name}: {issue}");
                }
            }
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
