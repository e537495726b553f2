//! The Prometheus page of `tripline serve` (`GET /metrics` on the OTLP/HTTP listener).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tripline_receive::MetricsSource;
use tripline_redact::RedactionReport;
use tripline_sinks::delivery::SinkStats;

mod histogram;

pub use histogram::Histogram;

/// Everything the server counts. Counters only grow; gauges are set.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub events_received: AtomicU64,
    pub events_stored: AtomicU64,
    pub events_duplicate: AtomicU64,
    /// Records refused by decoder limits (answered through `partial_success`).
    pub records_rejected: AtomicU64,
    /// Requests refused whole, by reason (`invalid`, `overloaded`, `unavailable`, ...).
    pub requests_refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Batches admitted and not yet answered.
    pub inflight: AtomicI64,
    /// Ingest time minus the newest event time of the last batch, in milliseconds.
    pub lag_ms: AtomicI64,
    pub alerts: Mutex<BTreeMap<String, u64>>,
    pub redactions: Mutex<RedactionReport>,
    /// Engine state entries evicted by the caps, by rule name.
    pub state_evictions: Mutex<BTreeMap<String, u64>>,
    /// Bytes of sealed engine state committed.
    pub state_bytes_written: AtomicU64,
    /// Per acknowledged batch: from receipt (body read) to stored and evaluated (the
    /// store's commit returned).
    pub ingest_latency: Histogram,
    /// One entry per configured sink, updated by its delivery worker.
    pub sinks: Mutex<Vec<Arc<SinkStats>>>,
}

impl Metrics {
    pub fn refused(&self, reason: &'static str) {
        *lock(&self.requests_refused).entry(reason).or_default() += 1;
    }

    pub fn alert(&self, rule: &str) {
        *lock(&self.alerts).entry(rule.to_owned()).or_default() += 1;
    }

    pub fn evicted(&self, rule: &str, n: u64) {
        *lock(&self.state_evictions)
            .entry(rule.to_owned())
            .or_default() += n;
    }

    pub fn redacted(&self, report: &RedactionReport) {
        lock(&self.redactions).merge(report);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One metric family: `# HELP`, `# TYPE` and its samples.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, i128)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, v) in samples {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

fn label(key: &str, value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{{{key}=\"{escaped}\"}}")
}

fn plain(v: u64) -> Vec<(String, i128)> {
    vec![(String::new(), v as i128)]
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| label(k, v))
        .map(|l| l[1..l.len() - 1].to_owned())
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The per-sink families.
fn render_sinks(out: &mut String, sinks: &[Arc<SinkStats>]) {
    if sinks.is_empty() {
        return;
    }
    let by = |f: &dyn Fn(&SinkStats) -> i128| -> Vec<(String, i128)> {
        sinks
            .iter()
            .map(|s| (label("sink", &s.name), f(s)))
            .collect()
    };
    family(
        out,
        "tripline_sink_sent_total",
        "counter",
        "Records the sink's destination accepted.",
        &by(&|s| s.sent() as i128),
    );
    let reasons = |f: &dyn Fn(&SinkStats) -> BTreeMap<&'static str, u64>| -> Vec<(String, i128)> {
        sinks
            .iter()
            .flat_map(|s| {
                f(s).into_iter()
                    .map(|(r, n)| (labels(&[("sink", &s.name), ("reason", r)]), n as i128))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    family(out, "tripline_sink_failed_total", "counter", "Records in failed sends, by reason: retry (will be retried), fatal, rejected (refused by the destination), max_attempts, queue_full, invalid.", &reasons(&|s| s.failed_by_reason()));
    family(
        out,
        "tripline_sink_dead_lettered_total",
        "counter",
        "Records written to the sink's dead-letter file, by reason.",
        &reasons(&|s| s.dead_lettered_by_reason()),
    );
    family(
        out,
        "tripline_sink_queued",
        "gauge",
        "Records waiting for the sink (its outbox backlog, plus raw payloads).",
        &by(&|s| s.queued.load(Ordering::Relaxed) as i128),
    );
    family(
        out,
        "tripline_sink_oldest_age_seconds",
        "gauge",
        "Age of the oldest record waiting for the sink.",
        &by(&|s| s.oldest_age_seconds.load(Ordering::Relaxed) as i128),
    );
}

impl MetricsSource for Metrics {
    fn render(&self) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        family(
            &mut out,
            "tripline_requests_total",
            "counter",
            "OTLP export requests received.",
            &plain(get(&self.requests)),
        );
        family(
            &mut out,
            "tripline_events_received_total",
            "counter",
            "Events decoded from accepted requests.",
            &plain(get(&self.events_received)),
        );
        family(
            &mut out,
            "tripline_events_stored_total",
            "counter",
            "New events committed to the store.",
            &plain(get(&self.events_stored)),
        );
        family(&mut out, "tripline_events_dropped_total", "counter", "Events not stored, by reason: duplicate (already stored: an exporter retry), limits (a record over a decoder limit).",
            &[(label("reason", "duplicate"), get(&self.events_duplicate) as i128), (label("reason", "limits"), get(&self.records_rejected) as i128)]);
        let refused: Vec<_> = lock(&self.requests_refused)
            .iter()
            .map(|(k, v)| (label("reason", k), *v as i128))
            .collect();
        family(
            &mut out,
            "tripline_requests_rejected_total",
            "counter",
            "Requests refused whole, by reason.",
            &refused,
        );
        family(
            &mut out,
            "tripline_inflight_batches",
            "gauge",
            "Batches admitted and not yet acknowledged (the pipeline's queue depth).",
            &[(String::new(), self.inflight.load(Ordering::Relaxed) as i128)],
        );
        family(
            &mut out,
            "tripline_event_lag_seconds",
            "gauge",
            "Ingest time minus the newest event time of the last batch.",
            &[(
                String::new(),
                (self.lag_ms.load(Ordering::Relaxed) / 1000) as i128,
            )],
        );
        let alerts: Vec<_> = lock(&self.alerts)
            .iter()
            .map(|(k, v)| (label("rule", k), *v as i128))
            .collect();
        family(
            &mut out,
            "tripline_alerts_total",
            "counter",
            "Alerts (new and updated revisions) by rule name.",
            &alerts,
        );
        let evictions: Vec<_> = lock(&self.state_evictions)
            .iter()
            .map(|(k, v)| (label("rule", k), *v as i128))
            .collect();
        family(&mut out, "tripline_engine_state_evictions_total", "counter", "Correlation groups and first-seen values dropped by the [rules] max_groups_per_rule / max_values_per_scope caps, by rule name.", &evictions);
        family(
            &mut out,
            "tripline_engine_state_bytes_written_total",
            "counter",
            "Bytes of sealed engine state entries committed with batches.",
            &plain(get(&self.state_bytes_written)),
        );
        let red = lock(&self.redactions);
        let secrets: Vec<_> = red
            .secrets
            .iter()
            .map(|(k, v)| (label("detector", k), *v as i128))
            .collect();
        family(
            &mut out,
            "tripline_redactions_total",
            "counter",
            "Secrets masked, by detector.",
            &secrets,
        );
        let actions: Vec<_> = red
            .actions
            .iter()
            .map(|(k, v)| (label("action", k), *v as i128))
            .collect();
        family(
            &mut out,
            "tripline_redaction_actions_total",
            "counter",
            "Field redaction actions applied, by class.action.",
            &actions,
        );
        self.ingest_latency.render(&mut out, "tripline_ingest_latency_seconds", "Per acknowledged batch, time from receipt (body read) to stored and evaluated (detection done, transaction committed).");
        drop(red);
        render_sinks(&mut out, &lock(&self.sinks));
        out
    }
}
