//! A decoded OTLP export request, whatever its encoding: the single input of
//! normalization.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::signal::OtlpSignal;

/// One export request as prost messages. Protobuf bodies decode straight into it; JSON
/// bodies are mapped onto it, so everything after decoding is one code path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Request {
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Traces(ExportTraceServiceRequest),
}

impl Request {
    /// The signal this request carries.
    pub(crate) fn signal(&self) -> OtlpSignal {
        match self {
            Request::Logs(_) => OtlpSignal::Logs,
            Request::Metrics(_) => OtlpSignal::Metrics,
            Request::Traces(_) => OtlpSignal::Traces,
        }
    }
}
