//! Learned profiles (tripline extensions, docs/sigma.md): `volume_profile` learns the
//! distribution of a per-session or per-hour measure per scope and alerts on a unit far
//! above it; `emitter_silence` learns when each emitter is active and alerts on a silence
//! its pattern does not explain. Both run on event time only (the profile clock), so a
//! replay gives what live gives.

pub mod histogram;
pub mod silence;
pub mod spec;
pub mod volume;

use serde::{Deserialize, Serialize};

/// One learned profile, as `tripline baseline` lists and exports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileEntry {
    /// the volume_profile rule's id
    pub rule_id: String,
    /// scope values
    pub scope: crate::rule::Group,
    /// median
    pub p50: f64,
    /// the rule's quantile (`quantile`, p99 by default)
    pub quantile: f64,
    /// value of that quantile
    pub pq: f64,
    /// median absolute deviation
    pub mad: f64,
    /// the alert threshold now
    pub threshold: f64,
    /// units learned
    pub samples: u64,
    /// first learned unit, RFC 3339
    pub since: String,
    /// whether the scope is still learning (too few samples, or the rule's learning period)
    pub learning: bool,
    /// the histogram itself (bucket -> weight, decayed to `ref_ns`), for seeding
    pub histogram: histogram::Histogram,
}
