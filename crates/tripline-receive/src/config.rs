//! Listener settings. The binary's layered config maps onto these.

use std::net::SocketAddr;

use tripline_otlp::OtlpSignal;

use crate::auth::Auth;
use crate::tls::TlsConfig;

/// The OTLP-recommended body limit: 20 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// The OTLP/HTTP paths per signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpPaths {
    /// Default `/v1/logs`.
    pub logs: String,
    /// Default `/v1/metrics`.
    pub metrics: String,
    /// Default `/v1/traces`.
    pub traces: String,
}

impl Default for HttpPaths {
    fn default() -> Self {
        HttpPaths {
            logs: OtlpSignal::Logs.http_path().to_string(),
            metrics: OtlpSignal::Metrics.http_path().to_string(),
            traces: OtlpSignal::Traces.http_path().to_string(),
        }
    }
}

impl HttpPaths {
    /// The signal served at `path` (a trailing `/` is ignored).
    pub fn signal_for(&self, path: &str) -> Option<OtlpSignal> {
        let trimmed = path.trim_end_matches('/');
        OtlpSignal::ALL
            .into_iter()
            .find(|s| self.path(*s).trim_end_matches('/') == trimmed)
    }

    /// The path configured for `signal`.
    pub fn path(&self, signal: OtlpSignal) -> &str {
        match signal {
            OtlpSignal::Logs => &self.logs,
            OtlpSignal::Metrics => &self.metrics,
            OtlpSignal::Traces => &self.traces,
        }
    }
}

/// OTLP/HTTP listener settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Where to listen; port 0 picks a free port. Default `127.0.0.1:4318`.
    pub addr: SocketAddr,
    /// Export paths.
    pub paths: HttpPaths,
    /// The largest body accepted, both as read from the wire and after decompression.
    pub max_body_bytes: usize,
    /// Sender authentication (off by default). `/healthz` and `/readyz` stay open.
    pub auth: Auth,
    /// Serve HTTPS instead of plain HTTP (off by default).
    pub tls: Option<TlsConfig>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            paths: HttpPaths::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            auth: Auth::default(),
            tls: None,
        }
    }
}

/// OTLP/gRPC listener settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcConfig {
    /// Where to listen; port 0 picks a free port. Default `127.0.0.1:4317`.
    pub addr: SocketAddr,
    /// The largest export message accepted after decompression.
    pub max_message_bytes: usize,
    /// Sender authentication (off by default), read from request metadata.
    pub auth: Auth,
    /// Serve gRPC over TLS instead of plaintext HTTP/2 (off by default).
    pub tls: Option<TlsConfig>,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            max_message_bytes: DEFAULT_MAX_BODY_BYTES,
            auth: Auth::default(),
            tls: None,
        }
    }
}
