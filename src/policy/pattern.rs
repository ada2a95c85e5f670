//! Tool patterns: an exact name, a glob (`delete_*`, `github.*`, `set_{track,clip}_name`),
//! or `*` for every tool. Globs match the whole name; `*` also crosses dots.

use globset::{Glob, GlobBuilder};

/// Characters that make a pattern a glob rather than an exact name.
const GLOB_CHARS: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// A parsed tool pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// `*`: every tool.
    Any,
    /// A tool name, compared exactly.
    Exact(String),
    /// A glob; longer globs are more specific.
    Glob(Glob),
}

impl Pattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.trim().is_empty() {
            return Err("a tool pattern cannot be empty".to_string());
        }
        if pattern == "*" {
            return Ok(Pattern::Any);
        }
        if !pattern.contains(GLOB_CHARS) {
            return Ok(Pattern::Exact(pattern.to_string()));
        }
        GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map(Pattern::Glob)
            .map_err(|e| format!("not a valid glob: {}", e.kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        match Pattern::parse(pattern).expect("valid pattern") {
            Pattern::Any => true,
            Pattern::Exact(n) => n == name,
            Pattern::Glob(g) => g.compile_matcher().is_match(name),
        }
    }

    #[test]
    fn globs_match_whole_names_and_cross_dots() {
        assert!(matches("delete_*", "delete_track"));
        assert!(!matches("delete_*", "undelete_track"));
        assert!(matches("github.*", "github.create_issue"));
        assert!(matches("*.delete_*", "files.sub.delete_all"));
        assert!(matches("set_{track,clip}_name", "set_clip_name"));
        assert!(matches("get_?rack_info", "get_track_info"));
        assert!(!matches("get_track", "get_track_info"));
    }

    #[test]
    fn bad_patterns_are_explained() {
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("set_{a,b").is_err());
        assert!(Pattern::parse("[z-a]").is_err());
        assert!(matches!(Pattern::parse("*"), Ok(Pattern::Any)));
    }
}
