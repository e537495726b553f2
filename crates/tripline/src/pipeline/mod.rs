//! The pipeline behind every receiver and `tripline replay`:
//! decode → drop already-stored events → detect (raw values) → redact → durable write.
//!
//! One [`Pipeline`] serves `serve` (through the [`tripline_receive::Ingest`] impl in
//! [`ingest`]) and `replay` (through [`Pipeline::process_events`]), so a backtest runs the
//! same code as production from decode onward.

pub mod detect;
pub mod enrich;
pub mod ingest;
pub mod key;
pub mod seal;
pub mod setup;
pub mod state;

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use tripline_event::{names, Alert, Event, Value};
use tripline_redact::{RedactionReport, Redactor};
use tripline_store::{Store, StoreError, StoreOptions, WriteBatch, WriteStats};

use detect::Detector;
use seal::Sealer;
use state::{Loaded, StateSync};

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

/// Stateful stages, behind one lock so engine state and stored events stay consistent.
struct Stages {
    detector: Detector,
    store: Option<Store>,
    sync: StateSync,
}

/// Detect, redact and store batches of normalized events.
pub struct Pipeline {
    stages: Mutex<Stages>,
    redactor: Redactor,
    sealer: Sealer,
}

/// How to build a [`Pipeline`].
pub struct PipelineOptions {
    /// The detector (rules, lists, engine options).
    pub detector: Detector,
    /// Where to store, or `None` for a detect-only pipeline (replay without `--data`).
    pub data_dir: Option<PathBuf>,
    pub store: StoreOptions,
    pub redactor: Redactor,
    /// Encrypts the engine state before it is stored (it holds raw evidence).
    pub sealer: Sealer,
}

impl Pipeline {
    /// Open the store (if any) and restore the detector's state from it.
    pub fn open(opts: PipelineOptions) -> anyhow::Result<Pipeline> {
        let PipelineOptions {
            mut detector,
            data_dir,
            store,
            redactor,
            sealer,
        } = opts;
        let mut sync = StateSync::default();
        let store = match data_dir {
            Some(dir) => {
                let mut s = Store::open(&dir, &store)
                    .with_context(|| format!("opening the store in {}", dir.display()))?;
                if sync.load(&s, &mut detector, &sealer)? == Loaded::Legacy {
                    let now = chrono::Utc::now().timestamp_millis();
                    sync.migrate(&mut s, &mut detector, &sealer, now)
                        .context("migrating the saved engine state to entries")?;
                    tracing::info!("migrated the saved engine state to incremental entries");
                }
                Some(s)
            }
            None => None,
        };
        Ok(Pipeline {
            stages: Mutex::new(Stages {
                detector,
                store,
                sync,
            }),
            redactor,
            sealer,
        })
    }

    /// Run one batch through detect → redact → store. Blocking; call from a blocking
    /// thread. Returns only after the store has committed (when there is a store).
    pub fn process_events(
        &self,
        mut events: Vec<Event>,
        ingest_time_ms: i64,
    ) -> Result<BatchOutcome, StoreError> {
        let received = tripline_store::format_ms(ingest_time_ms);
        for ev in &mut events {
            ev.insert_if_absent(names::RECEIVED_TIME, Value::Str(received.clone()));
        }
        let mut stages = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        let Stages {
            detector,
            store,
            sync,
        } = &mut *stages;

        // Exporters retry: events already stored were already detected on.
        let mut duplicates = 0;
        if let Some(store) = store.as_ref() {
            let ids: Vec<&str> = events.iter().filter_map(Event::id).collect();
            let seen = store.existing_event_ids(&ids)?;
            if !seen.is_empty() {
                let before = events.len();
                events.retain(|e| e.id().map_or(true, |id| !seen.contains(id)));
                duplicates = (before - events.len()) as u64;
            }
        }

        // Registries and conversation context become plain fields, then detection sees
        // the raw values.
        detector.enrich(&mut events);
        let mut alerts = detector.run(&events);
        let state_evictions = evictions_by_name(detector);

        // Nothing unredacted goes further.
        let mut redactions = RedactionReport::default();
        for ev in &mut events {
            redactions.merge(&self.redactor.redact_event(ev));
        }
        for alert in &mut alerts {
            redactions.merge(&self.redactor.redact_alert(alert));
        }

        let stored = match store.as_mut() {
            Some(store) => {
                // Only the state entries this batch changed, sealed one by one.
                let delta = match sync.delta(detector, &self.sealer) {
                    Ok(d) => d,
                    Err(e) => {
                        sync.roll_back(store, detector, &self.sealer);
                        return Err(StoreError::Io {
                            path: store.db_path(),
                            source: std::io::Error::other(e.to_string()),
                        });
                    }
                };
                let batch = WriteBatch {
                    events: &events,
                    alerts: &alerts,
                    state_entries: delta.changes(),
                    ingest_time_ms,
                    ..WriteBatch::default()
                };
                match store.write_batch(&batch) {
                    Ok(stats) => {
                        sync.committed(detector);
                        Some(stats)
                    }
                    Err(err) => {
                        // The batch is not acknowledged and will be retried: roll the
                        // engine back to the last committed state so it is not counted twice.
                        sync.roll_back(store, detector, &self.sealer);
                        return Err(err);
                    }
                }
            }
            None => {
                // Nothing to persist: keep the change tracking from growing.
                detector.engine_mut().mark_committed();
                detector.enricher_mut().mark_committed();
                None
            }
        };
        Ok(BatchOutcome {
            events,
            alerts,
            stored,
            duplicates,
            redactions,
            state_evictions,
        })
    }
}

impl Pipeline {
    /// From now on, append every stored event and alert revision to the store's sink
    /// outbox, in the batch's transaction (when sinks are configured).
    pub fn enable_outbox(&self) {
        let mut stages = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = stages.store.as_mut() {
            store.set_outbox(true);
        }
    }

    /// Re-read the list files and recompile the rules against them, keeping all streaming
    /// state. On error the running rules are unchanged.
    pub fn reload_lists(&self, set: &detect::RuleSet) -> anyhow::Result<()> {
        let mut stages = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        stages.detector.reload_lists(set)
    }
}

/// The engine's cap evictions since the last batch, by rule name (for `/metrics`).
fn evictions_by_name(detector: &mut Detector) -> Vec<(String, u64)> {
    let taken = detector.engine_mut().take_state_evictions();
    if taken.is_empty() {
        return Vec::new();
    }
    let rules = detector.engine().rules();
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
