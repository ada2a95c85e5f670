//! Starter policies: `livegate scan` lists a server's tools and writes a policy naming each
//! one with its category and a sensible first action, for the user to review.

use indexmap::IndexMap;

use super::catalog::{Catalog, Category, CategorySource, ToolHints};
use super::model::{Action, ApprovalSpec, Limit, Policy, Rule, Scope, Window, POLICY_VERSION};

/// One tool found by a scan.
#[derive(Debug, Clone)]
pub struct ScannedTool {
    /// Its name.
    pub name: String,
    /// Its MCP annotations.
    pub hints: ToolHints,
}

/// A policy listing every scanned tool: Read allowed, Write and Execute allowed at a human
/// pace, Destructive and Financial asking first; anything not listed is denied.
pub fn starter_policy(
    server: &str,
    tools: &[ScannedTool],
    catalog: &Catalog,
    generated: &str,
) -> Policy {
    let mut rules = IndexMap::new();
    for tool in tools {
        let (category, source) = catalog.categorize(&tool.name, Some(tool.hints));
        let from = match source {
            CategorySource::Catalog => "the risk catalog",
            CategorySource::Annotations => "its MCP annotations",
            CategorySource::Default => "no annotations, so treated as Write",
        };
        let (action, limits, what) = match category {
            Category::Read => (Action::Allow, Vec::new(), "reads only, so it is allowed"),
            Category::Write => (
                Action::Allow,
                vec![limit("writes", 60)],
                "changes things, so at most 60 calls a minute",
            ),
            Category::Execute => (
                Action::Allow,
                vec![limit("runs", 20)],
                "runs something, so at most 20 calls a minute",
            ),
            Category::Destructive | Category::Financial => (
                Action::Approve,
                Vec::new(),
                "can destroy or spend, so it asks you first",
            ),
        };
        let approval = (action == Action::Approve).then(ApprovalSpec::default);
        rules.insert(
            tool.name.clone(),
            Rule {
                action: Some(action),
                reason: Some(format!("{category} (from {from}): {what}.")),
                conditions: Vec::new(),
                limits,
                approval,
            },
        );
    }
    Policy {
        version: POLICY_VERSION.to_string(),
        description: Some(format!(
            "Starter policy for {server}, written by `livegate scan` on {generated} with {} tools. Review every rule before relying on it; tools not listed are denied.",
            tools.len()
        )),
        default: Action::Deny,
        hide: Vec::new(),
        categories: IndexMap::new(),
        tools: rules,
    }
}

fn limit(counter: &str, max: u32) -> Limit {
    Limit {
        counter: counter.to_string(),
        window: Window::Minute,
        max: f64::from(max),
        scope: Scope::Grant,
        increment: None,
        increment_from: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::CompiledPolicy;
    use std::sync::Arc;

    #[test]
    fn every_tool_is_listed_with_its_category_and_the_result_is_valid() {
        let tools = vec![
            ScannedTool {
                name: "get_track_info".into(),
                hints: ToolHints::default(),
            },
            ScannedTool {
                name: "wipe".into(),
                hints: ToolHints {
                    read_only: Some(false),
                    destructive: Some(true),
                },
            },
            ScannedTool {
                name: "look".into(),
                hints: ToolHints {
                    read_only: Some(true),
                    destructive: None,
                },
            },
            ScannedTool {
                name: "poke".into(),
                hints: ToolHints::default(),
            },
        ];
        let policy = starter_policy("test", &tools, &Catalog::ableton(), "2026-11-24");
        assert_eq!(policy.tools.len(), 4);
        assert_eq!(
            policy.tools["get_track_info"].reason.as_deref(),
            Some("Read (from the risk catalog): reads only, so it is allowed.")
        );
        assert_eq!(policy.tools["wipe"].action, Some(Action::Approve));
        assert_eq!(policy.tools["look"].action, Some(Action::Allow));
        assert!(policy.tools["poke"]
            .reason
            .as_deref()
            .unwrap_or("")
            .starts_with("Write (from no annotations"));
        CompiledPolicy::compile(policy, Arc::new(Catalog::ableton()))
            .expect("the starter policy is valid");
    }
}
