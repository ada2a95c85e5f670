//! The merged tool list: every upstream's tools under the names agents see. A name offered
//! by one upstream keeps its bare name (so policies keyed by it apply unchanged); a name
//! offered by several becomes `<upstream>.<tool>` for each. Pinning decides which are blocked.
//! [`Gateway::tool_infos`] lists them all, with their risk, for the admin UI.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::super::pins::{pin_key, PinStatus, PinStore};
use super::Gateway;
use crate::policy::{Category, CategorySource, ToolHints};

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

/// One exposed tool as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    /// The name agents call it by.
    pub name: String,
    /// The upstream that owns it.
    pub upstream: String,
    /// Its description, as the upstream gives it.
    pub description: Option<String>,
    /// `read`, `write`, `execute`, `destructive` or `financial`.
    pub category: String,
    /// Where the category came from: `catalog`, `annotations` or `default`.
    pub category_source: CategorySource,
    /// `low`, `medium` or `high`: the catalog's, else from the category.
    pub risk: String,
    /// Its MCP annotations (`{}` when none).
    pub annotations: Value,
    /// Its input JSON Schema (`{}` when none).
    pub input_schema: Value,
    /// True while it is blocked (its definition changed since it was accepted).
    pub blocked: bool,
    /// Why it is blocked and what to do.
    pub blocked_reason: Option<String>,
    /// The policy's `hide` pattern hiding it from agents, if any.
    pub hidden_by: Option<String>,
}

/// The risk of a tool no catalog lists, from its category.
fn risk_of(category: Category) -> &'static str {
    match category {
        Category::Read => "low",
        Category::Write | Category::Execute => "medium",
        Category::Destructive | Category::Financial => "high",
    }
}

impl Gateway {
    /// Every tool the upstreams expose (blocked and hidden ones too), in upstream order, with
    /// its category and risk from the policy's catalog or its annotations.
    pub async fn tool_infos(&self) -> Vec<ToolInfo> {
        self.refresh_if_stale().await;
        let policy = self.policy.current();
        let catalog = policy.catalog();
        let index = self.index.read().await;
        index
            .iter()
            .map(|t| {
                let (category, source) = catalog.categorize(&t.name, Some(t.hints));
                let risk = catalog
                    .get(&t.name)
                    .map_or_else(|| risk_of(category).to_string(), |c| c.risk.clone());
                let field = |key: &str| t.definition.get(key).cloned();
                ToolInfo {
                    name: t.name.clone(),
                    upstream: self
                        .upstreams
                        .get(t.upstream)
                        .map(|u| u.name().to_string())
                        .unwrap_or_default(),
                    description: field("description").and_then(|d| d.as_str().map(str::to_string)),
                    category: category.as_str().to_ascii_lowercase(),
                    category_source: source,
                    risk,
                    annotations: field("annotations")
                        .unwrap_or_else(|| Value::Object(Default::default())),
                    input_schema: field("inputSchema")
                        .unwrap_or_else(|| Value::Object(Default::default())),
                    blocked: t.blocked.is_some(),
                    blocked_reason: t.blocked.clone(),
                    hidden_by: policy.hidden_by(&t.name),
                }
            })
            .collect()
    }

    /// The MCP annotations of an exposed tool, if the gateway knows it (for explaining calls).
    pub async fn tool_hints(&self, name: &str) -> Option<ToolHints> {
        self.find_tool(name).await.map(|t| t.hints)
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
