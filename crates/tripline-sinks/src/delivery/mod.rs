//! Delivery: one worker thread per sink, reading the store's outbox (and, for admin sinks
//! that receive `raw`, the raw tier) from the sink's own cursor.
//!
//! A step reads up to `batch_size` rows after the cursor, turns them into records
//! ([`Preparer`]: filters, the sink's stricter redaction, format), sends them, flushes the
//! sink, and only then advances the cursor, so delivery is at least once. A failed send is
//! retried with exponential backoff (`backoff_initial` doubling up to `backoff_max`, or the
//! destination's `retry_after` when longer) up to `max_attempts`; then, or at once for a
//! fatal error or a record the destination refused, the records go to the dead-letter
//! file. When more than `max_queue_records` rows wait, the oldest are dead-lettered
//! (`queue_full`) so the outbox stays bounded. A sink that is down never blocks ingest:
//! the pipeline only appends to the outbox.

pub mod deadletter;
pub mod prepare;
pub mod stats;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tripline_store::{Outbox, OutboxRow, RawReader, StoreError, StoreOptions};

use crate::format;
use crate::sink::{Record, RecordKind, SendError, Sink};
use crate::spec::SinkSpec;
pub use deadletter::DeadLetter;
pub use prepare::Preparer;
pub use stats::SinkStats;

/// The longest `retry_after` honored (a destination asking for more gets this).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// Rows dead-lettered per chunk when the queue is over its bound.
const OVERFLOW_CHUNK: usize = 1000;

/// Timing of a worker's loop.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// How often an idle worker looks for new rows.
    pub poll: Duration,
    /// How often an idle worker flushes its sink (so time-based file rotation happens
    /// without traffic).
    pub idle_flush: Duration,
    /// After stop is requested, how long the worker keeps delivering what is queued
    /// (the rest stays in the outbox for the next start).
    pub drain_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll: Duration::from_millis(200),
            idle_flush: Duration::from_secs(1),
            drain_grace: Duration::from_secs(5),
        }
    }
}

/// What one [`Worker::step`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Rows were handled and the cursor moved.
    Worked,
    /// Nothing was waiting.
    Idle,
    /// Stop was requested while a batch was being retried; its rows stay queued.
    Interrupted,
}

/// One sink's delivery loop.
pub struct Worker {
    prep: Preparer,
    sink: Box<dyn Sink>,
    outbox: Outbox,
    raw: Option<RawReader>,
    dead: DeadLetter,
    stats: Arc<SinkStats>,
    cfg: WorkerConfig,
    seq: i64,
    raw_seq: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Worker {
    /// A worker for `sink` reading the store in `data_dir` from the sink's saved cursor
    /// (the start of the outbox when it has none). `raw` is the raw tier's admin reader,
    /// for sinks that receive `raw`.
    pub fn new(
        prep: Preparer,
        sink: Box<dyn Sink>,
        data_dir: &Path,
        raw: Option<RawReader>,
        stats: Arc<SinkStats>,
        cfg: WorkerConfig,
    ) -> Result<Worker, StoreError> {
        let outbox = Outbox::open(data_dir, &StoreOptions::default())?;
        let name = prep.spec().name.clone();
        let (seq, raw_seq) = outbox.cursor(&name)?.unwrap_or((0, 0));
        stats.cursor.store(seq, Ordering::Relaxed);
        let raw = if prep.spec().receives(RecordKind::Raw) {
            raw
        } else {
            None
        };
        Ok(Worker {
            dead: DeadLetter::new(data_dir, &name),
            prep,
            sink,
            outbox,
            raw,
            stats,
            cfg,
            seq,
            raw_seq,
        })
    }

    fn name(&self) -> &str {
        &self.prep.spec().name
    }

    /// Run until `stop` is set and the queue is drained (or `drain_grace` has passed).
    /// The sink is flushed and dropped (which finishes open files) before returning.
    pub fn run(mut self, stop: &AtomicBool) {
        let mut stopping: Option<Instant> = None;
        let mut last_flush = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                let since = *stopping.get_or_insert_with(Instant::now);
                if since.elapsed() >= self.cfg.drain_grace {
                    break;
                }
            }
            match self.step(stop) {
                Ok(Step::Worked) => last_flush = Instant::now(),
                Ok(Step::Interrupted) => break,
                Ok(Step::Idle) => {
                    if stopping.is_some() {
                        break;
                    }
                    if last_flush.elapsed() >= self.cfg.idle_flush {
                        if let Err(e) = self.sink.flush() {
                            tracing::warn!(sink = %self.name(), "flush failed: {e}");
                        }
                        last_flush = Instant::now();
                    }
                    sleep_unless(stop, self.cfg.poll);
                }
                Err(e) => {
                    tracing::error!(sink = %self.name(), "delivery: reading the outbox failed: {e}");
                    if stopping.is_some() {
                        break;
                    }
                    sleep_unless(stop, Duration::from_secs(1));
                }
            }
        }
        if let Err(e) = self.sink.flush() {
            tracing::warn!(sink = %self.name(), "final flush failed: {e}");
        }
        let _ = self.refresh_gauges();
        tracing::info!(sink = %self.name(), cursor = self.seq, "sink stopped");
    }

    /// Handle one batch (or find nothing to do).
    pub fn step(&mut self, stop: &AtomicBool) -> Result<Step, StoreError> {
        self.enforce_bound()?;
        let batch_size = self.prep.spec().batch_size;
        let rows = self.outbox.read(self.seq, batch_size)?;
        if let Some(last) = rows.last().map(|r| r.seq) {
            let mut records = Vec::with_capacity(rows.len());
            let mut invalid = Vec::new();
            for row in &rows {
                match self.prep.row(row) {
                    Ok(Some(r)) => records.push(r),
                    Ok(None) => {}
                    Err(e) => invalid.push((row, e)),
                }
            }
            if !invalid.is_empty() {
                let letters: Vec<_> = invalid
                    .iter()
                    .map(|(row, e)| row_letter(row, "invalid", e))
                    .collect();
                self.write_dead("invalid", &letters);
            }
            if self.deliver(records, stop) == Step::Interrupted {
                return Ok(Step::Interrupted);
            }
            self.seq = last;
            self.commit()?;
            return Ok(Step::Worked);
        }
        if let Some(raw) = &self.raw {
            let payloads = raw.after(self.raw_seq, batch_size)?;
            if let Some(last) = payloads.last().map(|p| p.id) {
                let records: Vec<Record> = payloads.iter().map(format::raw_record).collect();
                if self.deliver(records, stop) == Step::Interrupted {
                    return Ok(Step::Interrupted);
                }
                self.raw_seq = last;
                self.commit()?;
                return Ok(Step::Worked);
            }
        }
        self.refresh_gauges()?;
        Ok(Step::Idle)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let name = self.prep.spec().name.clone();
        self.outbox
            .advance(&name, self.seq, self.raw_seq, now_ms())?;
        self.outbox.prune()?;
        self.stats.cursor.store(self.seq, Ordering::Relaxed);
        self.refresh_gauges()
    }

    fn refresh_gauges(&self) -> Result<(), StoreError> {
        let q = self.outbox.stats(self.seq)?;
        let (mut pending, mut oldest) = (q.pending, q.oldest_ingest_ms);
        if let Some(raw) = &self.raw {
            let (n, o) = raw.pending(self.raw_seq)?;
            pending += n;
            oldest = match (oldest, o) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        self.stats.queued.store(pending, Ordering::Relaxed);
        let age = oldest.map_or(0, |t| ((now_ms() - t) / 1000).max(0));
        self.stats.oldest_age_seconds.store(age, Ordering::Relaxed);
        Ok(())
    }

    /// Dead-letter the oldest rows beyond `max_queue_records`.
    fn enforce_bound(&mut self) -> Result<(), StoreError> {
        let max = self.prep.spec().max_queue_records;
        let pending = self.outbox.stats(self.seq)?.pending;
        if pending <= max {
            return Ok(());
        }
        let mut excess = (pending - max) as usize;
        tracing::error!(sink = %self.name(), pending, max, "queue over its bound: dead-lettering the oldest {excess} records (queue_full)");
        while excess > 0 {
            let rows = self.outbox.read(self.seq, excess.min(OVERFLOW_CHUNK))?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let letters: Vec<_> = rows
                .iter()
                .map(|r| {
                    row_letter(
                        r,
                        "queue_full",
                        "the sink's queue exceeded max_queue_records",
                    )
                })
                .collect();
            self.stats.fail("queue_full", rows.len() as u64);
            self.write_dead("queue_full", &letters);
            excess -= rows.len();
            self.seq = last;
            self.commit()?;
        }
        Ok(())
    }

    fn write_dead(&mut self, reason: &'static str, letters: &[deadletter::Letter<'_>]) {
        if letters.is_empty() {
            return;
        }
        self.stats.dead(reason, letters.len() as u64);
        match self.dead.write(letters) {
            Ok(()) => {
                tracing::error!(sink = %self.name(), reason, n = letters.len(), file = %self.dead.path().display(), "records dead-lettered")
            }
            Err(e) => {
                tracing::error!(sink = %self.name(), reason, n = letters.len(), "cannot write the dead-letter file {}: {e}; records dropped", self.dead.path().display())
            }
        }
    }

    /// Send `records` with retries. Returns `Interrupted` (nothing dead-lettered, cursor
    /// not to be moved) when stop is requested during a backoff wait, else `Worked`.
    fn deliver(&mut self, records: Vec<Record>, stop: &AtomicBool) -> Step {
        let spec = self.prep.spec();
        let (max_attempts, backoff_max) = (spec.max_attempts, spec.backoff_max);
        let mut delay = spec.backoff_initial;
        let mut pending = records;
        let mut attempt = 1u32;
        while !pending.is_empty() {
            let result = self
                .sink
                .send(&pending)
                .and_then(|outcome| self.sink.flush().map(|()| outcome));
            let hint = match result {
                Ok(outcome) => {
                    let mut retry = Vec::new();
                    let mut refused = Vec::new();
                    let mut hint = None;
                    for (i, err) in outcome.failed {
                        let seen = retry.contains(&i) || refused.iter().any(|(j, _, _)| *j == i);
                        if i >= pending.len() || seen {
                            continue;
                        }
                        match err {
                            SendError::Retry { retry_after, .. } if attempt < max_attempts => {
                                hint = hint.max(retry_after);
                                retry.push(i);
                            }
                            SendError::Retry { message, .. } => {
                                refused.push((i, "max_attempts", message))
                            }
                            SendError::Fatal { message } => refused.push((i, "rejected", message)),
                        }
                    }
                    let failed = retry.len() + refused.len();
                    self.stats
                        .sent
                        .fetch_add((pending.len() - failed) as u64, Ordering::Relaxed);
                    if !retry.is_empty() {
                        self.stats.fail("retry", retry.len() as u64);
                    }
                    for reason in ["max_attempts", "rejected"] {
                        let letters: Vec<_> = refused
                            .iter()
                            .filter(|(_, r, _)| *r == reason)
                            .map(|(i, r, m)| record_letter(&pending[*i], r, m))
                            .collect();
                        self.stats.fail(reason, letters.len() as u64);
                        self.write_dead(reason, &letters);
                    }
                    if retry.is_empty() {
                        return Step::Worked;
                    }
                    tracing::warn!(sink = %self.name(), attempt, n = retry.len(), "destination refused records for now; retrying them");
                    pending = retry.into_iter().map(|i| pending[i].clone()).collect();
                    hint
                }
                Err(SendError::Fatal { message }) => {
                    self.stats.fail("fatal", pending.len() as u64);
                    let letters: Vec<_> = pending
                        .iter()
                        .map(|r| record_letter(r, "fatal", &message))
                        .collect();
                    self.write_dead("fatal", &letters);
                    return Step::Worked;
                }
                Err(SendError::Retry {
                    message,
                    retry_after,
                }) => {
                    if attempt >= max_attempts {
                        self.stats.fail("max_attempts", pending.len() as u64);
                        let msg = format!("gave up after {attempt} attempts: {message}");
                        let letters: Vec<_> = pending
                            .iter()
                            .map(|r| record_letter(r, "max_attempts", &msg))
                            .collect();
                        self.write_dead("max_attempts", &letters);
                        return Step::Worked;
                    }
                    self.stats.fail("retry", pending.len() as u64);
                    tracing::warn!(sink = %self.name(), attempt, max_attempts, "send failed, will retry: {message}");
                    retry_after
                }
            };
            let wait = hint.map_or(delay, |h| h.min(MAX_RETRY_AFTER).max(delay));
            if !sleep_unless(stop, wait) {
                return Step::Interrupted;
            }
            delay = (delay * 2).min(backoff_max);
            attempt += 1;
        }
        Step::Worked
    }
}

fn row_letter<'a>(
    row: &'a OutboxRow,
    reason: &'static str,
    error: &'a str,
) -> deadletter::Letter<'a> {
    let record = serde_json::from_str::<Json>(&row.body).unwrap_or_else(|_| json!(row.body));
    deadletter::Letter {
        reason,
        error,
        kind: &row.kind,
        id: &row.id,
        revision: row.revision.max(0) as u64,
        record,
    }
}

fn record_letter<'a>(
    r: &'a Record,
    reason: &'static str,
    error: &'a str,
) -> deadletter::Letter<'a> {
    // A raw payload's body is unredacted: the letter keeps only a reference to it (the
    // raw tier still has it, by id and sha256).
    let record = match r.kind {
        RecordKind::Raw => {
            json!({ "raw_id": r.body["raw_id"], "sha256": r.body["sha256"], "signal": r.body["signal"] })
        }
        _ => r.body.clone(),
    };
    deadletter::Letter {
        reason,
        error,
        kind: r.kind.as_str(),
        id: &r.id,
        revision: r.revision,
        record,
    }
}

/// Sleep `d` in short slices; `false` when stop was requested.
fn sleep_unless(stop: &AtomicBool, d: Duration) -> bool {
    let deadline = Instant::now() + d;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(25)));
    }
}

/// Start `worker` on its own thread, named after the sink.
pub fn spawn(
    worker: Worker,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let name = format!("sink-{}", worker.name());
    std::thread::Builder::new()
        .name(name)
        .spawn(move || worker.run(&stop))
}

/// Build the sink, its preparer and stats from `spec` (used by `serve` and
/// `tripline sinks test`).
pub fn build_sink(spec: &SinkSpec, data_dir: &Path) -> Result<Box<dyn Sink>, crate::BuildError> {
    let ctx = crate::BuildContext {
        name: spec.name.clone(),
        data_dir: data_dir.to_owned(),
    };
    crate::registry::build(&spec.kind, &ctx, &spec.options)
}
