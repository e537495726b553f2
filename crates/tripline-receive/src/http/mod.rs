//! OTLP/HTTP receiver (axum): `POST` export bodies, `GET /healthz`, `GET /readyz`,
//! `GET /metrics` (when a [`MetricsSource`] is given). Over TLS when configured (HTTP/1.1 and
//! HTTP/2 offered by ALPN).
//!
//! Status codes: 200 (with `partial_success` as the [`crate::Ack`] says), 400 invalid, 404
//! unknown path, 405 wrong method (`Allow`), 413 body over the limit (on the wire or after
//! decompression), 415 unsupported `Content-Type` or `Content-Encoding`, 429/503 with
//! `Retry-After`, 500. Error bodies are `google.rpc.Status`, JSON for JSON requests.

mod body;
mod handler;
mod reply;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::HttpConfig;
use crate::ingest::Ingest;
use crate::metrics::MetricsSource;
use crate::tls::accept::{Peer, TlsListener};
use crate::tls::Loaded;

/// Protocols offered to TLS clients, preferred first.
const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// A readiness flag the caller controls; `GET /readyz` answers 200 only while it is set.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// A flag that starts unset (not ready).
    pub fn new() -> Readiness {
        Readiness::default()
    }

    /// Set or clear readiness.
    pub fn set_ready(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Shared by every request of one listener.
pub(crate) struct HttpState {
    pub(crate) cfg: HttpConfig,
    pub(crate) ingest: Arc<dyn Ingest>,
    pub(crate) readiness: Readiness,
    pub(crate) metrics: Option<Arc<dyn MetricsSource>>,
}

/// A bound, not yet serving, OTLP/HTTP listener.
pub struct HttpServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    readiness: Readiness,
    tls: Option<Loaded>,
}

/// Bind the OTLP/HTTP listener at `cfg.addr` (port 0 picks a free port).
pub async fn bind_http(cfg: &HttpConfig, ingest: Arc<dyn Ingest>) -> crate::Result<HttpServer> {
    bind_http_with_metrics(cfg, ingest, None).await
}

/// [`bind_http`], also serving `GET /metrics` from `metrics`. With `cfg.tls`, the
/// certificate and key are read here, so a bad file fails the bind.
pub async fn bind_http_with_metrics(
    cfg: &HttpConfig,
    ingest: Arc<dyn Ingest>,
    metrics: Option<Arc<dyn MetricsSource>>,
) -> crate::Result<HttpServer> {
    let tls = Loaded::load(cfg.tls.as_ref(), ALPN)?;
    let (listener, local_addr) = crate::listen(cfg.addr).await?;
    let readiness = Readiness::new();
    let state = Arc::new(HttpState {
        cfg: cfg.clone(),
        ingest,
        readiness: readiness.clone(),
        metrics,
    });
    let router = Router::new().fallback(handler::handle).with_state(state);
    Ok(HttpServer {
        listener,
        local_addr,
        router,
        readiness,
        tls,
    })
}

impl HttpServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serve `routes` under `path` on this listener (same address, same TLS), ahead of the
    /// OTLP handler. The caller's routes do their own authentication: ingest tokens apply
    /// to the OTLP paths only.
    pub fn nest(&mut self, path: &str, routes: Router) {
        let otlp = std::mem::take(&mut self.router);
        self.router = otlp.nest(path, routes);
    }

    /// The readiness flag behind `GET /readyz` (starts not ready).
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Serve until `shutdown` completes, then stop accepting and wait for in-flight requests
    /// to finish.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Some(tls) = self.tls else {
            return axum::serve(self.listener, self.router)
                .with_graceful_shutdown(shutdown)
                .await;
        };
        let listener = TlsListener(tls.accept(self.listener, "OTLP/HTTP"));
        let service = self.router.into_make_service_with_connect_info::<Peer>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
