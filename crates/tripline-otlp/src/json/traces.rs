//! OTLP/JSON traces → prost.

use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde::Deserialize;

use super::common::{attributes, JKeyValue, JResource, JScope};
use super::fields;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JResourceSpans {
    resource: Option<JResource>,
    #[serde(deserialize_with = "fields::list")]
    scope_spans: Vec<JScopeSpans>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JScopeSpans {
    scope: Option<JScope>,
    #[serde(deserialize_with = "fields::list")]
    spans: Vec<JSpan>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JSpan {
    #[serde(deserialize_with = "fields::id")]
    trace_id: Vec<u8>,
    #[serde(deserialize_with = "fields::id")]
    span_id: Vec<u8>,
    #[serde(deserialize_with = "fields::string")]
    trace_state: String,
    #[serde(deserialize_with = "fields::id")]
    parent_span_id: Vec<u8>,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
    #[serde(deserialize_with = "fields::string")]
    name: String,
    #[serde(deserialize_with = "fields::span_kind")]
    kind: i32,
    #[serde(deserialize_with = "fields::u64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    end_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
    #[serde(deserialize_with = "fields::list")]
    events: Vec<JEvent>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_events_count: u32,
    #[serde(deserialize_with = "fields::list")]
    links: Vec<JLink>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_links_count: u32,
    status: Option<JStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JEvent {
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::string")]
    name: String,
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JLink {
    #[serde(deserialize_with = "fields::id")]
    trace_id: Vec<u8>,
    #[serde(deserialize_with = "fields::id")]
    span_id: Vec<u8>,
    #[serde(deserialize_with = "fields::string")]
    trace_state: String,
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JStatus {
    #[serde(deserialize_with = "fields::string")]
    message: String,
    #[serde(deserialize_with = "fields::status_code")]
    code: i32,
}

impl From<JResourceSpans> for ResourceSpans {
    fn from(r: JResourceSpans) -> Self {
        ResourceSpans {
            resource: r.resource.map(Into::into),
            scope_spans: r.scope_spans.into_iter().map(Into::into).collect(),
            schema_url: r.schema_url,
        }
    }
}

impl From<JScopeSpans> for ScopeSpans {
    fn from(s: JScopeSpans) -> Self {
        ScopeSpans {
            scope: s.scope.map(Into::into),
            spans: s.spans.into_iter().map(Into::into).collect(),
            schema_url: s.schema_url,
        }
    }
}

impl From<JSpan> for Span {
    fn from(s: JSpan) -> Self {
        Span {
            trace_id: s.trace_id,
            span_id: s.span_id,
            trace_state: s.trace_state,
            parent_span_id: s.parent_span_id,
            flags: s.flags,
            name: s.name,
            kind: s.kind,
            start_time_unix_nano: s.start_time_unix_nano,
            end_time_unix_nano: s.end_time_unix_nano,
            attributes: attributes(s.attributes),
            dropped_attributes_count: s.dropped_attributes_count,
            events: s
                .events
                .into_iter()
                .map(|e| span::Event {
                    time_unix_nano: e.time_unix_nano,
                    name: e.name,
                    attributes: attributes(e.attributes),
                    dropped_attributes_count: e.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: s.dropped_events_count,
            links: s
                .links
                .into_iter()
                .map(|l| span::Link {
                    trace_id: l.trace_id,
                    span_id: l.span_id,
                    trace_state: l.trace_state,
                    attributes: attributes(l.attributes),
                    dropped_attributes_count: l.dropped_attributes_count,
                    flags: l.flags,
                })
                .collect(),
            dropped_links_count: s.dropped_links_count,
            status: s.status.map(|st| Status {
                message: st.message,
                code: st.code,
            }),
        }
    }
}
