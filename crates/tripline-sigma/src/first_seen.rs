//! First-seen baselines (tripline extension): remember when each value (tuple) was first
//! seen per scope; after a learning period, a new one is an alert.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What one first_seen rule has learned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstSeenState {
    /// event time (ns) of the first event the rule saw: learning runs from here
    pub started_ns: Option<i64>,
    /// scope key (group-by values) -> value tuple key -> first-seen event time (ns)
    pub scopes: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Result of observing one value tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// already known
    Known,
    /// new, recorded silently (learning period)
    Learned,
    /// new after the learning period: alert
    New,
}

impl FirstSeenState {
    /// Record `tuple` in `scope` at time `t`.
    pub fn observe(&mut self, scope: &str, tuple: &str, t: i64, learning_ns: i64) -> Seen {
        let started = *self.started_ns.get_or_insert(t);
        let known = self.scopes.entry(scope.to_owned()).or_default();
        if let Some(first) = known.get_mut(tuple) {
            if t < *first {
                *first = t;
            }
            return Seen::Known;
        }
        known.insert(tuple.to_owned(), t);
        if t < started.saturating_add(learning_ns) {
            Seen::Learned
        } else {
            Seen::New
        }
    }
}

/// One learned value for `tripline baseline`-style listings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// the first_seen rule's id
    pub rule_id: String,
    /// scope key (group-by values joined by `|`; empty for global)
    pub scope: String,
    /// value tuple (values joined by `|`, lowercased)
    pub value: String,
    /// first seen, RFC 3339
    pub first_seen: String,
    /// whether the rule is still in its learning period at the current watermark
    pub learning: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_then_alerting() {
        let mut s = FirstSeenState::default();
        assert_eq!(s.observe("u1", "curl", 0, 100), Seen::Learned);
        assert_eq!(s.observe("u1", "curl", 50, 100), Seen::Known);
        assert_eq!(s.observe("u1", "wget", 150, 100), Seen::New);
        assert_eq!(s.observe("u2", "curl", 160, 100), Seen::New);
        assert_eq!(s.observe("u2", "curl", 170, 100), Seen::Known);
    }
}
