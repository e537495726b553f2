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
pub const SCOPE_NAME: &str = "scope_name";
pub const SCOPE_VERSION: &str = "scope_version";
pub const SEVERITY: &str = "severity";
pub const SEVERITY_NUMBER: &str = "severity_number";
pub const TRACE_ID: &str = "trace_id";
pub const SPAN_ID: &str = "span_id";
pub const PARENT_SPAN_ID: &str = "parent_span_id";
pub const BODY: &str = "body";
/// The ingest token's emitter name, when the receiver authenticated the batch.
pub const EMITTER: &str = "emitter";

// Spans.
pub const SPAN_NAME: &str = "span_name";
pub const SPAN_KIND: &str = "span_kind";
pub const START_TIME: &str = "start_time";
pub const END_TIME: &str = "end_time";
pub const DURATION_MS: &str = "duration_ms";
pub const STATUS_CODE: &str = "status_code";
pub const STATUS_MESSAGE: &str = "status_message";

// Metric data points.
pub const METRIC_NAME: &str = "metric_name";
pub const METRIC_KIND: &str = "metric_kind";
pub const METRIC_UNIT: &str = "metric_unit";
pub const TEMPORALITY: &str = "temporality";
pub const VALUE: &str = "value";

// Identity fields that stages index or join on.
pub const CONVERSATION_ID: &str = "conversation_id";
pub const HOST_NAME: &str = "host_name";
pub const USER_EMAIL: &str = "user_email";
pub const USER_ACCOUNT_ID: &str = "user_account_id";
pub const SERVICE_NAME: &str = "service_name";
pub const SERVICE_VERSION: &str = "service_version";
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
