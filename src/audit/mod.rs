//! The audit log: a durable SQLite record of every call and admin event,
//! with queries and export.
