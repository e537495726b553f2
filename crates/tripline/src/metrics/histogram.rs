//! A Prometheus histogram of durations with fixed, fine buckets (cumulative counts, `_sum`,
//! `_count`), lock-free to record.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds: 0.5 ms × 2^(k/4) for k = 0..=64, i.e. 0.5 ms to about 33 s, each bucket
/// 19 % wider than the one before, so a quantile read from the buckets is off by at most
/// that much.
const BUCKETS: usize = 65;

fn bound_seconds(k: usize) -> f64 {
    0.0005 * 2f64.powf(k as f64 / 4.0)
}

/// Counts of observations per bucket (not cumulative; cumulated when rendered).
#[derive(Debug)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS + 1],
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Record one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let k = (0..BUCKETS)
            .find(|&k| secs <= bound_seconds(k))
            .unwrap_or(BUCKETS);
        self.counts[k].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            d.as_micros().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// The family in the text exposition format.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (k, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            if k < BUCKETS {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{le=\"{:.6}\"}} {cumulative}",
                    bound_seconds(k)
                );
            } else {
                let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
            }
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum:.6}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_sum_and_count() {
        let h = Histogram::default();
        for ms in [1, 1, 40, 2_000, 100_000] {
            h.observe(Duration::from_millis(ms));
        }
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "help");
        let bucket = |le: &str| -> u64 {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("x_seconds_bucket{{le=\"{le}\"}}")))
                .unwrap();
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        assert_eq!(bucket("0.000500"), 0);
        assert_eq!(bucket("0.001000"), 2);
        assert_eq!(bucket("0.045255"), 3);
        assert_eq!(bucket("1.722156"), 3);
        assert_eq!(bucket("2.048000"), 4);
        assert_eq!(bucket("+Inf"), 5);
        assert!(
            out.contains("x_seconds_count 5\n") && out.contains("x_seconds_sum 102.042000\n"),
            "{out}"
        );
        assert!(out.contains("# TYPE x_seconds histogram"));
    }
}
