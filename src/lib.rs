//! livegate: a policy gateway between AI agents (MCP clients) and Ableton Live.
//!
//! The modules follow the path of a tool call:
//! [`mcp`] takes the call in, [`policy`] decides, [`approval`] asks the human,
//! the [`mcp`] router forwards it, [`ableton`] reaches Live, [`audit`] remembers,
//! and [`admin`] shows it all to the UI. This file only wires the modules.

pub mod ableton;
pub mod admin;
pub mod approval;
pub mod audit;
pub mod events;
pub mod grants;
pub mod mcp;
pub mod policy;
pub mod server;
pub mod settings;
