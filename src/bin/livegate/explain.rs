//! `livegate explain FILE TOOL [ARGS-JSON]`: which rule decides a call, and why.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use livegate::policy::Clock;
use livegate::policy::{Call, Catalog, CompiledPolicy, Counters, Outcome, SystemClock, ToolHints};

/// Arguments of `livegate explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy file.
    file: PathBuf,
    /// The tool's name.
    tool: String,
    /// The call's arguments as a JSON object, e.g. '{"track_index": 2}'.
    args: Option<String>,
    /// The agent credential making the call (for per-grant limits).
    #[arg(long, default_value = "cli")]
    grant: String,
    /// The MCP session (for per-session limits).
    #[arg(long)]
    session: Option<String>,
    /// The tool's MCP annotations as JSON, for tools no catalog knows,
    /// e.g. '{"readOnlyHint": true}'.
    #[arg(long)]
    annotations: Option<String>,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

/// Prints the explanation; exit status 0 when the call would be allowed or asked about,
/// 1 when it would be refused.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let policy = CompiledPolicy::from_json(&text, Arc::new(Catalog::ableton())).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}\nrun `livegate check` for details",
            args.file.display()
        )
    })?;
    let call_args: serde_json::Value = match &args.args {
        Some(json) => serde_json::from_str(json)
            .with_context(|| format!("the arguments {json:?} are not valid JSON"))?,
        None => serde_json::json!({}),
    };
    let hints = match &args.annotations {
        Some(json) => Some(ToolHints::from_annotations(
            &serde_json::from_str(json)
                .with_context(|| format!("the annotations {json:?} are not valid JSON"))?,
        )),
        None => None,
    };
    let call = Call {
        tool: &args.tool,
        args: &call_args,
        grant: &args.grant,
        session: args.session.as_deref(),
        hints,
    };
    let explanation = policy.explain(&call, &Counters::new(), SystemClock.now_ms());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        println!("{explanation}");
    }
    Ok(match explanation.outcome {
        Outcome::Allow | Outcome::NeedsApproval { .. } => ExitCode::SUCCESS,
        Outcome::Deny { .. } | Outcome::RateLimited { .. } => ExitCode::FAILURE,
    })
}
