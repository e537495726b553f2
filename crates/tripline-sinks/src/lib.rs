//! Output formats and sinks for tripline alerts and events.
//!
//! * [`sink`]: the [`Sink`] trait and the [`Record`] every sink receives.
//! * [`registry`]: sink types by config name; one module per type.
//! * [`record_fields`]: well-known fields (rule, level, host, ...) lifted out of a formatted
//!   body, for sinks with a fixed layout (syslog, Parquet).
//! * [`http_client`]: the one HTTP client of the HTTP sinks, and how answers map to
//!   retry or fatal.
//! * [`spec`]: the common `[[sinks]]` fields ([`SinkSpec`]) and their checks.
//! * [`format`]: native, OCSF (`format/ocsf/`) and ECS bodies of the records.
//! * [`delivery`]: the per-sink worker: outbox cursor, retries, dead-letter, stats.
//! * [`segment`]: rotating JSON Lines segments (the `file` and `archive` sinks).
//!
//! Everything handed to this crate is already redacted.

pub mod delivery;
pub mod format;
pub mod http_client;
pub mod record_fields;
pub mod registry;
pub mod segment;
pub mod sink;
pub mod spec;

pub mod archive;
pub mod elasticsearch;
pub mod file;
pub mod otlp;
pub mod parquet;
pub mod splunk_hec;
pub mod stdout;
pub mod syslog;
pub mod webhook;

pub use format::Format;
pub use sink::{BuildContext, BuildError, Outcome, Record, RecordKind, SendError, Sink};
pub use spec::{SinkSpec, SpecError};
