//! Sliding windows on event time, one per correlation group, and the condition check over
//! a window. Windows are anchored at each arriving match `e`: the condition is checked
//! over the group's matches with `t(e) - timespan <= t <= t(e)` (both ends inclusive).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tripline_event::{Alert, Value};

use crate::evidence::Evidence;

use super::aggregate::{Measured, Running};
use super::spec::{CondOp, CorrSpec, CorrType};
use crate::rule::Group;
use crate::source::{as_number, scalar_text};

/// One match inside a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// event time (Unix ns)
    pub t: i64,
    /// position of the matched rule in the correlation's `rules`
    pub rule: usize,
    /// engine sequence numbers of the contributing events
    pub seqs: Vec<u64>,
    /// ids of the contributing events
    pub event_ids: Vec<String>,
    /// value of the counted/summed field, when the type needs one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// the event itself (evidence), for direct matches; kept by the newest
    /// [`Alert::MAX_EVIDENCE`] entries of a window only
    /// (shared with the alert and other windows, never copied)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Arc<Evidence>>,
}

/// The state of one group of one correlation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupWindow {
    /// group-by values
    pub group: Group,
    /// matches, ordered by time
    pub entries: VecDeque<Entry>,
    /// whether the condition held at the last check (alerts fire on false -> true)
    pub holding: bool,
    /// which chunks changed and which are stored (persistence bookkeeping)
    #[serde(skip)]
    pub(crate) chunks: ChunkMarks,
    /// running aggregates over the entries within one timespan of the newest
    #[serde(skip)]
    pub(crate) running: Running,
}

/// Width of a window chunk: entries are persisted in chunks of this much event time, so a
/// match rewrites the chunk it falls in, not the whole window.
pub const CHUNK_NS: i64 = 10_000_000_000;

/// The chunk an event time falls in.
pub fn chunk_of(t: i64) -> i64 {
    t.div_euclid(CHUNK_NS)
}

/// Chunks changed since the last commit, and chunks the store holds. Bookkeeping only:
/// equal windows are equal whatever their marks.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChunkMarks {
    pub touched: BTreeSet<i64>,
    pub stored: BTreeSet<i64>,
}

impl PartialEq for ChunkMarks {
    fn eq(&self, _: &ChunkMarks) -> bool {
        true
    }
}

impl GroupWindow {
    /// Insert keeping time order (after entries with the same time). Returns the index.
    ///
    /// Only the newest [`Alert::MAX_EVIDENCE`] entries keep their evidence event (an alert
    /// shows at most that many), so a window's memory and its share of the snapshot grow
    /// with ids and times, not with whole events. Dynamic levels over a correlation see the
    /// evidence that is kept.
    pub fn insert(&mut self, e: Entry) -> usize {
        let at = self.entries.partition_point(|x| x.t <= e.t);
        self.chunks.touched.insert(chunk_of(e.t));
        self.entries.insert(at, e);
        self.running.inserted(&self.entries, at);
        let keep_from = self.entries.len().saturating_sub(Alert::MAX_EVIDENCE);
        for old in self.entries.range_mut(..keep_from).rev() {
            if old.evidence.take().is_none() {
                break;
            }
            self.chunks.touched.insert(chunk_of(old.t));
        }
        at
    }

    /// Drop entries older than `before`. Stored chunks left empty are marked changed (so
    /// they are deleted); chunks only trimmed are not (restoring trims them the same way).
    pub fn evict(&mut self, before: i64) {
        while self.entries.front().is_some_and(|e| e.t < before) {
            if let Some(e) = self.entries.pop_front() {
                self.running.popped(&e);
            }
        }
        let first = self.entries.front().map_or(i64::MAX, |e| chunk_of(e.t));
        let gone: Vec<i64> = self.chunks.stored.range(..first).copied().collect();
        self.chunks.touched.extend(gone);
    }

    /// The entries of chunk `c`.
    pub(crate) fn chunk(&self, c: i64) -> impl Iterator<Item = &Entry> {
        let start = self.entries.partition_point(|x| chunk_of(x.t) < c);
        let end = self.entries.partition_point(|x| chunk_of(x.t) <= c);
        self.entries.range(start..end)
    }

    /// The chunks holding entries.
    pub(crate) fn chunk_ids(&self) -> BTreeSet<i64> {
        self.entries.iter().map(|e| chunk_of(e.t)).collect()
    }

    /// Whether the window has changes not yet committed.
    pub(crate) fn has_changes(&self) -> bool {
        !self.chunks.touched.is_empty()
    }

    /// The entries of the window ending at index `end` (inclusive) spanning `span_ns`.
    pub fn window(&self, end: usize, span_ns: i64) -> impl Iterator<Item = &Entry> {
        let t = self.entries.get(end).map(|e| e.t).unwrap_or(0);
        let start = t.saturating_sub(span_ns);
        let last_equal = self.entries.partition_point(|x| x.t <= t);
        self.entries
            .range(..last_equal)
            .filter(move |e| e.t >= start)
    }

    /// Whether the condition of `spec` holds over the window of the match just inserted
    /// at `at` ([`GroupWindow::window`]). A match that is the newest entry is checked on
    /// the running aggregates, in constant time; a late one (inserted before newer
    /// entries) walks its window.
    pub fn holds_at(&mut self, spec: &CorrSpec, at: usize) -> bool {
        if at + 1 == self.entries.len() {
            if let Measured::Value(n) = self.running.measure(spec, &self.entries) {
                return n.is_some_and(|n| satisfied(spec, n));
            }
        }
        holds(spec, self.window(at, spec.timespan_ns))
    }
}

/// Whether the correlation condition holds over `window`, walking it.
pub fn holds<'a>(spec: &CorrSpec, window: impl Iterator<Item = &'a Entry>) -> bool {
    measure(spec, window).is_some_and(|n| satisfied(spec, n))
}

/// Whether the quantity `n` of a window (count, distinct values, sum, ...) meets the
/// condition of `spec`, or its type's default.
pub(crate) fn satisfied(spec: &CorrSpec, n: f64) -> bool {
    if !spec.condition.is_empty() {
        return spec.condition.iter().all(|(op, r)| op.holds(n, *r));
    }
    match spec.ctype {
        CorrType::Temporal | CorrType::TemporalOrdered => {
            CondOp::Gte.holds(n, spec.rules.len() as f64)
        }
        _ => false,
    }
}

/// The quantity the condition of `spec` compares, walking `window` (`None`: it cannot
/// hold, as for a sum over no numeric values).
pub(crate) fn measure<'a>(spec: &CorrSpec, window: impl Iterator<Item = &'a Entry>) -> Option<f64> {
    match spec.ctype {
        CorrType::EventCount => Some(window.count() as f64),
        CorrType::ValueCount => {
            // A list-valued field (e.g. `command_paths`) counts each element, as Splunk's
            // dc() counts multivalue fields. Values compare case-insensitively; lowercase
            // text is borrowed, so a window of lowercase names allocates nothing.
            let mut distinct: HashSet<Cow<'_, str>> = HashSet::new();
            let mut add = |v: &'a Value| {
                if let Some(t) = scalar_text(v) {
                    distinct.insert(fold_case(t));
                }
            };
            for v in window.filter_map(|e| e.value.as_ref()) {
                match v {
                    Value::Array(items) => items.iter().for_each(&mut add),
                    other => add(other),
                }
            }
            Some(distinct.len() as f64)
        }
        CorrType::ValueSum | CorrType::ValueAvg => {
            let nums: Vec<f64> = window
                .filter_map(|e| e.value.as_ref().and_then(as_number))
                .collect();
            if nums.is_empty() {
                return None;
            }
            let sum: f64 = nums.iter().sum();
            let v = if spec.ctype == CorrType::ValueSum {
                sum
            } else {
                sum / nums.len() as f64
            };
            Some(v)
        }
        CorrType::Temporal => {
            let distinct: BTreeSet<usize> = window.map(|e| e.rule).collect();
            Some(distinct.len() as f64)
        }
        CorrType::TemporalOrdered => {
            let mut next = 0;
            for e in window {
                if e.rule == next {
                    next += 1;
                    if next == spec.rules.len() {
                        break;
                    }
                }
            }
            Some(next as f64)
        }
        CorrType::FirstSeen | CorrType::VolumeProfile | CorrType::EmitterSilence => None,
    }
}

/// `t` lowercased (`str::to_lowercase`), borrowed when that changes nothing.
pub(crate) fn fold_case(t: Cow<'_, str>) -> Cow<'_, str> {
    let unchanged = if t.is_ascii() {
        !t.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        t.chars().all(|c| {
            let mut l = c.to_lowercase();
            l.next() == Some(c) && l.next().is_none()
        })
    };
    if unchanged {
        t
    } else {
        Cow::Owned(t.to_lowercase())
    }
}

#[cfg(test)]
mod evidence_bound_tests {
    use super::*;

    fn entry(t: i64) -> Entry {
        Entry {
            t,
            rule: 0,
            seqs: vec![t as u64],
            event_ids: vec![t.to_string()],
            value: None,
            evidence: Some(Arc::new(Evidence::parsed(tripline_event::Event::new()))),
        }
    }

    #[test]
    fn only_the_newest_entries_keep_evidence() {
        let mut w = GroupWindow::default();
        for t in 0..1000 {
            w.insert(entry(t));
        }
        let with: Vec<i64> = w
            .entries
            .iter()
            .filter(|e| e.evidence.is_some())
            .map(|e| e.t)
            .collect();
        assert_eq!(with, (990..1000).collect::<Vec<_>>());
        assert_eq!(w.entries.len(), 1000, "every match still counts");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn spec(ctype: CorrType, rules: usize, cond: Vec<(CondOp, f64)>) -> CorrSpec {
        CorrSpec {
            ctype,
            rules: (0..rules).map(|i| format!("r{i}")).collect(),
            group_by: vec![],
            timespan_ns: 10,
            condition: cond,
            fields: vec![],
            aliases: BTreeMap::new(),
            generate: false,
            learning_ns: 0,
            profile: None,
            silence: None,
        }
    }

    fn entry(t: i64, rule: usize) -> Entry {
        Entry {
            t,
            rule,
            seqs: vec![t as u64],
            event_ids: vec![],
            value: Some(Value::Int(t)),
            evidence: None,
        }
    }

    #[test]
    fn window_edges_are_inclusive() {
        let mut g = GroupWindow::default();
        for t in [0, 5, 10, 11] {
            g.insert(entry(t, 0));
        }
        assert_eq!(g.window(2, 10).count(), 3);
        assert_eq!(g.window(3, 10).count(), 3);
        g.evict(5);
        assert_eq!(g.entries.len(), 3);
    }

    #[test]
    fn late_entries_are_placed_in_time_order() {
        let mut g = GroupWindow::default();
        g.insert(entry(10, 0));
        let at = g.insert(entry(3, 0));
        assert_eq!(at, 0);
        assert_eq!(g.window(0, 5).count(), 1);
    }

    #[test]
    fn ordered_needs_order() {
        let s = spec(CorrType::TemporalOrdered, 2, vec![]);
        assert!(!holds(&s, [entry(0, 1), entry(1, 0)].iter()));
        assert!(holds(&s, [entry(0, 0), entry(1, 1)].iter()));
        let t = spec(CorrType::Temporal, 2, vec![]);
        assert!(holds(&t, [entry(0, 1), entry(1, 0)].iter()));
        let c = spec(CorrType::EventCount, 1, vec![(CondOp::Eq, 2.0)]);
        assert!(holds(&c, [entry(0, 0), entry(1, 0)].iter()));
        assert!(!holds(&c, [entry(0, 0)].iter()));
        let s = spec(CorrType::ValueSum, 1, vec![(CondOp::Gt, 10.0)]);
        assert!(holds(&s, [entry(5, 0), entry(6, 0)].iter()));
    }
}
