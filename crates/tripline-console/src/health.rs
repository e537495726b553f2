//! Samples of the serve metrics over time, for the pipeline-health charts.
//!
//! `serve` hands the console a function that renders its `/metrics` page; the console
//! reads it every few seconds and keeps the last hour of what the charts need: refused
//! requests by reason and the acknowledgement latency (from the ingest-latency histogram).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Renders the serve metrics as Prometheus text.
pub type MetricsText = Arc<dyn Fn() -> String + Send + Sync>;

/// Samples kept (at one per 10 s: one hour).
const KEEP: usize = 360;

/// One reading of the metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// When, unix ms.
    pub time_ms: i64,
    /// `tripline_requests_rejected_total` by reason (cumulative).
    pub refused: BTreeMap<String, f64>,
    /// `tripline_ingest_latency_seconds` buckets: `(le, cumulative count)`.
    pub latency: Vec<(f64, f64)>,
    /// `tripline_sink_queued` by sink.
    pub sink_queued: BTreeMap<String, f64>,
    /// `tripline_sink_dead_lettered_total` by sink (cumulative).
    pub dead_lettered: BTreeMap<String, f64>,
}

/// The last hour of samples.
#[derive(Default)]
pub struct Samples {
    kept: Mutex<VecDeque<Sample>>,
}

impl Samples {
    /// Parse and keep one reading.
    pub fn take(&self, text: &str) {
        let mut s = parse(text);
        s.time_ms = chrono::Utc::now().timestamp_millis();
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() == KEEP {
            kept.pop_front();
        }
        kept.push_back(s);
    }

    /// Every kept sample, oldest first.
    pub fn all(&self) -> Vec<Sample> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter().cloned().collect()
    }
}

/// Read the families the charts need from a Prometheus text page.
pub fn parse(text: &str) -> Sample {
    let mut s = Sample::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = match key.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (key, ""),
        };
        let label = |want: &str| -> Option<String> {
            labels.split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k.trim() == want).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        match name {
            "tripline_requests_rejected_total" => {
                s.refused.insert(label("reason").unwrap_or_default(), value);
            }
            "tripline_ingest_latency_seconds_bucket" => {
                let le = label("le").unwrap_or_default();
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or(f64::INFINITY)
                };
                s.latency.push((le, value));
            }
            "tripline_sink_queued" => {
                s.sink_queued
                    .insert(label("sink").unwrap_or_default(), value);
            }
            "tripline_sink_dead_lettered_total" => {
                s.dead_lettered
                    .insert(label("sink").unwrap_or_default(), value);
            }
            _ => {}
        }
    }
    s
}

/// The `q` quantile (0..1) of the batches acknowledged between two samples, in seconds,
/// as the upper bound of the histogram bucket it falls in. `None` when no batch was.
pub fn latency_quantile(before: &Sample, after: &Sample, q: f64) -> Option<f64> {
    let count = |s: &Sample, le: f64| {
        s.latency
            .iter()
            .find(|(l, _)| *l == le)
            .map_or(0.0, |(_, c)| *c)
    };
    let total = after.latency.last().map_or(0.0, |(_, c)| *c)
        - before.latency.last().map_or(0.0, |(_, c)| *c);
    if total <= 0.0 {
        return None;
    }
    after
        .latency
        .iter()
        .find(|(le, c)| (c - count(before, *le)) >= q * total)
        .map(|(le, _)| *le)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# TYPE x counter\n\
tripline_requests_rejected_total{reason=\"too_large\"} 3\n\
tripline_ingest_latency_seconds_bucket{le=\"0.001000\"} 1\n\
tripline_ingest_latency_seconds_bucket{le=\"0.010000\"} 9\n\
tripline_ingest_latency_seconds_bucket{le=\"+Inf\"} 10\n\
tripline_sink_queued{sink=\"file\"} 4\n";

    #[test]
    fn parses_the_families_the_charts_use() {
        let s = parse(PAGE);
        assert_eq!(s.refused.get("too_large"), Some(&3.0));
        assert_eq!(s.latency.len(), 3);
        assert_eq!(s.sink_queued.get("file"), Some(&4.0));
        let zero = Sample::default();
        assert_eq!(latency_quantile(&zero, &s, 0.5), Some(0.01));
        assert_eq!(latency_quantile(&zero, &s, 0.1), Some(0.001));
        assert_eq!(latency_quantile(&s, &s, 0.5), None);
    }
}
