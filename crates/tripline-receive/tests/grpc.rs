//! OTLP/gRPC receiver over loopback with the generated tonic clients.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{loopback, shutdown_pair, Recorder, Running};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic::Code;
use tripline_receive::rpc_status::RpcStatus;
use tripline_receive::{bind_grpc, Ack, Encoding, GrpcConfig, IngestError, OtlpSignal, Transport};

const LOGS_PB: &[u8] = include_bytes!("fixtures/codex-logs.pb");

struct Server {
    running: Running,
    ingest: Arc<Recorder>,
    channel: Channel,
}

async fn start(max_message_bytes: usize) -> Server {
    let ingest = Recorder::new();
    let cfg = GrpcConfig {
        addr: loopback(),
        max_message_bytes,
        ..GrpcConfig::default()
    };
    let server = bind_grpc(&cfg, ingest.clone()).await.expect("bind");
    let addr = server.local_addr();
    let (stop, shutdown) = shutdown_pair();
    let task = tokio::spawn(server.serve(shutdown));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    Server {
        running: Running {
            addr,
            stop: Some(stop),
            task,
        },
        ingest,
        channel,
    }
}

fn log_request(body: &str) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(body.to_string())),
                    }),
                    attributes: vec![KeyValue {
                        key: "event.name".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(
                                "codex.tool_decision".into(),
                            )),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[tokio::test]
async fn exports_of_each_signal_arrive_as_raw_protobuf() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;

    let logs = ExportLogsServiceRequest::decode(LOGS_PB).expect("fixture decodes");
    let resp = LogsServiceClient::new(s.channel.clone())
        .export(logs.clone())
        .await
        .expect("logs export");
    assert!(resp.into_inner().partial_success.is_none());
    let req = s.ingest.last();
    assert_eq!(
        (req.signal, req.encoding, req.transport),
        (OtlpSignal::Logs, Encoding::Protobuf, Transport::Grpc)
    );
    assert!(
        req.content_type.starts_with("application/grpc"),
        "{}",
        req.content_type
    );
    assert_eq!(
        ExportLogsServiceRequest::decode(req.body.clone()).unwrap(),
        logs
    );

    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "codex.turn.e2e_duration_ms".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    MetricsServiceClient::new(s.channel.clone())
        .export(metrics.clone())
        .await
        .expect("metrics export");
    let req = s.ingest.last();
    assert_eq!(req.signal, OtlpSignal::Metrics);
    assert_eq!(
        ExportMetricsServiceRequest::decode(req.body.clone()).unwrap(),
        metrics
    );

    let traces = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    name: "session_task.turn".into(),
                    trace_id: vec![7; 16],
                    span_id: vec![9; 8],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    TraceServiceClient::new(s.channel.clone())
        .export(traces.clone())
        .await
        .expect("traces export");
    let req = s.ingest.last();
    assert_eq!(req.signal, OtlpSignal::Traces);
    assert_eq!(
        ExportTraceServiceRequest::decode(req.body.clone()).unwrap(),
        traces
    );
    assert_eq!(s.ingest.count(), 3);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn gzip_and_zstd_compressed_exports_are_decompressed() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let sent = log_request(&"compressible ".repeat(1000));
    for (encoding, name) in [
        (CompressionEncoding::Gzip, "gzip"),
        (CompressionEncoding::Zstd, "zstd"),
    ] {
        let mut client = LogsServiceClient::new(s.channel.clone()).send_compressed(encoding);
        client
            .export(sent.clone())
            .await
            .unwrap_or_else(|e| panic!("{name} export: {e}"));
        let req = s.ingest.last();
        assert_eq!(req.content_encoding.as_deref(), Some(name));
        assert_eq!(
            ExportLogsServiceRequest::decode(req.body.clone()).unwrap(),
            sent
        );
    }
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn partial_success_is_returned() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.answer(Ok(Ack {
        rejected: 4,
        message: Some("4 spans had no trace id".into()),
    }));
    let resp = TraceServiceClient::new(s.channel.clone())
        .export(ExportTraceServiceRequest::default())
        .await
        .unwrap()
        .into_inner();
    let partial = resp.partial_success.expect("partial_success set");
    assert_eq!(partial.rejected_spans, 4);
    assert_eq!(partial.error_message, "4 spans had no trace id");
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversize_message_is_resource_exhausted_without_retry_info() {
    let limit = 4096;
    let s = start(limit).await;
    let big = log_request(&"x".repeat(limit * 2));
    let err = LogsServiceClient::new(s.channel.clone())
        .export(big.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("too large"), "{}", err.message());
    let no_retry = RpcStatus::decode(err.details())
        .map(|d| d.retry_info().is_none())
        .unwrap_or(true);
    assert!(no_retry, "oversize is not retryable");
    assert_eq!(s.ingest.count(), 0);

    // Compressed below the limit but over it once inflated.
    let err = LogsServiceClient::new(s.channel.clone())
        .send_compressed(CompressionEncoding::Gzip)
        .export(big)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(s.ingest.count(), 0);

    // The listener keeps serving.
    LogsServiceClient::new(s.channel.clone())
        .export(log_request("small"))
        .await
        .expect("small export");
    assert_eq!(s.ingest.count(), 1);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn ingest_errors_map_to_grpc_codes_with_retry_info_when_retryable() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let mut client = LogsServiceClient::new(s.channel.clone());

    s.ingest.answer(Err(IngestError::Overloaded {
        retry_after: Duration::from_secs(2),
    }));
    let err = client.export(log_request("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    let details = RpcStatus::decode(err.details()).expect("details are a google.rpc.Status");
    assert_eq!(
        details.retry_info().and_then(|r| r.delay()),
        Some(Duration::from_secs(2))
    );

    s.ingest.answer(Err(IngestError::Unavailable {
        retry_after: Duration::from_millis(750),
        reason: "disk full".into(),
    }));
    let err = client.export(log_request("b")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(err.message().contains("disk full"), "{}", err.message());
    let details = RpcStatus::decode(err.details()).unwrap();
    assert_eq!(
        details.retry_info().and_then(|r| r.delay()),
        Some(Duration::from_millis(750))
    );

    for (answer, code) in [
        (IngestError::Invalid("bad".into()), Code::InvalidArgument),
        (
            IngestError::TooLarge("too many records".into()),
            Code::ResourceExhausted,
        ),
        (IngestError::Internal("bug".into()), Code::Internal),
    ] {
        s.ingest.answer(Err(answer));
        let err = client.export(log_request("c")).await.unwrap_err();
        assert_eq!(err.code(), code);
        assert!(RpcStatus::decode(err.details())
            .unwrap()
            .retry_info()
            .is_none());
    }

    s.ingest.answer(Ok(Ack::ok()));
    client
        .export(log_request("d"))
        .await
        .expect("still serving");
    assert_eq!(s.ingest.count(), 6);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_drains_in_flight_calls() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.delay(Duration::from_millis(400));
    let mut client = LogsServiceClient::new(s.channel.clone());
    let in_flight =
        tokio::spawn(async move { client.export(log_request("slow")).await.map(|_| ()) });
    while s.ingest.count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let Server {
        running, channel, ..
    } = s;
    let stopped = tokio::spawn(running.shutdown());
    in_flight
        .await
        .unwrap()
        .expect("in-flight call is answered");
    drop(channel);
    stopped.await.unwrap().unwrap();
}
