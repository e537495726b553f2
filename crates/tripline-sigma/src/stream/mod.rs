//! Streams of JSON Lines through an [`crate::Engine`]: the fast ingestion path.
//!
//! * [`line`]: one line into an [`tripline_event::Event`], either whole (the regular path)
//!   or projected onto the keys the compiled rules read ([`crate::Detector::projection`]),
//!   skipping every other value with a SIMD JSON scanner.
//! * `scan`: the fastest projection, for flat object lines: a `memchr` walk that records
//!   where each kept value is and decodes it when a rule reads it (no event is built for
//!   a line nothing matches), and `FlatLine`, a matched line kept as evidence.
//! * [`run`]: many lines on N threads. Workers parse and evaluate the stateless
//!   detection part of chunks of lines in parallel; one ordered stage applies the rare
//!   matches to correlation, first-seen and suppression state in input order, so the
//!   outputs are exactly those of a single [`crate::Engine::process`] loop, for any
//!   thread count and any group-by.

pub mod line;
pub mod run;
pub(crate) mod scan;

pub use line::{parse_full, LineParser};
pub use run::{run_events, run_jsonl, StreamError, StreamOptions};
