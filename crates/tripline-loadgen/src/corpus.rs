//! Real traffic: captured OTLP/HTTP protobuf request bodies (the Codex CLI's own exports,
//! `tests/corpus/`), re-sent as many copies with fresh ids.
//!
//! Copy `c` of a body is the same request with every `conversation.id` value replaced by
//! a fresh one derived from (value, `c`), every trace and span id mixed with `c`, and
//! every non-zero time moved `c` milliseconds later, so each copy is a new session whose
//! events get new content ids (nothing deduplicates) while everything else, sizes and
//! shapes included, is what the CLI sent. Request `k` is copy `k / n` of body `k % n`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;

use crate::gen::mix;

/// Which OTLP signal a body carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// `/v1/logs`.
    Logs,
    /// `/v1/metrics`.
    Metrics,
    /// `/v1/traces`.
    Traces,
}

impl Signal {
    /// The OTLP/HTTP path.
    pub fn path(self) -> &'static str {
        match self {
            Signal::Logs => "/v1/logs",
            Signal::Metrics => "/v1/metrics",
            Signal::Traces => "/v1/traces",
        }
    }

    fn of_file(name: &str) -> Option<Signal> {
        if !name.ends_with(".pb") {
            return None;
        }
        [
            ("logs", Signal::Logs),
            ("metrics", Signal::Metrics),
            ("traces", Signal::Traces),
        ]
        .into_iter()
        .find(|(word, _)| name.contains(word))
        .map(|(_, s)| s)
    }
}

/// One captured request body.
#[derive(Clone, Debug)]
struct Body {
    signal: Signal,
    bytes: Vec<u8>,
    /// log records + spans + span events + metric data points: what tripline normalizes
    /// into one event each
    events: u64,
}

/// Request `k`, ready to send.
#[derive(Clone, Debug)]
pub struct CorpusRequest {
    /// Which OTLP endpoint the body goes to.
    pub signal: Signal,
    /// The protobuf request body, with fresh ids.
    pub body: Vec<u8>,
    /// How many events tripline makes of it.
    pub events: u64,
}

/// The captured bodies, in path order.
#[derive(Clone, Debug)]
pub struct Corpus {
    bodies: Vec<Body>,
}

impl Corpus {
    /// Every `*.pb` body under `dir` (scenario folders, any depth), in path order. The
    /// signal comes from the file name (`0003-logs.pb`). A body that does not decode as its
    /// signal's export request is an error naming the file.
    pub fn load(dir: &Path) -> anyhow::Result<Corpus> {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        let mut bodies = Vec::new();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some(signal) = Signal::of_file(name) else {
                continue;
            };
            let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
            let events = count_events(signal, &bytes)
                .with_context(|| format!("{}: not an OTLP {signal:?} request", path.display()))?;
            bodies.push(Body {
                signal,
                bytes,
                events,
            });
        }
        if bodies.is_empty() {
            bail!(
                "{}: no OTLP protobuf bodies (*-logs.pb, *-metrics.pb, *-traces.pb)",
                dir.display()
            );
        }
        Ok(Corpus { bodies })
    }

    /// Bodies per copy.
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// Whether there are no bodies (never, for a loaded corpus).
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// Events in one copy of every body.
    pub fn events_per_copy(&self) -> u64 {
        self.bodies.iter().map(|b| b.events).sum()
    }

    /// Request `k`: copy `k / len` of body `k % len`.
    pub fn request(&self, k: u64) -> CorpusRequest {
        let n = self.bodies.len() as u64;
        let body = &self.bodies[(k % n) as usize];
        let copy = k / n;
        let bytes = if copy == 0 {
            body.bytes.clone()
        } else {
            fresh_copy(body.signal, &body.bytes, copy)
        };
        CorpusRequest {
            signal: body.signal,
            body: bytes,
            events: body.events,
        }
    }

    /// The first requests whose events add up to at least `events`, built up front (so
    /// building them costs the sender nothing while it sends).
    pub fn requests_for(&self, events: u64) -> Vec<CorpusRequest> {
        let mut out = Vec::new();
        let mut total = 0;
        let mut k = 0;
        while total < events {
            let r = self.request(k);
            total += r.events;
            out.push(r);
            k += 1;
        }
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn count_events(signal: Signal, bytes: &[u8]) -> anyhow::Result<u64> {
    Ok(match signal {
        Signal::Logs => ExportLogsServiceRequest::decode(bytes)?
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len() as u64)
            .sum(),
        Signal::Traces => ExportTraceServiceRequest::decode(bytes)?
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| 1 + s.events.len() as u64)
            .sum(),
        Signal::Metrics => ExportMetricsServiceRequest::decode(bytes)?
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match &m.data {
                Some(Data::Sum(d)) => d.data_points.len() as u64,
                Some(Data::Gauge(d)) => d.data_points.len() as u64,
                Some(Data::Histogram(d)) => d.data_points.len() as u64,
                Some(Data::ExponentialHistogram(d)) => d.data_points.len() as u64,
                Some(Data::Summary(d)) => d.data_points.len() as u64,
                None => 0,
            })
            .sum(),
    })
}

/// Copy `copy` of a body (see the module docs). The body decoded when it was loaded.
fn fresh_copy(signal: Signal, bytes: &[u8], copy: u64) -> Vec<u8> {
    let f = Fresh { copy };
    match signal {
        Signal::Logs => {
            let mut req = ExportLogsServiceRequest::decode(bytes).unwrap_or_default();
            for rl in &mut req.resource_logs {
                for sl in &mut rl.scope_logs {
                    for r in &mut sl.log_records {
                        f.attributes(&mut r.attributes);
                        f.time(&mut r.time_unix_nano);
                        f.time(&mut r.observed_time_unix_nano);
                        f.id(&mut r.trace_id);
                        f.id(&mut r.span_id);
                    }
                }
            }
            req.encode_to_vec()
        }
        Signal::Traces => {
            let mut req = ExportTraceServiceRequest::decode(bytes).unwrap_or_default();
            for rs in &mut req.resource_spans {
                for ss in &mut rs.scope_spans {
                    for s in &mut ss.spans {
                        f.attributes(&mut s.attributes);
                        f.time(&mut s.start_time_unix_nano);
                        f.time(&mut s.end_time_unix_nano);
                        f.id(&mut s.trace_id);
                        f.id(&mut s.span_id);
                        f.id(&mut s.parent_span_id);
                        for e in &mut s.events {
                            f.attributes(&mut e.attributes);
                            f.time(&mut e.time_unix_nano);
                        }
                        for l in &mut s.links {
                            f.id(&mut l.trace_id);
                            f.id(&mut l.span_id);
                        }
                    }
                }
            }
            req.encode_to_vec()
        }
        Signal::Metrics => {
            let mut req = ExportMetricsServiceRequest::decode(bytes).unwrap_or_default();
            for rm in &mut req.resource_metrics {
                for sm in &mut rm.scope_metrics {
                    for m in &mut sm.metrics {
                        f.metric(m.data.as_mut());
                    }
                }
            }
            req.encode_to_vec()
        }
    }
}

/// What copy `copy` changes.
struct Fresh {
    copy: u64,
}

impl Fresh {
    fn time(&self, t: &mut u64) {
        if *t != 0 {
            *t += self.copy * 1_000_000;
        }
    }

    fn id(&self, id: &mut [u8]) {
        let mut h = mix(self.copy, 0x1D5);
        for (i, b) in id.iter_mut().enumerate() {
            if i % 8 == 0 {
                h = mix(h, i as u64);
            }
            *b ^= (h >> ((i % 8) * 8)) as u8;
        }
    }

    fn attributes(&self, attrs: &mut [KeyValue]) {
        for kv in attrs {
            if kv.key != "conversation.id" {
                continue;
            }
            if let Some(any_value::Value::StringValue(s)) =
                kv.value.as_mut().and_then(|v| v.value.as_mut())
            {
                *s = self.conversation(s);
            }
        }
    }

    /// A UUID-shaped id from (original, copy).
    fn conversation(&self, orig: &str) -> String {
        let mut h = mix(self.copy, 0xC0);
        for b in orig.bytes() {
            h = mix(h, b as u64);
        }
        let lo = mix(h, 1);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }

    fn metric(&self, data: Option<&mut Data>) {
        macro_rules! points {
            ($d:expr) => {
                for p in &mut $d.data_points {
                    self.attributes(&mut p.attributes);
                    self.time(&mut p.start_time_unix_nano);
                    self.time(&mut p.time_unix_nano);
                }
            };
        }
        match data {
            Some(Data::Sum(d)) => points!(d),
            Some(Data::Gauge(d)) => points!(d),
            Some(Data::Histogram(d)) => points!(d),
            Some(Data::ExponentialHistogram(d)) => points!(d),
            Some(Data::Summary(d)) => points!(d),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/codex-0.169.0");
        Corpus::load(&dir).expect("the Codex corpus loads")
    }

    #[test]
    fn copies_keep_shape_and_change_ids_and_times() {
        let c = corpus();
        assert!(c.len() >= 30, "every scenario's bodies: {}", c.len());
        let n = c.len() as u64;
        for k in 0..n {
            let first = c.request(k);
            let second = c.request(k + n);
            assert_eq!(first.signal, second.signal);
            assert_eq!(first.events, second.events);
            assert_eq!(
                count_events(second.signal, &second.body).unwrap(),
                second.events
            );
            assert_ne!(first.body, second.body, "body {k}: the copy must differ");
        }
        let logs = (0..n)
            .find(|&k| c.request(k).signal == Signal::Logs)
            .unwrap();
        let conv = |k: u64| {
            let req = ExportLogsServiceRequest::decode(&c.request(k).body[..]).unwrap();
            req.resource_logs[0].scope_logs[0]
                .log_records
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "conversation.id")
                .and_then(|kv| kv.value.clone())
        };
        assert_ne!(
            conv(logs),
            conv(logs + n),
            "a fresh conversation id per copy"
        );
        assert_eq!(conv(logs + n), conv(logs + n), "deterministic");
    }

    #[test]
    fn requests_for_reaches_the_asked_number_of_events() {
        let c = corpus();
        let reqs = c.requests_for(3 * c.events_per_copy() + 1);
        let total: u64 = reqs.iter().map(|r| r.events).sum();
        assert!(total > 3 * c.events_per_copy());
        assert!(reqs.len() > 3 * c.len());
    }
}
