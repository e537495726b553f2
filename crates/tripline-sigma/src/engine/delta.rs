//! Incremental persistence: the state as independent entries (one per correlation group,
//! first-seen value and suppression key, plus one meta entry), the delta since the last
//! committed mark, and restoring from entries.
//!
//! Each entry's bytes are self-describing (they name their rule, group, scope or key), so a
//! store may keep them under opaque keys. Entries hold raw values (evidence, group-by and
//! learned values): store them sealed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::state::{EntryKey, State};
use super::Engine;
use crate::correlation::window::{Entry, GroupWindow};
use crate::profile::silence::Emitter;
use crate::profile::volume::{OpenUnit, Profile, Skips};
use crate::rule::Group;
use crate::suppress::SuppressEntry;

/// What changed in the engine state since the last [`Engine::mark_committed`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateDelta {
    /// (entry key, entry bytes) to write, replacing what is stored under that key.
    /// Keys are [`EntryKey::encode`] forms and contain raw values.
    pub upserts: Vec<(String, Vec<u8>)>,
    /// keys of entries to delete
    pub removals: Vec<String>,
}

impl StateDelta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.removals.is_empty()
    }

    /// Bytes of the upserted entries.
    pub fn bytes(&self) -> usize {
        self.upserts.iter().map(|(_, v)| v.len()).sum()
    }
}

/// The meta entry.
#[derive(Serialize, Deserialize)]
struct Meta {
    version: u32,
    seq: u64,
    watermark_ns: Option<i64>,
    late_dropped: u64,
    /// first_seen rule id -> start of its learning period
    #[serde(default)]
    started: BTreeMap<String, i64>,
    /// profile clock
    #[serde(default)]
    profile_clock_ns: Option<i64>,
    /// events skipped as too far ahead of the profile clock
    #[serde(default)]
    profile_future: u64,
    /// volume_profile rule id -> learning start and skip counts
    #[serde(default)]
    volume: BTreeMap<String, VolumeMeta>,
    /// emitter_silence rule id -> learning start, accounted hour, skip count
    #[serde(default)]
    silence: BTreeMap<String, SilenceMeta>,
}

#[derive(Serialize, Deserialize)]
struct VolumeMeta {
    started_ns: Option<i64>,
    skipped: Skips,
}

#[derive(Serialize, Deserialize)]
struct SilenceMeta {
    started_ns: Option<i64>,
    hour_done: Option<i64>,
    no_emitter: u64,
}

/// An entry as written (borrows the state).
#[derive(Serialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum EntryOut<'a> {
    Meta(&'a Meta),
    Window {
        rule: &'a str,
        group: &'a str,
        values: &'a Group,
        holding: bool,
    },
    Chunk {
        rule: &'a str,
        group: &'a str,
        chunk: i64,
        entries: Vec<&'a Entry>,
    },
    Seen {
        rule: &'a str,
        scope: &'a str,
        value: &'a str,
        t: i64,
    },
    Suppress {
        key: &'a str,
        entry: &'a SuppressEntry,
    },
    Profile {
        rule: &'a str,
        scope: &'a str,
        profile: &'a Profile,
    },
    Unit {
        rule: &'a str,
        unit: &'a str,
        open: &'a OpenUnit,
    },
    Emitter {
        rule: &'a str,
        emitter: &'a str,
        state: &'a Emitter,
    },
}

/// An entry as read back.
#[derive(Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum EntryIn {
    Meta(Meta),
    Window {
        rule: String,
        group: String,
        values: Group,
        holding: bool,
    },
    Chunk {
        rule: String,
        group: String,
        chunk: i64,
        entries: Vec<Entry>,
    },
    Seen {
        rule: String,
        scope: String,
        value: String,
        t: i64,
    },
    Suppress {
        key: String,
        entry: SuppressEntry,
    },
    Profile {
        rule: String,
        scope: String,
        profile: Profile,
    },
    Unit {
        rule: String,
        unit: String,
        open: OpenUnit,
    },
    Emitter {
        rule: String,
        emitter: String,
        state: Emitter,
    },
}

fn meta_of(s: &State) -> Meta {
    Meta {
        version: s.version,
        seq: s.seq,
        watermark_ns: s.watermark_ns,
        late_dropped: s.late_dropped,
        started: s
            .first_seen
            .iter()
            .filter_map(|(r, f)| f.started_ns.map(|t| (r.clone(), t)))
            .collect(),
        profile_clock_ns: s.profile_clock_ns,
        profile_future: s.profile_future,
        volume: s
            .volume
            .iter()
            .map(|(r, v)| {
                let m = VolumeMeta {
                    started_ns: v.started_ns,
                    skipped: v.skipped.clone(),
                };
                (r.clone(), m)
            })
            .collect(),
        silence: s
            .silence
            .iter()
            .map(|(r, v)| {
                let m = SilenceMeta {
                    started_ns: v.started_ns,
                    hour_done: v.hour_done,
                    no_emitter: v.no_emitter,
                };
                (r.clone(), m)
            })
            .collect(),
    }
}

fn to_bytes(e: &EntryOut<'_>) -> Vec<u8> {
    serde_json::to_vec(e).unwrap_or_default()
}

/// The bytes of entry `key`, or `None` when the state no longer holds it.
fn entry_bytes(s: &State, key: &EntryKey) -> Option<Vec<u8>> {
    if !s.has(key) {
        return None;
    }
    Some(match key {
        EntryKey::Meta => to_bytes(&EntryOut::Meta(&meta_of(s))),
        EntryKey::Window { rule, group } => {
            let w = s.corr.get(rule)?.get(group)?;
            to_bytes(&EntryOut::Window {
                rule,
                group,
                values: &w.group,
                holding: w.holding,
            })
        }
        EntryKey::Chunk { rule, group, chunk } => to_bytes(&EntryOut::Chunk {
            rule,
            group,
            chunk: *chunk,
            entries: s.corr.get(rule)?.get(group)?.chunk(*chunk).collect(),
        }),
        EntryKey::Seen { rule, scope, value } => to_bytes(&EntryOut::Seen {
            rule,
            scope,
            value,
            t: *s.first_seen.get(rule)?.scopes.get(scope)?.get(value)?,
        }),
        EntryKey::Suppress(k) => to_bytes(&EntryOut::Suppress {
            key: k,
            entry: s.suppress.get(k)?,
        }),
        EntryKey::Profile { rule, scope } => to_bytes(&EntryOut::Profile {
            rule,
            scope,
            profile: s.volume.get(rule)?.profiles.get(scope)?,
        }),
        EntryKey::Unit { rule, unit } => to_bytes(&EntryOut::Unit {
            rule,
            unit,
            open: s.volume.get(rule)?.units.get(unit)?,
        }),
        EntryKey::Emitter { rule, emitter } => to_bytes(&EntryOut::Emitter {
            rule,
            emitter,
            state: s.silence.get(rule)?.emitters.get(emitter)?,
        }),
    })
}

/// The keys to write or delete: the changed ones, with each changed window's changed
/// chunks.
fn changed_keys(s: &State) -> BTreeSet<EntryKey> {
    let mut keys = s.track.dirty.clone();
    for key in &s.track.dirty {
        let EntryKey::Window { rule, group } = key else {
            continue;
        };
        if let Some(w) = s.corr.get(rule).and_then(|g| g.get(group)) {
            keys.extend(w.chunks.touched.iter().map(|&chunk| EntryKey::Chunk {
                rule: rule.clone(),
                group: group.clone(),
                chunk,
            }));
        }
    }
    keys
}

/// Every key the state holds.
fn all_keys(s: &State) -> Vec<EntryKey> {
    let mut keys = vec![EntryKey::Meta];
    for (rule, groups) in &s.corr {
        for (g, w) in groups {
            keys.push(EntryKey::Window {
                rule: rule.clone(),
                group: g.clone(),
            });
            keys.extend(w.chunk_ids().into_iter().map(|chunk| EntryKey::Chunk {
                rule: rule.clone(),
                group: g.clone(),
                chunk,
            }));
        }
    }
    for (rule, f) in &s.first_seen {
        for (scope, values) in &f.scopes {
            keys.extend(values.keys().map(|v| EntryKey::Seen {
                rule: rule.clone(),
                scope: scope.clone(),
                value: v.clone(),
            }));
        }
    }
    keys.extend(s.suppress.keys().cloned().map(EntryKey::Suppress));
    for (rule, v) in &s.volume {
        keys.extend(v.profiles.keys().map(|scope| EntryKey::Profile {
            rule: rule.clone(),
            scope: scope.clone(),
        }));
        keys.extend(v.units.keys().map(|unit| EntryKey::Unit {
            rule: rule.clone(),
            unit: unit.clone(),
        }));
    }
    for (rule, v) in &s.silence {
        keys.extend(v.emitters.keys().map(|emitter| EntryKey::Emitter {
            rule: rule.clone(),
            emitter: emitter.clone(),
        }));
    }
    keys
}

impl Engine {
    /// The entries changed since the last [`Engine::mark_committed`] (or restore): upserts
    /// for entries that exist, removals for entries that were dropped (expired windows,
    /// closed suppressions, evictions). The meta entry is included when it changed.
    pub fn state_delta(&self) -> StateDelta {
        let s = &self.state;
        let mut delta = StateDelta::default();
        for key in changed_keys(s) {
            match entry_bytes(s, &key) {
                Some(bytes) => delta.upserts.push((key.encode(), bytes)),
                None => delta.removals.push(key.encode()),
            }
        }
        let meta = to_bytes(&EntryOut::Meta(&meta_of(s)));
        if s.track.committed_meta.as_ref() != Some(&meta) {
            delta.upserts.push((EntryKey::Meta.encode(), meta));
        }
        delta
    }

    /// Record that the last [`Engine::state_delta`] is durably stored.
    pub fn mark_committed(&mut self) {
        let s = &mut self.state;
        let meta = to_bytes(&EntryOut::Meta(&meta_of(s)));
        for key in std::mem::take(&mut s.track.dirty) {
            let EntryKey::Window { rule, group } = key else {
                continue;
            };
            let Some(w) = s.corr.get_mut(&rule).and_then(|g| g.get_mut(&group)) else {
                continue;
            };
            for c in std::mem::take(&mut w.chunks.touched) {
                if w.chunk(c).next().is_some() {
                    w.chunks.stored.insert(c);
                } else {
                    w.chunks.stored.remove(&c);
                }
            }
        }
        s.track.committed_meta = Some(meta);
    }

    /// The whole state as entries (for a first write or a full rewrite of the store).
    pub fn state_entries(&self) -> Vec<(String, Vec<u8>)> {
        all_keys(&self.state)
            .iter()
            .filter_map(|k| entry_bytes(&self.state, k).map(|b| (k.encode(), b)))
            .collect()
    }

    /// Replace the streaming state with the one `entries` describe (entry bytes from
    /// [`Engine::state_delta`] / [`Engine::state_entries`], in any order). Windows are
    /// trimmed to the restored watermark, as after a batch. The result counts as committed.
    /// On error the engine is unchanged.
    pub fn restore_entries<I, B>(&mut self, entries: I) -> Result<(), String>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut s = State::new();
        let mut started = BTreeMap::new();
        let mut chunks: BTreeMap<(String, String), BTreeMap<i64, Vec<Entry>>> = BTreeMap::new();
        for (i, bytes) in entries.into_iter().enumerate() {
            let e: EntryIn = serde_json::from_slice(bytes.as_ref())
                .map_err(|e| format!("invalid engine state entry #{}: {e}", i + 1))?;
            match e {
                EntryIn::Meta(m) => {
                    if m.version != State::VERSION {
                        return Err(format!(
                            "engine state version {} is not supported (expected {})",
                            m.version,
                            State::VERSION
                        ));
                    }
                    s.seq = m.seq;
                    s.watermark_ns = m.watermark_ns;
                    s.late_dropped = m.late_dropped;
                    s.profile_clock_ns = m.profile_clock_ns;
                    s.profile_future = m.profile_future;
                    for (rule, v) in m.volume {
                        let st = s.volume.entry(rule).or_default();
                        st.started_ns = v.started_ns;
                        st.skipped = v.skipped;
                    }
                    for (rule, v) in m.silence {
                        let st = s.silence.entry(rule).or_default();
                        st.started_ns = v.started_ns;
                        st.hour_done = v.hour_done;
                        st.no_emitter = v.no_emitter;
                    }
                    started = m.started;
                }
                EntryIn::Window {
                    rule,
                    group,
                    values,
                    holding,
                } => {
                    let w = GroupWindow {
                        group: values,
                        holding,
                        ..GroupWindow::default()
                    };
                    s.corr.entry(rule).or_default().insert(group, w);
                }
                EntryIn::Chunk {
                    rule,
                    group,
                    chunk,
                    entries,
                } => {
                    chunks
                        .entry((rule, group))
                        .or_default()
                        .insert(chunk, entries);
                }
                EntryIn::Seen {
                    rule,
                    scope,
                    value,
                    t,
                } => {
                    s.first_seen
                        .entry(rule)
                        .or_default()
                        .scopes
                        .entry(scope)
                        .or_default()
                        .insert(value, t);
                }
                EntryIn::Suppress { key, entry } => {
                    s.suppress.insert(key, entry);
                }
                EntryIn::Profile {
                    rule,
                    scope,
                    profile,
                } => {
                    s.volume
                        .entry(rule)
                        .or_default()
                        .profiles
                        .insert(scope, profile);
                }
                EntryIn::Unit { rule, unit, open } => {
                    s.volume.entry(rule).or_default().units.insert(unit, open);
                }
                EntryIn::Emitter {
                    rule,
                    emitter,
                    state,
                } => {
                    s.silence
                        .entry(rule)
                        .or_default()
                        .emitters
                        .insert(emitter, state);
                }
            }
        }
        for (rule, t) in started {
            s.first_seen.entry(rule).or_default().started_ns = Some(t);
        }
        for ((rule, group), parts) in chunks {
            // a chunk whose window header is gone belongs to no window
            let Some(w) = s.corr.get_mut(&rule).and_then(|g| g.get_mut(&group)) else {
                continue;
            };
            for (c, entries) in parts {
                w.chunks.stored.insert(c);
                w.entries.extend(entries);
            }
        }
        s.track.evictions = std::mem::take(&mut self.state.track.evictions);
        self.state = s;
        self.mark_committed();
        // Removals this finds (none, unless the entries predate a lateness change) are
        // left in the delta.
        self.trim();
        Ok(())
    }

    /// Entries evicted by the caps (`max_groups_per_rule`, `max_values_per_scope`) since
    /// the last call, per rule id.
    pub fn take_state_evictions(&mut self) -> BTreeMap<String, u64> {
        std::mem::take(&mut self.state.track.evictions)
    }

    /// Whether state changes are recorded for [`Engine::state_delta`] (on by default). A
    /// caller that never stores the state as entries (`tripline rules eval`, benchmarks)
    /// turns it off and pays nothing for the bookkeeping; outputs are the same either way.
    /// Turning it back on counts every entry as changed, so the next delta rewrites all.
    pub fn track_changes(&mut self, on: bool) {
        self.state.track.off = !on;
        if on {
            self.mark_all_changed();
        } else {
            self.state.track.dirty.clear();
        }
    }

    /// Count every entry as changed (after a whole-snapshot restore: the store holds
    /// none of them yet).
    pub(crate) fn mark_all_changed(&mut self) {
        let s = &mut self.state;
        s.track.committed_meta = None;
        for groups in s.corr.values_mut() {
            for w in groups.values_mut() {
                w.chunks.touched = w.chunk_ids();
            }
        }
        let keys = all_keys(s);
        s.track.dirty.extend(keys);
    }

    /// Drop what the current watermark has expired (as [`Engine::advance_watermark`] does).
    fn trim(&mut self) {
        if let Some(wm) = self.state.watermark_ns {
            self.advance_watermark(wm);
        }
    }
}
