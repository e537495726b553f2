//! Reloading lists without a restart: `serve` polls the list files and recompiles the
//! rules when any of them changes (or on SIGHUP). Engine state is kept across reloads.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::pipeline::analyze::RuleSet;
use crate::pipeline::Pipeline;

/// How often list files are checked for changes.
const POLL: Duration = Duration::from_secs(2);

/// A cheap fingerprint of the list files: (path, size, mtime) of every YAML file below them.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out.sort();
    out
}

fn walk(p: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    let Ok(meta) = std::fs::metadata(p) else {
        return;
    };
    if meta.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                walk(&e.path(), out);
            }
        }
    } else {
        out.push((p.to_path_buf(), meta.len(), meta.modified().ok()));
    }
}

/// Watch `set.lists` until `stop` resolves.
pub async fn run(pipeline: Arc<Pipeline>, set: RuleSet, stop: impl Future<Output = ()>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut last = fingerprint(&set.lists);
    let mut tick = tokio::time::interval(POLL);
    tokio::pin!(stop);
    loop {
        let forced = tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => false,
            Some(_) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => true,
        };
        let now = fingerprint(&set.lists);
        if !forced && now == last {
            continue;
        }
        last = now;
        let (p, s) = (Arc::clone(&pipeline), set.clone());
        match tokio::task::spawn_blocking(move || p.reload_lists(&s)).await {
            Ok(Ok(())) => tracing::info!("lists reloaded"),
            Ok(Err(e)) => tracing::warn!("lists not reloaded, keeping the previous ones: {e:#}"),
            Err(e) => tracing::warn!("list reload task failed: {e}"),
        }
    }
}
