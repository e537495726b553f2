//! Store write throughput: 1,000-event batches of ~1 KB Codex-shaped events, one
//! transaction each, with `synchronous = FULL` (the default) and `NORMAL`.
//!
//! Run: `cargo bench -p tripline-store --bench write`. Set `TRIPLINE_BENCH_DIR` to put the
//! database on a specific disk (default: the system temp dir).
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tripline_store::{Store, StoreOptions, Synchronous, WriteBatch};

#[path = "../tests/support/mod.rs"]
mod support;

const BATCH: u64 = 1_000;

fn bench_write(c: &mut Criterion) {
    let sample = support::codex_events(0, BATCH);
    let bytes: usize = sample.iter().map(|e| e.to_json_string().len()).sum();
    eprintln!("average event JSON size: {} bytes", bytes / BATCH as usize);

    let mut group = c.benchmark_group("write_batch_1k");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(15));
    for sync in [Synchronous::Full, Synchronous::Normal] {
        let base = std::env::var_os("TRIPLINE_BENCH_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let tmp = tempfile::tempdir_in(base).expect("temp dir");
        let opts = StoreOptions {
            synchronous: sync,
            ..Default::default()
        };
        let mut store = Store::open(tmp.path(), &opts).expect("open store");
        let mut next = 0u64;
        group.bench_function(format!("{sync:?}"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let events = support::codex_events(next, BATCH);
                    next += BATCH;
                    let start = Instant::now();
                    let stats = store
                        .write_batch(&WriteBatch {
                            events: &events,
                            ingest_time_ms: 1,
                            ..Default::default()
                        })
                        .expect("write");
                    spent += start.elapsed();
                    assert_eq!(stats.inserted, BATCH);
                }
                spent
            })
        });
        eprintln!(
            "{sync:?}: {} events stored",
            store.count_events().unwrap_or(0)
        );
    }
    group.finish();
}

criterion_group!(benches, bench_write);
criterion_main!(benches);
