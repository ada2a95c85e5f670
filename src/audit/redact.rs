//! Redaction of secrets in recorded arguments: the value of every object key that names a
//! secret becomes `"[redacted]"`, at any depth.
//!
//! A key names a secret when, lowercased and with its separators (`_`, `-`, `.`, spaces)
//! removed, it contains one of the configured names treated the same way. So `api_key`
//! catches `X-Api-Key`, `apiKey` and `APIKEY`, and `token` catches `access_token`,
//! `sessionToken` and `mytoken`. Matching by substring errs on the side of hiding: `token`
//! also hides `max_tokens`, which costs a little detail in the log, whereas a missed secret
//! would stay in it for good.

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Redacts the configured keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    /// Each configured name, normalized (see [`normalize`]); never empty strings.
    names: Vec<String>,
}

impl Redactor {
    /// A redactor for these key names.
    pub fn new(keys: &[String]) -> Self {
        let mut names: Vec<String> = keys
            .iter()
            .map(|k| normalize(k))
            .filter(|k| !k.is_empty())
            .collect();
        names.sort();
        names.dedup();
        Self { names }
    }

    /// Replaces the value of every secret key in `value`, recursively. A `null` stays
    /// `null` (there is nothing to hide, and it shows that no secret was sent).
    pub fn redact(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    if self.is_secret(key) {
                        if !inner.is_null() {
                            *inner = Value::String(REDACTED.to_string());
                        }
                    } else {
                        self.redact(inner);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact(item)),
            _ => {}
        }
    }

    /// Whether `key` names a secret.
    pub fn is_secret(&self, key: &str) -> bool {
        if self.names.is_empty() {
            return false;
        }
        let key = normalize(key);
        self.names.iter().any(|name| key.contains(name.as_str()))
    }
}

/// A key as compared: lowercase, without `_`, `-`, `.` and whitespace.
fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn default_redactor() -> Redactor {
        let keys: Vec<String> = super::super::DEFAULT_REDACT_KEYS
            .iter()
            .map(|k| k.to_string())
            .collect();
        Redactor::new(&keys)
    }

    #[test]
    fn secret_keys_in_any_spelling() {
        let r = default_redactor();
        for key in [
            "token",
            "TOKEN",
            "access_token",
            "accesstoken",
            "sessionToken",
            "mytoken",
            "max_tokens",
            "password",
            "db.password",
            "newPassword2",
            "passwd",
            "passphrase",
            "X-Api-Key",
            "apiKey",
            "api_key",
            "APIKEY",
            "my api key",
            "Authorization",
            "Proxy-Authorization",
            "client_secret",
            "secretary",
            "Cookie",
            "set-cookie",
            "private_key",
            "privateKey",
            "aws_access_key_id",
            "credentials",
            "Credential",
            "session_key",
            "signature",
        ] {
            assert!(r.is_secret(key), "{key} should be redacted");
        }
        for key in [
            "author",
            "auth_mode",
            "name",
            "tempo",
            "keys",
            "key",
            "track_index",
            "session",
            "api",
            "",
        ] {
            assert!(!r.is_secret(key), "{key} should be kept");
        }
    }

    #[test]
    fn redacts_nested_objects_and_arrays_and_keeps_the_rest() {
        let r = default_redactor();
        let mut value = json!({
            "tempo": 120,
            "Token": "abc",
            "headers": {"Authorization": "Bearer x", "Accept": "json"},
            "steps": [{"password": {"nested": "secret"}}, {"name": "ok", "api_key": ["a", "b"]}],
            "deep": [[{"x": {"y": {"client_secret": 42}}}]],
            "cookie": null,
            "list": ["token", "password"]
        });
        r.redact(&mut value);
        assert_eq!(
            value,
            json!({
                "tempo": 120,
                "Token": REDACTED,
                "headers": {"Authorization": REDACTED, "Accept": "json"},
                "steps": [{"password": REDACTED}, {"name": "ok", "api_key": REDACTED}],
                "deep": [[{"x": {"y": {"client_secret": REDACTED}}}]],
                "cookie": null,
                "list": ["token", "password"]
            })
        );
    }

    #[test]
    fn the_list_is_configurable() {
        let r = Redactor::new(&["Session-ID".to_string(), " ".to_string()]);
        assert!(r.is_secret("session_id") && r.is_secret("sessionId"));
        assert!(!r.is_secret("token"), "only the configured names");
        assert!(!r.is_secret("anything"), "a blank name matches nothing");
        assert!(!Redactor::new(&[]).is_secret("password"));
    }
}
