//! `livegate connect`: a stdio MCP server for clients that launch commands (Claude Desktop,
//! Claude Code `.mcp.json`). It bridges to the running gateway, or with `--embedded` runs
//! one in this process. stdout carries only the protocol; messages go to stderr.

use std::process::ExitCode;

use livegate::mcp::downstream::stdio::{self, BridgeConfig};
use livegate::server::{self, ServerOptions};
use livegate::settings::{Paths, Settings};
use tokio::io::BufReader;

/// Arguments of `livegate connect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The gateway's MCP URL (default: the `listen` address in settings.json).
    #[arg(long, env = "LIVEGATE_URL")]
    url: Option<String>,
    /// The grant token (create one with `livegate grant add NAME`).
    #[arg(long, env = "LIVEGATE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Run the gateway inside this process instead of connecting to a running one.
    #[arg(long)]
    embedded: bool,
}

/// Bridges stdin/stdout to the gateway until stdin closes.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let paths = Paths::discover()?;
        let (config, running) = if args.embedded {
            let (policy_file, _) = server::ensure_policy_file(&paths)?;
            let running = server::start(ServerOptions {
                paths,
                policy_file,
                listen: Some(([127, 0, 0, 1], 0).into()),
                catalogs: Vec::new(),
                simulator: None,
            })
            .await?;
            let token = match &args.token {
                Some(token) => token.clone(),
                None => running.grants.add_ephemeral("embedded"),
            };
            (BridgeConfig { url: running.mcp_url(), token }, Some(running))
        } else {
            let url = match &args.url {
                Some(url) => url.clone(),
                None => format!("http://{}/mcp", Settings::load(&paths.settings_file())?.listen),
            };
            let Some(token) = args.token.clone() else {
                anyhow::bail!("no grant token: pass --token or set LIVEGATE_TOKEN (create one with `livegate grant add NAME`)");
            };
            stdio::check_reachable(&url).await?;
            (BridgeConfig { url, token }, None)
        };
        tracing::info!(url = %config.url, "bridging stdio to livegate");
        stdio::run(config, BufReader::new(tokio::io::stdin()), tokio::io::stdout()).await?;
        if let Some(running) = running {
            running.stop().await;
        }
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}
