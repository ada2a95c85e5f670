//! The background side of a [`StdioUpstream`](super::StdioUpstream): starts the
//! child, performs the handshake, reads and answers what the child writes, logs its
//! stderr, and restarts it with exponential backoff whenever it exits.
//!
//! One call of [`supervise`] lives as long as the upstream. Each run of the child
//! gets a generation number, a writer task owning its stdin, a reader task for its
//! stdout and one for its stderr; the run ends when the child exits or closes its
//! stdout, and its pending requests then fail at once.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{millis, Reply, Shared, Target, SUPPORTED_VERSIONS};
use crate::mcp::upstream::{UpstreamError, UpstreamHealth};

/// A child that stayed initialized this long resets the backoff when it exits.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// How long the reader may go on passing on output after the child exited.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// How long a child that closed its stdout may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How many characters of an unusable line go into the log.
const LOGGED_CHARS: usize = 200;

/// How to start the child.
pub(super) struct Launch {
    pub(super) command: String,
    pub(super) args: Vec<String>,
    pub(super) env: BTreeMap<String, String>,
    pub(super) cwd: Option<PathBuf>,
}

/// How one run of the child ended.
enum Run {
    /// Shutdown was asked for; the child is gone.
    Stopped,
    /// The child exited, could not start, or failed the handshake.
    Ended {
        /// The health detail.
        detail: String,
        /// What the requests still pending are told.
        pending_reason: String,
        /// How long it was initialized, if it got that far.
        ready_for: Option<Duration>,
    },
}

/// Starts the child again and again until `stop` is cancelled.
pub(super) async fn supervise(shared: Arc<Shared>, launch: Launch, stop: CancellationToken) {
    let name = shared.name.clone();
    let mut backoff = shared.options.initial_backoff;
    let mut generation = 0;
    let mut initialized_before = false;
    loop {
        generation += 1;
        let (detail, pending_reason, ready_for) =
            match run_child(&shared, &launch, generation, &stop, initialized_before).await {
                Run::Stopped => break,
                Run::Ended {
                    detail,
                    pending_reason,
                    ready_for,
                } => (detail, pending_reason, ready_for),
            };
        shared.set_health(UpstreamHealth::Down {
            detail: detail.clone(),
        });
        shared.fail_link(generation, &pending_reason);
        initialized_before |= ready_for.is_some();
        if ready_for.is_some_and(|up| up >= STABLE_AFTER) {
            backoff = shared.options.initial_backoff;
        }
        tracing::warn!(upstream = %name, delay_ms = millis(backoff), "{detail}; restarting after a delay");
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = backoff.saturating_mul(2).min(shared.options.max_backoff);
        shared.set_health(UpstreamHealth::Starting {
            detail: Some(format!("restarting `{}` after: {detail}", launch.command)),
        });
    }
    shared.set_health(UpstreamHealth::Down {
        detail: "shut down".to_owned(),
    });
    shared.fail_link(
        generation,
        &format!("upstream {name} was shut down while the request was pending"),
    );
    tracing::info!(upstream = %name, "stdio upstream shut down");
}

/// Starts the child once, initializes it and serves it until it ends.
async fn run_child(
    shared: &Arc<Shared>,
    launch: &Launch,
    generation: u64,
    stop: &CancellationToken,
    announce: bool,
) -> Run {
    let name = shared.name.as_str();
    let mut command = Command::new(&launch.command);
    command
        .args(&launch.args)
        .envs(&launch.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(cwd) = &launch.cwd {
        command.current_dir(cwd);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let detail = format!("cannot start `{}`: {error}", launch.command);
            return ended(name, detail, "could not start".to_owned(), None);
        }
    };
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        stop_child(name, &mut child).await;
        let detail = format!("cannot reach the standard streams of `{}`", launch.command);
        return ended(name, detail, "could not start".to_owned(), None);
    };
    tracing::info!(upstream = %name, pid = child.id(), command = %launch.command, generation, "started the server process");

    let (outgoing, lines) = mpsc::unbounded_channel();
    shared.install_link(generation, outgoing);
    tokio::spawn(write_lines(shared.name.clone(), stdin, lines));
    tokio::spawn(log_stderr(shared.name.clone(), stderr));
    let stdout_closed = CancellationToken::new();
    tokio::spawn(read_stdout(
        Arc::clone(shared),
        generation,
        stdout,
        stdout_closed.clone(),
    ));

    let handshake = tokio::select! {
        () = stop.cancelled() => None,
        exit = wait_exit(&mut child, &stdout_closed) => Some(Err(exit)),
        init = handshake(shared, generation) => Some(Ok(init)),
    };
    match handshake {
        None => {
            stop_child(name, &mut child).await;
            return Run::Stopped;
        }
        Some(Err(exit)) => {
            let detail = format!("`{}` {exit} before it was initialized", launch.command);
            return ended(name, detail, exit, None);
        }
        Some(Ok(Err(detail))) => {
            stop_child(name, &mut child).await;
            return ended(name, detail, "failed to initialize".to_owned(), None);
        }
        Some(Ok(Ok(()))) => {}
    }
    let ready_since = Instant::now();
    shared.set_health(UpstreamHealth::Ready);
    if announce {
        // The tools may have changed across the restart.
        shared.publish("notifications/tools/list_changed".to_owned(), None);
    }

    tokio::select! {
        () = stop.cancelled() => {
            stop_child(name, &mut child).await;
            Run::Stopped
        }
        exit = wait_exit(&mut child, &stdout_closed) => {
            let detail = format!("`{}` {exit}", launch.command);
            ended(name, detail, exit, Some(ready_since.elapsed()))
        }
    }
}

/// A [`Run::Ended`]; `what` says what happened to the child ("exited (…)").
fn ended(name: &str, detail: String, what: String, ready_for: Option<Duration>) -> Run {
    Run::Ended {
        detail,
        pending_reason: format!("upstream {name} {what} while the request was pending"),
        ready_for,
    }
}

/// Waits until the child exits or closes its stdout, and says which in a phrase
/// like "exited (exit status: 3)".
async fn wait_exit(child: &mut Child, stdout_closed: &CancellationToken) -> String {
    tokio::select! {
        status = child.wait() => {
            // Let the reader pass on what the child wrote last.
            if tokio::time::timeout(DRAIN_GRACE, stdout_closed.cancelled()).await.is_err() {
                tracing::debug!(pid = child.id(), "stdout still open after the child exited");
            }
            format!("exited ({})", describe(status))
        }
        () = stdout_closed.cancelled() => {
            match tokio::time::timeout(EXIT_GRACE, child.wait()).await {
                // Usually the child is exiting and its stdout closed first.
                Ok(status) => format!("exited ({})", describe(status)),
                Err(_) => {
                    if let Err(error) = child.start_kill() {
                        tracing::debug!(%error, "cannot kill the child");
                    }
                    format!("closed its stdout and was killed ({})", describe(child.wait().await))
                }
            }
        }
    }
}

/// Kills the child and waits for it to be gone.
async fn stop_child(name: &str, child: &mut Child) {
    if let Err(error) = child.start_kill() {
        tracing::debug!(upstream = %name, %error, "cannot kill the server process");
    }
    match child.wait().await {
        Ok(status) => tracing::info!(upstream = %name, %status, "stopped the server process"),
        Err(error) => {
            tracing::warn!(upstream = %name, %error, "cannot wait for the server process")
        }
    }
}

/// An exit status for messages.
fn describe(status: io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(error) => format!("status unknown: {error}"),
    }
}

/// Sends `initialize`, checks the answer, records it and sends
/// `notifications/initialized`; the error is the health detail.
async fn handshake(shared: &Shared, generation: u64) -> Result<(), String> {
    let target = Target::Generation(generation);
    let params = json!({
        "protocolVersion": SUPPORTED_VERSIONS[0],
        "capabilities": {},
        "clientInfo": { "name": "livegate", "version": env!("CARGO_PKG_VERSION") },
    });
    let sent = shared
        .start_request(target, "initialize", Some(&params))
        .map_err(|error| format!("cannot send initialize: {error}"))?
        .ok_or("the connection closed before initialize")?;
    let timeout = shared.options.init_timeout;
    let result = match tokio::time::timeout(timeout, sent.reply).await {
        Ok(Ok(Ok(result))) => result,
        Ok(Ok(Err(error))) => {
            return Err(match *error {
                UpstreamError::Rpc { code, message, .. } => {
                    format!("initialize failed with error {code}: {message}")
                }
                error => format!("initialize failed: {error}"),
            });
        }
        Ok(Err(_)) => return Err("the connection closed during initialize".to_owned()),
        Err(_) => {
            return Err(format!(
                "no answer to initialize within {} ms",
                millis(timeout)
            ))
        }
    };
    let Value::Object(mut result) = result else {
        return Err(format!(
            "the answer to initialize is not an object: {}",
            clip(&result.to_string())
        ));
    };
    let version = match result.remove("protocolVersion") {
        Some(Value::String(version)) => version,
        other => {
            return Err(format!(
                "the answer to initialize has no protocolVersion string (got {})",
                other.unwrap_or(Value::Null)
            ))
        }
    };
    if !SUPPORTED_VERSIONS.contains(&version.as_str()) {
        return Err(format!(
            "the server speaks MCP revision {}, which livegate does not support (it supports {})",
            clip(&version),
            SUPPORTED_VERSIONS.join(", ")
        ));
    }
    let capabilities = result.remove("capabilities").unwrap_or_else(|| json!({}));
    let server_info = result.remove("serverInfo").unwrap_or(Value::Null);
    let initialized = shared
        .send_notification(target, "notifications/initialized", None)
        .map_err(|error| format!("cannot send notifications/initialized: {error}"))?;
    if !initialized || !shared.mark_ready(generation, capabilities, server_info, version.clone()) {
        return Err("the connection closed during initialize".to_owned());
    }
    tracing::info!(upstream = %shared.name, protocol_version = %version, "initialized");
    Ok(())
}

/// Writes the lines it receives to the child's stdin, each followed by a newline.
async fn write_lines(
    name: String,
    mut stdin: ChildStdin,
    mut lines: mpsc::UnboundedReceiver<String>,
) {
    while let Some(mut line) = lines.recv().await {
        line.push('\n');
        if let Err(error) = stdin.write_all(line.as_bytes()).await {
            tracing::debug!(upstream = %name, %error, "cannot write to the server's stdin");
            return;
        }
    }
}

/// Logs the child's stderr line by line.
async fn log_stderr(name: String, stderr: ChildStderr) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                if !text.is_empty() {
                    tracing::info!(target: "livegate::upstream::stderr", upstream = %name, "{text}");
                }
            }
            Err(error) => {
                tracing::debug!(upstream = %name, %error, "cannot read the server's stderr");
                return;
            }
        }
    }
}

/// Reads the child's stdout and handles each message; cancels `closed` at the end.
async fn read_stdout(
    shared: Arc<Shared>,
    generation: u64,
    stdout: ChildStdout,
    closed: CancellationToken,
) {
    let _closed = closed.drop_guard();
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) => return,
            Ok(_) => handle_line(&shared, generation, &line),
            Err(error) => {
                tracing::warn!(upstream = %shared.name, %error, "cannot read the server's stdout");
                return;
            }
        }
    }
}

/// Handles one line of the child's stdout.
fn handle_line(shared: &Shared, generation: u64, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    match serde_json::from_str::<Value>(text) {
        // Batches were allowed up to revision 2025-03-26.
        Ok(Value::Array(batch)) => {
            for message in batch {
                dispatch(shared, generation, message);
            }
        }
        Ok(message) => dispatch(shared, generation, message),
        Err(error) => {
            tracing::warn!(upstream = %shared.name, %error, line = %clip(text), "skipping a stdout line that is not JSON");
        }
    }
}

/// Handles one JSON-RPC message from the child.
fn dispatch(shared: &Shared, generation: u64, message: Value) {
    let Value::Object(mut message) = message else {
        tracing::warn!(upstream = %shared.name, message = %clip(&message.to_string()), "skipping a message that is not an object");
        return;
    };
    let method = match message.remove("method") {
        Some(Value::String(method)) => Some(method),
        None => None,
        Some(other) => {
            tracing::warn!(upstream = %shared.name, method = %clip(&other.to_string()), "skipping a message whose method is not a string");
            return;
        }
    };
    match (method, message.remove("id")) {
        (Some(method), Some(id)) => answer_request(shared, generation, id, &method),
        (Some(method), None) => shared.publish(method, message.remove("params")),
        (None, Some(id)) => {
            let reply = reply_of(shared, &mut message);
            match id.as_i64() {
                Some(id) => shared.complete(generation, id, reply),
                None => {
                    tracing::warn!(upstream = %shared.name, %id, ?reply, "skipping a response with an id livegate never sent");
                }
            }
        }
        (None, None) => {
            tracing::warn!(upstream = %shared.name, "skipping a message with neither method nor id");
        }
    }
}

/// The outcome a response carries.
fn reply_of(shared: &Shared, message: &mut Map<String, Value>) -> Reply {
    let upstream = shared.name.clone();
    let error = match message.remove("error") {
        None => match message.remove("result") {
            Some(result) => return Ok(result),
            None => UpstreamError::Protocol {
                upstream,
                detail: "a response with neither result nor error".to_owned(),
            },
        },
        Some(error) => match error.get("code").and_then(Value::as_i64) {
            Some(code) => UpstreamError::Rpc {
                upstream,
                code,
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                data: error.get("data").cloned(),
            },
            None => UpstreamError::Protocol {
                upstream,
                detail: format!(
                    "an error response without a code: {}",
                    clip(&error.to_string())
                ),
            },
        },
    };
    Err(Box::new(error))
}

/// Answers a request from the server: `ping` is answered, everything else refused.
fn answer_request(shared: &Shared, generation: u64, id: Value, method: &str) {
    let answer = if method == "ping" {
        json!({ "jsonrpc": "2.0", "id": id, "result": {} })
    } else {
        tracing::info!(upstream = %shared.name, method, "refusing a request from the server");
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": -32601,
                "message": format!("livegate does not offer {method} to upstream servers"),
            },
        })
    };
    if !shared.write_line(Target::Generation(generation), answer.to_string()) {
        tracing::debug!(upstream = %shared.name, method, "cannot answer the server: the connection is closed");
    }
}

/// At most [`LOGGED_CHARS`] characters of `text`, for the log.
fn clip(text: &str) -> String {
    match text.char_indices().nth(LOGGED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
