//! TLS for both listeners (rustls with the ring provider), with optional client certificates
//! (mTLS).
//!
//! [`TlsConfig`] names the PEM files; [`TlsConfig::server_config`] reads and checks them,
//! with errors that name the file. The listeners run their own accept loop
//! ([`accept::spawn`]): each handshake runs in its own task under a time limit, so a slow or
//! hostile client never holds up the others, and every failed handshake is counted. A verified
//! client certificate names the sender ([`identity::client_name`]), the way an ingest token
//! does.

pub(crate) mod accept;
mod identity;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use identity::client_name;

/// TLS settings shared by the HTTP and gRPC listeners. Clones share the handshake-failure
/// counter.
#[derive(Clone)]
pub struct TlsConfig {
    /// PEM file with the server certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM file with the CA certificates that client certificates must chain to. `None`:
    /// clients are not asked for a certificate.
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: refuse clients without a valid certificate (mTLS). When `false`, a
    /// certificate is optional, but one that is sent must be valid.
    pub require_client_cert: bool,
    handshake_failures: Arc<AtomicU64>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("client_ca", &self.client_ca)
            .field("require_client_cert", &self.require_client_cert)
            .finish()
    }
}

impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        self.cert == other.cert
            && self.key == other.key
            && self.client_ca == other.client_ca
            && self.require_client_cert == other.require_client_cert
    }
}

impl Eq for TlsConfig {}

/// A TLS file that cannot be used, or a certificate and key that do not fit together.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file is missing, unreadable, or holds nothing usable.
    #[error("TLS {role} {}: {reason}", path.display())]
    File {
        /// Which setting: `certificate file`, `private key file`, `client CA file`.
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the combination (e.g. a key that does not match the certificate).
    #[error("TLS certificate {} with key {}: {reason}", cert.display(), key.display())]
    Setup {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        reason: String,
    },
}

impl TlsConfig {
    /// TLS with this certificate chain and key, without client certificates.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsConfig {
        TlsConfig {
            cert: cert.into(),
            key: key.into(),
            client_ca: None,
            require_client_cert: true,
            handshake_failures: Arc::default(),
        }
    }

    /// Also verify client certificates against the CAs in `ca`; `required` makes them
    /// mandatory (mTLS).
    pub fn with_client_ca(mut self, ca: impl Into<PathBuf>, required: bool) -> TlsConfig {
        self.client_ca = Some(ca.into());
        self.require_client_cert = required;
        self
    }

    /// Whether every client must present a valid certificate: then the TLS layer itself
    /// authenticates senders.
    pub fn authenticates_clients(&self) -> bool {
        self.client_ca.is_some() && self.require_client_cert
    }

    /// Handshakes that failed so far (plaintext clients, missing or untrusted client
    /// certificates, timeouts).
    pub fn handshake_failures(&self) -> u64 {
        self.handshake_failures.load(Ordering::Relaxed)
    }

    pub(crate) fn count_failure(&self) {
        self.handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Read the files and build the rustls server configuration offering `alpn` (in order
    /// of preference).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let setup = |e: &dyn fmt::Display| TlsError::Setup {
            cert: self.cert.clone(),
            key: self.key.clone(),
            reason: e.to_string(),
        };
        let chain = read_certs(&self.cert, "certificate file")?;
        let key = read_key(&self.key)?;
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| setup(&e))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let ca_error = |reason: String| TlsError::File {
                    role: "client CA file",
                    path: ca.clone(),
                    reason,
                };
                let mut roots = RootCertStore::empty();
                for cert in read_certs(ca, "client CA file")? {
                    roots
                        .add(cert)
                        .map_err(|e| ca_error(format!("not a usable CA certificate: {e}")))?;
                }
                let mut verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                if !self.require_client_cert {
                    verifier = verifier.allow_unauthenticated();
                }
                let verifier = verifier.build().map_err(|e| ca_error(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| setup(&e))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// A listener's TLS setup, read and checked at bind time.
pub(crate) struct Loaded {
    config: TlsConfig,
    server: Arc<ServerConfig>,
}

impl Loaded {
    /// Read `config`'s files (if TLS is on) for a listener offering `alpn`.
    pub(crate) fn load(
        config: Option<&TlsConfig>,
        alpn: &[&[u8]],
    ) -> Result<Option<Loaded>, TlsError> {
        config
            .map(|config| {
                Ok(Loaded {
                    server: config.server_config(alpn)?,
                    config: config.clone(),
                })
            })
            .transpose()
    }

    /// Start the accept loop on `listener` ([`accept::spawn`]); `what` names it in logs.
    pub(crate) fn accept(
        self,
        listener: TcpListener,
        what: &'static str,
    ) -> mpsc::Receiver<accept::TlsConn> {
        accept::spawn(listener, self.server, self.config, what)
    }
}

/// Every certificate in a PEM file; at least one.
fn read_certs(path: &Path, role: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let error = |reason: String| TlsError::File {
        role,
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| error(format!("cannot read: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(error(
            "holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

/// The first private key in a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let error = |reason: String| TlsError::File {
        role: "private key file",
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| error(format!("cannot read: {e}")))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => error(
            "holds no PEM private key (expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
                .into(),
        ),
        other => error(format!("not valid PEM: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named() {
        let cfg = TlsConfig::new("/nonexistent/cert.pem", "/nonexistent/key.pem");
        let err = cfg.server_config(&[b"h2"]).unwrap_err().to_string();
        assert!(
            err.contains("certificate file /nonexistent/cert.pem") && err.contains("cannot read"),
            "{err}"
        );
    }

    #[test]
    fn mtls_needs_a_required_client_ca() {
        let plain = TlsConfig::new("c", "k");
        assert!(!plain.authenticates_clients());
        assert!(plain
            .clone()
            .with_client_ca("ca", true)
            .authenticates_clients());
        assert!(!plain.with_client_ca("ca", false).authenticates_clients());
    }

    #[test]
    fn clones_share_the_failure_counter() {
        let a = TlsConfig::new("c", "k");
        let b = a.clone();
        a.count_failure();
        assert_eq!(b.handshake_failures(), 1);
        assert_eq!(a, b);
    }
}
