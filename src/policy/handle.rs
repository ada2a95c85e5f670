//! The policy in force, swappable: [`PolicyHandle`] holds the compiled policy behind an
//! atomic pointer, so a reload is one swap that calls in flight never see half-done, and
//! the counters live beside it, so they survive every reload. Reloads are serialized and the
//! handle remembers the text in force, so the file watcher and the admin API, reloading the
//! same edit, agree instead of undoing each other.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use super::catalog::Catalog;
use super::clock::{Clock, SystemClock};
use super::compile::CompiledPolicy;
use super::counters::Counters;
use super::decide::{Call, Decision, Explanation};
use super::error::PolicyErrors;
use super::model::DEFAULT_APPROVAL_TIMEOUT_S;
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
    /// Seconds an `approve` rule without its own `timeout_s` waits.
    approval_timeout_s: AtomicU64,
    /// Held while a reload compiles and swaps, so reloads never interleave.
    reloading: Mutex<()>,
    /// SHA-256 of the text in force (`None`: not loaded from text).
    loaded: Mutex<Option<[u8; 32]>>,
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
            approval_timeout_s: AtomicU64::new(DEFAULT_APPROVAL_TIMEOUT_S),
            reloading: Mutex::new(()),
            loaded: Mutex::new(None),
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
        self.current.load().decide_with(
            call,
            &self.counters,
            self.clock.now_ms(),
            self.approval_timeout_s(),
        )
    }

    /// Explains a call against the policy in force now, reserving nothing.
    pub fn explain(&self, call: &Call<'_>) -> Explanation {
        self.current.load().explain_with(
            call,
            &self.counters,
            self.clock.now_ms(),
            self.approval_timeout_s(),
        )
    }

    /// Sets how long `approve` rules that do not say wait for the human (the user's
    /// `approval_timeout_s` setting); rules with their own `timeout_s` keep it.
    pub fn set_approval_timeout_s(&self, seconds: u64) {
        self.approval_timeout_s.store(seconds, Ordering::Relaxed);
    }

    /// How long `approve` rules that do not say wait for the human.
    pub fn approval_timeout_s(&self) -> u64 {
        self.approval_timeout_s.load(Ordering::Relaxed)
    }

    /// Puts a compiled policy in force.
    pub fn replace(&self, policy: CompiledPolicy) {
        let _reloading = self.reloading.lock();
        *self.loaded.lock() = None;
        self.current.store(Arc::new(policy));
    }

    /// True when `text` is exactly the text of the policy in force (so reloading it would
    /// change nothing).
    pub fn is_loaded(&self, text: &str) -> bool {
        *self.loaded.lock() == Some(text_hash(text))
    }

    /// Validates `text` and, only if it is valid, puts it in force. An invalid text
    /// leaves the policy in force untouched and returns every error.
    pub fn reload_str(&self, text: &str) -> Result<(), PolicyErrors> {
        let _reloading = self.reloading.lock();
        self.load_locked(text)
    }

    fn load_locked(&self, text: &str) -> Result<(), PolicyErrors> {
        let policy = CompiledPolicy::from_json(text, Arc::clone(&self.catalog))?;
        *self.loaded.lock() = Some(text_hash(text));
        self.current.store(Arc::new(policy));
        Ok(())
    }

    /// Reloads from a file. A missing file means deny everything; an unreadable or
    /// invalid one leaves the policy in force untouched and returns the errors. The file
    /// is read while no other reload runs, so concurrent reloads end with the file's text.
    pub fn reload_file(&self, path: &Path) -> Result<Reloaded, PolicyErrors> {
        let _reloading = self.reloading.lock();
        match std::fs::read_to_string(path) {
            Ok(text) => self.load_locked(&text).map(|()| Reloaded::Policy),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                *self.loaded.lock() = None;
                self.current
                    .store(Arc::new(CompiledPolicy::deny_all(Arc::clone(
                        &self.catalog,
                    ))));
                Ok(Reloaded::NoFileDenyAll)
            }
            Err(e) => Err(PolicyErrors::one(
                DOCUMENT_PATH,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }
}

fn text_hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Catalog, Outcome};
    use serde_json::json;

    fn approval_wait(handle: &PolicyHandle, tool: &str) -> Option<u64> {
        let args = json!({});
        let call = Call {
            tool,
            args: &args,
            grant: "g",
            session: None,
            hints: None,
        };
        match handle.decide(&call).outcome {
            Outcome::NeedsApproval { timeout_s, .. } => Some(timeout_s),
            _ => None,
        }
    }

    #[test]
    fn the_default_approval_wait_applies_only_where_the_rule_is_silent() {
        let handle = PolicyHandle::deny_all(Arc::new(Catalog::empty()), Arc::new(SystemClock));
        handle
            .reload_str(
                r#"{"version":"1","tools":{"quiet":{"action":"approve"},
                    "says":{"action":"approve","approval":{"timeout_s":7}}}}"#,
            )
            .expect("valid");
        assert_eq!(approval_wait(&handle, "quiet"), Some(120));
        handle.set_approval_timeout_s(45);
        assert_eq!(approval_wait(&handle, "quiet"), Some(45));
        assert_eq!(approval_wait(&handle, "says"), Some(7));
        let args = json!({});
        let call = Call {
            tool: "quiet",
            args: &args,
            grant: "g",
            session: None,
            hints: None,
        };
        assert!(matches!(
            handle.explain(&call).outcome,
            Outcome::NeedsApproval { timeout_s: 45, .. }
        ));
    }

    #[test]
    fn the_handle_knows_which_text_is_in_force() {
        let handle = PolicyHandle::deny_all(Arc::new(Catalog::empty()), Arc::new(SystemClock));
        let text = r#"{"version":"1","default":"allow"}"#;
        assert!(!handle.is_loaded(text));
        handle.reload_str(text).expect("valid");
        assert!(handle.is_loaded(text));
        assert!(handle
            .reload_str(r#"{"version":"1","default":"alow"}"#)
            .is_err());
        assert!(
            handle.is_loaded(text),
            "a rejected edit leaves the text in force"
        );
        handle.replace(CompiledPolicy::deny_all(Arc::new(Catalog::empty())));
        assert!(!handle.is_loaded(text));
    }
}
