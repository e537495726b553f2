//! Optional sender authentication: a shared secret per emitter, sent as
//! `Authorization: Bearer <secret>` (or as the whole value of a custom header). The matching
//! token's emitter name is attached to every [`crate::Request`]. Comparison is constant-time
//! per token and every token is compared, so timing does not reveal which one nearly matched.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::tls::TlsConfig;

/// One accepted secret and the emitter it identifies.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// Name recorded as [`crate::Request::emitter`].
    pub emitter: String,
    /// The shared secret.
    pub secret: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("emitter", &self.emitter)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Authentication settings shared by the HTTP and gRPC listeners. With no tokens,
/// authentication is off and every request is accepted with no emitter.
///
/// Clones share the failure counter.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    /// The header carrying the secret, lower case. Empty or `authorization` means
    /// `Authorization: Bearer <secret>`; any other header carries the bare secret.
    pub header: String,
    /// Accepted secrets.
    pub tokens: Vec<Token>,
    failures: Arc<AtomicU64>,
}

impl PartialEq for Auth {
    fn eq(&self, other: &Self) -> bool {
        self.header == other.header && self.tokens == other.tokens
    }
}

impl Eq for Auth {}

/// Why a request was not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials were sent.
    #[error("missing credentials")]
    Missing,
    /// Credentials were sent but match no token.
    #[error("invalid credentials")]
    Invalid,
}

impl Auth {
    /// Authentication with these tokens, read from `Authorization: Bearer`.
    pub fn bearer(tokens: Vec<Token>) -> Auth {
        Auth {
            header: String::new(),
            tokens,
            failures: Arc::default(),
        }
    }

    /// Whether any token is configured.
    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// The header name to read, lower case.
    pub fn header_name(&self) -> &str {
        if self.header.is_empty() {
            "authorization"
        } else {
            &self.header
        }
    }

    /// Requests refused so far (missing or invalid credentials).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Check the value of [`Auth::header_name`] (if sent). `Ok(None)` when authentication
    /// is off, `Ok(Some(emitter))` on a match; failures are counted.
    pub fn verify(&self, header_value: Option<&[u8]>) -> Result<Option<String>, AuthError> {
        if !self.enabled() {
            return Ok(None);
        }
        let result = self.match_token(header_value);
        if result.is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        result.map(Some)
    }

    fn match_token(&self, header_value: Option<&[u8]>) -> Result<String, AuthError> {
        let value = header_value.ok_or(AuthError::Missing)?;
        let secret = if self.header_name() == "authorization" {
            strip_bearer(value).ok_or(AuthError::Invalid)?
        } else {
            value
        };
        if secret.is_empty() {
            return Err(AuthError::Missing);
        }
        let mut found: Option<&Token> = None;
        for token in &self.tokens {
            if ct_eq(token.secret.as_bytes(), secret) && found.is_none() {
                found = Some(token);
            }
        }
        found.map(|t| t.emitter.clone()).ok_or(AuthError::Invalid)
    }
}

/// Listening beyond loopback without authentication was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("refusing to listen on {addr} without authentication: configure ingest tokens ([auth] tokens) or mTLS ([tls] client_ca with require_client_cert), bind to 127.0.0.1, or pass --insecure")]
pub struct UnprotectedBind {
    /// The address asked for.
    pub addr: SocketAddr,
}

/// Refuse a non-loopback listen address unless senders must authenticate (tokens, or TLS
/// with required client certificates) or `insecure` is set. TLS alone encrypts but
/// authenticates nobody, so it does not count. Call before [`crate::bind_http`] /
/// [`crate::bind_grpc`].
pub fn check_exposure(
    addr: SocketAddr,
    auth: &Auth,
    tls: Option<&TlsConfig>,
    insecure: bool,
) -> Result<(), UnprotectedBind> {
    let mtls = tls.is_some_and(TlsConfig::authenticates_clients);
    if addr.ip().is_loopback() || auth.enabled() || mtls || insecure {
        Ok(())
    } else {
        Err(UnprotectedBind { addr })
    }
}

/// The credentials after a case-insensitive `Bearer ` scheme.
fn strip_bearer(value: &[u8]) -> Option<&[u8]> {
    let scheme = b"bearer ";
    if value.len() < scheme.len() || !value[..scheme.len()].eq_ignore_ascii_case(scheme) {
        return None;
    }
    Some(value[scheme.len()..].trim_ascii())
}

/// Constant-time equality for equal lengths (a length mismatch returns early: lengths are
/// not secret).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::bearer(vec![
            Token {
                emitter: "laptop".into(),
                secret: "s3cret-one".into(),
            },
            Token {
                emitter: "ci".into(),
                secret: "s3cret-two".into(),
            },
        ])
    }

    #[test]
    fn off_without_tokens() {
        assert_eq!(Auth::default().verify(None), Ok(None));
    }

    #[test]
    fn bearer_tokens_name_the_emitter() {
        let a = auth();
        assert_eq!(a.verify(Some(b"Bearer s3cret-two")), Ok(Some("ci".into())));
        assert_eq!(
            a.verify(Some(b"bearer  s3cret-one ")),
            Ok(Some("laptop".into()))
        );
        assert_eq!(a.failures(), 0);
    }

    #[test]
    fn failures_are_refused_and_counted() {
        let a = auth();
        assert_eq!(a.verify(None), Err(AuthError::Missing));
        assert_eq!(a.verify(Some(b"Bearer nope")), Err(AuthError::Invalid));
        assert_eq!(
            a.verify(Some(b"s3cret-one")),
            Err(AuthError::Invalid),
            "scheme required"
        );
        assert_eq!(a.verify(Some(b"Bearer s3cret-on")), Err(AuthError::Invalid));
        assert_eq!(a.clone().failures(), 4, "clones share the counter");
    }

    #[test]
    fn custom_header_carries_the_bare_secret() {
        let mut a = auth();
        a.header = "x-tripline-token".into();
        assert_eq!(a.header_name(), "x-tripline-token");
        assert_eq!(a.verify(Some(b"s3cret-one")), Ok(Some("laptop".into())));
    }

    #[test]
    fn exposure_needs_loopback_tokens_mtls_or_insecure() {
        let lo: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:4318".parse().unwrap();
        let v6lo: SocketAddr = "[::1]:4318".parse().unwrap();
        let none = Auth::default();
        assert!(check_exposure(lo, &none, None, false).is_ok());
        assert!(check_exposure(v6lo, &none, None, false).is_ok());
        assert_eq!(
            check_exposure(any, &none, None, false),
            Err(UnprotectedBind { addr: any })
        );
        assert!(check_exposure(any, &auth(), None, false).is_ok());
        assert!(check_exposure(any, &none, None, true).is_ok());

        let tls = TlsConfig::new("cert.pem", "key.pem");
        assert_eq!(
            check_exposure(any, &none, Some(&tls), false),
            Err(UnprotectedBind { addr: any }),
            "TLS without client certificates authenticates nobody"
        );
        let optional = tls.clone().with_client_ca("ca.pem", false);
        assert!(
            check_exposure(any, &none, Some(&optional), false).is_err(),
            "optional client certificates let anyone in"
        );
        let mtls = tls.with_client_ca("ca.pem", true);
        assert!(check_exposure(any, &none, Some(&mtls), false).is_ok());
    }

    #[test]
    fn debug_hides_secrets() {
        assert!(!format!("{:?}", auth()).contains("s3cret"));
    }
}
