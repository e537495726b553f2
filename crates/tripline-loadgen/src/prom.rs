//! Reading a Prometheus histogram from a server's `/metrics` page: the benchmark takes
//! `tripline_ingest_latency_seconds` before and after a run and reads quantiles of the
//! difference (the server's own receipt → committed time per batch).

use anyhow::{bail, Context};

/// Cumulative bucket counts of one histogram, by upper bound (the last is `+Inf`).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// `(le, cumulative count)` pairs, ascending, `+Inf` last.
    pub buckets: Vec<(f64, u64)>,
}

impl Histogram {
    /// The histogram `name` from a text exposition page.
    pub fn parse(page: &str, name: &str) -> anyhow::Result<Histogram> {
        let prefix = format!("{name}_bucket{{le=\"");
        let mut buckets = Vec::new();
        for line in page.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let (le, count) = rest
                .split_once("\"}")
                .context("bucket line without a closing brace")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().with_context(|| format!("bucket bound {le:?}"))?
            };
            let count = count
                .trim()
                .parse()
                .with_context(|| format!("bucket count in {line:?}"))?;
            buckets.push((le, count));
        }
        if buckets.is_empty() {
            bail!("no histogram {name} on the page");
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Histogram { buckets })
    }

    /// Observations in `self` that are not in `before` (a later reading minus an earlier
    /// one of the same histogram).
    pub fn since(&self, before: &Histogram) -> anyhow::Result<Histogram> {
        if self.buckets.len() != before.buckets.len() {
            bail!("the histogram's buckets changed between readings");
        }
        let buckets = self
            .buckets
            .iter()
            .zip(&before.buckets)
            .map(|(a, b)| (a.0, a.1.saturating_sub(b.1)))
            .collect();
        Ok(Histogram { buckets })
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.buckets.last().map_or(0, |b| b.1)
    }

    /// The `q` quantile (0..=1) in seconds, interpolated linearly inside its bucket as
    /// Prometheus' `histogram_quantile` does; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut lower = (0.0, 0u64);
        for &(le, cum) in &self.buckets {
            if cum as f64 >= rank && cum > lower.1 {
                if le.is_infinite() {
                    return Some(lower.0);
                }
                let within = (rank - lower.1 as f64) / (cum - lower.1) as f64;
                return Some(lower.0 + (le - lower.0) * within.clamp(0.0, 1.0));
            }
            lower = (le, cum);
        }
        Some(lower.0)
    }
}

/// GET `http://ADDR/metrics`.
pub async fn fetch(addr: &str) -> anyhow::Result<String> {
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .context("GET /metrics")?;
    if !resp.status().is_success() {
        bail!("GET /metrics answered {}", resp.status());
    }
    Ok(resp.text().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# TYPE x histogram\n\
        x_bucket{le=\"0.1\"} 10\n\
        x_bucket{le=\"0.2\"} 90\n\
        x_bucket{le=\"0.4\"} 100\n\
        x_bucket{le=\"+Inf\"} 100\n\
        x_sum 17\nx_count 100\n";

    #[test]
    fn quantiles_interpolate_inside_the_bucket() {
        let h = Histogram::parse(PAGE, "x").unwrap();
        assert_eq!(h.count(), 100);
        assert!((h.quantile(0.5).unwrap() - 0.15).abs() < 1e-9);
        assert!((h.quantile(0.99).unwrap() - 0.38).abs() < 1e-9);
        assert!((h.quantile(0.05).unwrap() - 0.05).abs() < 1e-9);
    }

    #[test]
    fn difference_of_two_readings() {
        let after = Histogram::parse(PAGE, "x").unwrap();
        let before =
            Histogram::parse(&PAGE.replace("} 90", "} 10").replace("} 100", "} 10"), "x").unwrap();
        let d = after.since(&before).unwrap();
        assert_eq!(d.count(), 90);
        assert_eq!(d.buckets[0].1, 0);
        assert!(Histogram::parse("nothing", "x").is_err());
        assert_eq!(
            Histogram {
                buckets: vec![(1.0, 0), (f64::INFINITY, 0)]
            }
            .quantile(0.5),
            None
        );
    }
}
