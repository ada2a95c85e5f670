//! Canonical JSON and the arguments hash that binds an approval to what runs.
//!
//! A human approves the exact arguments shown; the hash of their canonical form (object keys
//! sorted at every depth, no insignificant whitespace) is what a decision is bound to, so two
//! spellings of the same arguments hash alike and any change to a value hashes differently.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The value with every object's keys sorted, recursively (arrays keep their order).
pub fn canonicalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::with_capacity(map.len());
            for key in keys {
                if let Some(inner) = map.get(key) {
                    sorted.insert(key.clone(), canonicalize(inner));
                }
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonicalize).collect()),
        other => other.clone(),
    }
}

/// The canonical JSON text of a value: keys sorted recursively, compact.
pub fn canonical_json(value: &Value) -> String {
    canonicalize(value).to_string()
}

/// The lowercase hex SHA-256 of the canonical JSON of the arguments.
pub fn args_hash(args: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(args).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn args_hash_is_stable_across_key_order_and_changes_with_any_value() {
        let a = json!({"track": 1, "clip": {"name": "Bass", "loop": true}, "notes": [60, 62]});
        let b = json!({"notes": [60, 62], "clip": {"loop": true, "name": "Bass"}, "track": 1});
        assert_eq!(args_hash(&a), args_hash(&b));
        assert_eq!(args_hash(&a).len(), 64);
        for changed in [
            json!({"track": 2, "clip": {"name": "Bass", "loop": true}, "notes": [60, 62]}),
            json!({"track": 1, "clip": {"name": "bass", "loop": true}, "notes": [60, 62]}),
            json!({"track": 1, "clip": {"name": "Bass", "loop": false}, "notes": [60, 62]}),
            json!({"track": 1, "clip": {"name": "Bass", "loop": true}, "notes": [62, 60]}),
            json!({"track": 1, "clip": {"name": "Bass", "loop": true}, "notes": [60, 62], "x": 0}),
            json!({"track": "1", "clip": {"name": "Bass", "loop": true}, "notes": [60, 62]}),
        ] {
            assert_ne!(args_hash(&a), args_hash(&changed), "{changed}");
        }
    }
}
