//! MCP: JSON-RPC types, the downstream transports agents connect to (Streamable
//! HTTP and stdio), upstream clients, and the router that forwards calls.

pub mod downstream;
pub mod gateway;
pub mod jsonrpc;
pub mod pins;
pub mod sse;
pub mod upstream;
