//! Downstream: what agents connect to. [`http`] serves Streamable HTTP at `/mcp` in every
//! revision clients use today, on one endpoint; [`revision`] knows those revisions.
//! `livegate connect` (the stdio bridge) is a client of the HTTP endpoint.

pub mod http;
pub mod revision;
pub mod stdio;
