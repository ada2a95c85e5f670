//! Claude Desktop's config, for the Agents screen's one-click setup:
//! `GET /api/agents/claude-desktop` says where the file is, whether it exists and whether it
//! already names livegate; `POST /api/agents/claude-desktop` (`{"token": "..."}`) copies the
//! file to a backup next to it, then sets `mcpServers.livegate` to launch `livegate connect`
//! with that grant's token. Other servers and settings in the file stay as they are; a file
//! that is not a JSON object is never touched.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::admin::error::{ApiError, JsonBody};
use crate::admin::AdminState;
use crate::settings::write_text_atomically;

/// The key livegate takes under `mcpServers`.
const SERVER_KEY: &str = "livegate";

/// The body of `POST /api/agents/claude-desktop`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddBody {
    /// A current grant token (shown once, when the grant was created).
    token: Option<String>,
}

/// Where Claude Desktop keeps its config: `claude_desktop_config.json` in a `Claude` folder
/// of the per-user config folder (macOS `~/Library/Application Support`, Windows
/// `%APPDATA%`, Linux `$XDG_CONFIG_HOME` or `~/.config`).
pub(crate) fn config_file() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| {
        dirs.config_dir()
            .join("Claude")
            .join("claude_desktop_config.json")
    })
}

/// The program agents should launch for `livegate connect`: this program when it is
/// `livegate`, a `livegate` next to it (the desktop app ships one), else `livegate` on PATH.
pub(crate) fn livegate_command() -> String {
    let program = format!("livegate{}", std::env::consts::EXE_SUFFIX);
    if let Ok(exe) = std::env::current_exe() {
        if exe.file_name().is_some_and(|n| n == program.as_str()) {
            return exe.display().to_string();
        }
        if let Some(sibling) = exe.parent().map(|dir| dir.join(&program)) {
            if sibling.is_file() {
                return sibling.display().to_string();
            }
        }
    }
    "livegate".to_string()
}

/// `GET /api/agents/claude-desktop`: `{file, exists, configured, command}`.
pub(super) async fn claude_desktop() -> Result<Json<Value>, ApiError> {
    let file = config_file().ok_or_else(no_home)?;
    let exists = file.is_file();
    let configured = exists
        && std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .is_some_and(|config| config["mcpServers"].get(SERVER_KEY).is_some());
    Ok(Json(json!({
        "file": file.display().to_string(),
        "exists": exists,
        "configured": configured,
        "command": livegate_command(),
    })))
}

/// `POST /api/agents/claude-desktop`: `{ok, file, backup}` once the file names livegate.
pub(super) async fn add_to_claude_desktop(
    State(state): State<Arc<AdminState>>,
    JsonBody(body): JsonBody<AddBody>,
) -> Result<Json<Value>, ApiError> {
    let token = body.token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "say which token Claude Desktop should use: {\"token\": \"...\"} (create one on the Agents screen)",
        )
    })?;
    let grant = state.config.grants.authenticate(&token).ok_or_else(|| {
        ApiError::bad_request(
            "that token is not a current grant token; create a new one on the Agents screen and use it at once",
        )
    })?;
    let file = config_file().ok_or_else(no_home)?;
    let server = json!({
        "command": livegate_command(),
        "args": ["connect"],
        "env": {"LIVEGATE_URL": format!("{}/mcp", state.base_url()), "LIVEGATE_TOKEN": token},
    });
    let backup = add_server(&file, server)?;
    tracing::info!(file = %file.display(), backup = %backup.display(), %grant, "livegate added to Claude Desktop's config");
    Ok(Json(json!({
        "ok": true,
        "file": file.display().to_string(),
        "backup": backup.display().to_string(),
    })))
}

/// Backs `file` up, then sets `mcpServers.livegate` in it to `server`; returns the backup.
fn add_server(file: &Path, server: Value) -> Result<PathBuf, ApiError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ApiError::not_found(format!(
                "Claude Desktop's config is not at {}; install Claude Desktop and open Settings → Developer → Edit Config once, or paste the config by hand",
                file.display()
            ))
        } else {
            ApiError::internal(format!("cannot read {}: {e}", file.display()))
        }
    })?;
    let mut config: Map<String, Value> = if text.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(not_an_object(file, "it is not a JSON object")),
            Err(e) => return Err(not_an_object(file, &e.to_string())),
        }
    };
    let servers = config
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(servers) = servers.as_object_mut() else {
        return Err(not_an_object(file, "its mcpServers is not an object"));
    };
    servers.insert(SERVER_KEY.to_string(), server);
    let backup = backup_path(file);
    std::fs::copy(file, &backup).map_err(|e| {
        ApiError::internal(format!(
            "cannot back up {} to {}: {e}; nothing was changed",
            file.display(),
            backup.display()
        ))
    })?;
    let mut out = serde_json::to_string_pretty(&Value::Object(config))
        .map_err(|e| ApiError::internal(format!("cannot write the config as JSON: {e}")))?;
    out.push('\n');
    write_text_atomically(file, &out).map_err(|e| {
        ApiError::internal(format!(
            "cannot write {}: {e}; the backup is {}",
            file.display(),
            backup.display()
        ))
    })?;
    Ok(backup)
}

/// `<file>.livegate-backup-<UTC time>`, with a number added when that is taken.
fn backup_path(file: &Path) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let base = format!("{}.livegate-backup-{stamp}", file.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

fn not_an_object(file: &Path, why: &str) -> ApiError {
    ApiError::invalid(
        format!(
            "{} is not a config livegate can add itself to ({why}); fix it in Claude Desktop (Settings → Developer → Edit Config) or paste the config by hand; nothing was changed",
            file.display()
        ),
        Vec::new(),
    )
}

fn no_home() -> ApiError {
    ApiError::internal("cannot find your home folder, so Claude Desktop's config cannot be found")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Value {
        json!({"command": "livegate", "args": ["connect"], "env": {"LIVEGATE_TOKEN": "lg_x"}})
    }

    #[test]
    fn other_servers_and_settings_stay_and_the_original_is_backed_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("claude_desktop_config.json");
        let original =
            r#"{"globalShortcut": "Ctrl+Space", "mcpServers": {"other": {"command": "x"}}}"#;
        std::fs::write(&file, original).expect("written");
        let backup = add_server(&file, server()).expect("added");
        assert_eq!(std::fs::read_to_string(&backup).expect("backup"), original);
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        assert_eq!(config["globalShortcut"], "Ctrl+Space");
        assert_eq!(config["mcpServers"]["other"]["command"], "x");
        assert_eq!(config["mcpServers"]["livegate"], server());
        // A second add makes a second backup instead of overwriting the first.
        let second = add_server(&file, server()).expect("added again");
        assert_ne!(second, backup);
        assert_eq!(std::fs::read_to_string(&backup).expect("backup"), original);
    }

    #[test]
    fn an_empty_file_gets_an_mcp_servers_object() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("claude_desktop_config.json");
        std::fs::write(&file, "").expect("written");
        add_server(&file, server()).expect("added");
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        assert_eq!(config, json!({"mcpServers": {"livegate": server()}}));
    }

    #[test]
    fn a_broken_or_missing_file_is_never_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("claude_desktop_config.json");
        let missing = add_server(&file, server()).expect_err("missing file");
        assert_eq!(missing.status(), axum::http::StatusCode::NOT_FOUND);
        assert!(!file.exists());
        for broken in ["{\"mcpServers\": ", "[1, 2]", "{\"mcpServers\": [1]}"] {
            std::fs::write(&file, broken).expect("written");
            let e = add_server(&file, server()).expect_err(broken);
            assert_eq!(e.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(std::fs::read_to_string(&file).expect("read"), broken);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(left.len(), 1, "no backup is made when nothing changes");
    }
}
