//! The Ableton upstream: the 128 catalog tools agents know from ableton-mcp, implemented over
//! AbletonOSC and served in-process as an [`Upstream`]. Tool names are unchanged (policies key
//! on them); each call reads or changes Live through the [`OscClient`] and answers with a short
//! text and `structuredContent`. Bad arguments and Live's problems (no answer, `/live/error`)
//! are tool results with `isError: true`; tools AbletonOSC cannot do ([`UNSUPPORTED`]) say so.
//!
//! One file per tool group: `song` (transport, locators, selection), `track`, `clip` (slots,
//! clips, notes), `scene` and `device`, `compose` (note edits and generators over `notes`).

mod args;
mod clip;
mod compose;
mod defs;
mod device;
mod notes;
mod scene;
mod song;
mod track;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sim_tests;

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::sync::broadcast;

use crate::ableton::midi::tools::{call_midi_tool, midi_tool_definitions, MIDI_TOOL_NAMES};
use crate::ableton::midi::MidiOut;
use crate::ableton::osc::{LiveStatus, OscClient};
use crate::mcp::upstream::{Upstream, UpstreamError, UpstreamHealth, UpstreamNotification};
use crate::policy::catalog::Catalog;

use args::{Args, Live, ToolError, ToolResult};

pub use defs::UNSUPPORTED;
pub use notes::{
    bassline, drum_pattern, humanize_timing, humanize_velocity, quantize, scale_notes, transpose,
    Note,
};

/// The names of the tools AbletonOSC cannot do.
pub fn unsupported_names() -> impl Iterator<Item = &'static str> {
    UNSUPPORTED.iter().map(|(name, _)| *name)
}

/// The built-in upstream that drives Ableton Live over AbletonOSC.
pub struct AbletonUpstream {
    name: String,
    osc: Arc<OscClient>,
    /// MIDI out for the MIDI tools, or why it could not be opened.
    midi: Result<MidiOut, String>,
    catalog: Catalog,
    notifications: broadcast::Sender<UpstreamNotification>,
}

impl std::fmt::Debug for AbletonUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbletonUpstream")
            .field("name", &self.name)
            .field("osc", &self.osc)
            .finish_non_exhaustive()
    }
}

impl AbletonUpstream {
    /// An upstream called `name` (e.g. "ableton") talking to Live through `osc`.
    pub fn new(name: impl Into<String>, osc: Arc<OscClient>) -> Self {
        let (notifications, _) = broadcast::channel(16);
        Self {
            name: name.into(),
            osc,
            midi: Err("MIDI out is not set up".to_string()),
            catalog: Catalog::ableton(),
            notifications,
        }
    }

    /// The same upstream with MIDI out for the MIDI tools (`send_midi_note`, …); when it could
    /// not be opened, those tools answer with the reason.
    pub fn with_midi(mut self, midi: Result<MidiOut, String>) -> Self {
        self.midi = midi;
        self
    }

    /// The `tools/list` result: every catalog tool, in catalog order, then the MIDI tools.
    fn tools(&self) -> Value {
        let mut tools: Vec<Value> = self.catalog.tools().map(defs::definition).collect();
        tools.extend(midi_tool_definitions());
        json!({ "tools": tools })
    }

    async fn call_midi(&self, name: &str, arguments: &Value) -> Option<Value> {
        if !MIDI_TOOL_NAMES.contains(&name) {
            return None;
        }
        Some(match &self.midi {
            Ok(out) => call_midi_tool(out, name, arguments).await?,
            Err(why) => error_result(&format!("{name}: MIDI out is not available: {why}")),
        })
    }

    async fn call(&self, params: Option<&Value>) -> Result<Value, UpstreamError> {
        let name = params
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .ok_or_else(|| self.invalid("tools/call needs a tool name".into()))?;
        let empty = Value::Null;
        let raw_arguments = params.and_then(|p| p.get("arguments")).unwrap_or(&empty);
        if let Some(result) = self.call_midi(name, raw_arguments).await {
            return Ok(result);
        }
        let Some(tool) = self.catalog.get(name) else {
            return Err(self.invalid(format!("Unknown tool: {name}")));
        };
        let mut arguments = match params.and_then(|p| p.get("arguments")) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => {
                return Ok(error_result(&format!(
                    "{name}: arguments must be an object, got {other}"
                )))
            }
        };
        for p in &tool.params {
            if let Some(default) = &p.default {
                arguments.entry(p.name.clone()).or_insert(default.clone());
            }
        }
        let live = Live { osc: &self.osc };
        let outcome = dispatch(live, name, Args(&arguments)).await;
        Ok(match outcome {
            Ok(done) => {
                tracing::debug!(tool = name, "ableton tool done");
                json!({
                    "content": [{"type": "text", "text": done.text}],
                    "structuredContent": done.data,
                })
            }
            Err(e) => {
                tracing::info!(tool = name, error = %e, "ableton tool failed");
                error_result(&format!("{name}: {e}"))
            }
        })
    }

    fn invalid(&self, message: String) -> UpstreamError {
        UpstreamError::invalid_params(&self.name, message)
    }
}

fn error_result(text: &str) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

/// Runs one tool: unsupported ones fail clearly, the rest go to their group.
async fn dispatch(live: Live<'_>, name: &str, a: Args<'_>) -> ToolResult {
    if let Some(why) = defs::unsupported(name) {
        return Err(ToolError::Unsupported {
            tool: name.to_string(),
            why: why.to_string(),
        });
    }
    if let Some(result) = song::call(live, name, a).await {
        return result;
    }
    if let Some(result) = track::call(live, name, a).await {
        return result;
    }
    if let Some(result) = clip::call(live, name, a).await {
        return result;
    }
    if let Some(result) = scene::call(live, name, a).await {
        return result;
    }
    if let Some(result) = device::call(live, name, a).await {
        return result;
    }
    if let Some(result) = compose::call(live, name, a).await {
        return result;
    }
    Err(ToolError::Unsupported {
        tool: name.to_string(),
        why: "livegate does not implement it yet".to_string(),
    })
}

#[async_trait::async_trait]
impl Upstream for AbletonUpstream {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Value {
        json!({"tools": {"listChanged": false}})
    }

    async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, UpstreamError> {
        match method {
            "ping" => Ok(json!({})),
            "tools/list" => Ok(self.tools()),
            "tools/call" => self.call(params.as_ref()).await,
            other => Err(UpstreamError::method_not_found(&self.name, other)),
        }
    }

    async fn notify(&self, _method: &str, _params: Option<Value>) -> Result<(), UpstreamError> {
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<UpstreamNotification> {
        self.notifications.subscribe()
    }

    fn health(&self) -> UpstreamHealth {
        match self.osc.status() {
            LiveStatus::Connected { .. } => UpstreamHealth::Ready,
            LiveStatus::Unknown => UpstreamHealth::Starting {
                detail: Some("Ableton Live not contacted yet".to_string()),
            },
            LiveStatus::NotResponding { detail } => UpstreamHealth::Down { detail },
        }
    }
}
