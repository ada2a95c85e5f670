//! The admin HTTP API (under `/api/`) and the static UI, on the same server as
//! `/mcp` but with its own token.
