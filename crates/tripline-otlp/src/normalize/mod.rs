//! Flattening of decoded OTLP requests into canonical events. One code path for every
//! encoding: it works on prost messages only. `docs/fields.md` is the reference for the
//! fields produced here.

mod agent;
pub mod agent_layer;
mod builder;
pub mod coerce;
mod context;
mod logs;
mod metrics;
mod time;
mod traces;
mod values;

use std::fmt;

use tripline_event::Event;

pub use builder::ATTRIBUTE_PREFIX;

use crate::limits::Limits;
use crate::request::Request;
use crate::Decoded;
use tripline_event::id::IdAllocator;
use values::LimitError;

/// A protobuf message's encoding, written into the id allocator's reused buffer
/// ([`IdAllocator::digest`]).
fn encoded<M: prost::Message>(m: &M) -> impl FnOnce(&mut Vec<u8>) + '_ {
    move |buf| m.encode(buf).expect("a Vec grows to fit any message")
}

/// State while flattening one request.
pub(crate) struct Batch<'a> {
    limits: &'a Limits,
    events: Vec<Event>,
    rejected: u64,
    first_reject: Option<String>,
    ids: IdAllocator,
}

impl<'a> Batch<'a> {
    fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            events: Vec::new(),
            rejected: 0,
            first_reject: None,
            ids: IdAllocator::default(),
        }
    }

    /// Count `count` records as rejected; remember the first reason for the message.
    fn reject(&mut self, what: fmt::Arguments, err: &LimitError, count: u64) {
        if count == 0 {
            return;
        }
        self.rejected += count;
        if self.first_reject.is_none() {
            self.first_reject = Some(format!("{what}: {err}"));
        }
    }

    fn finish(self) -> Decoded {
        let reject_message = self.first_reject.map(|first| {
            if self.rejected > 1 {
                format!("{} records rejected; first: {first}", self.rejected)
            } else {
                format!("1 record rejected: {first}")
            }
        });
        Decoded {
            events: self.events,
            rejected: self.rejected,
            reject_message,
        }
    }
}

/// Flatten a decoded request into events. The request is consumed: attribute keys and
/// values move into the events instead of being copied.
pub(crate) fn normalize(mut req: Request, limits: &Limits) -> Decoded {
    let mut batch = Batch::new(limits);
    match &mut req {
        Request::Logs(r) => logs::normalize(r, &mut batch),
        Request::Metrics(r) => metrics::normalize(r, &mut batch),
        Request::Traces(r) => traces::normalize(r, &mut batch),
    }
    batch.finish()
}
