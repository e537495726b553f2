//! OTLP/gRPC receiver (tonic): the `Export` method of the logs, metrics and trace services,
//! gzip and zstd accepted, with a decompressed message size limit. Over TLS when configured
//! (ALPN `h2`).

mod codec;
mod service;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::config::GrpcConfig;
use crate::ingest::Ingest;
use crate::tls::{accept, Loaded};
use service::{ExportService, Logs, Metrics, Shared, Traces};

/// gRPC needs HTTP/2, and gRPC clients insist on negotiating it.
const ALPN: &[&[u8]] = &[b"h2"];

/// A bound, not yet serving, OTLP/gRPC listener.
pub struct GrpcServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<Loaded>,
}

/// Bind the OTLP/gRPC listener at `cfg.addr` (port 0 picks a free port). With `cfg.tls`,
/// the certificate and key are read here, so a bad file fails the bind.
pub async fn bind_grpc(cfg: &GrpcConfig, ingest: Arc<dyn Ingest>) -> crate::Result<GrpcServer> {
    let tls = Loaded::load(cfg.tls.as_ref(), ALPN)?;
    let (listener, local_addr) = crate::listen(cfg.addr).await?;
    let shared = Arc::new(Shared {
        ingest,
        auth: cfg.auth.clone(),
        max_message_bytes: cfg.max_message_bytes,
    });
    Ok(GrpcServer {
        listener,
        local_addr,
        shared,
        tls,
    })
}

impl GrpcServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serve until `shutdown` completes, then stop accepting and wait for in-flight calls
    /// to finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = Server::builder()
            .add_service(ExportService::<Logs>::new(self.shared.clone()))
            .add_service(ExportService::<Metrics>::new(self.shared.clone()))
            .add_service(ExportService::<Traces>::new(self.shared));
        let served = match self.tls {
            None => {
                let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
                router
                    .serve_with_incoming_shutdown(incoming, shutdown)
                    .await
            }
            Some(tls) => {
                let conns = tls.accept(self.listener, "OTLP/gRPC");
                router
                    .serve_with_incoming_shutdown(accept::incoming(conns), shutdown)
                    .await
            }
        };
        served.map_err(std::io::Error::other)
    }
}
