//! The serializable streaming state, and the bookkeeping that lets it be persisted
//! incrementally: every mutation goes through a method here that records which entry
//! (one correlation group, one first-seen value, one suppression key) it changed, and the
//! caps on live groups and learned values are enforced here.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::correlation::window::GroupWindow;
use crate::first_seen::{FirstSeenState, Seen};
use crate::profile::silence::SilenceState;
use crate::profile::volume::VolumeState;
use crate::rule::Group;
use crate::suppress::SuppressEntry;

/// Everything that must survive a restart. Keyed by rule id, so recompiling (new lists,
/// edited rules) keeps the state of unchanged rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// format version
    pub version: u32,
    /// sequence number of the next event
    pub seq: u64,
    /// newest event time seen or given (Unix ns)
    pub watermark_ns: Option<i64>,
    /// correlation rule id -> group key -> window
    pub corr: BTreeMap<String, BTreeMap<String, GroupWindow>>,
    /// first_seen rule id -> learned values
    pub first_seen: BTreeMap<String, FirstSeenState>,
    /// suppression key -> open window
    pub suppress: BTreeMap<String, SuppressEntry>,
    /// events dropped from correlations as too late
    pub late_dropped: u64,
    /// volume_profile rule id -> profiles and open units
    #[serde(default)]
    pub volume: BTreeMap<String, VolumeState>,
    /// emitter_silence rule id -> emitters
    #[serde(default)]
    pub silence: BTreeMap<String, SilenceState>,
    /// the profile clock: newest event time accepted by the profile rules, or given by a
    /// heartbeat (Unix ns)
    #[serde(default)]
    pub profile_clock_ns: Option<i64>,
    /// events the profile rules skipped as too far ahead of the profile clock
    #[serde(default)]
    pub profile_future: u64,
    /// what changed since the last committed mark (not part of the state's value)
    #[serde(skip)]
    pub(crate) track: Tracker,
}

/// One independently persisted piece of the state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKey {
    /// sequence counter, watermark, late count, first-seen learning starts
    Meta,
    /// one correlation group's window: its group values and condition flag
    Window {
        /// correlation rule id
        rule: String,
        /// group key
        group: String,
    },
    /// the matches of one correlation group's window within one chunk of event time
    /// ([`crate::correlation::window::CHUNK_NS`])
    Chunk {
        /// correlation rule id
        rule: String,
        /// group key
        group: String,
        /// chunk number (event time / chunk width)
        chunk: i64,
    },
    /// one learned first-seen value
    Seen {
        /// first_seen rule id
        rule: String,
        /// scope key
        scope: String,
        /// value tuple key
        value: String,
    },
    /// one open suppression window
    Suppress(String),
    /// one learned volume profile
    Profile {
        /// volume_profile rule id
        rule: String,
        /// scope key
        scope: String,
    },
    /// one open unit of a volume profile
    Unit {
        /// volume_profile rule id
        rule: String,
        /// unit key
        unit: String,
    },
    /// one emitter of a silence rule
    Emitter {
        /// emitter_silence rule id
        rule: String,
        /// emitter key
        emitter: String,
    },
}

impl EntryKey {
    /// A stable text form, unique per entry. It contains raw values (group-by values,
    /// learned values): keep it in memory, or hash it with a secret key before storing it.
    pub fn encode(&self) -> String {
        let parts: Vec<&str> = match self {
            EntryKey::Meta => vec!["m"],
            EntryKey::Window { rule, group } => vec!["w", rule, group],
            EntryKey::Chunk { rule, group, chunk } => {
                return serde_json::to_string(&("c", rule, group, chunk)).unwrap_or_default()
            }
            EntryKey::Seen { rule, scope, value } => vec!["f", rule, scope, value],
            EntryKey::Suppress(k) => vec!["s", k],
            EntryKey::Profile { rule, scope } => vec!["p", rule, scope],
            EntryKey::Unit { rule, unit } => vec!["u", rule, unit],
            EntryKey::Emitter { rule, emitter } => vec!["e", rule, emitter],
        };
        serde_json::to_string(&parts).unwrap_or_default()
    }
}

/// Change tracking and eviction counts. Bookkeeping only: two states with the same
/// content are equal whatever their trackers hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tracker {
    /// entries changed (or removed) since the last committed mark
    pub dirty: BTreeSet<EntryKey>,
    /// the meta entry as last committed
    pub committed_meta: Option<Vec<u8>>,
    /// entries evicted by the caps since last taken, per rule id
    pub evictions: BTreeMap<String, u64>,
    /// changes are not recorded (see [`crate::Engine::track_changes`])
    pub off: bool,
}

impl Tracker {
    /// Record that the entry `key()` changed (nothing is built when tracking is off).
    pub fn mark(&mut self, key: impl FnOnce() -> EntryKey) {
        if !self.off {
            self.dirty.insert(key());
        }
    }
}

impl PartialEq for Tracker {
    fn eq(&self, _: &Tracker) -> bool {
        true
    }
}

impl State {
    /// Current snapshot format version.
    pub const VERSION: u32 = 1;

    /// A fresh state.
    pub fn new() -> State {
        State {
            version: Self::VERSION,
            ..State::default()
        }
    }

    /// The window of `group_key` in correlation `rule`, created when missing. Creating a
    /// group beyond `max_groups` first evicts the group whose window ends first (oldest
    /// newest match; ties: smallest key), so eviction is deterministic.
    pub(crate) fn window_mut(
        &mut self,
        rule: &str,
        group_key: String,
        group: &Group,
        max_groups: usize,
    ) -> &mut GroupWindow {
        if !self.corr.contains_key(rule) {
            self.corr.insert(rule.to_owned(), BTreeMap::new());
        }
        let groups = self.corr.get_mut(rule).expect("inserted above");
        if !groups.contains_key(&group_key) && groups.len() >= max_groups.max(1) {
            let victim = groups
                .iter()
                .map(|(k, g)| (g.entries.back().map_or(i64::MIN, |e| e.t), k))
                .min()
                .map(|(_, k)| k.clone());
            if let Some((k, g)) = victim.and_then(|k| groups.remove_entry(&k)) {
                *self.track.evictions.entry(rule.to_owned()).or_default() += 1;
                forget_window(&mut self.track, rule, k, &g);
            }
        }
        self.track.mark(|| EntryKey::Window {
            rule: rule.to_owned(),
            group: group_key.clone(),
        });
        groups.entry(group_key).or_insert_with(|| GroupWindow {
            group: group.clone(),
            ..GroupWindow::default()
        })
    }

    /// Drop the entries of correlation `rule` older than `before`, and groups left empty
    /// whose condition does not hold. A group whose condition held at its last match
    /// keeps its (empty) window: the flag decides whether its next match fires, so
    /// dropping it would make alerts depend on when expiry ran. Only removed groups are
    /// marked changed: a trimmed window is trimmed the same way again when the state is
    /// restored from entries.
    pub(crate) fn expire_windows(&mut self, rule: &str, before: i64) {
        let Some(groups) = self.corr.get_mut(rule) else {
            return;
        };
        let track = &mut self.track;
        groups.retain(|k, g| {
            g.evict(before);
            let keep = !g.entries.is_empty() || g.holding;
            if !keep {
                forget_window(track, rule, k.clone(), g);
            } else if g.has_changes() {
                track.mark(|| EntryKey::Window {
                    rule: rule.to_owned(),
                    group: k.clone(),
                });
            }
            keep
        });
        if groups.is_empty() {
            self.corr.remove(rule);
        }
    }

    /// Close suppression windows that ended before `before`.
    pub(crate) fn expire_suppress(&mut self, before: i64) {
        let track = &mut self.track;
        self.suppress.retain(|k, s| {
            let keep = s.until_ns >= before;
            if !keep {
                track.mark(|| EntryKey::Suppress(k.clone()));
            }
            keep
        });
    }

    /// Record that the suppression entry `key` was opened or updated.
    pub(crate) fn touch_suppress(&mut self, key: &str) {
        self.track.mark(|| EntryKey::Suppress(key.to_owned()));
    }

    /// Observe a first-seen value. Beyond `max_values` values in a scope, the value seen
    /// first (oldest first-seen time; ties: smallest value) other than `tuple` is forgotten.
    pub(crate) fn observe_first_seen(
        &mut self,
        rule: &str,
        scope: &str,
        tuple: &str,
        t: i64,
        learning_ns: i64,
        max_values: usize,
    ) -> Seen {
        let st = self.first_seen.entry(rule.to_owned()).or_default();
        let before = st.scopes.get(scope).and_then(|s| s.get(tuple)).copied();
        let seen = st.observe(scope, tuple, t, learning_ns);
        let after = st.scopes.get(scope).and_then(|s| s.get(tuple)).copied();
        if before == after {
            return seen;
        }
        let key = |value: String| EntryKey::Seen {
            rule: rule.to_owned(),
            scope: scope.to_owned(),
            value,
        };
        self.track.mark(|| key(tuple.to_owned()));
        if let Some(values) = st.scopes.get_mut(scope) {
            while values.len() > max_values.max(1) {
                let Some(victim) = values
                    .iter()
                    .filter(|(v, _)| v.as_str() != tuple)
                    .map(|(v, first)| (*first, v))
                    .min()
                    .map(|(_, v)| v.clone())
                else {
                    break;
                };
                values.remove(&victim);
                *self.track.evictions.entry(rule.to_owned()).or_default() += 1;
                self.track.mark(|| key(victim));
            }
        }
        seen
    }

    /// The value stored under `key`, if the state holds one.
    pub(crate) fn has(&self, key: &EntryKey) -> bool {
        match key {
            EntryKey::Meta => true,
            EntryKey::Window { rule, group } => {
                self.corr.get(rule).is_some_and(|g| g.contains_key(group))
            }
            EntryKey::Chunk { rule, group, chunk } => self
                .corr
                .get(rule)
                .and_then(|g| g.get(group))
                .is_some_and(|w| w.chunk(*chunk).next().is_some()),
            EntryKey::Seen { rule, scope, value } => self
                .first_seen
                .get(rule)
                .and_then(|f| f.scopes.get(scope))
                .is_some_and(|s| s.contains_key(value)),
            EntryKey::Suppress(k) => self.suppress.contains_key(k),
            EntryKey::Profile { rule, scope } => self
                .volume
                .get(rule)
                .is_some_and(|v| v.profiles.contains_key(scope)),
            EntryKey::Unit { rule, unit } => self
                .volume
                .get(rule)
                .is_some_and(|v| v.units.contains_key(unit)),
            EntryKey::Emitter { rule, emitter } => self
                .silence
                .get(rule)
                .is_some_and(|v| v.emitters.contains_key(emitter)),
        }
    }
}

/// Mark a removed window's header and every chunk it had (stored or pending) for deletion.
fn forget_window(track: &mut Tracker, rule: &str, group: String, w: &GroupWindow) {
    for &chunk in w.chunks.stored.union(&w.chunks.touched) {
        track.mark(|| EntryKey::Chunk {
            rule: rule.to_owned(),
            group: group.clone(),
            chunk,
        });
    }
    track.mark(|| EntryKey::Window {
        rule: rule.to_owned(),
        group,
    });
}
