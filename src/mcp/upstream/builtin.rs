//! Built-in upstreams: MCP servers that live inside livegate. [`EchoUpstream`] is a small
//! one with tools, a resource and a prompt, used by tests and benchmarks (and as a
//! harmless demo); the Ableton connector plugs in beside it.

use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::{Upstream, UpstreamError, UpstreamHealth, UpstreamNotification};

/// An in-process MCP server: `echo`, `add`, `fail` tools, one resource, one prompt.
#[derive(Debug)]
pub struct EchoUpstream {
    name: String,
    notifications: broadcast::Sender<UpstreamNotification>,
}

impl EchoUpstream {
    /// A new echo upstream called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let (notifications, _) = broadcast::channel(16);
        Self {
            name: name.into(),
            notifications,
        }
    }

    fn tools() -> Value {
        json!({"tools": [
            {"name": "echo", "description": "Returns its text argument.",
             "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
             "annotations": {"readOnlyHint": true}},
            {"name": "add", "description": "Adds two numbers.",
             "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]},
             "annotations": {"readOnlyHint": true}},
            {"name": "fail", "description": "Always fails, as a tool error.",
             "inputSchema": {"type": "object", "properties": {}},
             "annotations": {"readOnlyHint": false, "destructiveHint": false}}
        ]})
    }

    fn call(&self, params: Option<&Value>) -> Result<Value, UpstreamError> {
        let params = params.cloned().unwrap_or(Value::Null);
        let args = params.get("arguments").cloned().unwrap_or(json!({}));
        let text = |t: String| json!({"content": [{"type": "text", "text": t}]});
        match params.get("name").and_then(Value::as_str) {
            Some("echo") => match args.get("text").and_then(Value::as_str) {
                Some(t) => Ok(text(t.to_string())),
                None => Err(self.invalid("echo needs a string argument \"text\"")),
            },
            Some("add") => match (
                args.get("a").and_then(Value::as_f64),
                args.get("b").and_then(Value::as_f64),
            ) {
                (Some(a), Some(b)) => {
                    let mut result = text((a + b).to_string());
                    result["structuredContent"] = json!({"sum": a + b});
                    Ok(result)
                }
                _ => Err(self.invalid("add needs numbers \"a\" and \"b\"")),
            },
            Some("fail") => {
                let mut result = text("this tool always fails".into());
                result["isError"] = json!(true);
                Ok(result)
            }
            Some(other) => Err(self.invalid(&format!("Unknown tool: {other}"))),
            None => Err(self.invalid("missing tool name")),
        }
    }

    fn invalid(&self, message: &str) -> UpstreamError {
        UpstreamError::invalid_params(&self.name, message)
    }
}

#[async_trait::async_trait]
impl Upstream for EchoUpstream {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Value {
        json!({"tools": {"listChanged": true}, "resources": {}, "prompts": {}})
    }

    async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, UpstreamError> {
        match method {
            "ping" => Ok(json!({})),
            "tools/list" => Ok(Self::tools()),
            "tools/call" => self.call(params.as_ref()),
            "resources/list" => Ok(json!({"resources": [
                {"uri": format!("echo://{}/readme", self.name), "name": "readme", "mimeType": "text/plain"}
            ]})),
            "resources/read" => {
                let uri = params
                    .as_ref()
                    .and_then(|p| p.get("uri"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if uri == format!("echo://{}/readme", self.name) {
                    Ok(
                        json!({"contents": [{"uri": uri, "mimeType": "text/plain", "text": "echo upstream"}]}),
                    )
                } else {
                    Err(self.invalid(&format!("Resource not found: {uri}")))
                }
            }
            "prompts/list" => Ok(
                json!({"prompts": [{"name": "greet", "arguments": [{"name": "who", "required": true}]}]}),
            ),
            "prompts/get" => {
                let who = params
                    .as_ref()
                    .and_then(|p| p.pointer("/arguments/who"))
                    .and_then(Value::as_str)
                    .unwrap_or("you");
                Ok(
                    json!({"messages": [{"role": "user", "content": {"type": "text", "text": format!("Hello, {who}!")}}]}),
                )
            }
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
        UpstreamHealth::Ready
    }
}
