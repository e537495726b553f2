//! Overload: offered load far above capacity (many concurrent exporters, a tiny
//! `max_inflight_batches`) is refused with 429 + Retry-After (gRPC RESOURCE_EXHAUSTED +
//! RetryInfo), the server's peak RSS stays under a documented bound, and once the
//! exporters' retries go through every batch is acknowledged and stored exactly once.

use std::time::Duration;

use tripline_loadgen::{
    run, BatchFate, GenSpec, Protocol, Report, RetryPolicy, RunConfig, Serve, ServeSpec, Target,
};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");

/// Documented bound (docs/reliability.md): peak RSS of `tripline serve` under this test's
/// overload (64 + 32 clients, max_inflight_batches = 2, 200-record batches) stays under
/// 512 MiB (measured: 274 MiB in a debug build with the built-in pack, mostly request
/// buffers of the 96 clients, the SQLite page cache and allocator arenas). Admission control is what keeps it there: refused requests are answered
/// before their body is decoded.
///
/// It runs with the built-in rule pack: the 26,400 records arrive within seconds of event
/// time, so they all sit inside every 1-15 minute correlation window. Windows keep ids and
/// times (evidence only for the newest 10 matches per group) and each batch writes only
/// the state entries it changed, so detection state stays a small part of the bound
/// (docs/reliability.md, "Detection state").
const PEAK_RSS_LIMIT_KIB: u64 = 512 * 1024;

fn exporter_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        multiplier: 2.0,
        max_retry_after: Duration::from_secs(2),
        // the OpenTelemetry Collector's default (exporterhelper `max_elapsed_time` 5m)
        max_elapsed: Duration::from_secs(300),
    }
}

fn load(serve: &Serve, gen: GenSpec, protocol: Protocol, clients: usize) -> Report {
    let addr = match protocol {
        Protocol::Http => serve.http_addr(),
        Protocol::Grpc => serve.grpc_addr(),
    };
    let mut cfg = RunConfig::new(gen, Target::fixed(addr));
    cfg.concurrency = clients;
    cfg.protocol = protocol;
    cfg.retry = exporter_retries();
    cfg.deadline = Duration::from_secs(600);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(cfg))
}

fn n(serve: &Serve, sql: &str) -> u64 {
    let rows = serve
        .query(sql)
        .unwrap_or_else(|e| panic!("{e}\n{}", serve.log_text()));
    rows[0]["n"]
        .as_u64()
        .unwrap_or_else(|| panic!("{sql}: {rows:?}"))
}

#[test]
fn overload_is_refused_with_retry_after_memory_stays_bounded_and_everything_recovers() {
    let root = tempfile::Builder::new()
        .prefix("tripline-overload-")
        .tempdir()
        .unwrap();
    let mut spec = ServeSpec::new(BIN, root.path().join("data"), root.path().join("scratch"));
    spec.env
        .push(("TRIPLINE_PIPELINE_MAX_INFLIGHT_BATCHES".into(), "2".into()));
    spec.env
        .push(("TRIPLINE_PIPELINE_RETRY_AFTER".into(), "1s".into()));
    let mut serve = Serve::start(spec).unwrap();

    // OTLP/HTTP: 64 clients, 100 batches of 200 records.
    let http_gen = GenSpec {
        seed: 11,
        records: 20_000,
        batch_size: 200,
        ..GenSpec::default()
    };
    let http = load(&serve, http_gen.clone(), Protocol::Http, 64);
    eprintln!("http: {}", http.summary_json());
    assert!(
        http.outcomes.get("429").copied().unwrap_or(0) > 0,
        "no 429 under overload: {}",
        http.summary_json()
    );
    assert!(
        http.retry_after_seen > 0,
        "429 without Retry-After: {}",
        http.summary_json()
    );
    assert_eq!(
        http.count(BatchFate::Rejected),
        0,
        "{}",
        http.summary_json()
    );
    assert_eq!(
        http.count(BatchFate::Acked),
        http_gen.batches(),
        "not every batch recovered: {}",
        http.summary_json()
    );

    // OTLP/gRPC: 32 clients, other records.
    let grpc_gen = GenSpec {
        seed: 12,
        records: 6_400,
        batch_size: 200,
        ..GenSpec::default()
    };
    let grpc = load(&serve, grpc_gen.clone(), Protocol::Grpc, 32);
    eprintln!("grpc: {}", grpc.summary_json());
    assert!(
        grpc.outcomes
            .get("grpc:ResourceExhausted")
            .copied()
            .unwrap_or(0)
            > 0,
        "no RESOURCE_EXHAUSTED under overload: {}",
        grpc.summary_json()
    );
    assert!(
        grpc.retry_after_seen > 0,
        "RESOURCE_EXHAUSTED without RetryInfo: {}",
        grpc.summary_json()
    );
    assert_eq!(
        grpc.count(BatchFate::Acked),
        grpc_gen.batches(),
        "{}",
        grpc.summary_json()
    );

    let peak = serve.peak_rss_kib().expect("VmHWM from /proc");
    eprintln!("peak RSS of tripline serve: {} MiB", peak / 1024);
    assert!(
        peak < PEAK_RSS_LIMIT_KIB,
        "peak RSS {peak} KiB over the documented {PEAK_RSS_LIMIT_KIB} KiB"
    );

    // Exactly once: every record of both runs, each once.
    let total = http_gen.records + grpc_gen.records;
    assert_eq!(n(&serve, "SELECT count(*) AS n FROM events"), total);
    assert_eq!(n(&serve, "SELECT count(DISTINCT json_extract(event, '$.loadgen_seq') || '/' || json_extract(event, '$.host_name')) AS n FROM events"), total);
    assert_eq!(
        n(
            &serve,
            "SELECT count(*) AS n FROM events WHERE json_extract(event, '$.loadgen_seq') IS NULL"
        ),
        0
    );
    let status = serve.terminate(Duration::from_secs(30)).unwrap();
    assert!(
        status.success(),
        "SIGTERM after overload: {status}\n{}",
        serve.log_text()
    );
}
