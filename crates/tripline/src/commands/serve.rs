//! `tripline serve`: receive OTLP over HTTP and gRPC, detect, redact, store.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tripline_receive::{bind_grpc, bind_http_with_metrics, Ingest};

use crate::metrics::Metrics;

use crate::commands::settings::SettingsArgs;
use crate::config::{Config, Overrides};
use crate::logging::LogFormat;
use crate::pipeline::ingest::{Admission, PipelineIngest};
use crate::pipeline::setup::{self, Extra};

/// Receive OTLP from coding agents, run detections, redact and store
///
/// Listens for OTLP/HTTP (protobuf and JSON, /v1/logs, /v1/metrics, /v1/traces) and
/// OTLP/gRPC, runs the built-in rule pack plus any --rules, redacts, and stores events and
/// alerts in SQLite under the data dir. Network and process telemetry (Zeek, osquery,
/// auditd, generic JSON Lines) is tailed from the files of the config's [[inputs]]. Each
/// request is acknowledged only after it is stored. Configured [[sinks]] get every stored
/// alert and event through their own durable queue. SIGTERM or Ctrl-C drains in-flight
/// requests, flushes the sinks and exits 0.
///
/// Settings come from (strongest first) these flags, TRIPLINE_* environment variables,
/// the --config file, and built-in defaults: see `tripline config default`.
///
/// Listening beyond loopback needs sender authentication: ingest tokens ([auth] tokens)
/// or client certificates (mTLS: [tls] cert, key, client_ca). Otherwise serve refuses to
/// start (exit 2) unless --insecure is given.
///
/// The log goes to stderr: text, coloured only on a terminal, or one JSON object per line
/// with --log-format json. TRIPLINE_LOG (or RUST_LOG) sets the filter, default info.
#[derive(clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  tripline serve                     # loopback only, data in ./tripline-data
  tripline serve --http 0.0.0.0:4318 --config /etc/tripline/tripline.toml
  TRIPLINE_TLS_CERT=server.pem TRIPLINE_TLS_KEY=server-key.pem \\
    TRIPLINE_TLS_CLIENT_CA=agents-ca.pem tripline serve --http 0.0.0.0:4318
  tripline serve --log-format json 2>> /var/log/tripline.jsonl"
)]
pub struct Args {
    /// OTLP/HTTP listen address; port 0 picks a free port [default: 127.0.0.1:4318]
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// OTLP/gRPC listen address; port 0 picks a free port [default: 127.0.0.1:4317]
    #[arg(long, value_name = "ADDR")]
    grpc: Option<SocketAddr>,
    #[command(flatten)]
    settings: SettingsArgs,
    /// Extra rule files or directories, on top of the built-in pack (repeatable)
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Extra list files or directories (YAML `name: [values]`), for `%name%` placeholders
    #[arg(long, value_name = "PATH")]
    lists: Vec<PathBuf>,
    /// Allow binding a non-loopback address without ingest tokens ([auth] tokens) or mTLS
    /// ([tls] client_ca with require_client_cert); TLS alone authenticates nobody
    #[arg(long)]
    insecure: bool,
    /// Once listening, write {"http": ADDR, "grpc": ADDR} to this file (for scripts)
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// Log format on stderr: text (coloured only on a terminal) or json (one object per
    /// line) [default: TRIPLINE_LOG_FORMAT, else [log] format, else text]
    #[arg(long, value_enum, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        http: args.http,
        grpc: args.grpc,
        ..Overrides::default()
    };
    let cfg = args.settings.load_silently(overrides)?;
    crate::logging::init(args.log_format.unwrap_or(cfg.log.format));
    for note in &cfg.deprecated {
        tracing::warn!("{note}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(cfg, args))?;
    Ok(crate::exit::ok())
}

async fn serve(cfg: Config, args: Args) -> anyhow::Result<()> {
    // Refuse an unprotected exposure before touching the data dir.
    let (http_cfg, grpc_cfg) = cfg.listeners(args.insecure)?;
    let extra = Extra {
        rules: args.rules.clone(),
        lists: args.lists.clone(),
        time_field: None,
    };
    let data_dir = cfg.data_dir().to_path_buf();
    let pipeline = {
        let (cfg, extra, dir) = (cfg.clone(), extra.clone(), data_dir.clone());
        tokio::task::spawn_blocking(move || setup::pipeline(&cfg, &extra, Some(dir))).await??
    };
    let pipeline = Arc::new(pipeline);
    let limits = setup::record_limits(&cfg);
    let metrics = Arc::new(Metrics::default());
    let raw = if cfg.raw.enabled {
        let w = tripline_store::RawStore::open_writer(&data_dir, &setup::store_options(&cfg))
            .with_context(|| format!("opening the raw tier in {}", data_dir.display()))?;
        tracing::info!(
            "raw tier enabled: request bodies kept for {} (admin-only)",
            cfg.retention.raw_ttl
        );
        Some(Arc::new(std::sync::Mutex::new(w)))
    } else {
        None
    };
    let routing = {
        let (cfg, dir, pipeline, metrics) = (
            cfg.clone(),
            data_dir.clone(),
            Arc::clone(&pipeline),
            Arc::clone(&metrics),
        );
        tokio::task::spawn_blocking(move || crate::routing::start(&cfg, &dir, &pipeline, &metrics))
            .await??
    };
    let ingest = PipelineIngest::new(
        Arc::clone(&pipeline),
        raw,
        limits.clone(),
        Admission {
            max_inflight: cfg.pipeline.max_inflight_batches as usize,
            retry_after: cfg.pipeline.retry_after.get(),
            timeout: cfg.pipeline.ingest_timeout.get(),
        },
        Arc::clone(&metrics),
    );
    let ingest: Arc<dyn Ingest> = Arc::new(ingest);
    let console = console(&cfg, &extra, &data_dir, &metrics)?;
    let mut http = bind_http_with_metrics(&http_cfg, Arc::clone(&ingest), Some(metrics))
        .await
        .with_context(|| format!("binding OTLP/HTTP on {}", cfg.server.http_addr))?;
    http.nest("/ui", tripline_console::router(Arc::clone(&console)));
    let grpc = bind_grpc(&grpc_cfg, Arc::clone(&ingest))
        .await
        .with_context(|| format!("binding OTLP/gRPC on {}", cfg.server.grpc_addr))?;
    let (http_addr, grpc_addr) = (http.local_addr(), grpc.local_addr());
    http.readiness().set_ready(true);
    tracing::info!(%http_addr, %grpc_addr, data_dir = %data_dir.display(), "tripline listening: OTLP/HTTP on {http_addr}, OTLP/gRPC on {grpc_addr}");
    if let Some(path) = &args.ready_file {
        write_ready_file(path, http_addr, grpc_addr)?;
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let retention = tokio::spawn(crate::retention_task::run(
        data_dir.clone(),
        cfg.retention.clone(),
        stopped(stop_rx.clone()),
    ));
    let lists = tokio::spawn(crate::lists_watch::run(
        Arc::clone(&pipeline),
        setup::rule_set(&cfg, &extra),
        stopped(stop_rx.clone()),
    ));
    let intake = tokio::spawn(crate::intake::run(
        Arc::clone(&pipeline),
        cfg.inputs.clone(),
        data_dir.clone(),
        limits,
        stopped(stop_rx.clone()),
    ));
    let sampler = tokio::spawn(
        Arc::clone(&console).sample_metrics(METRICS_SAMPLE_EVERY, stopped(stop_rx.clone())),
    );
    let http_task = tokio::spawn(http.serve(stopped(stop_rx.clone())));
    let grpc_task = tokio::spawn(grpc.serve(stopped(stop_rx.clone())));

    shutdown_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    let _ = stop_tx.send(true);
    http_task
        .await
        .context("HTTP server task")?
        .context("OTLP/HTTP server")?;
    grpc_task
        .await
        .context("gRPC server task")?
        .context("OTLP/gRPC server")?;
    let _ = retention.await;
    let _ = lists.await;
    let _ = intake.await;
    let _ = sampler.await;
    tracing::info!("flushing sinks");
    tokio::task::spawn_blocking(move || routing.stop())
        .await
        .context("stopping the sinks")?;
    tracing::info!("stopped");
    Ok(())
}

/// How often the console samples the metrics for its health charts.
const METRICS_SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The web console (`/ui/` on the OTLP/HTTP listener) over this serve's store, rules and
/// metrics.
fn console(
    cfg: &Config,
    extra: &Extra,
    data_dir: &Path,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Arc<tripline_console::Console>> {
    use tripline_receive::MetricsSource;
    let sources = crate::pipeline::analyze::rule_sources(&setup::rule_set(cfg, extra))?;
    let rules = sources
        .iter()
        .flat_map(|s| tripline_console::RuleDoc::from_source(&s.path, &s.text))
        .collect();
    let m = Arc::clone(metrics);
    let retention = vec![
        ("events".to_owned(), cfg.retention.events_ttl.to_string()),
        ("alerts".to_owned(), cfg.retention.alerts_ttl.to_string()),
        ("raw tier".to_owned(), cfg.retention.raw_ttl.to_string()),
    ];
    Ok(tripline_console::Console::new(
        tripline_console::ConsoleOptions {
            data_dir: data_dir.to_owned(),
            sinks: !cfg.sinks.is_empty(),
            rules,
            metrics: Some(Arc::new(move || m.render())),
            config_text: masked_config(cfg),
            retention,
            tls: !cfg.tls.cert.as_os_str().is_empty(),
        },
    ))
}

/// The effective config as TOML for the console's admin page, with every value whose key
/// names a secret (token, key, password, secret) replaced.
fn masked_config(cfg: &Config) -> String {
    let text = toml::to_string_pretty(cfg).unwrap_or_default();
    text.lines()
        .map(|line| {
            let key = line.split('=').next().unwrap_or("").to_ascii_lowercase();
            let secret = ["token", "password", "secret", "key"]
                .iter()
                .any(|w| key.contains(w));
            if secret && line.contains('=') && !key.trim_start().starts_with('[') {
                format!("{}= \"(masked)\"", line.split('=').next().unwrap_or(""))
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wait for SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("installing a SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Write the bound addresses atomically (temp file, then rename).
fn write_ready_file(path: &Path, http: SocketAddr, grpc: SocketAddr) -> anyhow::Result<()> {
    let body = serde_json::json!({ "http": http.to_string(), "grpc": grpc.to_string() });
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, body.to_string()).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
