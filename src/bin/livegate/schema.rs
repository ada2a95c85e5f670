//! `livegate schema`: prints the policy format's JSON Schema (`policies/schema.json`).

use std::process::ExitCode;

/// Prints the schema to stdout.
pub fn run() -> anyhow::Result<ExitCode> {
    let schema = livegate::policy::builtin::policy_schema();
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
