//! Group commit: batches that arrive while a group is being processed queue here and go
//! together as the next group, in arrival order, in one store transaction.
//!
//! Whoever holds the pipeline's stage lock is the group's leader: it takes every queued
//! batch, processes them in order and answers each one before it releases the lock. A
//! batch whose submitter gets the lock after that finds its answer waiting; otherwise it is
//! still queued and the submitter leads the next group.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use tripline_event::Event;
use tripline_store::StoreError;

use super::BatchOutcome;

type Answer = Result<BatchOutcome, StoreError>;

/// One submitted batch.
pub(super) struct Job {
    events: Vec<Event>,
    /// when the batch was received, unix ms
    pub ingest_time_ms: i64,
    reply: SyncSender<Answer>,
}

/// Where a submitter waits for its batch's answer.
pub(super) struct Waiting(Receiver<Answer>);

impl Job {
    /// A job and the handle its submitter waits on.
    pub fn new(events: Vec<Event>, ingest_time_ms: i64) -> (Job, Waiting) {
        let (reply, rx) = sync_channel(1);
        let job = Job {
            events,
            ingest_time_ms,
            reply,
        };
        (job, Waiting(rx))
    }

    /// The batch's events (the job keeps none).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Move the events out for processing.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Give the submitter its answer.
    pub fn answer(self, answer: Answer) {
        // The submitter waits until it gets the answer; it cannot be gone.
        let _ = self.reply.send(answer);
    }
}

impl Waiting {
    /// The answer, if an earlier group already processed the batch.
    pub fn ready(&self) -> Option<Answer> {
        self.0.try_recv().ok()
    }

    /// Block until the answer arrives.
    pub fn wait(self) -> Answer {
        self.0.recv().unwrap_or_else(|_| {
            Err(StoreError::Busy(
                "the batch was dropped without an answer".into(),
            ))
        })
    }
}

/// The batches waiting for the next group.
#[derive(Default)]
pub(super) struct Queue(Mutex<Vec<Job>>);

impl Queue {
    /// Queue a batch.
    pub fn push(&self, job: Job) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(job);
    }

    /// Every queued batch, oldest first.
    pub fn take(&self) -> Vec<Job> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
