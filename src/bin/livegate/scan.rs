//! `livegate scan -- COMMAND…` (or `scan --upstream URL`): starts (or reaches) an MCP server,
//! lists its tools, and writes a starter policy naming every tool with its category and a
//! first action, for you to review.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use livegate::mcp::upstream::{
    list_all, HttpOptions, HttpUpstream, StdioOptions, StdioUpstream, Upstream, UpstreamHealth,
};
use livegate::policy::starter::{starter_policy, ScannedTool};
use livegate::policy::{Catalog, CompiledPolicy, ToolHints};

/// How long the server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `livegate scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the policy here instead of to standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Scan a Streamable HTTP server at this URL instead of starting a command.
    #[arg(long, conflicts_with = "command")]
    upstream: Option<String>,
    /// A header for --upstream, as `Name: value` (repeatable), e.g. its Authorization.
    #[arg(long = "header", requires = "upstream")]
    headers: Vec<String>,
    /// The server to scan: a command and its arguments, after `--`.
    #[arg(last = true, required_unless_present = "upstream")]
    command: Vec<String>,
}

/// Scans and prints (or writes) the starter policy.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let (name, upstream): (String, Arc<dyn Upstream>) = match &args.upstream {
            Some(url) => {
                let mut headers = BTreeMap::new();
                for header in &args.headers {
                    let Some((k, v)) = header.split_once(':') else {
                        anyhow::bail!("--header {header:?} is not `Name: value`");
                    };
                    headers.insert(k.trim().to_string(), v.trim().to_string());
                }
                eprintln!("connecting to {url} …");
                (url.clone(), HttpUpstream::connect(url.clone(), url.clone(), headers, HttpOptions::default()))
            }
            None => {
                let Some((program, rest)) = args.command.split_first() else {
                    anyhow::bail!("name the server to scan after `--`, e.g. `livegate scan -- npx @modelcontextprotocol/server-everything`");
                };
                let name = std::path::Path::new(program)
                    .file_name()
                    .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned());
                eprintln!("starting {program} …");
                let upstream = StdioUpstream::spawn(name.clone(), program.clone(), rest.to_vec(), BTreeMap::new(), None, StdioOptions::default());
                (name, upstream)
            }
        };
        let tools = match list_all(upstream.as_ref(), "tools/list", "tools").await {
            Ok(tools) => tools,
            Err(first) => {
                // A child may still be starting: give it until the deadline, then say why.
                wait_ready(upstream.as_ref()).await.map_err(|e| e.context(first.to_string()))?;
                list_all(upstream.as_ref(), "tools/list", "tools")
                    .await
                    .with_context(|| format!("listing the tools of {name}"))?
            }
        };
        drop(upstream);
        let scanned: Vec<ScannedTool> = tools
            .iter()
            .filter_map(|t| {
                Some(ScannedTool {
                    name: t.get("name")?.as_str()?.to_string(),
                    hints: t.get("annotations").map(ToolHints::from_annotations).unwrap_or_default(),
                })
            })
            .collect();
        let catalog = Catalog::ableton();
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let policy = starter_policy(&name, &scanned, &catalog, &today);
        CompiledPolicy::compile(policy.clone(), Arc::new(catalog))
            .map_err(|e| anyhow::anyhow!("the starter policy does not validate (a bug): {e}"))?;
        let mut json = serde_json::to_string_pretty(&policy)?;
        json.push('\n');
        match &args.output {
            Some(path) => {
                std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote a starter policy for {} tools to {}; review it, then `livegate check` it", scanned.len(), path.display());
            }
            None => print!("{json}"),
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_ready(upstream: &dyn Upstream) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match upstream.health() {
            UpstreamHealth::Ready => return Ok(()),
            UpstreamHealth::Down { detail } if Instant::now() >= deadline => {
                anyhow::bail!("the server did not start: {detail}")
            }
            UpstreamHealth::Down { detail } if detail.contains("cannot start") => {
                anyhow::bail!("{detail}")
            }
            _ if Instant::now() >= deadline => anyhow::bail!(
                "the server did not finish starting within {} s",
                START_TIMEOUT.as_secs()
            ),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
