//! The [`Ingest`] implementation the receivers call: bounded admission, decode, then the
//! pipeline on a blocking thread. The answer is given only after the durable write.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use tripline_event::names;
use tripline_otlp::Limits;
use tripline_receive::{Ack, Ingest, IngestError, Request};
use tripline_store::StoreError;

use super::Pipeline;

/// Counters the server reports.
#[derive(Debug, Default)]
pub struct IngestCounters {
    pub requests: AtomicU64,
    pub events: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected_records: AtomicU64,
    pub invalid_requests: AtomicU64,
    pub overloaded: AtomicU64,
    pub alerts: AtomicU64,
}

/// Admission control plus the pipeline.
pub struct PipelineIngest {
    pipeline: Arc<Pipeline>,
    limits: Limits,
    permits: Arc<Semaphore>,
    retry_after: Duration,
    pub counters: Arc<IngestCounters>,
}

impl PipelineIngest {
    /// At most `max_inflight` batches are decoded or processed at once; beyond that the
    /// receivers answer 429 / RESOURCE_EXHAUSTED with `retry_after`, which keeps memory
    /// bounded at about `max_inflight` × the body limit.
    pub fn new(pipeline: Arc<Pipeline>, limits: Limits, max_inflight: usize, retry_after: Duration) -> Self {
        PipelineIngest {
            pipeline,
            limits,
            permits: Arc::new(Semaphore::new(max_inflight.max(1))),
            retry_after,
            counters: Arc::new(IngestCounters::default()),
        }
    }
}

impl Ingest for PipelineIngest {
    fn ingest(&self, req: Request) -> BoxFuture<'static, Result<Ack, IngestError>> {
        let pipeline = Arc::clone(&self.pipeline);
        let limits = self.limits.clone();
        let permits = Arc::clone(&self.permits);
        let retry_after = self.retry_after;
        let counters = Arc::clone(&self.counters);
        Box::pin(async move {
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let Ok(permit) = permits.try_acquire_owned() else {
                counters.overloaded.fetch_add(1, Ordering::Relaxed);
                return Err(IngestError::Overloaded { retry_after });
            };
            let work = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                process(&pipeline, &limits, req, &counters)
            });
            match work.await {
                Ok(result) => result,
                Err(join) => Err(IngestError::Internal(format!("pipeline task failed: {join}"))),
            }
        })
    }
}

fn process(
    pipeline: &Pipeline,
    limits: &Limits,
    req: Request,
    counters: &IngestCounters,
) -> Result<Ack, IngestError> {
    let decoded = tripline_otlp::decode(req.signal, req.encoding, &req.body, limits).map_err(|e| {
        counters.invalid_requests.fetch_add(1, Ordering::Relaxed);
        IngestError::Invalid(e.to_string())
    })?;
    let mut events = decoded.events;
    if let Some(emitter) = &req.emitter {
        for ev in &mut events {
            ev.insert(names::EMITTER, emitter.as_str());
        }
    }
    let outcome = pipeline
        .process_events(events, req.received_at.timestamp_millis())
        .map_err(|e| match e {
            StoreError::DiskFull(msg) => IngestError::Unavailable {
                retry_after: Duration::from_secs(30),
                reason: format!("disk full: {msg}"),
            },
            other => IngestError::Unavailable { retry_after: Duration::from_secs(5), reason: other.to_string() },
        })?;
    counters.events.fetch_add(outcome.events.len() as u64, Ordering::Relaxed);
    counters.duplicates.fetch_add(outcome.duplicates, Ordering::Relaxed);
    counters.alerts.fetch_add(outcome.alerts.len() as u64, Ordering::Relaxed);
    counters.rejected_records.fetch_add(decoded.rejected, Ordering::Relaxed);
    Ok(Ack { rejected: decoded.rejected, message: decoded.reject_message })
}
