//! Routing: the `[[sinks]]` of the config, started as one delivery worker thread each
//! (`tripline_sinks::delivery`), fed by the store's outbox.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tripline_sinks::delivery::{self, Preparer, SinkStats, Worker, WorkerConfig};
use tripline_sinks::RecordKind;
use tripline_store::{AdminScope, Outbox, RawStore, StoreOptions};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::pipeline::setup;
use crate::pipeline::Pipeline;

/// The running delivery workers.
pub struct Routing {
    stop: Arc<AtomicBool>,
    workers: Vec<(String, JoinHandle<()>)>,
}

/// Build every configured sink (so a bad option fails startup), register their cursors,
/// turn the outbox on and start one worker per sink. With no sinks, clears the outbox.
pub fn start(
    cfg: &Config,
    data_dir: &Path,
    pipeline: &Pipeline,
    metrics: &Metrics,
) -> anyhow::Result<Routing> {
    let specs = cfg.sink_specs()?;
    let mut outbox = Outbox::open(data_dir, &StoreOptions::default())
        .with_context(|| format!("opening the sink outbox in {}", data_dir.display()))?;
    let raw_end = if cfg.raw.enabled && RawStore::exists(data_dir) {
        RawStore::open_admin(data_dir, &AdminScope::asserted())?.last_id()?
    } else {
        0
    };
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    outbox.register(&names, raw_end, chrono::Utc::now().timestamp_millis())?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    if specs.is_empty() {
        return Ok(Routing { stop, workers });
    }
    let mut prepared = Vec::new();
    for spec in specs {
        let sink = delivery::build_sink(&spec, data_dir)?;
        let redactor = setup::sink_redactor(cfg, &spec)?;
        // Raw payloads are only read for admin sinks (checked when the config was parsed).
        let raw = if spec.receives(RecordKind::Raw) {
            Some(
                RawStore::open_admin(data_dir, &AdminScope::asserted())
                    .context("opening the raw tier for a raw sink")?,
            )
        } else {
            None
        };
        let stats = Arc::new(SinkStats::new(&spec.name, &spec.kind));
        prepared.push((Preparer::new(spec, redactor), sink, raw, stats));
    }
    pipeline.enable_outbox();
    for (prep, sink, raw, stats) in prepared {
        let name = prep.spec().name.clone();
        tracing::info!(sink = %name, kind = sink.kind(), format = prep.spec().format.as_str(), "sink started");
        metrics
            .sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::clone(&stats));
        let worker = Worker::new(prep, sink, data_dir, raw, stats, WorkerConfig::default())?;
        let handle = delivery::spawn(worker, Arc::clone(&stop))
            .with_context(|| format!("starting the worker of sink {name}"))?;
        workers.push((name, handle));
    }
    Ok(Routing { stop, workers })
}

impl Routing {
    /// Ask every worker to deliver what is queued (for a few seconds at most), flush and
    /// stop; wait for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for (name, handle) in self.workers {
            if handle.join().is_err() {
                tracing::error!(sink = %name, "the sink's worker panicked");
            }
        }
    }
}
