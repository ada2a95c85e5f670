//! The merged tool list: every upstream's tools under the names agents see. A name offered
//! by one upstream keeps its bare name (so policies keyed by it apply unchanged); a name
//! offered by several becomes `<upstream>.<tool>` for each. Pinning decides which are blocked.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::super::pins::{pin_key, PinStatus, PinStore};
use crate::policy::ToolHints;

/// One tool as agents see it.
#[derive(Debug, Clone)]
pub struct ExposedTool {
    /// The name agents call it by.
    pub name: String,
    /// Index of the upstream that owns it.
    pub upstream: usize,
    /// Its name at the upstream.
    pub original: String,
    /// Its definition, with `name` set to the exposed name; other fields untouched.
    pub definition: Value,
    /// Its MCP annotations, for tools no risk catalog knows.
    pub hints: ToolHints,
    /// Why it is blocked, if its definition changed since it was accepted.
    pub blocked: Option<String>,
}

/// The merged, namespaced tool list.
#[derive(Debug, Default)]
pub struct ToolIndex {
    tools: Vec<Arc<ExposedTool>>,
    by_name: HashMap<String, usize>,
}

impl ToolIndex {
    /// Builds the index from each upstream's (name, tools) in upstream order.
    pub fn build(lists: Vec<(String, Vec<Value>)>, pins: &PinStore) -> (Self, Vec<String>) {
        let mut owners: HashMap<String, usize> = HashMap::new();
        for (_, tools) in &lists {
            for tool in tools {
                if let Some(name) = tool.get("name").and_then(Value::as_str) {
                    *owners.entry(name.to_string()).or_default() += 1;
                }
            }
        }
        let mut index = Self::default();
        let mut changed = Vec::new();
        for (upstream, (upstream_name, tools)) in lists.into_iter().enumerate() {
            for mut definition in tools {
                let Some(original) = definition
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                else {
                    tracing::warn!(upstream = %upstream_name, "skipping a tool without a name");
                    continue;
                };
                let name = if owners.get(&original).copied().unwrap_or(0) > 1 {
                    format!("{upstream_name}.{original}")
                } else {
                    original.clone()
                };
                let blocked = match pins.check(&upstream_name, &original, &definition) {
                    PinStatus::Changed => {
                        let key = pin_key(&upstream_name, &original);
                        changed.push(key.clone());
                        Some(format!(
                            "the definition of {name} changed since it was accepted; review it and run `livegate pins accept {key}`"
                        ))
                    }
                    PinStatus::New | PinStatus::Same => None,
                };
                let hints = definition
                    .get("annotations")
                    .map(ToolHints::from_annotations)
                    .unwrap_or_default();
                definition["name"] = Value::String(name.clone());
                if index.by_name.contains_key(&name) {
                    tracing::warn!(tool = %name, upstream = %upstream_name, "an upstream lists the same tool twice; keeping the first");
                    continue;
                }
                index.by_name.insert(name.clone(), index.tools.len());
                index.tools.push(Arc::new(ExposedTool {
                    name,
                    upstream,
                    original,
                    definition,
                    hints,
                    blocked,
                }));
            }
        }
        (index, changed)
    }

    /// A tool by the name agents call it.
    pub fn get(&self, name: &str) -> Option<&Arc<ExposedTool>> {
        self.by_name.get(name).and_then(|i| self.tools.get(*i))
    }

    /// Every tool, in upstream order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<ExposedTool>> {
        self.tools.iter()
    }

    /// The definitions of one upstream's tools, as that upstream listed them.
    pub fn definitions_of(&self, upstream: usize) -> Vec<Value> {
        self.tools
            .iter()
            .filter(|t| t.upstream == upstream)
            .map(|t| {
                let mut definition = t.definition.clone();
                definition["name"] = Value::String(t.original.clone());
                definition
            })
            .collect()
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when no upstream offers a tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colliding_names_are_namespaced_and_unique_ones_kept() {
        let pins = PinStore::in_memory();
        let (index, changed) = ToolIndex::build(
            vec![
                (
                    "a".into(),
                    vec![json!({"name": "echo"}), json!({"name": "only_a"})],
                ),
                (
                    "b".into(),
                    vec![json!({"name": "echo", "annotations": {"readOnlyHint": true}})],
                ),
            ],
            &pins,
        );
        assert!(changed.is_empty());
        let names: Vec<&str> = index.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a.echo", "only_a", "b.echo"]);
        let b = index.get("b.echo").expect("namespaced");
        assert_eq!((b.upstream, b.original.as_str()), (1, "echo"));
        assert_eq!(b.definition["name"], "b.echo");
        assert_eq!(b.hints.read_only, Some(true));
    }

    #[test]
    fn a_changed_definition_is_blocked() {
        let pins = PinStore::in_memory();
        let v1 = vec![("a".into(), vec![json!({"name": "t", "description": "one"})])];
        let v2 = vec![("a".into(), vec![json!({"name": "t", "description": "two"})])];
        let (index, _) = ToolIndex::build(v1, &pins);
        assert!(index.get("t").is_some_and(|t| t.blocked.is_none()));
        let (index, changed) = ToolIndex::build(v2, &pins);
        assert_eq!(changed, ["a/t"]);
        assert!(index.get("t").is_some_and(|t| t.blocked.is_some()));
    }
}
