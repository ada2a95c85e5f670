//! The policy in force, swappable: [`PolicyHandle`] holds the compiled policy behind an
//! atomic pointer, so a reload is one swap that calls in flight never see half-done, and
//! the counters live beside it, so they survive every reload.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::catalog::Catalog;
use super::clock::{Clock, SystemClock};
use super::compile::CompiledPolicy;
use super::counters::Counters;
use super::decide::{Call, Decision, Explanation};
use super::error::PolicyErrors;
use super::validate::DOCUMENT_PATH;

/// What a reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// The file's policy is now in force.
    Policy,
    /// There is no policy file: everything is denied until one appears.
    NoFileDenyAll,
}

/// The policy in force plus the counters, shared by everything that decides calls.
#[derive(Debug)]
pub struct PolicyHandle {
    current: ArcSwap<CompiledPolicy>,
    catalog: Arc<Catalog>,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
}

impl PolicyHandle {
    /// A handle starting with `policy`, on the wall clock.
    pub fn new(policy: CompiledPolicy) -> Self {
        Self::with_clock(policy, Arc::new(SystemClock))
    }

    /// A handle starting with `policy`, on the given clock (tests use a manual one).
    pub fn with_clock(policy: CompiledPolicy, clock: Arc<dyn Clock>) -> Self {
        let catalog = Arc::clone(policy.catalog());
        Self {
            current: ArcSwap::from_pointee(policy),
            catalog,
            counters: Arc::new(Counters::new()),
            clock,
        }
    }

    /// A handle that denies everything until a policy is loaded.
    pub fn deny_all(catalog: Arc<Catalog>, clock: Arc<dyn Clock>) -> Self {
        Self::with_clock(CompiledPolicy::deny_all(catalog), clock)
    }

    /// A handle loaded from a policy file; a missing file means deny everything, an
    /// invalid one is an error (there is no older policy to keep).
    pub fn from_file(
        path: &Path,
        catalog: Arc<Catalog>,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, Reloaded), PolicyErrors> {
        let handle = Self::deny_all(catalog, clock);
        let reloaded = handle.reload_file(path)?;
        Ok((handle, reloaded))
    }

    /// The policy in force now.
    pub fn current(&self) -> Arc<CompiledPolicy> {
        self.current.load_full()
    }

    /// The counters, shared across reloads.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// The clock decisions use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Decides a call against the policy in force now.
    pub fn decide(&self, call: &Call<'_>) -> Decision {
        self.current
            .load()
            .decide(call, &self.counters, self.clock.now_ms())
    }

    /// Explains a call against the policy in force now, reserving nothing.
    pub fn explain(&self, call: &Call<'_>) -> Explanation {
        self.current
            .load()
            .explain(call, &self.counters, self.clock.now_ms())
    }

    /// Puts a compiled policy in force.
    pub fn replace(&self, policy: CompiledPolicy) {
        self.current.store(Arc::new(policy));
    }

    /// Validates `text` and, only if it is valid, puts it in force. An invalid text
    /// leaves the policy in force untouched and returns every error.
    pub fn reload_str(&self, text: &str) -> Result<(), PolicyErrors> {
        let policy = CompiledPolicy::from_json(text, Arc::clone(&self.catalog))?;
        self.replace(policy);
        Ok(())
    }

    /// Reloads from a file. A missing file means deny everything; an unreadable or
    /// invalid one leaves the policy in force untouched and returns the errors.
    pub fn reload_file(&self, path: &Path) -> Result<Reloaded, PolicyErrors> {
        match std::fs::read_to_string(path) {
            Ok(text) => self.reload_str(&text).map(|()| Reloaded::Policy),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.replace(CompiledPolicy::deny_all(Arc::clone(&self.catalog)));
                Ok(Reloaded::NoFileDenyAll)
            }
            Err(e) => Err(PolicyErrors::one(
                DOCUMENT_PATH,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }
}
