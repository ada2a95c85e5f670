//! The policy engine: model (serde), parse + validate, compile, decide, counters.
//!
//! A policy file is parsed and checked by [`parse_policy`] (every error with its JSON path),
//! compiled once into a [`CompiledPolicy`] where deciding is cheap, and consulted through a
//! [`PolicyHandle`], which swaps in reloaded policies atomically while counters survive.
//! Deciding is pure: [`CompiledPolicy::decide`] is a function of the policy, the [`Call`],
//! the [`Counters`] and the time. Limits are reserved by the decision and handed back as a
//! [`Reservation`] guard, committed once the upstream succeeded and rolled back otherwise.
//! See `policy-format.md` in the shared docs for the language.

pub mod builtin;
pub mod catalog;
pub mod clock;
pub mod compile;
pub mod condition;
pub mod counters;
pub mod decide;
pub mod error;
pub mod handle;
pub mod intercept;
pub mod model;
pub mod pattern;
pub mod starter;
pub mod validate;
pub mod watch;

pub use catalog::{Catalog, Category, CategorySource, ToolHints};
pub use clock::{Clock, ManualClock, SystemClock};
pub use compile::{CompiledPolicy, MatchedBy};
pub use counters::{Counters, Reservation};
pub use decide::{Call, Decision, Explanation, Outcome};
pub use error::{PolicyErrors, PolicyIssue};
pub use handle::{PolicyHandle, Reloaded};
pub use intercept::{import_intercept, InterceptError, InterceptImport, Untranslated};
pub use model::{
    Action, ApprovalSpec, Condition, Limit, Op, Policy, Remember, Rule, Scope, Window,
};
pub use validate::{parse_policy, validate_value};
pub use watch::PolicyWatcher;
