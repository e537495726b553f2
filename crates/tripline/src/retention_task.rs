//! The background retention task of `tripline serve`. It uses its own store handle so
//! ingest keeps committing between its delete chunks.

use std::future::Future;
use std::path::PathBuf;

use tripline_store::{RetentionPolicy, Store, StoreOptions};

use crate::config::sections::RetentionSection;

/// The store's policy for the `[retention]` config section.
pub fn policy(cfg: &RetentionSection) -> RetentionPolicy {
    RetentionPolicy {
        events_ttl: Some(cfg.events_ttl.get()),
        alerts_ttl: Some(cfg.alerts_ttl.get()),
        raw_ttl: Some(cfg.raw_ttl.get()),
        ..RetentionPolicy::default()
    }
}

/// Run retention on the store in `data_dir` every `interval` until `stop` resolves.
pub async fn run(data_dir: PathBuf, cfg: RetentionSection, stop: impl Future<Output = ()>) {
    let policy = policy(&cfg);
    let mut tick = tokio::time::interval(cfg.interval.get());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        let (dir, policy) = (data_dir.clone(), policy.clone());
        let now = chrono::Utc::now().timestamp_millis();
        let job = tokio::task::spawn_blocking(move || {
            Store::open(&dir, &StoreOptions::default())?.run_retention(now, &policy)
        });
        match job.await {
            Ok(Ok(report)) => {
                tracing::info!(reclaimed_bytes = report.main.reclaimed(), "retention ran")
            }
            Ok(Err(e)) => tracing::warn!("retention failed: {e}"),
            Err(e) => tracing::warn!("retention task failed: {e}"),
        }
    }
}
