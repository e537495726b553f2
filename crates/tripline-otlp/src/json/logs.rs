//! OTLP/JSON logs → prost.

use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use serde::Deserialize;

use super::common::{attributes, JAnyValue, JKeyValue, JResource, JScope};
use super::fields;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JResourceLogs {
    resource: Option<JResource>,
    #[serde(deserialize_with = "fields::list")]
    scope_logs: Vec<JScopeLogs>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JScopeLogs {
    scope: Option<JScope>,
    #[serde(deserialize_with = "fields::list")]
    log_records: Vec<JLogRecord>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JLogRecord {
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    observed_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::severity")]
    severity_number: i32,
    #[serde(deserialize_with = "fields::string")]
    severity_text: String,
    body: Option<JAnyValue>,
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
    #[serde(deserialize_with = "fields::id")]
    trace_id: Vec<u8>,
    #[serde(deserialize_with = "fields::id")]
    span_id: Vec<u8>,
    #[serde(deserialize_with = "fields::string")]
    event_name: String,
}

impl From<JResourceLogs> for ResourceLogs {
    fn from(r: JResourceLogs) -> Self {
        ResourceLogs {
            resource: r.resource.map(Into::into),
            scope_logs: r.scope_logs.into_iter().map(Into::into).collect(),
            schema_url: r.schema_url,
        }
    }
}

impl From<JScopeLogs> for ScopeLogs {
    fn from(s: JScopeLogs) -> Self {
        ScopeLogs {
            scope: s.scope.map(Into::into),
            log_records: s.log_records.into_iter().map(Into::into).collect(),
            schema_url: s.schema_url,
        }
    }
}

impl From<JLogRecord> for LogRecord {
    fn from(l: JLogRecord) -> Self {
        LogRecord {
            time_unix_nano: l.time_unix_nano,
            observed_time_unix_nano: l.observed_time_unix_nano,
            severity_number: l.severity_number,
            severity_text: l.severity_text,
            body: l.body.map(Into::into),
            attributes: attributes(l.attributes),
            dropped_attributes_count: l.dropped_attributes_count,
            flags: l.flags,
            trace_id: l.trace_id,
            span_id: l.span_id,
            event_name: l.event_name,
        }
    }
}
