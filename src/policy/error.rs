//! Policy errors: every problem in a policy document, each with its JSON path.

use std::fmt;

/// One problem in a policy document, e.g.
/// `tools.create_audio_track.limits[0].window: unknown window "minite"; expected …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyIssue {
    /// Where in the document: `tools.x.limits[0].window`, or `(document)` for the whole.
    pub path: String,
    /// What is wrong and, where it helps, what was expected.
    pub message: String,
}

impl PolicyIssue {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a policy document; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyErrors(pub Vec<PolicyIssue>);

impl PolicyErrors {
    /// A single problem.
    pub fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![PolicyIssue::new(path, message)])
    }

    /// The problems, in document order.
    pub fn issues(&self) -> &[PolicyIssue] {
        &self.0
    }

    /// The problems as `path: message` lines.
    pub fn lines(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} error{} in policy", if n == 1 { "" } else { "s" })?;
        for issue in &self.0 {
            write!(f, "\n  {issue}")?;
        }
        Ok(())
    }
}
