//! What each revision puts around a message: the stateless revision's `_meta` keys and
//! headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, base64-encoded when not plain
//! ASCII), and the handshake revisions' version and session headers.

use base64::Engine;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Map, Value};

/// The stateless revision.
pub(super) const STATELESS_VERSION: &str = "2026-07-28";
/// The handshake revision livegate asks for in `initialize`.
pub(super) const HANDSHAKE_VERSION: &str = "2025-11-25";
/// Every handshake revision livegate accepts in an `initialize` answer.
pub(super) const HANDSHAKE_VERSIONS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];

/// The handshake revisions' session header.
pub(super) const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
const METHOD_HEADER: &str = "mcp-method";
const NAME_HEADER: &str = "mcp-name";

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// Tags each notification of a `subscriptions/listen` stream.
pub(super) const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";

/// Methods whose stateless requests name their target in `Mcp-Name`.
const NAMED_METHODS: [&str; 3] = ["tools/call", "resources/read", "prompts/get"];

/// livegate as an MCP client.
pub(super) fn client_info() -> Value {
    json!({"name": "livegate", "version": env!("CARGO_PKG_VERSION")})
}

/// `params` with the stateless revision's `_meta` keys merged in; other `_meta` keys (a
/// progress token, say) are kept.
pub(super) fn stateless_params(params: Option<Value>) -> Option<Value> {
    let mut params = params.unwrap_or_else(|| json!({}));
    if let Value::Object(obj) = &mut params {
        let meta = obj
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(META_VERSION.into(), json!(STATELESS_VERSION));
            meta.insert(META_CAPABILITIES.into(), json!({}));
            meta.insert(META_CLIENT_INFO.into(), client_info());
        }
    }
    Some(params)
}

/// The stateless revision's headers for `method`: version, method and, where the revision
/// wants it, the tool, prompt or resource named.
pub(super) fn stateless_headers(method: &str, params: Option<&Value>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    put(&mut headers, VERSION_HEADER, STATELESS_VERSION);
    put(&mut headers, METHOD_HEADER, &header_text(method));
    if NAMED_METHODS.contains(&method) {
        let name = params
            .and_then(|p| p.get("name").or_else(|| p.get("uri")))
            .and_then(Value::as_str);
        if let Some(name) = name {
            put(&mut headers, NAME_HEADER, &header_text(name));
        }
    }
    headers
}

/// The handshake revisions' headers: the negotiated version and the session, if any.
pub(super) fn handshake_headers(version: &str, session: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    put(&mut headers, VERSION_HEADER, version);
    if let Some(session) = session {
        put(&mut headers, SESSION_HEADER, session);
    }
    headers
}

fn put(headers: &mut HeaderMap, name: &'static str, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.insert(HeaderName::from_static(name), value);
        }
        Err(_) => tracing::warn!(
            header = name,
            value,
            "left out a header that HTTP cannot carry"
        ),
    }
}

/// A header value as the stateless revision writes it: plain printable ASCII as is,
/// anything else as `=?base64?…?=`.
pub(super) fn header_text(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && value.trim() == value
        && !value.starts_with("=?");
    if plain {
        value.to_string()
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        format!("=?base64?{encoded}?=")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stateless_meta_is_merged_and_other_meta_kept() {
        let params = stateless_params(Some(json!({"name": "echo", "_meta": {"progressToken": 3}})));
        let meta = params
            .as_ref()
            .and_then(|p| p.get("_meta"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(meta["progressToken"], json!(3));
        assert_eq!(meta[META_VERSION], json!(STATELESS_VERSION));
        assert_eq!(meta[META_CAPABILITIES], json!({}));
        assert_eq!(meta[META_CLIENT_INFO]["name"], json!("livegate"));
        assert!(stateless_params(None).is_some_and(|p| p["_meta"].is_object()));
    }

    #[test]
    fn names_are_plain_or_base64() {
        assert_eq!(header_text("echo"), "echo");
        assert_eq!(header_text("écho"), "=?base64?w6ljaG8=?=");
        assert_eq!(header_text(" padded"), "=?base64?IHBhZGRlZA==?=");
        let headers = stateless_headers("resources/read", Some(&json!({"uri": "echo://x"})));
        assert_eq!(
            headers.get(NAME_HEADER).and_then(|v| v.to_str().ok()),
            Some("echo://x")
        );
        assert!(stateless_headers("tools/list", Some(&json!({"name": "x"})))
            .get(NAME_HEADER)
            .is_none());
    }
}
