//! The one seam between delivery and destinations: the [`Sink`] trait and the [`Record`]
//! it carries.
//!
//! A sink only talks to its destination. Queueing, retries, dead-lettering, filtering,
//! per-sink redaction and formatting all happen before [`Sink::send`] (in the delivery
//! layer), so every sink gets records that are already redacted and already formatted.

use std::time::Duration;

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// An alert revision.
    Alert,
    /// A normalized, redacted event.
    Event,
    /// A raw-tier payload (only for sinks marked `admin = true`).
    Raw,
}

impl RecordKind {
    /// The name used in `receive = [...]`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Alert => "alert",
            RecordKind::Event => "event",
            RecordKind::Raw => "raw",
        }
    }
}

/// One record on its way to a sink: redacted, formatted, with a stable identity.
///
/// `(id, revision)` is the downstream deduplication key: delivery is at least once, and a
/// redelivered record carries the same pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Alert, event or raw payload.
    pub kind: RecordKind,
    /// Alert id, event id, or raw payload id.
    pub id: String,
    /// Alert revision; always 1 for events and raw payloads.
    pub revision: u64,
    /// Event time (alerts: time of the last contributing event), unix milliseconds.
    pub time_ms: i64,
    /// `codex`, `claude_code`, `gemini_cli`, or `unknown`.
    pub agent: String,
    /// The record in the sink's configured format (native, OCSF or ECS).
    pub body: serde_json::Value,
}

/// Why a send failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying (connection refused, timeout, HTTP 429/5xx). `retry_after` is the
    /// destination's hint, when it gave one.
    #[error("{message}")]
    Retry {
        /// What went wrong.
        message: String,
        /// The destination's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
    /// Retrying will not help (HTTP 400, a mapping error): the record goes to the
    /// dead-letter file at once.
    #[error("{message}")]
    /// A failure that retrying cannot fix.
    Fatal {
        /// What went wrong.
        message: String,
    },
}

impl SendError {
    /// A retryable failure.
    pub fn retry(message: impl Into<String>) -> SendError {
        SendError::Retry {
            message: message.into(),
            retry_after: None,
        }
    }
    /// A failure that retrying cannot fix.
    pub fn fatal(message: impl Into<String>) -> SendError {
        SendError::Fatal {
            message: message.into(),
        }
    }
    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retry { .. })
    }
}

/// The result of a send that reached the destination.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Records of the batch the destination refused, by index into the batch (for
    /// destinations with per-item status, such as Elasticsearch `_bulk`). Empty means all
    /// were accepted.
    pub failed: Vec<(usize, SendError)>,
}

impl Outcome {
    /// Every record of the batch was delivered.
    pub fn all_delivered() -> Outcome {
        Outcome::default()
    }
}

/// A destination. Implementations are blocking and run on their sink's own worker thread,
/// so a slow destination never blocks detection.
pub trait Sink: Send {
    /// The configured sink name.
    fn name(&self) -> &str;
    /// The sink type as written in config (`file`, `webhook`, ...).
    fn kind(&self) -> &'static str;
    /// Deliver one batch. `Err` means nothing in the batch is known to be delivered (the
    /// whole batch is retried or dead-lettered); `Ok` may still list refused records.
    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError>;
    /// Make everything sent so far durable at the destination (close or roll files).
    /// Called before the delivery cursor is committed and at shutdown.
    fn flush(&mut self) -> Result<(), SendError> {
        Ok(())
    }
}

/// What a sink type's `build` function gets besides its own options.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The sink's configured name.
    pub name: String,
    /// The data directory; sinks that write files default to `<data_dir>/sinks/<name>`.
    pub data_dir: std::path::PathBuf,
}

/// A sink-type-specific configuration error, naming the sink and the field.
#[derive(Debug, thiserror::Error)]
#[error("sink {sink:?} (type {kind}): {message}")]
pub struct BuildError {
    /// The sink's name.
    pub sink: String,
    /// The sink's type.
    pub kind: &'static str,
    /// What is wrong, naming the option.
    pub message: String,
}

/// Parse a sink type's options table into its config struct (which should use
/// `#[serde(deny_unknown_fields)]`), with an error naming the sink and the field.
pub fn parse_options<T: serde::de::DeserializeOwned>(
    ctx: &BuildContext,
    kind: &'static str,
    options: &toml::Table,
) -> Result<T, BuildError> {
    toml::Value::Table(options.clone())
        .try_into::<T>()
        .map_err(|e| BuildError {
            sink: ctx.name.clone(),
            kind,
            message: e.message().to_string(),
        })
}
