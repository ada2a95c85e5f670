//! `livegate ui [--open]`: a fresh one-time link that signs a browser in to the running
//! livegate's UI (valid ten minutes, once); `--open` opens it in the default browser.

use std::process::{Command, ExitCode, Stdio};

use anyhow::anyhow;
use serde_json::json;

use crate::admin_client::AdminClient;

/// Arguments of `livegate ui`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Open the link in the default browser.
    #[arg(long)]
    open: bool,
}

/// Prints (and opens) a login link.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let client = AdminClient::discover()?;
    let answer = crate::runtime()?.block_on(client.post("/api/login-links", &json!({})))?;
    let url = answer["url"]
        .as_str()
        .ok_or_else(|| anyhow!("livegate answered without a link: {answer}"))?;
    println!("{url}");
    if args.open {
        if let Err(e) = open(url) {
            eprintln!("could not open a browser ({e}); open the link above yourself");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens `url` with the desktop's default browser.
fn open(url: &str) -> std::io::Result<()> {
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        Command::new("xdg-open")
    };
    let status = command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the opener exited with {status}"
        )))
    }
}
