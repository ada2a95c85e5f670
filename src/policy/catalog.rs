//! The risk catalog: which category (Read, Write, Execute, Destructive, Financial) each
//! known tool belongs to, so that `categories` rules can target it.
//!
//! livegate ships the catalog of the 128 ableton-mcp tools (`policies/catalog/ableton.json`,
//! built in). Tools no catalog knows get their category from their MCP annotations
//! (`readOnlyHint` → Read, `destructiveHint` → Destructive) and otherwise count as Write.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The built-in catalog of Ableton tools, copied from the shared tool list.
pub const ABLETON_CATALOG_JSON: &str = include_str!("../../policies/catalog/ableton.json");

/// A tool's risk category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Category {
    /// Only looks; changes nothing.
    Read,
    /// Changes the set (tracks, clips, notes, parameters).
    Write,
    /// Runs something (transport, recording, firing clips).
    Execute,
    /// Removes or overwrites work.
    Destructive,
    /// Spends money.
    Financial,
}

impl Category {
    /// Every category, in the order they are spelled in messages.
    pub const ALL: [Category; 5] = [
        Category::Read,
        Category::Write,
        Category::Execute,
        Category::Destructive,
        Category::Financial,
    ];

    /// The spelling used in policy files and the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Read => "Read",
            Category::Write => "Write",
            Category::Execute => "Execute",
            Category::Destructive => "Destructive",
            Category::Financial => "Financial",
        }
    }

    /// Parses the spelling used in policy files.
    pub fn from_name(name: &str) -> Option<Self> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// A small index for table lookups.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MCP tool annotations that decide a category for tools no catalog knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolHints {
    /// `annotations.readOnlyHint`.
    pub read_only: Option<bool>,
    /// `annotations.destructiveHint`.
    pub destructive: Option<bool>,
}

impl ToolHints {
    /// Reads the hints from a tool's MCP `annotations` object (missing fields stay `None`).
    pub fn from_annotations(annotations: &Value) -> Self {
        Self {
            read_only: annotations.get("readOnlyHint").and_then(Value::as_bool),
            destructive: annotations.get("destructiveHint").and_then(Value::as_bool),
        }
    }

    /// The category the hints imply: Read, Destructive, or Write when they say neither.
    pub fn category(self) -> Category {
        if self.read_only == Some(true) {
            Category::Read
        } else if self.destructive == Some(true) {
            Category::Destructive
        } else {
            Category::Write
        }
    }
}

/// Where a tool's category came from, for `explain` and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CategorySource {
    /// A risk catalog lists the tool.
    Catalog,
    /// The tool's MCP annotations.
    Annotations,
    /// Nothing said; unknown tools count as Write.
    Default,
}

/// One tool parameter as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogParam {
    /// Parameter name.
    pub name: String,
    /// JSON type: integer, number, string, boolean or array.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the tool needs it.
    pub required: bool,
    /// The value used when it is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// One tool in a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogTool {
    /// The tool's name as agents call it.
    pub name: String,
    /// Its risk category.
    pub category: Category,
    /// `low`, `medium` or `high`.
    pub risk: String,
    /// Its parameters.
    #[serde(default)]
    pub params: Vec<CatalogParam>,
}

#[derive(Deserialize)]
struct CatalogFile {
    #[serde(default)]
    #[allow(dead_code)] // read for validation only: it says where the list came from
    source: Option<String>,
    tools: Vec<CatalogTool>,
}

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("reading catalog {path}: {source}")]
    Io {
        /// The catalog file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a valid catalog.
    #[error("catalog {origin} is not valid: {source}")]
    Parse {
        /// Where it came from.
        origin: String,
        /// The parse error, with line and column.
        source: serde_json::Error,
    },
}

/// Tools by name with their categories; several catalogs may be merged (later wins).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tools: HashMap<String, CatalogTool>,
    order: Vec<String>,
}

impl Catalog {
    /// An empty catalog: every tool's category comes from its annotations.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in Ableton catalog (128 tools).
    pub fn ableton() -> Self {
        // The file is compiled in and checked by a unit test, so this cannot fail at run time;
        // should it ever, an empty catalog only makes categories fall back to annotations.
        Self::from_json(ABLETON_CATALOG_JSON, "built-in ableton catalog").unwrap_or_else(|e| {
            tracing::error!(error = %e, "built-in catalog is broken; using annotations only");
            Self::empty()
        })
    }

    /// Parses a catalog document (`{"tools": [{name, category, risk, params}]}`).
    pub fn from_json(text: &str, origin: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile =
            serde_json::from_str(text).map_err(|source| CatalogError::Parse {
                origin: origin.to_string(),
                source,
            })?;
        let mut catalog = Self::empty();
        for tool in file.tools {
            catalog.insert(tool);
        }
        Ok(catalog)
    }

    /// Loads a catalog file.
    pub fn from_file(path: &Path) -> Result<Self, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Adds or replaces one tool.
    pub fn insert(&mut self, tool: CatalogTool) {
        if !self.tools.contains_key(&tool.name) {
            self.order.push(tool.name.clone());
        }
        self.tools.insert(tool.name.clone(), tool);
    }

    /// Adds every tool of `other`, replacing tools of the same name.
    pub fn merge(&mut self, other: Catalog) {
        for name in other.order {
            if let Some(tool) = other.tools.get(&name) {
                self.insert(tool.clone());
            }
        }
    }

    /// The catalog entry of a tool, if any.
    pub fn get(&self, name: &str) -> Option<&CatalogTool> {
        self.tools.get(name)
    }

    /// Every tool, in the order the catalogs list them.
    pub fn tools(&self) -> impl Iterator<Item = &CatalogTool> {
        self.order.iter().filter_map(|name| self.tools.get(name))
    }

    /// How many tools the catalog knows.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when the catalog knows no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// A tool's category and where it came from: catalog, then annotations, then Write.
    pub fn categorize(&self, tool: &str, hints: Option<ToolHints>) -> (Category, CategorySource) {
        if let Some(entry) = self.tools.get(tool) {
            return (entry.category, CategorySource::Catalog);
        }
        match hints {
            Some(h) if h.read_only.is_some() || h.destructive.is_some() => {
                (h.category(), CategorySource::Annotations)
            }
            _ => (Category::Write, CategorySource::Default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_catalog_lists_all_128_ableton_tools() {
        let catalog = Catalog::from_json(ABLETON_CATALOG_JSON, "built-in").expect("valid catalog");
        assert_eq!(catalog.len(), 128);
        let (cat, src) = catalog.categorize("delete_track", None);
        assert_eq!((cat, src), (Category::Destructive, CategorySource::Catalog));
        assert_eq!(
            catalog.categorize("get_session_info", None).0,
            Category::Read
        );
        assert_eq!(catalog.categorize("fire_clip", None).0, Category::Execute);
    }

    #[test]
    fn unknown_tools_fall_back_to_annotations_then_write() {
        let catalog = Catalog::empty();
        let read = ToolHints::from_annotations(&json!({"readOnlyHint": true}));
        let destructive = ToolHints::from_annotations(&json!({"destructiveHint": true}));
        let silent = ToolHints::from_annotations(&json!({"title": "x"}));
        assert_eq!(
            catalog.categorize("x", Some(read)),
            (Category::Read, CategorySource::Annotations)
        );
        assert_eq!(
            catalog.categorize("x", Some(destructive)),
            (Category::Destructive, CategorySource::Annotations)
        );
        assert_eq!(
            catalog.categorize("x", Some(silent)),
            (Category::Write, CategorySource::Default)
        );
        assert_eq!(
            catalog.categorize("x", None),
            (Category::Write, CategorySource::Default)
        );
    }

    #[test]
    fn a_catalog_tool_outranks_its_annotations() {
        let catalog = Catalog::ableton();
        let hints = ToolHints::from_annotations(&json!({"readOnlyHint": true}));
        assert_eq!(
            catalog.categorize("delete_clip", Some(hints)).0,
            Category::Destructive
        );
    }

    #[test]
    fn later_catalogs_replace_earlier_entries() {
        let mut catalog = Catalog::ableton();
        let extra = Catalog::from_json(
            r#"{"tools":[{"name":"fire_clip","category":"Write","risk":"low","params":[]}]}"#,
            "extra",
        )
        .expect("valid catalog");
        catalog.merge(extra);
        assert_eq!(catalog.len(), 128);
        assert_eq!(catalog.categorize("fire_clip", None).0, Category::Write);
    }
}
