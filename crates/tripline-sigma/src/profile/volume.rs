//! What a `volume_profile` rule keeps: the learned profile per scope and the open units
//! (sessions, hours) being measured.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::histogram::{Figures, Histogram};
use super::spec::{Measure, ProfileSpec};
use crate::rule::Group;

/// Events and units a profile rule could not use, by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skips {
    /// events without the session field
    pub no_unit: u64,
    /// units closed without the scope fields (nothing learned), or hour events without them
    pub no_scope: u64,
    /// events older than the profile clock minus the idle gap, for a unit no longer open
    pub late: u64,
    /// values beyond the distinct-value cap of one unit (the measure is then a lower bound)
    pub capped_values: u64,
}

/// The learned distribution of one scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// the scope's group-by values
    pub scope: Group,
    /// the decaying histogram of closed units' measures
    pub hist: Histogram,
    /// closed units learned (not decayed)
    pub samples: u64,
    /// event time of the first learned unit (ns)
    pub since_ns: i64,
    /// event time of the newest learned unit (ns)
    pub updated_ns: i64,
    /// figures derived from `hist` (not persisted)
    #[serde(skip)]
    pub cache: Cached,
}

/// Figures derived from a histogram; never persisted and equal whatever they hold.
#[derive(Clone, Debug, Default)]
pub struct Cached(pub Option<Figures>);

impl PartialEq for Cached {
    fn eq(&self, _: &Cached) -> bool {
        true
    }
}

/// The alerting threshold of a profile, and the figures it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// the robust figures
    pub figures: Figures,
    /// max(floor, quantile × factor, median + k × MAD)
    pub value: f64,
}

impl Profile {
    /// Learn one closed unit's measure.
    pub fn learn(&mut self, v: f64, t: i64, spec: &ProfileSpec) {
        if self.samples == 0 {
            self.since_ns = t;
        }
        self.samples += 1;
        self.updated_ns = self.updated_ns.max(t);
        self.hist.add(v, t, spec.half_life_ns);
        self.cache.0 = None;
    }

    /// The current threshold (computed once per learned sample).
    pub fn threshold(&mut self, spec: &ProfileSpec) -> Threshold {
        let figures = *self
            .cache
            .0
            .get_or_insert_with(|| self.hist.figures(spec.quantile));
        Threshold {
            figures,
            value: threshold_of(&figures, spec),
        }
    }
}

/// max(floor, quantile × factor, median + k × MAD).
pub fn threshold_of(f: &Figures, spec: &ProfileSpec) -> f64 {
    spec.floor
        .max(f.pq * spec.factor)
        .max(f.p50 + spec.mad_k * f.mad)
}

/// One open unit (a session, or one hour of one scope).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenUnit {
    /// scope key and values, once an event carried every scope field
    pub scope: Option<(String, Group)>,
    /// what names the unit in alerts (the session field's value, or the hour)
    pub names: Group,
    /// first and last matching event times (ns)
    pub first_ns: i64,
    /// last matching event time (ns)
    pub last_ns: i64,
    /// the profile clock closes the unit once it passes this (ns)
    pub deadline_ns: i64,
    /// matching events
    pub count: u64,
    /// sum of the measured field
    pub sum: f64,
    /// hashes of the distinct values (capped)
    pub distinct: BTreeSet<u64>,
    /// whether the unit already alerted (it is then not learned)
    pub alerted: bool,
    /// id of the first matching event
    pub first_event: String,
    /// id of the newest matching event
    pub last_event: String,
}

impl OpenUnit {
    /// The unit's measure.
    pub fn measure(&self, m: &Measure) -> f64 {
        match m {
            Measure::Count => self.count as f64,
            Measure::Distinct(_) => self.distinct.len() as f64,
            Measure::Sum(_) => self.sum,
            Measure::Duration => (self.last_ns - self.first_ns) as f64 / 1e9,
        }
    }
}

/// Everything one `volume_profile` rule keeps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeState {
    /// event time of the first event the rule saw: learning runs from here
    pub started_ns: Option<i64>,
    /// scope key -> learned profile
    pub profiles: BTreeMap<String, Profile>,
    /// unit key -> open unit
    pub units: BTreeMap<String, OpenUnit>,
    /// what was skipped
    pub skipped: Skips,
    /// open units by deadline (derived from `units`, rebuilt after a restore)
    #[serde(skip)]
    pub deadlines: Deadlines,
}

/// Open units ordered by deadline. Derived data: equal whatever it holds.
#[derive(Clone, Debug, Default)]
pub struct Deadlines {
    /// (deadline, unit key)
    pub set: BTreeSet<(i64, String)>,
    /// whether `set` reflects the units
    pub built: bool,
}

impl PartialEq for Deadlines {
    fn eq(&self, _: &Deadlines) -> bool {
        true
    }
}

impl VolumeState {
    /// Make sure the deadline index covers every open unit.
    pub fn index(&mut self) {
        if !self.deadlines.built {
            self.deadlines.set = self
                .units
                .iter()
                .map(|(k, u)| (u.deadline_ns, k.clone()))
                .collect();
            self.deadlines.built = true;
        }
    }

    /// Move a unit's deadline.
    pub fn set_deadline(&mut self, key: &str, deadline: i64) {
        self.index();
        if let Some(u) = self.units.get_mut(key) {
            self.deadlines.set.remove(&(u.deadline_ns, key.to_owned()));
            u.deadline_ns = deadline;
            self.deadlines.set.insert((deadline, key.to_owned()));
        }
    }

    /// The open unit with the earliest deadline, if that deadline is before `clock`.
    pub fn due(&mut self, clock: i64) -> Option<String> {
        self.index();
        let (d, k) = self.deadlines.set.first()?;
        (*d < clock).then(|| k.clone())
    }

    /// The open unit with the earliest deadline.
    pub fn earliest(&mut self) -> Option<String> {
        self.index();
        self.deadlines.set.first().map(|(_, k)| k.clone())
    }

    /// Remove an open unit.
    pub fn take(&mut self, key: &str) -> Option<OpenUnit> {
        self.index();
        let u = self.units.remove(key)?;
        self.deadlines.set.remove(&(u.deadline_ns, key.to_owned()));
        Some(u)
    }

    /// Insert a new open unit.
    pub fn open(&mut self, key: String, u: OpenUnit) {
        self.index();
        self.deadlines.set.insert((u.deadline_ns, key.clone()));
        self.units.insert(key, u);
    }
}

/// A stable 64-bit hash of a (case-folded) value: FNV-1a, so persisted sets read back the
/// same on every build.
pub fn value_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
