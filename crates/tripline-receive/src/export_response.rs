//! The success body of an export: `Export{Logs,Metrics,Trace}ServiceResponse`, with
//! `partial_success` when the [`Ack`] asks for it, as protobuf or OTLP JSON.

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use serde_json::{json, Map, Value};
use tripline_otlp::{Encoding, OtlpSignal};

use crate::ingest::Ack;

/// The response message for `signal`, encoded as `encoding`.
pub fn encode(signal: OtlpSignal, ack: &Ack, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => encode_protobuf(signal, ack),
        Encoding::Json => encode_json(signal, ack),
    }
}

/// The response as protobuf.
pub fn encode_protobuf(signal: OtlpSignal, ack: &Ack) -> Vec<u8> {
    let rejected = i64::try_from(ack.rejected).unwrap_or(i64::MAX);
    let error_message = ack.message.clone().unwrap_or_default();
    let partial = ack.is_partial();
    match signal {
        OtlpSignal::Logs => ExportLogsServiceResponse {
            partial_success: partial.then_some(ExportLogsPartialSuccess {
                rejected_log_records: rejected,
                error_message,
            }),
        }
        .encode_to_vec(),
        OtlpSignal::Metrics => ExportMetricsServiceResponse {
            partial_success: partial.then_some(ExportMetricsPartialSuccess {
                rejected_data_points: rejected,
                error_message,
            }),
        }
        .encode_to_vec(),
        OtlpSignal::Traces => ExportTraceServiceResponse {
            partial_success: partial.then_some(ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message,
            }),
        }
        .encode_to_vec(),
    }
}

/// The JSON field naming the rejected count for `signal`.
fn rejected_field(signal: OtlpSignal) -> &'static str {
    match signal {
        OtlpSignal::Logs => "rejectedLogRecords",
        OtlpSignal::Metrics => "rejectedDataPoints",
        OtlpSignal::Traces => "rejectedSpans",
    }
}

/// The response in the OTLP JSON mapping: `{}` or
/// `{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"..."}}` (64-bit integers as
/// decimal strings, default values omitted).
pub fn encode_json(signal: OtlpSignal, ack: &Ack) -> Vec<u8> {
    let mut root = Map::new();
    if ack.is_partial() {
        let mut partial = Map::new();
        if ack.rejected > 0 {
            partial.insert(
                rejected_field(signal).to_string(),
                Value::String(ack.rejected.to_string()),
            );
        }
        if let Some(msg) = ack.message.as_deref().filter(|m| !m.is_empty()) {
            partial.insert("errorMessage".to_string(), json!(msg));
        }
        root.insert("partialSuccess".to_string(), Value::Object(partial));
    }
    Value::Object(root).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_success_is_empty() {
        assert_eq!(encode_json(OtlpSignal::Logs, &Ack::ok()), b"{}");
        assert!(encode_protobuf(OtlpSignal::Traces, &Ack::ok()).is_empty());
    }

    #[test]
    fn partial_success_names_the_signal_field() {
        let ack = Ack {
            rejected: 3,
            message: Some("bad".into()),
        };
        let v: Value = serde_json::from_slice(&encode_json(OtlpSignal::Metrics, &ack)).unwrap();
        assert_eq!(v["partialSuccess"]["rejectedDataPoints"], "3");
        assert_eq!(v["partialSuccess"]["errorMessage"], "bad");
        let pb = ExportTraceServiceResponse::decode(&encode_protobuf(OtlpSignal::Traces, &ack)[..])
            .unwrap();
        assert_eq!(pb.partial_success.unwrap().rejected_spans, 3);
    }
}
