//! Rate-limit counters: fixed windows aligned to UTC, one count per (counter, holder).
//!
//! A call's limits are checked and reserved in one step under one lock, so a limit of N
//! admits exactly N calls per window however many threads ask at once. The reservation
//! comes back as a [`Reservation`] guard: [`Reservation::commit`] once the upstream
//! succeeded; dropping it (or [`Reservation::rollback`]) gives the quota back.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::model::Scope;

/// Slots are pruned of ended windows once the table grows past this many.
const PRUNE_FLOOR: usize = 4_096;

/// Whose calls a counter instance counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    /// Everybody's.
    Global,
    /// One agent credential's.
    Grant(String),
    /// One MCP session's (of one grant).
    Session {
        /// The grant that owns the session.
        grant: String,
        /// The MCP session id.
        session: String,
    },
}

impl Holder {
    /// The holder a scope picks for a call; `session` falls back to the grant when the
    /// client has no MCP session (stateless revisions).
    pub fn for_call(scope: Scope, grant: &str, session: Option<&str>) -> Self {
        match (scope, session) {
            (Scope::Global, _) => Holder::Global,
            (Scope::Session, Some(session)) => Holder::Session {
                grant: grant.to_string(),
                session: session.to_string(),
            },
            (Scope::Grant, _) | (Scope::Session, None) => Holder::Grant(grant.to_string()),
        }
    }
}

/// One counter instance: a counter name and whose calls it counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    /// The counter's name from the policy.
    pub counter: Arc<str>,
    /// Whose calls it counts.
    pub holder: Holder,
}

/// One limit a call must fit in.
#[derive(Debug, Clone)]
pub struct Need {
    /// The counter instance.
    pub key: CounterKey,
    /// The window length in seconds.
    pub window_s: u64,
    /// The most the counter may reach in one window.
    pub max: f64,
    /// What this call adds.
    pub amount: f64,
}

/// Why a call did not fit: the first limit without room.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    /// Index of the limit in the `needs` slice.
    pub index: usize,
    /// What the counter stands at in this window.
    pub used: f64,
    /// Seconds until the window ends and the counter resets (at least 1).
    pub retry_after_s: u64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    start_s: i64,
    window_s: u64,
    used: f64,
}

#[derive(Debug, Default)]
struct Table {
    slots: HashMap<CounterKey, Slot>,
    prune_at: usize,
}

/// Every counter instance. Shared (`Arc`) by the policy handle and live reservations, and
/// kept across policy reloads.
#[derive(Debug, Default)]
pub struct Counters {
    table: Mutex<Table>,
}

/// The start (in seconds since the epoch) of the window containing `now_ms`.
pub fn window_start(now_ms: i64, window_s: u64) -> i64 {
    let len_ms = i64::try_from(window_s.saturating_mul(1000))
        .unwrap_or(i64::MAX)
        .max(1);
    now_ms.div_euclid(len_ms) * (len_ms / 1000)
}

/// Whole seconds (rounded up, at least 1) from `now_ms` until the window ends.
pub fn seconds_left(now_ms: i64, window_s: u64) -> u64 {
    let end_ms = (window_start(now_ms, window_s) + i64::try_from(window_s).unwrap_or(i64::MAX))
        .saturating_mul(1000);
    let left_ms = end_ms.saturating_sub(now_ms).max(1);
    u64::try_from((left_ms + 999) / 1000).unwrap_or(1)
}

impl Counters {
    /// No counts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What a counter instance stands at in the window containing `now_ms`.
    pub fn used(&self, key: &CounterKey, window_s: u64, now_ms: i64) -> f64 {
        let start = window_start(now_ms, window_s);
        let table = self.table.lock();
        current(table.slots.get(key), start, window_s)
    }

    /// Whether every need has room, without reserving anything (for `explain`).
    pub fn check(&self, needs: &[Need], now_ms: i64) -> Result<(), Blocked> {
        let table = self.table.lock();
        first_blocked(&table, needs, now_ms).map_or(Ok(()), Err)
    }

    /// Checks every need and, when all have room, adds the call to each counter at once.
    /// Several needs on one counter instance add the call once (the largest amount).
    pub fn try_reserve(
        self: &Arc<Self>,
        needs: &[Need],
        now_ms: i64,
    ) -> Result<Reservation, Blocked> {
        if needs.is_empty() {
            return Ok(Reservation::empty());
        }
        let mut table = self.table.lock();
        if let Some(blocked) = first_blocked(&table, needs, now_ms) {
            return Err(blocked);
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(needs.len());
        for (i, need) in needs.iter().enumerate() {
            if needs[..i].iter().any(|n| n.key == need.key) {
                continue;
            }
            let amount = group_amount(needs, &need.key);
            let start = window_start(now_ms, need.window_s);
            let slot = table.slots.entry(need.key.clone()).or_insert(Slot {
                start_s: start,
                window_s: need.window_s,
                used: 0.0,
            });
            if slot.start_s != start || slot.window_s != need.window_s {
                *slot = Slot {
                    start_s: start,
                    window_s: need.window_s,
                    used: 0.0,
                };
            }
            slot.used += amount;
            entries.push(Entry {
                key: need.key.clone(),
                start_s: start,
                amount,
            });
        }
        table.prune_if_large(now_ms);
        Ok(Reservation {
            counters: Some(Arc::clone(self)),
            entries,
            settled: false,
        })
    }

    /// How many counter instances are held (for tests and status).
    pub fn len(&self) -> usize {
        self.table.lock().slots.len()
    }

    /// True when no counter has counted anything.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn release(&self, entries: &[Entry]) {
        let mut table = self.table.lock();
        for entry in entries {
            if let Some(slot) = table.slots.get_mut(&entry.key) {
                // A window that has ended since took the count with it.
                if slot.start_s == entry.start_s {
                    slot.used = (slot.used - entry.amount).max(0.0);
                }
            }
        }
    }
}

impl Table {
    /// Drops slots whose window has ended, once the table has doubled since the last prune.
    fn prune_if_large(&mut self, now_ms: i64) {
        if self.slots.len() < self.prune_at.max(PRUNE_FLOOR) {
            return;
        }
        self.slots
            .retain(|_, slot| window_start(now_ms, slot.window_s) == slot.start_s);
        self.prune_at = self.slots.len().saturating_mul(2);
    }
}

fn current(slot: Option<&Slot>, start: i64, window_s: u64) -> f64 {
    match slot {
        Some(s) if s.start_s == start && s.window_s == window_s => s.used,
        _ => 0.0,
    }
}

fn group_amount(needs: &[Need], key: &CounterKey) -> f64 {
    needs
        .iter()
        .filter(|n| &n.key == key)
        .map(|n| n.amount)
        .fold(0.0, f64::max)
}

fn first_blocked(table: &Table, needs: &[Need], now_ms: i64) -> Option<Blocked> {
    needs.iter().enumerate().find_map(|(index, need)| {
        let start = window_start(now_ms, need.window_s);
        let used = current(table.slots.get(&need.key), start, need.window_s);
        let amount = group_amount(needs, &need.key);
        (used + amount > need.max).then(|| Blocked {
            index,
            used,
            retry_after_s: seconds_left(now_ms, need.window_s),
        })
    })
}

#[derive(Debug)]
struct Entry {
    key: CounterKey,
    start_s: i64,
    amount: f64,
}

/// Quota a call holds while it is forwarded. [`commit`](Self::commit) keeps it; dropping
/// the guard without committing gives it back, so a failed call uses no quota.
#[derive(Debug)]
#[must_use = "commit the reservation once the upstream succeeded, or it is rolled back"]
pub struct Reservation {
    counters: Option<Arc<Counters>>,
    entries: Vec<Entry>,
    settled: bool,
}

impl Reservation {
    /// A reservation of nothing (a call no limit applies to).
    pub fn empty() -> Self {
        Self {
            counters: None,
            entries: Vec::new(),
            settled: true,
        }
    }

    /// The call succeeded: its quota stays used.
    pub fn commit(mut self) {
        self.settled = true;
    }

    /// The call failed or was refused: give its quota back.
    pub fn rollback(mut self) {
        self.release();
    }

    /// The counters this reservation holds, with their amounts.
    pub fn holds(&self) -> impl Iterator<Item = (&CounterKey, f64)> {
        self.entries.iter().map(|e| (&e.key, e.amount))
    }

    fn release(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        if let Some(counters) = &self.counters {
            counters.release(&self.entries);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_MS: i64 = 60_000;

    fn need(counter: &str, holder: Holder, window_s: u64, max: f64) -> Need {
        Need {
            key: CounterKey {
                counter: counter.into(),
                holder,
            },
            window_s,
            max,
            amount: 1.0,
        }
    }

    #[test]
    fn windows_are_aligned_to_utc() {
        // 2026-11-24T13:45:30.250Z
        let now = 1_795_009_530_250;
        assert_eq!(window_start(now, 60), 1_795_009_500);
        assert_eq!(window_start(now, 3_600), 1_795_006_800);
        assert_eq!(window_start(now, 86_400), 1_794_960_000);
        assert_eq!(seconds_left(now, 60), 30);
        assert_eq!(seconds_left(now, 1), 1);
        assert_eq!(window_start(-1, 60), -60);
    }

    #[test]
    fn a_limit_admits_max_then_resets_next_window() {
        let counters = Arc::new(Counters::new());
        let needs = [need("c", Holder::Grant("g".into()), 60, 3.0)];
        let t0 = 10 * MINUTE_MS + 5_000;
        for _ in 0..3 {
            counters.try_reserve(&needs, t0).expect("room").commit();
        }
        let blocked = counters.try_reserve(&needs, t0).expect_err("full");
        assert_eq!(
            (blocked.index, blocked.used, blocked.retry_after_s),
            (0, 3.0, 55)
        );
        assert!(counters.try_reserve(&needs, t0 + 55_000).is_ok());
    }

    #[test]
    fn dropping_a_reservation_rolls_it_back() {
        let counters = Arc::new(Counters::new());
        let needs = [need("c", Holder::Global, 60, 1.0)];
        let r = counters.try_reserve(&needs, 0).expect("room");
        assert!(counters.try_reserve(&needs, 0).is_err());
        drop(r);
        let r = counters.try_reserve(&needs, 0).expect("room again");
        r.rollback();
        counters
            .try_reserve(&needs, 0)
            .expect("room again")
            .commit();
        assert_eq!(counters.used(&needs[0].key, 60, 0), 1.0);
    }

    #[test]
    fn rollback_after_the_window_ended_leaves_the_new_window_alone() {
        let counters = Arc::new(Counters::new());
        let needs = [need("c", Holder::Global, 60, 5.0)];
        let old = counters.try_reserve(&needs, 0).expect("room");
        counters
            .try_reserve(&needs, MINUTE_MS)
            .expect("room")
            .commit();
        drop(old);
        assert_eq!(counters.used(&needs[0].key, 60, MINUTE_MS), 1.0);
    }

    #[test]
    fn all_needs_must_fit_or_nothing_is_reserved() {
        let counters = Arc::new(Counters::new());
        let roomy = need("a", Holder::Global, 60, 10.0);
        let tight = need("b", Holder::Global, 60, 0.0);
        assert_eq!(
            counters
                .try_reserve(&[roomy.clone(), tight], 0)
                .expect_err("b is full")
                .index,
            1
        );
        assert_eq!(counters.used(&roomy.key, 60, 0), 0.0);
    }

    #[test]
    fn one_counter_named_twice_in_a_call_counts_once() {
        let counters = Arc::new(Counters::new());
        let a = need("w", Holder::Global, 60, 10.0);
        let b = need("w", Holder::Global, 60, 2.0);
        counters
            .try_reserve(&[a.clone(), b.clone()], 0)
            .expect("room")
            .commit();
        counters
            .try_reserve(&[a.clone(), b.clone()], 0)
            .expect("room")
            .commit();
        assert_eq!(counters.used(&a.key, 60, 0), 2.0);
        assert_eq!(
            counters.try_reserve(&[a, b], 0).expect_err("b full").index,
            1
        );
    }

    #[test]
    fn holders_keep_separate_counts() {
        assert_eq!(
            Holder::for_call(Scope::Session, "g", None),
            Holder::Grant("g".into())
        );
        let counters = Arc::new(Counters::new());
        let g1 = [need(
            "c",
            Holder::for_call(Scope::Grant, "g1", None),
            60,
            1.0,
        )];
        let g2 = [need(
            "c",
            Holder::for_call(Scope::Grant, "g2", None),
            60,
            1.0,
        )];
        counters.try_reserve(&g1, 0).expect("room").commit();
        counters
            .try_reserve(&g2, 0)
            .expect("separate room")
            .commit();
        assert!(counters.try_reserve(&g1, 0).is_err());
    }

    #[test]
    fn ended_windows_are_pruned_when_the_table_grows() {
        let counters = Arc::new(Counters::new());
        for i in 1..PRUNE_FLOOR {
            let n = [need("c", Holder::Grant(i.to_string()), 1, 1.0)];
            counters.try_reserve(&n, 0).expect("room").commit();
        }
        let n = [need("c", Holder::Global, 1, 1.0)];
        counters.try_reserve(&n, 5_000).expect("room").commit();
        assert_eq!(counters.len(), 1);
    }
}
