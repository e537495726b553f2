//! Canonical field names. `docs/fields.md` is the reference for what each one holds.
//!
//! Attribute keys become canonical by replacing `.` with `_` ([`canonical`]); the names
//! below are the ones tripline itself sets or that stages rely on.

/// Stable content-derived event id (hex).
pub const ID: &str = "id";
/// Event time, RFC 3339 UTC with nanoseconds.
pub const TIME: &str = "time";
/// When the collector-side SDK observed the record (`observedTimeUnixNano`), RFC 3339.
pub const OBSERVED_TIME: &str = "observed_time";
/// When tripline received the batch, RFC 3339.
pub const RECEIVED_TIME: &str = "received_time";
/// `log`, `metric`, `span` or `span_event`.
pub const SIGNAL: &str = "signal";
/// `codex`, `claude_code`, `gemini_cli` or `unknown`.
pub const AGENT: &str = "agent";
/// Semantic event name (`event.name` attribute, else the OTLP `eventName` field; span
/// name for spans; metric name for metrics).
pub const EVENT_NAME: &str = "event_name";
/// The OTLP `LogRecord.eventName` field as sent (Codex puts a source location there).
pub const OTLP_EVENT_NAME: &str = "otlp_event_name";
/// The OTLP instrumentation scope's name.
pub const SCOPE_NAME: &str = "scope_name";
/// The OTLP instrumentation scope's version.
pub const SCOPE_VERSION: &str = "scope_version";
/// The log record's severity text.
pub const SEVERITY: &str = "severity";
/// The log record's numeric severity (1-24).
pub const SEVERITY_NUMBER: &str = "severity_number";
/// The trace id, hex.
pub const TRACE_ID: &str = "trace_id";
/// The span id, hex.
pub const SPAN_ID: &str = "span_id";
/// The parent span's id, hex.
pub const PARENT_SPAN_ID: &str = "parent_span_id";
/// The log record's body.
pub const BODY: &str = "body";
/// The ingest token's emitter name, when the receiver authenticated the batch.
pub const EMITTER: &str = "emitter";

// Spans.
/// The span's name.
pub const SPAN_NAME: &str = "span_name";
/// The span's kind (`internal`, `server`, `client`, ...).
pub const SPAN_KIND: &str = "span_kind";
/// The span's start time, RFC 3339.
pub const START_TIME: &str = "start_time";
/// The span's end time, RFC 3339.
pub const END_TIME: &str = "end_time";
/// The span's duration, milliseconds.
pub const DURATION_MS: &str = "duration_ms";
/// The span status code (`unset`, `ok`, `error`).
pub const STATUS_CODE: &str = "status_code";
/// The span status message.
pub const STATUS_MESSAGE: &str = "status_message";

// Metric data points.
/// The metric's name.
pub const METRIC_NAME: &str = "metric_name";
/// The metric's kind (`sum`, `gauge`, `histogram`, ...).
pub const METRIC_KIND: &str = "metric_kind";
/// The metric's unit.
pub const METRIC_UNIT: &str = "metric_unit";
/// The aggregation temporality of a sum or histogram (`delta`, `cumulative`).
pub const TEMPORALITY: &str = "temporality";
/// The data point's value (sums and gauges).
pub const VALUE: &str = "value";

// Identity fields that stages index or join on.
/// The agent's conversation or session id (Codex `conversation.id`).
pub const CONVERSATION_ID: &str = "conversation_id";
/// The host the agent runs on (resource `host.name`).
pub const HOST_NAME: &str = "host_name";
/// The signed-in user's email, when the agent exports it.
pub const USER_EMAIL: &str = "user_email";
/// The signed-in user's account id, when the agent exports it.
pub const USER_ACCOUNT_ID: &str = "user_account_id";
/// The resource's `service.name`.
pub const SERVICE_NAME: &str = "service_name";
/// The resource's `service.version`.
pub const SERVICE_VERSION: &str = "service_version";
/// The Codex surface that started the session (`codex_exec`, `codex_cli_rs`, ...).
pub const ORIGINATOR: &str = "originator";

/// Prefix under which a resource attribute is kept when a record attribute has the same key.
pub const RESOURCE_PREFIX: &str = "resource.";
/// Prefix for scope attributes.
pub const SCOPE_PREFIX: &str = "scope.";

/// The canonical name of an attribute key: dots become underscores.
pub fn canonical(key: &str) -> String {
    key.replace('.', "_")
}

#[cfg(test)]
mod tests {
    #[test]
    fn canonical_replaces_dots() {
        assert_eq!(super::canonical("conversation.id"), "conversation_id");
        assert_eq!(super::canonical("host_name"), "host_name");
    }
}
