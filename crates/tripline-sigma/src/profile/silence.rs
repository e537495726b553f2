//! What an `emitter_silence` rule keeps: per emitter, how likely it is to be active in each
//! hour of the week, and how surprising its current silence is.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::rule::Group;

/// Hours in a week: the activity pattern's slots.
pub const SLOTS: usize = 168;
/// Each observation of a slot keeps 1 - 1/`SLOT_MEMORY` of the weight of the earlier ones
/// (about two months of weeks).
const SLOT_MEMORY: f64 = 8.0;
/// A slot's activity probability is capped here, so one quiet hour in a busy slot is never
/// impossible.
const P_MAX: f64 = 0.95;

/// One emitter (the group-by values, e.g. host × agent × signal).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Emitter {
    /// the group-by values
    pub group: Group,
    /// event time of its first event (ns)
    pub first_ns: i64,
    /// event time of its newest event (ns)
    pub last_ns: i64,
    /// hours (Unix hour numbers) with an event that are not accounted yet
    pub pending: BTreeSet<i64>,
    /// per hour-of-week slot: decayed count of active observations
    pub active: Vec<f64>,
    /// per slot: decayed count of observations
    pub seen: Vec<f64>,
    /// -ln P(the current silence), summed over its hours
    pub surprise: f64,
    /// whether the current silence already alerted
    pub alerted: bool,
}

/// The slot of Unix hour `h` (0 = Monday 00:00 UTC).
pub fn slot(h: i64) -> usize {
    // 1970-01-01 was a Thursday: hour 0 is slot 72
    (h + 72).rem_euclid(SLOTS as i64) as usize
}

impl Emitter {
    /// A new emitter first seen at `t`.
    pub fn new(group: Group, t: i64) -> Emitter {
        Emitter {
            group,
            first_ns: t,
            last_ns: t,
            active: vec![0.0; SLOTS],
            seen: vec![0.0; SLOTS],
            ..Emitter::default()
        }
    }

    /// The probability of being active in slot `s`: the decayed share of active
    /// observations counting one more, inactive, observation, so a slot seen active three
    /// times out of three is about 0.73 likely, not certain, and a slot never active is 0;
    /// capped at [`P_MAX`].
    pub fn p(&self, s: usize) -> f64 {
        let (a, n) = (
            self.active.get(s).copied().unwrap_or(0.0),
            self.seen.get(s).copied().unwrap_or(0.0),
        );
        (a / (n + 1.0)).min(P_MAX)
    }

    /// Account one complete hour `h`: whether it was active, the surprise of the silence
    /// so far, then learn the slot. Returns whether the hour was active.
    pub fn account(&mut self, h: i64) -> bool {
        let active = self.pending.remove(&h);
        self.pending.retain(|&x| x > h);
        let s = slot(h);
        if self.active.len() != SLOTS || self.seen.len() != SLOTS {
            self.active = vec![0.0; SLOTS];
            self.seen = vec![0.0; SLOTS];
        }
        if active {
            self.surprise = 0.0;
            self.alerted = false;
        } else if self.seen[s] > 0.0 {
            // a slot never observed says nothing
            self.surprise += -(1.0 - self.p(s)).ln();
        }
        let keep = 1.0 - 1.0 / SLOT_MEMORY;
        self.active[s] = self.active[s] * keep + if active { 1.0 } else { 0.0 };
        self.seen[s] = self.seen[s] * keep + 1.0;
        active
    }
}

/// Everything one `emitter_silence` rule keeps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SilenceState {
    /// event time of the first event the rule saw: learning runs from here
    pub started_ns: Option<i64>,
    /// the newest Unix hour accounted
    pub hour_done: Option<i64>,
    /// emitter key -> emitter
    pub emitters: BTreeMap<String, Emitter>,
    /// events without every group-by field
    pub no_emitter: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monday_midnight_is_slot_zero() {
        // 2026-11-30 was a Monday
        let h = 1_795_996_800 / 3600;
        assert_eq!(slot(h), 0);
        assert_eq!(slot(h + 167), 167);
        assert_eq!(slot(h + 168), 0);
    }

    #[test]
    fn silence_in_busy_hours_is_surprising() {
        let mut e = Emitter::new(Group::new(), 0);
        for week in 0..4 {
            for h in 0..SLOTS as i64 {
                let h = week * SLOTS as i64 + h;
                if slot(h) % 24 >= 9 && slot(h) % 24 < 17 {
                    e.pending.insert(h);
                }
                e.account(h);
            }
        }
        // nights are quiet in every week: no surprise builds up overnight
        assert!(e.surprise < 1.0, "{}", e.surprise);
        // now a busy day stays silent
        let start = 4 * SLOTS as i64;
        let mut hours = 0;
        for h in start..start + 48 {
            e.account(h);
            if e.surprise > 9.2 {
                hours = h - start;
                break;
            }
        }
        assert!(hours > 0 && hours < 48, "{hours}");
    }
}
