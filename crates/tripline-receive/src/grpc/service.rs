//! One tower service per OTLP export service (`LogsService`, `MetricsService`,
//! `TraceService`), built on `tonic::server::Grpc` with [`BytesCodec`].

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use prost::Message;
use tonic::body::Body;
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Status};
use tripline_otlp::{Encoding, OtlpSignal};

use super::codec::BytesCodec;
use crate::auth::Auth;
use crate::export_response;
use crate::ingest::{Ingest, Request, Transport};
use crate::rpc_status::RpcStatus;
use crate::tls::accept::Peer;

type HttpRequest = tonic::codegen::http::Request<Body>;
type HttpResponse = tonic::codegen::http::Response<Body>;

/// Names one OTLP export service.
pub(crate) trait ExportKind: Send + Sync + 'static {
    /// The fully qualified service name.
    const NAME: &'static str;
    /// The signal it carries.
    const SIGNAL: OtlpSignal;
}

/// `opentelemetry.proto.collector.logs.v1.LogsService`.
pub(crate) struct Logs;
/// `opentelemetry.proto.collector.metrics.v1.MetricsService`.
pub(crate) struct Metrics;
/// `opentelemetry.proto.collector.trace.v1.TraceService`.
pub(crate) struct Traces;

impl ExportKind for Logs {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const SIGNAL: OtlpSignal = OtlpSignal::Logs;
}
impl ExportKind for Metrics {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const SIGNAL: OtlpSignal = OtlpSignal::Metrics;
}
impl ExportKind for Traces {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const SIGNAL: OtlpSignal = OtlpSignal::Traces;
}

/// What every export service shares.
pub(crate) struct Shared {
    pub(crate) ingest: Arc<dyn Ingest>,
    pub(crate) auth: Auth,
    pub(crate) max_message_bytes: usize,
}

/// The tower service for one export kind.
pub(crate) struct ExportService<K> {
    shared: Arc<Shared>,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for ExportService<K> {
    fn clone(&self) -> Self {
        ExportService {
            shared: self.shared.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: ExportKind> ExportService<K> {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        ExportService {
            shared,
            kind: PhantomData,
        }
    }
}

impl<K: ExportKind> NamedService for ExportService<K> {
    const NAME: &'static str = K::NAME;
}

impl<K: ExportKind> tower::Service<HttpRequest> for ExportService<K> {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<HttpResponse, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            if req
                .uri()
                .path()
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(K::NAME))
                != Some("/Export")
            {
                return Ok(
                    Status::unimplemented(format!("unknown method {}", req.uri().path()))
                        .into_http(),
                );
            }
            let header = req
                .headers()
                .get(shared.auth.header_name())
                .map(|v| v.as_bytes());
            let emitter = match shared.auth.verify(header) {
                // A token names the sender; without tokens, a verified client certificate does.
                Ok(emitter) => emitter.or_else(|| {
                    req.extensions()
                        .get::<Peer>()
                        .and_then(|peer| peer.name.clone())
                }),
                Err(e) => {
                    tracing::debug!(error = %e, "OTLP/gRPC export refused: not authenticated");
                    return Ok(Status::unauthenticated(e.to_string()).into_http());
                }
            };
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            accept.enable(CompressionEncoding::Zstd);
            let mut grpc = Grpc::new(BytesCodec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(shared.max_message_bytes), None);
            let unary = ExportUnary {
                shared,
                signal: K::SIGNAL,
                emitter,
            };
            Ok(resource_exhausted_for_oversize(
                grpc.unary(unary, req).await,
            ))
        })
    }
}

/// tonic reports a message over `max_decoding_message_size` as `OUT_OF_RANGE`; OTLP wants
/// `RESOURCE_EXHAUSTED` (not retryable without `RetryInfo`). Rewrite that one status.
fn resource_exhausted_for_oversize(resp: HttpResponse) -> HttpResponse {
    match Status::from_header_map(resp.headers()) {
        Some(s)
            if s.code() == Code::OutOfRange && s.message().contains("message length too large") =>
        {
            Status::resource_exhausted(s.message().to_string()).into_http()
        }
        _ => resp,
    }
}

/// The unary handler: bytes in, `Ingest`, export response bytes out.
struct ExportUnary {
    shared: Arc<Shared>,
    signal: OtlpSignal,
    emitter: Option<String>,
}

impl UnaryService<Bytes> for ExportUnary {
    type Response = Bytes;
    type Future = BoxFuture<'static, Result<tonic::Response<Bytes>, Status>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let ingest = self.shared.ingest.clone();
        let signal = self.signal;
        let emitter = self.emitter.clone();
        let meta = request.metadata();
        let content_type = meta
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/grpc");
        let content_type = content_type.to_string();
        let content_encoding = meta
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = request.into_inner();
        Box::pin(async move {
            let req = Request {
                signal,
                encoding: Encoding::Protobuf,
                body,
                transport: Transport::Grpc,
                content_type,
                content_encoding,
                emitter,
                received_at: chrono::Utc::now(),
            };
            match ingest.ingest(req).await {
                Ok(ack) => Ok(tonic::Response::new(Bytes::from(
                    export_response::encode_protobuf(signal, &ack),
                ))),
                Err(err) => {
                    tracing::debug!(signal = signal.as_str(), error = %err, "OTLP/gRPC export refused");
                    let details = RpcStatus::from_ingest_error(&err).encode_to_vec();
                    Err(Status::with_details(
                        err.grpc_code(),
                        err.to_string(),
                        Bytes::from(details),
                    ))
                }
            }
        })
    }
}
