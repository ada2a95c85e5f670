//! The policy engine: model (serde), parse + validate, compile, decide, counters.
//!
//! See `docs/policy-format.md` in the shared docs for the language itself.
