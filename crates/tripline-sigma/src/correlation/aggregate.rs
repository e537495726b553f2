//! Running aggregates over the tail of a group window: the entries within one timespan
//! of the group's newest match, which is the window a match arriving in time order is
//! checked over. Entries enter when they are inserted and leave when the window start
//! moves past them or expiry drops them, so checking a match costs the same whatever the
//! window holds.
//!
//! The aggregates are derived data: never persisted, built from the entries on first use
//! (after a restore, a rule edit or a late insert) and then kept up to date.

use std::collections::{HashMap, VecDeque};

use super::spec::{CorrSpec, CorrType};
use super::window::{fold_case, Entry};
use crate::source::{as_number, scalar_text};
use tripline_event::Value;

/// The largest magnitude up to which every integer is an `f64`: integer sums within it
/// are exact, so they equal a left-to-right float sum of the same values.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// What the aggregates say of the window a match is checked over.
#[derive(Debug, PartialEq)]
pub(crate) enum Measured {
    /// the quantity the condition compares (`None`: the condition cannot hold, as for a
    /// sum over no numeric values)
    Value(Option<f64>),
    /// the aggregates cannot give the float result a walk would (a sum with non-integer
    /// values); walk the window instead
    Walk,
}

/// The tail aggregates of one window, once built. Bookkeeping only: equal windows are
/// equal whatever it holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Running(Option<Tail>);

impl PartialEq for Running {
    fn eq(&self, _: &Running) -> bool {
        true
    }
}

/// The correlation shape the aggregates were built for.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shape {
    ctype: CorrType,
    span: i64,
    rules: usize,
}

#[derive(Clone, Debug)]
struct Tail {
    shape: Shape,
    /// index of the first entry inside the tail window
    start: usize,
    /// entries popped from the front since the aggregates were built (turns indices into
    /// positions that do not move)
    popped: usize,
    agg: Agg,
}

#[derive(Clone, Debug)]
enum Agg {
    /// `event_count`: the count is the tail's length
    Count,
    /// `value_count`: how many times each case-folded value occurs
    Distinct(HashMap<String, u32>),
    /// `value_sum` / `value_avg`
    Sum(SumAgg),
    /// `temporal`: matches per rule position, and how many positions have any
    Rules { per: Vec<u32>, distinct: usize },
    /// `temporal_ordered`: `latest[k]` is the latest position at which an occurrence of
    /// the first `k + 1` rules, in order, starts (among the entries added so far)
    Ordered { latest: Vec<Option<usize>> },
    /// `first_seen` keeps no window
    None,
}

#[derive(Clone, Debug, Default)]
struct SumAgg {
    /// entries with a numeric value
    numeric: usize,
    /// entries whose value is not an integer within [`EXACT_INT`]
    inexact: usize,
    /// sum of the integer values
    ints: i128,
    /// sum of their magnitudes
    magnitude: u128,
}

impl SumAgg {
    fn update(&mut self, e: &Entry, sign: i8) {
        let Some(x) = e.value.as_ref().and_then(as_number) else {
            return;
        };
        let d = |n: usize| {
            if sign > 0 {
                n + 1
            } else {
                n - 1
            }
        };
        self.numeric = d(self.numeric);
        if x.fract() == 0.0 && x.abs() <= EXACT_INT {
            let (v, m) = (x as i128, x.abs() as u128);
            if sign > 0 {
                self.ints += v;
                self.magnitude += m;
            } else {
                self.ints -= v;
                self.magnitude -= m;
            }
        } else {
            self.inexact = d(self.inexact);
        }
    }

    fn measure(&self, ctype: CorrType) -> Measured {
        if self.numeric == 0 {
            return Measured::Value(None);
        }
        // every partial sum of the walk is an integer no larger than `magnitude`: exact
        if self.inexact > 0 || self.magnitude > EXACT_INT as u128 {
            return Measured::Walk;
        }
        let sum = self.ints as f64;
        Measured::Value(Some(if ctype == CorrType::ValueSum {
            sum
        } else {
            sum / self.numeric as f64
        }))
    }
}

impl Agg {
    fn new(shape: Shape) -> Agg {
        match shape.ctype {
            CorrType::EventCount => Agg::Count,
            CorrType::ValueCount => Agg::Distinct(HashMap::new()),
            CorrType::ValueSum | CorrType::ValueAvg => Agg::Sum(SumAgg::default()),
            CorrType::Temporal => Agg::Rules {
                per: vec![0; shape.rules],
                distinct: 0,
            },
            CorrType::TemporalOrdered => Agg::Ordered {
                latest: vec![None; shape.rules],
            },
            CorrType::FirstSeen | CorrType::VolumeProfile | CorrType::EmitterSilence => Agg::None,
        }
    }

    /// Count `e`, the newest entry, at position `pos`.
    fn add(&mut self, e: &Entry, pos: usize) {
        match self {
            Agg::Count | Agg::None => {}
            Agg::Distinct(m) => each_text(e, |t| match m.get_mut(t) {
                Some(n) => *n += 1,
                None => {
                    m.insert(t.to_owned(), 1);
                }
            }),
            Agg::Sum(s) => s.update(e, 1),
            Agg::Rules { per, distinct } => {
                // entries kept from before a rule edit may name positions beyond `rules`
                if e.rule >= per.len() {
                    per.resize(e.rule + 1, 0);
                }
                if let Some(n) = per.get_mut(e.rule) {
                    *n += 1;
                    if *n == 1 {
                        *distinct += 1;
                    }
                }
            }
            Agg::Ordered { latest } => {
                let from = match e.rule {
                    0 => Some(pos),
                    r => latest.get(r - 1).copied().flatten(),
                };
                if let (Some(from), Some(slot)) = (from, latest.get_mut(e.rule)) {
                    *slot = Some(slot.map_or(from, |s| s.max(from)));
                }
            }
        }
    }

    /// Uncount `e`, which left the tail window. `Ordered` needs nothing: positions before
    /// the tail start no longer count.
    fn remove(&mut self, e: &Entry) {
        match self {
            Agg::Count | Agg::None | Agg::Ordered { .. } => {}
            Agg::Distinct(m) => each_text(e, |t| {
                if let Some(n) = m.get_mut(t) {
                    *n -= 1;
                    if *n == 0 {
                        m.remove(t);
                    }
                }
            }),
            Agg::Sum(s) => s.update(e, -1),
            Agg::Rules { per, distinct } => {
                if let Some(n) = per.get_mut(e.rule) {
                    *n -= 1;
                    if *n == 0 {
                        *distinct -= 1;
                    }
                }
            }
        }
    }
}

/// The case-folded texts `e`'s value counts as (each element of a list).
fn each_text(e: &Entry, mut f: impl FnMut(&str)) {
    let mut one = |v: &Value| {
        if let Some(t) = scalar_text(v) {
            f(&fold_case(t));
        }
    };
    match &e.value {
        Some(Value::Array(items)) => items.iter().for_each(&mut one),
        Some(v) => one(v),
        None => {}
    }
}

/// The first index whose entry is within `span` of the newest entry.
fn tail_start(entries: &VecDeque<Entry>, span: i64) -> usize {
    let lo = entries.back().map_or(0, |e| e.t.saturating_sub(span));
    entries.partition_point(|e| e.t < lo)
}

impl Tail {
    fn build(shape: Shape, entries: &VecDeque<Entry>) -> Tail {
        let start = tail_start(entries, shape.span);
        let mut agg = Agg::new(shape);
        for (i, e) in entries.range(start..).enumerate() {
            agg.add(e, start + i);
        }
        Tail {
            shape,
            start,
            popped: 0,
            agg,
        }
    }

    /// Move the start past entries the newest one has put out of the window.
    fn advance(&mut self, entries: &VecDeque<Entry>) {
        let lo = entries
            .back()
            .map_or(0, |e| e.t.saturating_sub(self.shape.span));
        while let Some(e) = entries.get(self.start).filter(|e| e.t < lo) {
            self.agg.remove(e);
            self.start += 1;
        }
    }

    fn measure(&self, entries: &VecDeque<Entry>) -> Measured {
        let n = entries.len() - self.start;
        let count = |k: usize| Measured::Value(Some(k as f64));
        match &self.agg {
            Agg::Count => count(n),
            Agg::Distinct(m) => count(m.len()),
            Agg::Sum(s) => s.measure(self.shape.ctype),
            Agg::Rules { distinct, .. } => count(*distinct),
            Agg::Ordered { latest } => {
                let first = self.popped + self.start;
                count(
                    latest
                        .iter()
                        .take_while(|s| s.is_some_and(|s| s >= first))
                        .count(),
                )
            }
            Agg::None => Measured::Value(None),
        }
    }
}

impl Running {
    /// Keep the aggregates up to date after `entries[at]` was inserted.
    pub(crate) fn inserted(&mut self, entries: &VecDeque<Entry>, at: usize) {
        let Some(tail) = &mut self.0 else { return };
        let e = &entries[at];
        if at + 1 == entries.len() {
            tail.agg.add(e, tail.popped + at);
            tail.advance(entries);
            return;
        }
        // a late match: it lands inside the tail or before it
        let newest = entries.back().map_or(e.t, |n| n.t);
        if matches!(tail.agg, Agg::Ordered { .. }) {
            // positions after it moved: build again when next needed
            self.0 = None;
        } else if e.t >= newest.saturating_sub(tail.shape.span) {
            tail.agg.add(e, 0);
        } else {
            tail.start += 1;
        }
    }

    /// Keep the aggregates up to date after the front entry `e` was dropped.
    pub(crate) fn popped(&mut self, e: &Entry) {
        let Some(tail) = &mut self.0 else { return };
        if tail.start > 0 {
            tail.start -= 1;
        } else {
            tail.agg.remove(e);
        }
        tail.popped += 1;
    }

    /// The quantity the condition compares over the tail window (the window of a match
    /// that is the newest entry), building the aggregates first when needed.
    pub(crate) fn measure(&mut self, spec: &CorrSpec, entries: &VecDeque<Entry>) -> Measured {
        let shape = Shape {
            ctype: spec.ctype,
            span: spec.timespan_ns,
            rules: spec.rules.len(),
        };
        let tail = match &mut self.0 {
            Some(t) if t.shape == shape => t,
            slot => slot.insert(Tail::build(shape, entries)),
        };
        tail.measure(entries)
    }
}

#[cfg(test)]
mod tests {
    //! The running aggregates against a walk of the window, over seeded random match
    //! streams: ties in time, late matches within the lateness, the window start moving,
    //! expiry on the watermark, and restores from the persisted form mid-stream.

    use std::collections::BTreeMap;

    use super::*;
    use crate::correlation::spec::CondOp;
    use crate::correlation::window::{holds, measure, GroupWindow};

    /// splitmix64: a seeded stream of numbers, so a failing seed can be replayed
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const TYPES: [CorrType; 6] = [
        CorrType::EventCount,
        CorrType::ValueCount,
        CorrType::ValueSum,
        CorrType::ValueAvg,
        CorrType::Temporal,
        CorrType::TemporalOrdered,
    ];

    fn spec(ctype: CorrType, rng: &mut Rng) -> CorrSpec {
        let ops = [CondOp::Gt, CondOp::Gte, CondOp::Lt, CondOp::Lte, CondOp::Eq];
        let rules = 1 + rng.below(3) as usize;
        let temporal = matches!(ctype, CorrType::Temporal | CorrType::TemporalOrdered);
        let condition = if temporal && rng.below(2) == 0 {
            vec![]
        } else {
            let op = ops[rng.below(ops.len() as u64) as usize];
            vec![(op, rng.below(12) as f64)]
        };
        CorrSpec {
            ctype,
            rules: (0..rules).map(|i| format!("r{i}")).collect(),
            group_by: vec![],
            timespan_ns: 1 + rng.below(40) as i64,
            condition,
            fields: vec!["v".into()],
            aliases: BTreeMap::new(),
            generate: false,
            learning_ns: 0,
            profile: None,
            silence: None,
        }
    }

    fn value(rng: &mut Rng) -> Option<Value> {
        let words = ["a", "A", "b", "ß", "SS", "x1"];
        let word = |rng: &mut Rng| Value::Str(words[rng.below(words.len() as u64) as usize].into());
        match rng.below(8) {
            0 => None,
            1 => Some(word(rng)),
            2 => Some(Value::Array(vec![word(rng), word(rng), Value::Int(1)])),
            3 => Some(Value::Float(rng.below(7) as f64 * 0.1)),
            4 => Some(Value::Str(format!("{}", rng.below(5)))),
            5 => Some(Value::Float(-(rng.below(4) as f64))),
            _ => Some(Value::Int(rng.below(6) as i64 - 2)),
        }
    }

    /// Play one stream the way the engine does; returns how many checks the aggregates
    /// answered (the others walked).
    fn play(seed: u64) -> usize {
        let mut rng = Rng(seed);
        let spec = spec(TYPES[(seed % TYPES.len() as u64) as usize], &mut rng);
        let span = spec.timespan_ns;
        let lateness = [0, 0, 3, 50][rng.below(4) as usize];
        let mut w = GroupWindow::default();
        let mut wm = 0i64;
        let mut answered = 0;
        for step in 0..400 {
            match rng.below(20) {
                0 => {
                    // restore from the persisted form: the aggregates are built again
                    let text = serde_json::to_string(&w).expect("serializes");
                    w = serde_json::from_str(&text).expect("restores");
                }
                1 => {
                    // the watermark moves on without a match: expiry
                    wm += rng.below(3 * span as u64 + 2) as i64;
                    w.evict(wm - lateness - span);
                }
                _ => {
                    let t = match rng.below(4) {
                        0 => wm,
                        1 if lateness > 0 => wm - rng.below(lateness as u64 + 1) as i64,
                        _ => wm + rng.below(span as u64 / 2 + 2) as i64,
                    };
                    wm = wm.max(t);
                    w.evict(wm - lateness - span);
                    let at = w.insert(Entry {
                        t,
                        rule: rng.below(spec.rules.len() as u64) as usize,
                        seqs: vec![step],
                        event_ids: vec![],
                        value: value(&mut rng),
                        evidence: None,
                    });
                    let walked = holds(&spec, w.window(at, span));
                    if at + 1 == w.entries.len() {
                        let naive = measure(&spec, w.window(at, span));
                        if let Measured::Value(n) = w.running.measure(&spec, &w.entries) {
                            answered += 1;
                            // equal as numbers (a walk may sum to -0.0, which every
                            // condition operator treats as 0.0)
                            assert_eq!(n, naive, "seed {seed} step {step}: {:?}", spec.ctype);
                        }
                    }
                    assert_eq!(w.holds_at(&spec, at), walked, "seed {seed} step {step}");
                }
            }
        }
        answered
    }

    #[test]
    fn running_aggregates_equal_a_walk_of_the_window() {
        let mut answered = [0usize; TYPES.len()];
        for seed in 0..600 {
            answered[(seed % TYPES.len() as u64) as usize] += play(seed);
        }
        for (ctype, n) in TYPES.iter().zip(answered) {
            assert!(
                n > 1000,
                "{ctype:?}: the aggregates answered only {n} checks"
            );
        }
    }

    #[test]
    fn a_large_window_is_checked_without_walking() {
        let mut s = spec(CorrType::ValueCount, &mut Rng(1));
        s.timespan_ns = i64::MAX;
        let mut w = GroupWindow::default();
        for t in 0..50_000 {
            let at = w.insert(Entry {
                t,
                rule: 0,
                seqs: vec![],
                event_ids: vec![],
                value: Some(Value::Int(t % 100)),
                evidence: None,
            });
            assert_eq!(
                w.running.measure(&s, &w.entries),
                Measured::Value(Some((t + 1).min(100) as f64))
            );
            assert_eq!(at, t as usize);
        }
    }
}
