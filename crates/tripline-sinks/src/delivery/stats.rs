//! Per-sink counters and gauges, read by `/metrics` and `tripline sinks list`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// What one sink's worker counts. Counters only grow; gauges are set after every step.
#[derive(Debug)]
pub struct SinkStats {
    /// The sink's name.
    pub name: String,
    /// The sink's type.
    pub kind: String,
    /// Records the destination accepted.
    pub sent: AtomicU64,
    /// Failed sends and refused records, by reason (`retry`: a send that will be retried,
    /// `fatal`, `rejected`: a record the destination refused, `max_attempts`, `queue_full`,
    /// `invalid`: an outbox row that could not be read).
    pub failed: Mutex<BTreeMap<&'static str, u64>>,
    /// Records written to the dead-letter file, by reason.
    pub dead_lettered: Mutex<BTreeMap<&'static str, u64>>,
    /// Records waiting for this sink (outbox rows after its cursor, plus raw payloads).
    pub queued: AtomicU64,
    /// Age of the oldest waiting record, seconds (0 when none wait).
    pub oldest_age_seconds: AtomicI64,
    /// The cursor: the last outbox sequence number handled.
    pub cursor: AtomicI64,
}

impl SinkStats {
    /// Zeroed counters for one sink.
    pub fn new(name: &str, kind: &str) -> SinkStats {
        SinkStats {
            name: name.to_owned(),
            kind: kind.to_owned(),
            sent: AtomicU64::new(0),
            failed: Mutex::default(),
            dead_lettered: Mutex::default(),
            queued: AtomicU64::new(0),
            oldest_age_seconds: AtomicI64::new(0),
            cursor: AtomicI64::new(0),
        }
    }

    pub(crate) fn fail(&self, reason: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        *lock(&self.failed).entry(reason).or_default() += n;
    }

    pub(crate) fn dead(&self, reason: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        *lock(&self.dead_lettered).entry(reason).or_default() += n;
    }

    /// A copy of the failure counters.
    pub fn failed_by_reason(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.failed).clone()
    }

    /// A copy of the dead-letter counters.
    pub fn dead_lettered_by_reason(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.dead_lettered).clone()
    }

    /// Records delivered so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
