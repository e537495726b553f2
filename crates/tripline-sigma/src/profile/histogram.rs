//! A decaying histogram over fixed buckets: the learned distribution of a volume profile.
//!
//! Values below 64 have one bucket per integer; above, buckets grow by 2 % each, so a
//! profile holds at most [`MAX_BUCKETS`] buckets whatever it sees. Every weight decays by
//! half each `half_life` of event time, so old samples fade and slow drift is learned.
//! Decay scales all weights alike, so it never moves a quantile: only new samples do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Integers below this value have a bucket each.
const LINEAR: u32 = 64;
/// Growth factor of the logarithmic buckets above [`LINEAR`].
const GROWTH: f64 = 1.02;
/// Weights below this are dropped.
const NEGLIGIBLE: f64 = 1e-9;
/// The highest bucket index (values up to about 1e12 have their own bucket; larger ones
/// share the last).
pub const MAX_BUCKETS: u32 = 1_300;

/// Bucket index of `v` (negative values and NaN count as 0, +inf as the last bucket).
fn bucket(v: f64) -> u32 {
    if v.is_nan() || v <= 0.0 {
        return 0;
    }
    if v < LINEAR as f64 {
        return v as u32;
    }
    let i = LINEAR as f64 + ((v / LINEAR as f64).ln() / GROWTH.ln()).floor();
    i.min(MAX_BUCKETS as f64) as u32
}

/// The value a bucket stands for: the integer, or the geometric middle of the range.
fn representative(i: u32) -> f64 {
    if i < LINEAR {
        return i as f64;
    }
    LINEAR as f64 * GROWTH.powf((i - LINEAR) as f64 + 0.5)
}

/// The decaying histogram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// bucket index -> weight, as of `ref_ns` (persisted as `[index, weight]` pairs)
    #[serde(with = "pairs")]
    pub weights: BTreeMap<u32, f64>,
    /// event time the weights are decayed to (ns)
    pub ref_ns: i64,
}

/// The weights as a list of pairs: map keys that are numbers do not survive every serde
/// path (an internally tagged state entry buffers them as text).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &BTreeMap<u32, f64>, s: S) -> Result<S::Ok, S::Error> {
        m.iter().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u32, f64>, D::Error> {
        Ok(Vec::<(u32, f64)>::deserialize(d)?.into_iter().collect())
    }
}

/// Robust figures of a histogram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// median
    pub p50: f64,
    /// the profile's configured quantile (p99 by default)
    pub pq: f64,
    /// median absolute deviation
    pub mad: f64,
}

impl Histogram {
    /// Add one sample `v` at event time `t`, decaying what is there first.
    pub fn add(&mut self, v: f64, t: i64, half_life_ns: i64) {
        if t > self.ref_ns && half_life_ns > 0 && !self.weights.is_empty() {
            let factor = 0.5f64.powf((t - self.ref_ns) as f64 / half_life_ns as f64);
            self.weights.retain(|_, w| {
                *w *= factor;
                *w > NEGLIGIBLE
            });
        }
        self.ref_ns = self.ref_ns.max(t);
        *self.weights.entry(bucket(v)).or_default() += 1.0;
    }

    /// Total weight.
    pub fn total(&self) -> f64 {
        self.weights.values().sum()
    }

    /// The `q` quantile (0..=1) of the weighted buckets.
    pub fn quantile(&self, q: f64) -> f64 {
        weighted_quantile(
            self.weights.iter().map(|(&i, &w)| (representative(i), w)),
            q,
        )
    }

    /// Median, the `q` quantile and the MAD.
    pub fn figures(&self, q: f64) -> Figures {
        let p50 = self.quantile(0.5);
        let mut dev: Vec<(f64, f64)> = self
            .weights
            .iter()
            .map(|(&i, &w)| ((representative(i) - p50).abs(), w))
            .collect();
        dev.sort_by(|a, b| a.0.total_cmp(&b.0));
        Figures {
            p50,
            pq: self.quantile(q),
            mad: weighted_quantile(dev.into_iter(), 0.5),
        }
    }
}

/// The `q` quantile of `(value, weight)` pairs given in ascending value order.
fn weighted_quantile(items: impl Iterator<Item = (f64, f64)> + Clone, q: f64) -> f64 {
    let total: f64 = items.clone().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let target = q.clamp(0.0, 1.0) * total;
    let mut acc = 0.0;
    let mut last = 0.0;
    for (v, w) in items {
        acc += w;
        last = v;
        if acc >= target {
            return v;
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_bounded_and_monotonic() {
        let mut prev = 0;
        for v in [
            0.0,
            0.5,
            1.0,
            63.0,
            64.0,
            100.0,
            1e6,
            1e12,
            1e300,
            f64::INFINITY,
        ] {
            let b = bucket(v);
            assert!(b >= prev && b <= MAX_BUCKETS);
            prev = b;
        }
        assert_eq!(bucket(-5.0), 0);
        assert_eq!(bucket(f64::NAN), 0);
        // a logarithmic bucket's representative is within 2 % of what fell into it
        for v in [64.0, 100.0, 4321.0, 1e9] {
            let r = representative(bucket(v));
            assert!((r / v - 1.0).abs() < 0.02, "{v} -> {r}");
        }
    }

    #[test]
    fn quantiles_and_mad() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.add(v as f64, 0, 0);
        }
        let f = h.figures(0.99);
        assert!((f.p50 - 50.0).abs() <= 2.0, "{f:?}");
        assert!((f.pq - 99.0).abs() <= 2.5, "{f:?}");
        assert!((f.mad - 25.0).abs() <= 2.0, "{f:?}");
    }

    #[test]
    fn decay_forgets_old_samples_but_not_quantiles() {
        let mut h = Histogram::default();
        let day = 86_400_000_000_000i64;
        for _ in 0..100 {
            h.add(10.0, 0, 7 * day);
        }
        let before = h.quantile(0.5);
        // eight half-lives later the old samples weigh less than one new one
        for _ in 0..3 {
            h.add(40.0, 56 * day, 7 * day);
        }
        assert_eq!(before, 10.0);
        assert_eq!(h.quantile(0.5), 40.0);
    }
}
