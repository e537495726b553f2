//! Pipeline health: events/s by signal and by agent, refusals, acknowledgement latency,
//! sink queues, store size and retention.

use std::collections::BTreeMap;
use std::path::Path;

use maud::{html, Markup};

use super::layout;
use crate::auth::Viewer;
use crate::chart::{self, Series};
use crate::health::{latency_quantile, Sample};
use crate::query::{Throughput, Totals};

/// Sizes of the store's files, bytes.
#[derive(Default)]
pub(crate) struct Sizes {
    files: Vec<(String, u64)>,
}

impl Sizes {
    /// The main database, its WAL and the raw tier, as present.
    pub(crate) fn of(dir: &Path) -> Sizes {
        let names = [
            "tripline.db",
            "tripline.db-wal",
            "raw/raw.db",
            "raw/raw.db-wal",
        ];
        Sizes {
            files: names
                .iter()
                .filter_map(|n| Some(((*n).to_owned(), std::fs::metadata(dir.join(n)).ok()?.len())))
                .collect(),
        }
    }
}

/// Everything the page shows.
pub(crate) struct View<'a> {
    pub minutes: i64,
    pub bucket_ms: i64,
    pub since_ms: i64,
    pub throughput: &'a Throughput,
    pub totals: &'a Totals,
    pub sizes: &'a Sizes,
    pub samples: &'a [Sample],
    pub retention: &'a [(String, String)],
    pub metrics: bool,
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

/// Events per second by a key of the throughput rows, every bucket present (zeros filled).
fn rates(view: &View<'_>, key: impl Fn(&(i64, String, String, i64)) -> String) -> Vec<Series> {
    let mut by: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    for row in &view.throughput.rows {
        *by.entry(key(row)).or_default().entry(row.0).or_default() += row.3;
    }
    let first = (view.since_ms / view.bucket_ms) * view.bucket_ms;
    let buckets: Vec<i64> = (0..)
        .map(|i| first + i * view.bucket_ms)
        .take_while(|b| *b <= view.since_ms + view.minutes * 60_000)
        .collect();
    let secs = view.bucket_ms as f64 / 1000.0;
    by.into_iter()
        .map(|(name, counts)| Series {
            name: if name.is_empty() {
                "(none)".into()
            } else {
                name
            },
            points: buckets
                .iter()
                .map(|b| (*b as f64, *counts.get(b).unwrap_or(&0) as f64 / secs))
                .collect(),
        })
        .collect()
}

fn clock(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|d| d.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Refused requests per sample interval, by reason.
fn refusals(samples: &[Sample]) -> Vec<Series> {
    let mut by: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for w in samples.windows(2) {
        for (reason, after) in &w[1].refused {
            let before = w[0].refused.get(reason).copied().unwrap_or(0.0);
            by.entry(reason.clone())
                .or_default()
                .push((w[1].time_ms as f64, (after - before).max(0.0)));
        }
    }
    by.into_iter()
        .map(|(name, points)| Series { name, points })
        .collect()
}

/// Acknowledgement latency p50 and p95 per sample interval, in milliseconds.
fn latency(samples: &[Sample]) -> Vec<Series> {
    let mut p50 = Vec::new();
    let mut p95 = Vec::new();
    for w in samples.windows(2) {
        let t = w[1].time_ms as f64;
        if let Some(v) = latency_quantile(&w[0], &w[1], 0.5).filter(|v| v.is_finite()) {
            p50.push((t, v * 1000.0));
        }
        if let Some(v) = latency_quantile(&w[0], &w[1], 0.95).filter(|v| v.is_finite()) {
            p95.push((t, v * 1000.0));
        }
    }
    vec![
        Series {
            name: "p50 (bucket bound)".into(),
            points: p50,
        },
        Series {
            name: "p95 (bucket bound)".into(),
            points: p95,
        },
    ]
}

/// The health page.
pub(crate) fn page(v: &Viewer, view: View<'_>) -> Markup {
    let by_signal = rates(&view, |r| r.1.clone());
    let by_agent = rates(&view, |r| r.2.clone());
    let total_size: u64 = view.sizes.files.iter().map(|(_, b)| b).sum();
    let last = view.samples.last();
    layout::page(
        v,
        "/ui/health",
        "Pipeline health",
        html! {
            div.stats {
                div.stat { b #events-total { (view.totals.events) } "events stored" }
                div.stat { b { (view.totals.alerts) } "alerts" }
                div.stat { b { (view.totals.open_alerts) } "alerts not closed" }
                div.stat { b { (view.totals.surfaces) } "surfaces" }
                div.stat { b { (mib(total_size)) } "store size" }
            }
            p.muted { "Window: last " (view.minutes) " minutes, " (view.bucket_ms / 1000) " s buckets. "
                a href="/ui/health?minutes=15" { "15 min" } " · " a href="/ui/health?minutes=60" { "1 h" } " · "
                a href="/ui/health?minutes=360" { "6 h" } " · " a href="/ui/health?minutes=1440" { "24 h" } }
            div.grid {
                (chart::lines("Events/s by signal", &by_signal, "/s", clock))
                (chart::lines("Events/s by agent", &by_agent, "/s", clock))
                @if view.metrics {
                    (chart::lines("Refused requests per 10 s, by reason", &refusals(view.samples), "", clock))
                    (chart::lines("Ack latency (ms)", &latency(view.samples), "ms", clock))
                } @else {
                    div.card { p.muted { "The serve metrics are not available in this process." } }
                }
                (chart::bars("Sink queue (rows not yet delivered)", &view.totals.sinks.iter().map(|(s, n)| (s.clone(), *n as f64)).collect::<Vec<_>>()))
                @if let Some(s) = last {
                    (chart::bars("Dead-lettered records, by sink", &s.dead_lettered.iter().map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()))
                }
            }
            h2 { "Store" }
            div.grid {
                table { thead { tr { th { "File" } th.num { "Size" } } } tbody {
                    @for (name, bytes) in &view.sizes.files { tr { td { code { (name) } } td.num { (mib(*bytes)) } } }
                } }
                table { thead { tr { th { "Retention" } th { "Kept for" } } } tbody {
                    @for (tier, ttl) in view.retention { tr { td { (tier) } td { (ttl) } } }
                } }
            }
        },
    )
}
