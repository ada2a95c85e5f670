//! The policy: `GET /api/policy` (the file as it is), `POST /api/policy/validate`,
//! `PUT /api/policy` (validated, written atomically, put in force at once; the file watcher
//! then sees its own text already loaded and leaves it), `GET /api/policy/explain`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::error::{policy_errors, ApiError, PathError, TextBody};
use crate::admin::AdminState;
use crate::events::Event;
use crate::policy::{Call, CompiledPolicy, PolicyErrors};
use crate::settings::write_text_atomically;

/// Where JSON-path errors about the document as a whole point.
const DOCUMENT: &str = "(document)";

/// The policy file as it is on disk, checked.
pub(super) struct PolicyFile {
    /// Its path.
    pub file: String,
    /// Its text; `None` when it cannot be read.
    pub text: Option<String>,
    /// Its JSON, when it parses.
    pub parsed: Option<Value>,
    /// Every problem, with its path; empty when valid.
    pub errors: Vec<PathError>,
    /// True when this text is the policy in force.
    pub in_force: bool,
}

impl PolicyFile {
    /// Reads and checks the policy file.
    pub fn read(state: &AdminState) -> Self {
        let path = &state.config.policy_file;
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let errors = match check(state, &text) {
                    Ok(_) => Vec::new(),
                    Err(e) => policy_errors(&e),
                };
                Self {
                    file,
                    parsed: serde_json::from_str(&text).ok(),
                    errors,
                    in_force: state.config.policy.is_loaded(&text),
                    text: Some(text),
                }
            }
            Err(e) => {
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    "there is no policy file, so every call is denied; save a policy to create it"
                        .to_string()
                } else {
                    format!(
                        "cannot read the policy file ({e}), so the last good policy stays in force"
                    )
                };
                Self {
                    file,
                    text: None,
                    parsed: None,
                    errors: vec![PathError::new(DOCUMENT, message)],
                    in_force: false,
                }
            }
        }
    }

    /// True when the file holds a valid policy.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Compiles `text` against the catalog in force: the same checks a reload makes.
fn check(state: &AdminState, text: &str) -> Result<CompiledPolicy, PolicyErrors> {
    let catalog = Arc::clone(state.config.policy.current().catalog());
    CompiledPolicy::from_json(text, catalog)
}

/// `GET /api/policy`: `{file, text, policy, ok, errors, in_force}`.
pub(super) async fn get(State(state): State<Arc<AdminState>>) -> Json<Value> {
    let file = PolicyFile::read(&state);
    let ok = file.ok();
    Json(json!({
        "file": file.file,
        "text": file.text,
        "policy": file.parsed,
        "ok": ok,
        "errors": file.errors,
        "in_force": file.in_force,
    }))
}

/// `POST /api/policy/validate`: `{ok, errors}`, always `200`.
pub(super) async fn validate(
    State(state): State<Arc<AdminState>>,
    TextBody(text): TextBody,
) -> Json<Value> {
    let errors = match check(&state, &text) {
        Ok(_) => Vec::new(),
        Err(e) => policy_errors(&e),
    };
    Json(json!({"ok": errors.is_empty(), "errors": errors}))
}

/// `PUT /api/policy`: a valid policy is put in force and written (atomically) to the policy
/// file, exactly as sent; an invalid one is `422` with every error and changes nothing.
pub(super) async fn put(
    State(state): State<Arc<AdminState>>,
    TextBody(mut text): TextBody,
) -> Result<Json<Value>, ApiError> {
    let _one_at_a_time = state.policy_lock.lock().await;
    if let Err(errors) = check(&state, &text) {
        let n = errors.issues().len();
        return Err(ApiError::invalid(
            format!(
                "the policy is not valid ({n} error{}); nothing was saved",
                if n == 1 { "" } else { "s" }
            ),
            policy_errors(&errors),
        ));
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let policy = &state.config.policy;
    let file = &state.config.policy_file;
    // Loaded first, so the file watcher finds this very text in force and leaves it.
    policy.reload_str(&text).map_err(|e| {
        ApiError::internal(format!("the policy checked valid but did not load: {e}"))
    })?;
    if let Err(e) = write_text_atomically(file, &text) {
        // Back to what the file says, so the policy in force never differs from the file.
        if let Err(errors) = policy.reload_file(file) {
            tracing::error!(%errors, "the policy file no longer loads");
        }
        return Err(ApiError::internal(format!(
            "the policy was not saved: {e}; check that livegate can write there"
        )));
    }
    tracing::info!(file = %file.display(), "policy saved through the admin API and in force");
    state.config.bus.publish(Event::PolicyReloaded {
        ok: true,
        errors: Vec::new(),
    });
    Ok(Json(json!({"ok": true})))
}

/// The query of `GET /api/policy/explain`.
#[derive(Debug, Deserialize)]
pub(super) struct ExplainQuery {
    tool: Option<String>,
    /// The arguments as JSON text (`{}` when absent).
    args: Option<String>,
    grant: Option<String>,
    session: Option<String>,
}

/// Who the explanation assumes is calling when the query names no grant.
const ANY_GRANT: &str = "(any agent)";

/// `GET /api/policy/explain?tool=&args=&grant=&session=`: which rule decides such a call
/// now, and why (nothing is reserved or called).
pub(super) async fn explain(
    State(state): State<Arc<AdminState>>,
    Query(query): Query<ExplainQuery>,
) -> Result<Json<Value>, ApiError> {
    let tool = query
        .tool
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("say which tool to explain: ?tool=NAME"))?;
    let args: Value = match query.args.as_deref().map(str::trim) {
        None | Some("") => json!({}),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            ApiError::bad_request(format!("args must be JSON (an object of arguments): {e}"))
        })?,
    };
    let grant = query
        .grant
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| ANY_GRANT.to_string());
    let hints = state.config.gateway.tool_hints(&tool).await;
    let explanation = state.config.policy.explain(&Call {
        tool: &tool,
        args: &args,
        grant: &grant,
        session: query.session.as_deref().filter(|s| !s.is_empty()),
        hints,
    });
    let steps: Vec<String> = explanation
        .to_string()
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let reason = explanation
        .outcome
        .agent_message()
        .or_else(|| match &explanation.outcome {
            crate::policy::Outcome::NeedsApproval { reason, .. } => reason.clone(),
            _ => None,
        });
    let mut answer = serde_json::to_value(&explanation)
        .map_err(|e| ApiError::internal(format!("cannot show the explanation: {e}")))?;
    answer["reason"] = json!(reason);
    answer["steps"] = json!(steps);
    Ok(Json(answer))
}
