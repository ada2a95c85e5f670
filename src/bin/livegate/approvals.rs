//! `livegate approvals list|approve|deny`: answer the calls waiting for approval from the
//! terminal, through the running livegate's admin API (answers are recorded as `via cli`).

use std::process::ExitCode;

use serde_json::{json, Value};

use crate::admin_client::AdminClient;

/// Approval subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the calls waiting for approval, oldest first.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a waiting call: it runs with the arguments shown.
    Approve {
        /// The approval's id, as `approvals list` shows it.
        id: String,
        /// Remember the yes: once, session, or minutes:N (default: what the rule says).
        #[arg(long)]
        remember: Option<String>,
    },
    /// Deny a waiting call.
    Deny {
        /// The approval's id, as `approvals list` shows it.
        id: String,
        /// Why, for the agent.
        #[arg(long)]
        reason: Option<String>,
        /// Also refuse this tool to this agent without asking until its session ends.
        #[arg(long)]
        for_session: bool,
    },
}

/// Runs an approvals subcommand against the running livegate.
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let client = AdminClient::discover()?;
    crate::runtime()?.block_on(async {
        match command {
            Command::List { json } => {
                let list = client.get("/api/approvals").await?;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else {
                    print_list(&list);
                }
            }
            Command::Approve { id, remember } => {
                let mut body = json!({"via": "cli"});
                if let Some(remember) = remember {
                    body["remember"] = json!(remember);
                }
                client
                    .post(&format!("/api/approvals/{id}/approve"), &body)
                    .await?;
                println!("approved {id}");
            }
            Command::Deny {
                id,
                reason,
                for_session,
            } => {
                let body = json!({"via": "cli", "reason": reason, "for_session": for_session});
                client
                    .post(&format!("/api/approvals/{id}/deny"), &body)
                    .await?;
                println!("denied {id}");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn print_list(list: &Value) {
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        println!("no calls are waiting for approval");
        return;
    }
    for a in items {
        let text = |key: &str| a[key].as_str().unwrap_or("?").to_string();
        println!(
            "{}  {} by {} ({} s left)",
            text("id"),
            text("tool"),
            text("grant"),
            a["seconds_left"]
        );
        println!("    arguments: {}", a["args"]);
        let reason = a["reason"]
            .as_str()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        println!("    asked by rule {}{reason}", text("rule"));
    }
    println!(
        "answer with `livegate approvals approve ID` or `livegate approvals deny ID --reason TEXT`"
    );
}
