//! Policies shipped with livegate, compiled in so a fresh install works with no files.

/// livegate's recommended policy for musicians (`policies/ableton-default.json`); written
/// to the config folder as `policy.json` on first start.
pub const ABLETON_DEFAULT_JSON: &str = include_str!("../../policies/ableton-default.json");

/// PolicyLayer's recommended Ableton policy, verbatim (`policies/policylayer-ableton.json`).
pub const POLICYLAYER_ABLETON_JSON: &str = include_str!("../../policies/policylayer-ableton.json");

/// The JSON Schema of the policy format, generated from the model types; the UI validates
/// against it and `policies/schema.json` holds a copy.
pub fn policy_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(super::model::Policy))
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Catalog, CompiledPolicy};
    use std::sync::Arc;

    #[test]
    fn shipped_policies_compile() {
        for text in [ABLETON_DEFAULT_JSON, POLICYLAYER_ABLETON_JSON] {
            CompiledPolicy::from_json(text, Arc::new(Catalog::ableton())).expect("valid policy");
        }
    }

    #[test]
    fn schema_describes_the_top_level_fields() {
        let schema = policy_schema();
        let props = schema["properties"].as_object().expect("properties");
        for field in ["version", "default", "hide", "categories", "tools"] {
            assert!(props.contains_key(field), "{field} missing from schema");
        }
    }
}
