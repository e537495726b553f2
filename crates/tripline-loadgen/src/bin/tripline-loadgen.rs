//! `tripline-loadgen`: send Codex-shaped OTLP logs to a tripline (or any OTLP receiver).
//!
//!   tripline-loadgen --target 127.0.0.1:4318 --records 20000 --batch 100 --concurrency 8
//!   tripline-loadgen --bench --tripline target/release/tripline [--records 20000] [--runs 3]
//!   tripline-loadgen --bench --sinks --tripline target/release/tripline [--records 20000]
//!
//! Prints one JSON summary per run (sent/acked/retries, throughput, p50/p99 latency, the
//! client's CPU time). `--bench` starts a fresh `tripline serve` per run (built-in rules)
//! and prints, per `[store] synchronous` level (default `full` then `off`), the medians of
//! `--runs` runs for 1 and 8 clients × batches of 100 and 1,000 records: records/s, the
//! server's receipt → commit latency p50/p99 (its `/metrics` histogram, read before and
//! after each run), the client's ack p50, and the CPU of both; then `full` as ratios of
//! `off`.
//! `--bench --sinks` instead compares ingest with no sinks, with a zstd file sink, and with
//! three sinks (file + stdout + archive), and measures how fast the sinks drain (records
//! delivered per second, from the first request to an empty outbox).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use tripline_loadgen::prom::{self, Histogram};
use tripline_loadgen::serve::{process_cpu_time, self_cpu_time};
use tripline_loadgen::{run, Corpus, GenSpec, Protocol, RunConfig, Serve, ServeSpec, Target};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Load generator for tripline (Codex-shaped OTLP logs)"
)]
struct Args {
    /// Receiver address HOST:PORT (OTLP/HTTP, or OTLP/gRPC with --grpc)
    #[arg(long, default_value = "127.0.0.1:4318")]
    target: String,
    /// Records to send
    #[arg(long, default_value_t = 20_000)]
    records: u64,
    /// Records per export request
    #[arg(long, default_value_t = 100)]
    batch: u64,
    /// Concurrent clients
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Seed of the generated content
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Use OTLP/gRPC instead of OTLP/HTTP
    #[arg(long)]
    grpc: bool,
    /// Stop after this many seconds
    #[arg(long, default_value_t = 600)]
    deadline_secs: u64,
    /// Run the benchmark matrix against fresh `tripline serve` processes
    #[arg(long)]
    bench: bool,
    /// The tripline binary (for --bench)
    #[arg(long, default_value = "target/release/tripline")]
    tripline: PathBuf,
    /// Runs per configuration (for --bench; medians are reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// With --bench: the sinks benchmark (no sinks vs file vs file + stdout + archive)
    #[arg(long)]
    sinks: bool,
    /// Send real traffic instead of generated logs: the captured OTLP protobuf bodies
    /// under DIR (for example tests/corpus/codex-0.169.0), copied with fresh ids
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// With --corpus: send at least this many events
    #[arg(long, default_value_t = 200_000)]
    events: u64,
    /// `[store] synchronous` levels to benchmark, comma-separated (for --bench); with
    /// `off` among them, the others are also reported as ratios against it
    #[arg(long, default_value = "full,off")]
    synchronous: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.bench && args.sinks {
        return bench_sinks(&args, &rt);
    }
    if args.bench {
        return bench(&args, &rt);
    }
    let gen = GenSpec {
        seed: args.seed,
        records: args.records,
        batch_size: args.batch,
        ..GenSpec::default()
    };
    let mut cfg = RunConfig::new(gen, Target::fixed(args.target.clone()));
    if let Some(dir) = &args.corpus {
        anyhow::ensure!(!args.grpc, "--corpus sends OTLP/HTTP protobuf; drop --grpc");
        let corpus = Corpus::load(dir)?;
        cfg.corpus = Some(std::sync::Arc::new(corpus.requests_for(args.events)));
    }
    cfg.concurrency = args.concurrency;
    cfg.protocol = if args.grpc {
        Protocol::Grpc
    } else {
        Protocol::Http
    };
    cfg.deadline = Duration::from_secs(args.deadline_secs);
    let cpu0 = self_cpu_time();
    let report = rt.block_on(run(cfg));
    let mut json = report.summary_json();
    json["client_cpu_s"] = serde_json::json!((self_cpu_time() - cpu0).as_secs_f64());
    println!("{json}");
    Ok(())
}

struct Sample {
    rps: f64,
    server_p50_ms: f64,
    server_p99_ms: f64,
    ack_p50_ms: f64,
    client_cpu_pct: f64,
    server_cpu_pct: f64,
}

/// The medians of one case's runs.
struct Case {
    proto: Protocol,
    sync: String,
    clients: usize,
    batch: u64,
    m: Sample,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

const LATENCY: &str = "tripline_ingest_latency_seconds";

/// One run against a fresh server: the load, the client's CPU (getrusage), the server's
/// CPU (/proc), and the server's own receipt → commit latency histogram (/metrics read
/// before and after).
/// What one benchmark case varies.
#[derive(Clone, Copy)]
struct Setup<'a> {
    proto: Protocol,
    sync: &'a str,
    clients: usize,
    batch: u64,
}

fn one_run(
    args: &Args,
    rt: &tokio::runtime::Runtime,
    bin: &std::path::Path,
    dir: &std::path::Path,
    setup: Setup<'_>,
    r: usize,
) -> anyhow::Result<Sample> {
    let Setup {
        proto,
        sync,
        clients,
        batch,
    } = setup;
    let _ = std::fs::remove_dir_all(dir);
    let mut spec = ServeSpec::new(bin, dir.join("data"), dir.join("scratch"));
    spec.env
        .push(("TRIPLINE_STORE_SYNCHRONOUS".into(), sync.into()));
    let mut serve = Serve::start(spec)?;
    let before = Histogram::parse(&rt.block_on(prom::fetch(serve.http_addr()))?, LATENCY)?;
    let addr = match proto {
        Protocol::Http => serve.http_addr().to_string(),
        Protocol::Grpc => serve.grpc_addr().to_string(),
    };
    let gen = GenSpec {
        seed: 1000 + r as u64,
        records: args.records,
        batch_size: batch,
        ..GenSpec::default()
    };
    let mut cfg = RunConfig::new(gen, Target::fixed(addr));
    cfg.concurrency = clients;
    cfg.protocol = proto;
    cfg.deadline = Duration::from_secs(args.deadline_secs);
    let (c0, s0, t0) = (
        self_cpu_time(),
        process_cpu_time(serve.pid()),
        Instant::now(),
    );
    let report = rt.block_on(run(cfg));
    let wall = t0.elapsed().as_secs_f64();
    let client_cpu = (self_cpu_time() - c0).as_secs_f64();
    let server_cpu = match (s0, process_cpu_time(serve.pid())) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    let after = Histogram::parse(&rt.block_on(prom::fetch(serve.http_addr()))?, LATENCY)?;
    let latency = after.since(&before)?;
    let stored = serve.query("SELECT count(*) AS n FROM events")?;
    let n = stored.first().and_then(|r| r["n"].as_u64()).unwrap_or(0);
    anyhow::ensure!(
        report.records_acked == args.records && n == args.records,
        "run incomplete: acked {} stored {n} of {}: {}",
        report.records_acked,
        args.records,
        report.summary_json()
    );
    serve.terminate(Duration::from_secs(30))?;
    let _ = std::fs::remove_dir_all(dir);
    eprintln!(
        "  {proto:?} sync={sync} clients={clients} batch={batch} run {r}: {} server batches {}",
        report.summary_json(),
        latency.count()
    );
    let q = |p: f64| latency.quantile(p).map_or(f64::NAN, |s| s * 1e3);
    Ok(Sample {
        rps: report.throughput(),
        server_p50_ms: q(0.5),
        server_p99_ms: q(0.99),
        ack_p50_ms: report.ack_percentile(50.0).as_secs_f64() * 1e3,
        client_cpu_pct: 100.0 * client_cpu / wall,
        server_cpu_pct: 100.0 * server_cpu / wall,
    })
}

fn bench(args: &Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let bin = std::fs::canonicalize(&args.tripline)
        .with_context(|| format!("--tripline {}", args.tripline.display()))?;
    let root = std::env::temp_dir().join(format!("tripline-loadgen-bench-{}", std::process::id()));
    let protos: Vec<Protocol> = if args.grpc {
        vec![Protocol::Http, Protocol::Grpc]
    } else {
        vec![Protocol::Http]
    };
    let mut cases = Vec::new();
    for sync in args
        .synchronous
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        for &proto in &protos {
            for clients in [1usize, 8] {
                for batch in [100u64, 1000] {
                    let mut samples = Vec::new();
                    for r in 0..args.runs {
                        let dir = root.join(format!("{sync}-{proto:?}-{clients}-{batch}-{r}"));
                        samples.push(one_run(
                            args,
                            rt,
                            &bin,
                            &dir,
                            Setup {
                                proto,
                                sync,
                                clients,
                                batch,
                            },
                            r,
                        )?);
                    }
                    let m = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
                    cases.push(Case {
                        proto,
                        sync: sync.to_string(),
                        clients,
                        batch,
                        m: Sample {
                            rps: m(|s| s.rps),
                            server_p50_ms: m(|s| s.server_p50_ms),
                            server_p99_ms: m(|s| s.server_p99_ms),
                            ack_p50_ms: m(|s| s.ack_p50_ms),
                            client_cpu_pct: m(|s| s.client_cpu_pct),
                            server_cpu_pct: m(|s| s.server_cpu_pct),
                        },
                    });
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "tripline ingest benchmark: {} records per run, median of {} runs per case, built-in rules, OTLP protobuf over loopback",
        args.records, args.runs
    );
    println!("latency = server side, receipt → committed (tripline_ingest_latency_seconds); ack = client side, send → 200\n");
    println!("| synchronous | protocol | clients | batch | records/s | latency p50 ms | latency p99 ms | ack p50 ms | client CPU % | server CPU % |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for c in &cases {
        println!(
            "| {} | {:?} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} |",
            c.sync,
            c.proto,
            c.clients,
            c.batch,
            c.m.rps,
            c.m.server_p50_ms,
            c.m.server_p99_ms,
            c.m.ack_p50_ms,
            c.m.client_cpu_pct,
            c.m.server_cpu_pct
        );
    }
    let baseline = |c: &Case| {
        cases.iter().find(|o| {
            o.sync == "off" && o.proto == c.proto && o.clients == c.clients && o.batch == c.batch
        })
    };
    let pairs: Vec<(&Case, &Case)> = cases
        .iter()
        .filter(|c| c.sync != "off")
        .filter_map(|c| baseline(c).map(|b| (c, b)))
        .collect();
    if !pairs.is_empty() {
        println!("\nratio against synchronous = off in the same run (records/s: below 1 = durability costs throughput; latency: above 1 = slower)\n");
        println!("| synchronous | protocol | clients | batch | records/s ratio | latency p50 ratio | latency p99 ratio |");
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        for (c, b) in pairs {
            println!(
                "| {} vs off | {:?} | {} | {} | {:.2} | {:.2} | {:.2} |",
                c.sync,
                c.proto,
                c.clients,
                c.batch,
                c.m.rps / b.m.rps,
                c.m.server_p50_ms / b.m.server_p50_ms,
                c.m.server_p99_ms / b.m.server_p99_ms
            );
        }
    }
    Ok(())
}

/// The `[[sinks]]` of each sinks-benchmark variant.
const SINK_VARIANTS: &[(&str, &str)] = &[
    ("none", ""),
    ("file", "[[sinks]]\nname = \"file\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\ncompression = \"zstd\"\n"),
    (
        "file+stdout+archive",
        "[[sinks]]\nname = \"file\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\ncompression = \"zstd\"\n\
         [[sinks]]\nname = \"stdout\"\ntype = \"stdout\"\nreceive = [\"alerts\", \"events\"]\n\
         [[sinks]]\nname = \"archive\"\ntype = \"archive\"\nreceive = [\"alerts\", \"events\"]\n",
    ),
];

/// Records still waiting for the slowest sink.
fn outbox_backlog(serve: &Serve) -> anyhow::Result<u64> {
    let rows = serve
        .query("SELECT count(*) AS n FROM outbox WHERE seq > (SELECT min(seq) FROM sink_cursor)")?;
    Ok(rows.first().and_then(|r| r["n"].as_u64()).unwrap_or(0))
}

fn bench_sinks(args: &Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let bin = std::fs::canonicalize(&args.tripline)
        .with_context(|| format!("--tripline {}", args.tripline.display()))?;
    let root = std::env::temp_dir().join(format!("tripline-loadgen-sinks-{}", std::process::id()));
    println!("# tripline sinks benchmark: {} records per run (8 clients x batches of 100), median of {} runs, durable store, built-in rules", args.records, args.runs);
    println!("# sinks | ingest records/s | ratio to none | sink delivery records/s (first request to empty outbox)");
    let mut baseline = None;
    for (variant, sinks) in SINK_VARIANTS {
        let (mut ingest, mut delivery) = (Vec::new(), Vec::new());
        for r in 0..args.runs {
            let dir = root.join(format!("{variant}-{r}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            let config = dir.join("tripline.toml");
            std::fs::write(
                &config,
                format!(
                    "[redaction]\nkey_file = \"{}\"\n{sinks}",
                    dir.join("hmac.key").display()
                ),
            )?;
            let mut spec = ServeSpec::new(&bin, dir.join("data"), dir.join("scratch"));
            spec.args = vec!["--config".into(), config.display().to_string()];
            let mut serve = Serve::start(spec)?;
            let gen = GenSpec {
                seed: 2000 + r as u64,
                records: args.records,
                batch_size: 100,
                ..GenSpec::default()
            };
            let mut cfg = RunConfig::new(gen, Target::fixed(serve.http_addr().to_string()));
            cfg.concurrency = 8;
            cfg.deadline = Duration::from_secs(args.deadline_secs);
            let t0 = Instant::now();
            let report = rt.block_on(run(cfg));
            anyhow::ensure!(
                report.records_acked == args.records,
                "run incomplete: {}",
                report.summary_json()
            );
            ingest.push(report.throughput());
            if !sinks.is_empty() {
                let deadline = Instant::now() + Duration::from_secs(args.deadline_secs);
                while outbox_backlog(&serve)? > 0 {
                    anyhow::ensure!(Instant::now() < deadline, "the sinks did not drain in time");
                    std::thread::sleep(Duration::from_millis(50));
                }
                let stored = serve.query("SELECT count(*) AS n FROM events")?;
                let n = stored.first().and_then(|r| r["n"].as_u64()).unwrap_or(0);
                delivery.push(n as f64 / t0.elapsed().as_secs_f64());
            }
            serve.terminate(Duration::from_secs(60))?;
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("  {variant} run {r}: {}", report.summary_json());
        }
        let rps = median(ingest);
        let base = *baseline.get_or_insert(rps);
        let drained = if delivery.is_empty() {
            "-".to_string()
        } else {
            format!("{:.0}", median(delivery))
        };
        println!("{variant} | {rps:.0} | {:.2} | {drained}", rps / base);
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
