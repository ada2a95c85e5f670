//! compose tools (being written).

use super::args::{Args, Live, ToolResult};

/// Runs a compose tool, or `None` if `name` is not one.
pub async fn call(_live: Live<'_>, _name: &str, _a: Args<'_>) -> Option<ToolResult> {
    None
}
