//! The pipeline behind every receiver and `tripline replay`:
//! decode → drop already-stored events → detect (raw values) → redact → durable write.
//!
//! One [`Pipeline`] serves `serve` (through the [`tripline_receive::Ingest`] impl in
//! [`ingest`]) and `replay` (through [`Pipeline::process_events`]), so a backtest runs the
//! same code as production from decode onward.

pub mod analyze;
pub mod enrich;
mod group;
pub mod ingest;
pub mod key;
pub mod seal;
pub mod sealed_state;
pub mod setup;
mod writer;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tripline_event::{names, Alert, Event, Value};
use tripline_redact::{RedactionReport, Redactor};
use tripline_store::{Store, StoreError, StoreOptions, WriteStats};

use analyze::Analyzer;
use seal::Sealer;
use sealed_state::{Loaded, StateSync};

/// Everything that comes out of one batch.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Events that were new (not stored before), redacted.
    pub events: Vec<Event>,
    /// Alerts produced by the batch, redacted.
    pub alerts: Vec<Alert>,
    /// What the store did, when there is a store.
    pub stored: Option<WriteStats>,
    /// Events skipped because their id was already stored (exporter retries).
    pub duplicates: u64,
    /// What redaction changed.
    pub redactions: RedactionReport,
    /// State entries evicted by the caps in this batch, by rule name.
    pub state_evictions: Vec<(String, u64)>,
}

/// The ordered stages, behind one lock: whoever holds it leads the next group.
struct Stages {
    analyzer: Analyzer,
    /// a read connection for the dedup lookups (the writer has its own connection)
    reader: Option<Store>,
    sync: StateSync,
}

/// What the pipeline's callers and its writer thread share.
struct Shared {
    stages: Mutex<Stages>,
    /// ids of events handed to the writer and not yet committed
    in_flight: writer::InFlight,
    redactor: Redactor,
    sealer: Sealer,
}

/// Detect, redact and store batches of normalized events.
///
/// Three kinds of work overlap: callers decode in parallel on their own threads; the
/// caller holding the stage lock leads a group (dedup, enrichment, detection, redaction,
/// sealing the state it changed), in submission order; one writer thread commits groups
/// in the order they were sealed, one transaction each, and answers every batch of a
/// group once it is durable. While the writer commits group N the next leader works on
/// group N+1.
pub struct Pipeline {
    shared: Arc<Shared>,
    /// batches waiting for the next group
    queue: group::Queue,
    /// the writer thread, when there is a store
    writer: Option<writer::Writer>,
}

/// How to build a [`Pipeline`].
pub struct PipelineOptions {
    /// The analyzer (rules, lists, engine options).
    pub analyzer: Analyzer,
    /// Where to store, or `None` for a detect-only pipeline (replay without `--data`).
    pub data_dir: Option<PathBuf>,
    pub store: StoreOptions,
    pub redactor: Redactor,
    /// Encrypts the engine state before it is stored (it holds raw evidence).
    pub sealer: Sealer,
}

impl Pipeline {
    /// Open the store (if any) and restore the analyzer's state from it.
    pub fn open(opts: PipelineOptions) -> anyhow::Result<Pipeline> {
        let PipelineOptions {
            mut analyzer,
            data_dir,
            store,
            redactor,
            sealer,
        } = opts;
        let mut sync = StateSync::default();
        let (writer_store, reader) = match &data_dir {
            Some(dir) => {
                let mut s = Store::open(dir, &store)
                    .with_context(|| format!("opening the store in {}", dir.display()))?;
                if sync.load(&s, &mut analyzer, &sealer)? == Loaded::Legacy {
                    let now = chrono::Utc::now().timestamp_millis();
                    sync.migrate(&mut s, &mut analyzer, &sealer, now)
                        .context("migrating the saved engine state to entries")?;
                    tracing::info!("migrated the saved engine state to incremental entries");
                }
                let reader = Store::open_read_only(dir)
                    .with_context(|| format!("opening the store in {}", dir.display()))?;
                (Some(s), Some(reader))
            }
            None => (None, None),
        };
        let shared = Arc::new(Shared {
            stages: Mutex::new(Stages {
                analyzer,
                reader,
                sync,
            }),
            in_flight: writer::InFlight::default(),
            redactor,
            sealer,
        });
        let writer = match writer_store {
            Some(store) => Some(writer::Writer::start(Arc::clone(&shared), store)?),
            None => None,
        };
        Ok(Pipeline {
            shared,
            queue: group::Queue::default(),
            writer,
        })
    }

    /// Run one batch through detect → redact → store. Blocking; call from a blocking
    /// thread. Returns only after the store has committed (when there is a store).
    ///
    /// Group commit: batches submitted while another group is being led wait for it,
    /// then go together as the next group, in submission order, in one transaction (one
    /// fsync). Each caller gets its own batch's outcome.
    pub fn process_events(
        &self,
        events: Vec<Event>,
        ingest_time_ms: i64,
    ) -> Result<BatchOutcome, StoreError> {
        let (job, answer) = group::Job::new(events, ingest_time_ms);
        self.queue.push(job);
        let mut stages = self.shared.stages.lock().unwrap_or_else(|p| p.into_inner());
        // An earlier group may already have taken (and answered) this batch.
        if let Some(done) = answer.ready() {
            return done;
        }
        let jobs = self.queue.take();
        if !jobs.is_empty() {
            self.lead(&mut stages, jobs);
        }
        drop(stages);
        answer.wait()
    }

    /// Lead one group: everything up to the durable write, in order, then hand it to the
    /// writer (or answer it, without a store).
    fn lead(&self, stages: &mut Stages, mut jobs: Vec<group::Job>) {
        let shared = &*self.shared;
        let Stages {
            analyzer,
            reader,
            sync,
        } = stages;
        // Exporters retry: events already stored, or in a group not yet committed, or in
        // an earlier batch of this group, were already detected on.
        let mut seen = match reader.as_ref() {
            Some(store) => {
                let ids: Vec<&str> = jobs
                    .iter()
                    .flat_map(|j| j.events().iter().filter_map(Event::id))
                    .collect();
                match store.existing_event_ids(&ids) {
                    Ok(mut seen) => {
                        shared.in_flight.add_present(&ids, &mut seen);
                        Some(seen)
                    }
                    Err(e) => {
                        let path = store.db_path();
                        for job in jobs {
                            job.answer(Err(same_error(&e, &path)));
                        }
                        return;
                    }
                }
            }
            None => None,
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        let mut new_ids = Vec::new();
        for job in jobs.iter_mut() {
            let mut events = job.take_events();
            let received = tripline_store::format_ms(job.ingest_time_ms);
            for ev in &mut events {
                ev.insert_if_absent(names::RECEIVED_TIME, Value::Str(received.clone()));
            }
            let mut duplicates = 0;
            if let Some(seen) = seen.as_mut() {
                let before = events.len();
                events.retain(|e| e.id().is_none_or(|id| !seen.contains(id)));
                duplicates = (before - events.len()) as u64;
                for id in events.iter().filter_map(Event::id) {
                    seen.insert(id.to_owned());
                    new_ids.push(id.to_owned());
                }
            }
            // Registries and conversation context become plain fields, then detection sees
            // the raw values.
            analyzer.enrich(&mut events);
            let alerts = analyzer.run(&events);
            outcomes.push(BatchOutcome {
                events,
                alerts,
                duplicates,
                ..BatchOutcome::default()
            });
        }
        // Windows of quiet groups expire (this changes no output, so once per group).
        analyzer.advance_watermark();
        if let Some(first) = outcomes.first_mut() {
            first.state_evictions = evictions_by_name(analyzer);
        }

        // Nothing unredacted goes further.
        for out in &mut outcomes {
            for ev in &mut out.events {
                out.redactions.merge(&shared.redactor.redact_event(ev));
            }
            for alert in &mut out.alerts {
                out.redactions.merge(&shared.redactor.redact_alert(alert));
            }
        }

        let Some(writer) = &self.writer else {
            // Nothing to persist: keep the change tracking from growing.
            analyzer.engine_mut().mark_committed();
            analyzer.enricher_mut().mark_committed();
            for (job, out) in jobs.into_iter().zip(outcomes) {
                job.answer(Ok(out));
            }
            return;
        };
        // Only the state entries this group changed, sealed one by one; from here on the
        // writer owns them (a failed commit rolls the analyzer back to the store).
        let delta = match sync.delta(analyzer, &shared.sealer) {
            Ok(d) => d,
            Err(e) => {
                let err = StoreError::Busy(format!("sealing the engine state: {e}"));
                for job in jobs {
                    job.answer(Err(same_error(&err, std::path::Path::new(""))));
                }
                writer.request_roll_back();
                return;
            }
        };
        sync.committed(analyzer);
        shared.in_flight.insert(&new_ids);
        let json = outcomes
            .iter()
            .map(|o| o.events.iter().map(Event::to_json_string).collect())
            .collect();
        writer.send(writer::Sealed {
            jobs,
            outcomes,
            json,
            delta,
            ids: new_ids,
        });
    }
}

/// The same failure for every batch of a failed group (store errors are not `Clone`).
fn same_error(e: &StoreError, db: &std::path::Path) -> StoreError {
    match e {
        StoreError::DiskFull(m) => StoreError::DiskFull(m.clone()),
        StoreError::Busy(m) => StoreError::Busy(m.clone()),
        other => StoreError::Io {
            path: db.to_owned(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

impl Pipeline {
    /// From now on, append every stored event and alert revision to the store's sink
    /// outbox, in the batch's transaction (when sinks are configured).
    pub fn enable_outbox(&self) {
        if let Some(w) = &self.writer {
            w.enable_outbox();
        }
    }

    /// Re-read the list files and recompile the rules against them, keeping all streaming
    /// state. On error the running rules are unchanged.
    pub fn reload_lists(&self, set: &analyze::RuleSet) -> anyhow::Result<()> {
        let mut stages = self.shared.stages.lock().unwrap_or_else(|p| p.into_inner());
        stages.analyzer.reload_lists(set)
    }
}

/// The engine's cap evictions since the last batch, by rule name (for `/metrics`).
fn evictions_by_name(analyzer: &mut Analyzer) -> Vec<(String, u64)> {
    let taken = analyzer.engine_mut().take_state_evictions();
    if taken.is_empty() {
        return Vec::new();
    }
    let rules = analyzer.engine().rules();
    taken
        .into_iter()
        .map(|(id, n)| {
            let name = rules
                .iter()
                .find(|r| r.meta.id == id)
                .map_or(id, |r| r.meta.name.clone());
            (name, n)
        })
        .collect()
}
