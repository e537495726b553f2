//! decode + normalize vs a plain `prost::Message::decode` of the same bytes (the floor), on
//! Codex-shaped OTLP protobuf batches built from the fixtures (each fixture body repeated
//! to about 2 MB; repeating a protobuf message's bytes concatenates its repeated fields).
//!
//! cargo bench -p tripline-otlp --bench decode
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tripline_otlp::{decode, Encoding, Limits, OtlpSignal};

const TARGET_BYTES: usize = 2 << 20;

fn batch(body: &[u8]) -> Vec<u8> {
    body.repeat(TARGET_BYTES.div_ceil(body.len()))
}

fn prost_floor(signal: OtlpSignal, bytes: &[u8]) -> usize {
    let r = match signal {
        OtlpSignal::Logs => ExportLogsServiceRequest::decode(bytes).map(|m| m.resource_logs.len()),
        OtlpSignal::Metrics => {
            ExportMetricsServiceRequest::decode(bytes).map(|m| m.resource_metrics.len())
        }
        OtlpSignal::Traces => {
            ExportTraceServiceRequest::decode(bytes).map(|m| m.resource_spans.len())
        }
    };
    r.unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let inputs = [
        (
            OtlpSignal::Logs,
            &include_bytes!("../tests/fixtures/codex/f4-tool-write-files-never/0001-logs.pb")[..],
        ),
        (
            OtlpSignal::Metrics,
            &include_bytes!("../tests/fixtures/codex/a-baseline/0002-metrics.pb")[..],
        ),
        (
            OtlpSignal::Traces,
            &include_bytes!("../tests/fixtures/codex/a-baseline/0001-traces.pb")[..],
        ),
    ];
    let limits = Limits::default();
    for (signal, body) in inputs {
        let bytes = batch(body);
        let events = decode(signal, Encoding::Protobuf, &bytes, &limits)
            .map(|d| d.events.len())
            .unwrap_or(0);
        eprintln!("{signal}: {} bytes, {events} events per batch", bytes.len());
        let mut g = c.benchmark_group(format!("decode_{signal}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.sample_size(20);
        g.bench_function("prost_floor", |b| {
            b.iter(|| prost_floor(signal, black_box(&bytes)))
        });
        g.bench_function("tripline_decode_normalize", |b| {
            b.iter(|| {
                decode(signal, Encoding::Protobuf, black_box(&bytes), &limits)
                    .map(|d| d.events.len())
                    .unwrap_or(0)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
