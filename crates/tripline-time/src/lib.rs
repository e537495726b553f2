//! Time as tripline's config, store and sinks write it.
//!
//! * [`duration`]: humane durations (`30d`, `12h`, `1h30m`, `500ms`) and TTLs (`never`),
//!   parsed and rendered one way everywhere.
//! * [`rfc3339`]: RFC 3339 text to Unix milliseconds and back.
//!
//! No I/O and no clock: callers pass the times in.

pub mod duration;
pub mod rfc3339;

pub use duration::{format_duration, parse_duration, parse_ttl, DurationError};
pub use rfc3339::{format_ms, parse_rfc3339_ms};
