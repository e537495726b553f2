//! Output formats and sinks for tripline alerts and events.
//!
//! * [`sink`]: the [`Sink`] trait and the [`Record`] every sink receives.
//! * [`registry`]: sink types by config name; one module per type.
//! * [`ocsf`]: OCSF Detection Finding (class_uid 2004) for alerts.
//! * [`http_client`]: the one HTTP client of the HTTP sinks, and how answers map to
//!   retry or fatal.
//!
//! Everything handed to this crate is already redacted.

pub mod http_client;
pub mod ocsf;
pub mod registry;
pub mod sink;

pub mod archive;
pub mod elasticsearch;
pub mod file;
pub mod otlp;
pub mod parquet;
pub mod splunk_hec;
pub mod stdout;
pub mod syslog;
pub mod webhook;

pub use sink::{BuildContext, BuildError, Outcome, Record, RecordKind, SendError, Sink};
