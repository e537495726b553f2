//! The durable write: one thread that commits sealed groups in the order they were sealed,
//! one transaction (one fsync) per group, and answers each batch once it is durable.
//!
//! A failed commit fails that group and every group sealed after it (their state deltas
//! build on it): the writer takes the stage lock, so no leader seals more meanwhile, fails
//! whatever is queued, and rolls the analyzer back to the committed state entries. The
//! exporters retry, and the retried batches are detected on again from committed state.

use std::collections::HashSet;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;
use tripline_store::{Checkpointer, Store, StoreError, WriteBatch};

use super::group::Job;
use super::sealed_state::SealedDelta;
use super::{same_error, BatchOutcome, Shared};

/// A group ready for its commit.
pub(super) struct Sealed {
    pub jobs: Vec<Job>,
    /// each job's outcome, redacted
    pub outcomes: Vec<BatchOutcome>,
    /// each job's events as JSON (made by the leader, so the writer only writes)
    pub json: Vec<Vec<String>>,
    /// the engine and enrichment state entries the group changed
    pub delta: SealedDelta,
    /// the ids of the events the group stores (in flight until committed)
    pub ids: Vec<String>,
}

enum Msg {
    Group(Sealed),
    /// sealing failed: bring the analyzer back to what is committed
    RollBack,
}

/// Ids of events sealed into a group that is not committed yet, so a retry that arrives
/// meanwhile is still recognised as a duplicate.
#[derive(Default)]
pub(super) struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    /// Add to `seen` those of `ids` that are in flight.
    pub fn add_present(&self, ids: &[&str], seen: &mut HashSet<String>) {
        let set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if set.is_empty() {
            return;
        }
        seen.extend(
            ids.iter()
                .filter(|id| set.contains(**id))
                .map(|id| (*id).to_owned()),
        );
    }

    /// `ids` are handed to the writer.
    pub fn insert(&self, ids: &[String]) {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.extend(ids.iter().cloned());
    }

    /// `ids` are committed, or their group failed.
    fn remove(&self, ids: &[String]) {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            set.remove(id);
        }
    }
}

/// The writer thread and its queue.
pub(super) struct Writer {
    tx: Option<Sender<Msg>>,
    /// checkpoints the log off this thread's commits (dropped after the thread stops)
    _checkpointer: Checkpointer,
    store: Arc<Mutex<Store>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Start the thread; it owns the store's write connection.
    pub fn start(shared: Arc<Shared>, store: Store) -> anyhow::Result<Writer> {
        let (tx, rx) = channel();
        let checkpointer = Checkpointer::start(&store).context("starting the WAL checkpointer")?;
        let store = Arc::new(Mutex::new(store));
        let thread_store = Arc::clone(&store);
        let thread = std::thread::Builder::new()
            .name("tripline-writer".into())
            .spawn(move || run(&shared, &thread_store, &rx))
            .context("starting the store writer thread")?;
        Ok(Writer {
            tx: Some(tx),
            _checkpointer: checkpointer,
            store,
            thread: Some(thread),
        })
    }

    /// Queue a sealed group (the queue is bounded by the receivers' admission control:
    /// every group holds requests that are waiting for their answer).
    pub fn send(&self, group: Sealed) {
        if let Some(tx) = &self.tx {
            if let Err(back) = tx.send(Msg::Group(group)) {
                if let Msg::Group(g) = back.0 {
                    fail(g, &StoreError::Busy("the store writer has stopped".into()));
                }
            }
        }
    }

    /// Ask for a roll-back after the groups already queued.
    pub fn request_roll_back(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::RollBack);
        }
    }

    /// The write connection (tests look into the store through it).
    #[cfg(test)]
    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append stored events and alert revisions to the sink outbox from now on.
    pub fn enable_outbox(&self) {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_outbox(true);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue lets the thread finish what is queued and stop.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, store: &Mutex<Store>, rx: &Receiver<Msg>) {
    while let Ok(msg) = rx.recv() {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        match msg {
            Msg::Group(group) => {
                if let Err(e) = commit(shared, &mut store, group) {
                    roll_back(shared, &store, rx, &e);
                }
            }
            Msg::RollBack => {
                let e = StoreError::Busy("sealing the engine state failed".into());
                roll_back(shared, &store, rx, &e);
            }
        }
    }
}

/// Commit one group and answer its batches; on failure the group is answered with the
/// error and the error returned.
fn commit(shared: &Shared, store: &mut Store, group: Sealed) -> Result<(), StoreError> {
    let Sealed {
        jobs,
        mut outcomes,
        json,
        delta,
        ids,
    } = group;
    let mut batches: Vec<WriteBatch<'_>> = outcomes
        .iter()
        .zip(&jobs)
        .zip(&json)
        .map(|((out, job), json)| WriteBatch {
            events: &out.events,
            event_json: json,
            alerts: &out.alerts,
            ingest_time_ms: job.ingest_time_ms,
            ..WriteBatch::default()
        })
        .collect();
    if let Some(last) = batches.last_mut() {
        last.state_entries = delta.changes();
    }
    let result = store.write_batches(&batches);
    drop(batches);
    shared.in_flight.remove(&ids);
    match result {
        Ok(stats) => {
            for ((job, mut out), st) in jobs.into_iter().zip(outcomes.drain(..)).zip(stats) {
                out.stored = Some(st);
                job.answer(Ok(out));
            }
            Ok(())
        }
        Err(e) => {
            let path = store.db_path();
            for job in jobs {
                job.answer(Err(same_error(&e, &path)));
            }
            Err(e)
        }
    }
}

/// Fail every group queued behind a failed one and roll the analyzer back to the
/// committed state, holding the stage lock so no leader seals a group meanwhile.
fn roll_back(shared: &Shared, store: &Store, rx: &Receiver<Msg>, cause: &StoreError) {
    let mut stages = shared.stages.lock().unwrap_or_else(|p| p.into_inner());
    let path = store.db_path();
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Group(g) = msg {
            shared.in_flight.remove(&g.ids);
            fail(g, &same_error(cause, &path));
        }
    }
    let super::Stages { analyzer, sync, .. } = &mut *stages;
    sync.roll_back(store, analyzer, &shared.sealer);
}

fn fail(group: Sealed, e: &StoreError) {
    for job in group.jobs {
        job.answer(Err(same_error(e, std::path::Path::new(""))));
    }
}
