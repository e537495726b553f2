//! OTLP/JSON request bodies → the same prost messages protobuf decodes into.
//!
//! Follows the OTLP/JSON mapping rather than plain proto3 JSON: lowerCamelCase keys,
//! trace/span ids as case-insensitive hex, 64-bit integers as numbers or strings, enums as
//! integers (names accepted too), `null` anywhere meaning "unset", unknown keys ignored.

mod common;
mod fields;
mod logs;
mod metrics;
mod scalars;
mod traces;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde::Deserialize;

use crate::error::DecodeError;
use crate::request::Request;
use crate::signal::OtlpSignal;

/// Any of the three export requests; which key is present says the signal.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JRequest {
    resource_logs: Option<Vec<logs::JResourceLogs>>,
    resource_metrics: Option<Vec<metrics::JResourceMetrics>>,
    resource_spans: Option<Vec<traces::JResourceSpans>>,
}

fn parse(signal: OtlpSignal, body: &[u8]) -> Result<JRequest, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|e| DecodeError::Utf8 {
        signal,
        offset: e.valid_up_to(),
    })?;
    serde_json::from_str(text).map_err(|e| DecodeError::Json {
        signal,
        line: e.line(),
        column: e.column(),
        detail: strip_position(&e.to_string()),
    })
}

/// serde_json appends " at line L column C"; the error carries them separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Decode an OTLP/JSON `Export*ServiceRequest` for `signal`. Keys of other signals are
/// ignored (a logs body without `resourceLogs` decodes to an empty request).
pub(crate) fn decode(signal: OtlpSignal, body: &[u8]) -> Result<Request, DecodeError> {
    let req = parse(signal, body)?;
    Ok(into_request(signal, req))
}

/// Decode an OTLP/JSON request whose signal is told by its top-level key. `Ok(None)` when
/// the document is a JSON object without any `resource*` key (for example a flattened event).
pub(crate) fn decode_any(body: &[u8]) -> Result<Option<Request>, DecodeError> {
    // The signal named in an error message is a guess from the first `resource*` key.
    let req = parse(OtlpSignal::Logs, body).map_err(|e| e.with_signal(guess_signal(body)))?;
    let signal = if req.resource_logs.is_some() {
        OtlpSignal::Logs
    } else if req.resource_metrics.is_some() {
        OtlpSignal::Metrics
    } else if req.resource_spans.is_some() {
        OtlpSignal::Traces
    } else {
        return Ok(None);
    };
    Ok(Some(into_request(signal, req)))
}

/// The signal whose top-level key appears first in the text (logs when none does).
fn guess_signal(body: &[u8]) -> OtlpSignal {
    let find = |key: &[u8]| body.windows(key.len()).position(|w| w == key);
    [
        (b"\"resourceLogs\"".as_slice(), OtlpSignal::Logs),
        (b"\"resourceMetrics\"".as_slice(), OtlpSignal::Metrics),
        (b"\"resourceSpans\"".as_slice(), OtlpSignal::Traces),
    ]
    .into_iter()
    .filter_map(|(k, s)| find(k).map(|pos| (pos, s)))
    .min_by_key(|(pos, _)| *pos)
    .map_or(OtlpSignal::Logs, |(_, s)| s)
}

fn into_request(signal: OtlpSignal, req: JRequest) -> Request {
    match signal {
        OtlpSignal::Logs => Request::Logs(ExportLogsServiceRequest {
            resource_logs: req
                .resource_logs
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }),
        OtlpSignal::Metrics => Request::Metrics(ExportMetricsServiceRequest {
            resource_metrics: req
                .resource_metrics
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }),
        OtlpSignal::Traces => Request::Traces(ExportTraceServiceRequest {
            resource_spans: req
                .resource_spans
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_self_describing_lines_name_the_right_signal() {
        let err = decode_any(br#"{"resourceMetrics":[{"scopeMetrics":[{]}]}"#).unwrap_err();
        assert!(err.to_string().contains("metrics JSON"), "{err}");
        assert_eq!(
            guess_signal(br#"{"resourceSpans":[], "x":"resourceLogs"}"#),
            OtlpSignal::Traces
        );
        assert_eq!(guess_signal(b"{}"), OtlpSignal::Logs);
    }
}
