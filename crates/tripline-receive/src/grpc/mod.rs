//! OTLP/gRPC receiver (tonic): the `Export` method of the logs, metrics and trace services,
//! gzip and zstd accepted, with a decompressed message size limit.

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
use service::{ExportService, Logs, Metrics, Shared, Traces};

/// A bound, not yet serving, OTLP/gRPC listener.
pub struct GrpcServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// Bind the OTLP/gRPC listener at `cfg.addr` (port 0 picks a free port).
pub async fn bind_grpc(cfg: &GrpcConfig, ingest: Arc<dyn Ingest>) -> crate::Result<GrpcServer> {
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
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        Server::builder()
            .add_service(ExportService::<Logs>::new(self.shared.clone()))
            .add_service(ExportService::<Metrics>::new(self.shared.clone()))
            .add_service(ExportService::<Traces>::new(self.shared))
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
            .map_err(std::io::Error::other)
    }
}
