//! Which OTLP export a payload is, and how it is encoded. Shared by receivers, replay and
//! the decoder.

use std::fmt;

/// The OTLP signal of an export request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OtlpSignal {
    /// `/v1/logs`, `ExportLogsServiceRequest`.
    Logs,
    /// `/v1/metrics`, `ExportMetricsServiceRequest`.
    Metrics,
    /// `/v1/traces`, `ExportTraceServiceRequest`.
    Traces,
}

impl OtlpSignal {
    /// Every signal, in the order reports list them.
    pub const ALL: [OtlpSignal; 3] = [OtlpSignal::Logs, OtlpSignal::Metrics, OtlpSignal::Traces];

    /// `logs`, `metrics` or `traces`.
    pub fn as_str(self) -> &'static str {
        match self {
            OtlpSignal::Logs => "logs",
            OtlpSignal::Metrics => "metrics",
            OtlpSignal::Traces => "traces",
        }
    }

    /// The OTLP/HTTP path: `/v1/logs`, `/v1/metrics`, `/v1/traces`.
    pub fn http_path(self) -> &'static str {
        match self {
            OtlpSignal::Logs => "/v1/logs",
            OtlpSignal::Metrics => "/v1/metrics",
            OtlpSignal::Traces => "/v1/traces",
        }
    }

    /// Parse `logs`/`metrics`/`traces` (also accepts `log`, `metric`, `trace`, `spans`).
    pub fn parse(s: &str) -> Option<OtlpSignal> {
        match s.to_ascii_lowercase().as_str() {
            "logs" | "log" => Some(OtlpSignal::Logs),
            "metrics" | "metric" => Some(OtlpSignal::Metrics),
            "traces" | "trace" | "spans" => Some(OtlpSignal::Traces),
            _ => None,
        }
    }

    /// The gRPC package segment: `logs`, `metrics`, `trace` (singular for traces).
    fn grpc_package(self) -> &'static str {
        match self {
            OtlpSignal::Logs => "logs",
            OtlpSignal::Metrics => "metrics",
            OtlpSignal::Traces => "trace",
        }
    }

    /// The signal named by an OTLP/HTTP path or a gRPC method path
    /// (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`).
    pub fn from_path(path: &str) -> Option<OtlpSignal> {
        let path = path.trim_end_matches('/');
        OtlpSignal::ALL.into_iter().find(|s| {
            path == s.http_path()
                || path.starts_with(&format!(
                    "/opentelemetry.proto.collector.{}.v1.",
                    s.grpc_package()
                ))
        })
    }
}

impl fmt::Display for OtlpSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an OTLP payload is encoded (after any content decompression).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl Encoding {
    /// The encoding for an HTTP `Content-Type` (parameters such as `charset` ignored).
    pub fn from_content_type(ct: &str) -> Option<Encoding> {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    /// The `Content-Type` of a body in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_signals() {
        assert_eq!(OtlpSignal::from_path("/v1/logs"), Some(OtlpSignal::Logs));
        assert_eq!(
            OtlpSignal::from_path("/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
            Some(OtlpSignal::Traces)
        );
        assert_eq!(
            OtlpSignal::from_path(
                "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
            ),
            Some(OtlpSignal::Metrics)
        );
        assert_eq!(OtlpSignal::from_path("/v1/nope"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }
}
