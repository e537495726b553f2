//! OTLP receivers, transport only.
//!
//! [`bind_http`] serves OTLP/HTTP (`POST /v1/{logs,metrics,traces}`, protobuf or JSON, gzip or
//! zstd) and [`bind_grpc`] serves OTLP/gRPC (`.../{Logs,Metrics,Trace}Service/Export`). Both
//! enforce a decompressed size limit, then hand the raw export message to an [`Ingest`] and
//! turn its [`Ack`] or [`IngestError`] into the answer the OTLP specification prescribes.
//! They know nothing about decoding, rules or storage.
//!
//! Optional [`Auth`] (bearer token or custom header, per emitter) names the sender of each
//! [`Request`]; [`check_exposure`] refuses non-loopback listeners without it or mTLS.
//! Optional [`TlsConfig`] serves both listeners over TLS (rustls), with optional client
//! certificates whose name tags the sender like a token does.

mod auth;
mod config;
mod decompress;
mod export_response;
pub mod grpc;
pub mod http;
mod ingest;
mod metrics;
pub mod rpc_status;
mod tls;

pub use auth::{check_exposure, Auth, AuthError, Token, UnprotectedBind};
pub use config::{GrpcConfig, HttpConfig, HttpPaths, DEFAULT_MAX_BODY_BYTES};
pub use grpc::{bind_grpc, GrpcServer};
pub use http::{bind_http, bind_http_with_metrics, HttpServer, Readiness};
pub use ingest::{retry_after_secs, Ack, Ingest, IngestError, Request, Transport};
pub use metrics::MetricsSource;
pub use tls::{TlsConfig, TlsError};
pub use tripline_otlp::{Encoding, OtlpSignal};

/// Errors from binding a listener.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Io {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate, key or client CA cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// `Result` with a [`BindError`].
pub type Result<T, E = BindError> = std::result::Result<T, E>;

/// Bind a TCP listener at `addr` (port 0 picks a free port) and return it with the address
/// actually bound. Shared by both receivers.
pub(crate) async fn listen(
    addr: std::net::SocketAddr,
) -> Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let io = |source| BindError::Io { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(io)?;
    let local = listener.local_addr().map_err(io)?;
    Ok((listener, local))
}
