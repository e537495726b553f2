//! The [`Ingest`] implementation the receivers call: bounded admission, decode, then the
//! pipeline on a blocking thread. The answer is given only after the durable write.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use tripline_event::names;
use tripline_otlp::Limits;
use tripline_receive::{Ack, Ingest, IngestError, Request};
use tripline_store::StoreError;

use super::Pipeline;
use crate::metrics::Metrics;

/// The raw tier's writer, when `[raw] enabled` (append-only; reading needs admin scope).
pub type RawTier = Arc<std::sync::Mutex<tripline_store::RawWriter>>;

/// Admission control plus the pipeline.
pub struct PipelineIngest {
    pipeline: Arc<Pipeline>,
    raw: Option<RawTier>,
    limits: Limits,
    permits: Arc<Semaphore>,
    retry_after: Duration,
    /// longest a request waits for its durable write before it is answered 503
    timeout: Duration,
    metrics: Arc<Metrics>,
}

/// Admission and timing settings of [`PipelineIngest`] (`[pipeline]` in the config).
#[derive(Clone, Copy, Debug)]
pub struct Admission {
    /// At most this many requests are decoded or processed at once.
    pub max_inflight: usize,
    /// The `Retry-After` of an overloaded or timed-out answer.
    pub retry_after: Duration,
    /// Longest a request waits for its durable write (`ingest_timeout`).
    pub timeout: Duration,
}

impl PipelineIngest {
    /// At most `max_inflight` batches are decoded or processed at once; beyond that the
    /// receivers answer 429 / RESOURCE_EXHAUSTED with `retry_after`, which keeps memory
    /// bounded at about `max_inflight` × the body limit.
    ///
    /// A request not stored within `admission.timeout` is answered 503 / UNAVAILABLE with
    /// `Retry-After`; its work goes on and, if it commits, the exporter's retry finds its
    /// events stored and changes nothing.
    pub fn new(
        pipeline: Arc<Pipeline>,
        raw: Option<RawTier>,
        limits: Limits,
        admission: Admission,
        metrics: Arc<Metrics>,
    ) -> Self {
        PipelineIngest {
            pipeline,
            raw,
            limits,
            permits: Arc::new(Semaphore::new(admission.max_inflight.max(1))),
            retry_after: admission.retry_after,
            timeout: admission.timeout,
            metrics,
        }
    }
}

impl Ingest for PipelineIngest {
    fn ingest(&self, req: Request) -> BoxFuture<'static, Result<Ack, IngestError>> {
        let pipeline = Arc::clone(&self.pipeline);
        let raw = self.raw.clone();
        let limits = self.limits.clone();
        let permits = Arc::clone(&self.permits);
        let retry_after = self.retry_after;
        let timeout = self.timeout;
        let metrics = Arc::clone(&self.metrics);
        let received = Instant::now();
        Box::pin(async move {
            metrics.requests.fetch_add(1, Ordering::Relaxed);
            let Ok(permit) = permits.try_acquire_owned() else {
                metrics.refused("overloaded");
                return Err(IngestError::Overloaded { retry_after });
            };
            metrics.inflight.fetch_add(1, Ordering::Relaxed);
            let m = Arc::clone(&metrics);
            let work = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                process(&pipeline, raw.as_ref(), &limits, req, &m)
            });
            let result = match tokio::time::timeout(timeout, work).await {
                Ok(Ok(result)) => result,
                Ok(Err(join)) => Err(IngestError::Internal(format!(
                    "pipeline task failed: {join}"
                ))),
                Err(_) => Err(IngestError::Unavailable {
                    retry_after,
                    reason: format!(
                        "not stored within the ingest timeout ({} s)",
                        timeout.as_secs_f64()
                    ),
                }),
            };
            metrics.inflight.fetch_sub(1, Ordering::Relaxed);
            if result.is_ok() {
                metrics.ingest_latency.observe(received.elapsed());
            }
            if let Err(e) = &result {
                metrics.refused(match e {
                    IngestError::Invalid(_) => "invalid",
                    IngestError::TooLarge(_) => "too_large",
                    IngestError::Overloaded { .. } => "overloaded",
                    IngestError::Unavailable { .. } => "unavailable",
                    IngestError::Internal(_) => "internal",
                });
            }
            result
        })
    }
}

fn process(
    pipeline: &Pipeline,
    raw: Option<&RawTier>,
    limits: &Limits,
    req: Request,
    metrics: &Metrics,
) -> Result<Ack, IngestError> {
    let decoded = tripline_otlp::decode(req.signal, req.encoding, &req.body, limits)
        .map_err(|e| IngestError::Invalid(e.to_string()))?;
    if let Some(raw) = raw {
        keep_raw(raw, &req)?;
    }
    metrics
        .events_received
        .fetch_add(decoded.events.len() as u64, Ordering::Relaxed);
    metrics
        .records_rejected
        .fetch_add(decoded.rejected, Ordering::Relaxed);
    let ingest_ms = req.received_at.timestamp_millis();
    // The normalizer writes every `time` as UTC RFC 3339 with nanoseconds, so the
    // greatest string is the newest time: one parse per batch, not per event.
    let newest_ms = decoded
        .events
        .iter()
        .filter_map(|e| e.time())
        .max()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    let mut events = decoded.events;
    if let Some(emitter) = &req.emitter {
        for ev in &mut events {
            ev.insert(names::EMITTER, emitter.as_str());
        }
    }
    let outcome = pipeline
        .process_events(events, ingest_ms)
        .map_err(|e| match e {
            StoreError::DiskFull(msg) => IngestError::Unavailable {
                retry_after: Duration::from_secs(30),
                reason: format!("disk full: {msg}"),
            },
            other => IngestError::Unavailable {
                retry_after: Duration::from_secs(5),
                reason: other.to_string(),
            },
        })?;
    metrics
        .events_stored
        .fetch_add(outcome.stored.map_or(0, |s| s.inserted), Ordering::Relaxed);
    metrics
        .events_duplicate
        .fetch_add(outcome.duplicates, Ordering::Relaxed);
    for alert in &outcome.alerts {
        metrics.alert(&alert.rule.name);
    }
    metrics.redacted(&outcome.redactions);
    for (rule, n) in &outcome.state_evictions {
        metrics.evicted(rule, *n);
    }
    metrics.state_bytes_written.fetch_add(
        outcome.stored.map_or(0, |s| s.state_bytes),
        Ordering::Relaxed,
    );
    if let Some(newest) = newest_ms {
        metrics.lag_ms.store(ingest_ms - newest, Ordering::Relaxed);
    }
    Ok(Ack {
        rejected: decoded.rejected,
        message: decoded.reject_message,
    })
}

/// Append the decoded-OK request body to the raw tier before it is processed, so a stored
/// event always has its raw payload (a retry may store a payload twice; events are not).
fn keep_raw(raw: &RawTier, req: &Request) -> Result<(), IngestError> {
    let payload = tripline_store::RawPayload {
        received_time: tripline_time::format_ms(req.received_at.timestamp_millis()),
        signal: req.signal.as_str().to_owned(),
        content_type: req.content_type.clone(),
        // The receiver has already decompressed the body.
        content_encoding: None,
        emitter: req.emitter.clone(),
        body: req.body.to_vec(),
    };
    let mut writer = raw.lock().unwrap_or_else(|p| p.into_inner());
    writer
        .append(&[payload], req.received_at.timestamp_millis())
        .map(|_| ())
        .map_err(|e| IngestError::Unavailable {
            retry_after: Duration::from_secs(5),
            reason: format!("raw tier: {e}"),
        })
}
