//! The one HTTP client the HTTP sinks (`webhook`, `splunk_hec`, `elasticsearch`, `otlp`)
//! share: a blocking `ureq` agent with timeouts and rustls, the `timeout` / `tls` options
//! every HTTP sink accepts, secrets read from the config or the environment, and the
//! mapping from an HTTP answer to [`SendError`].
//!
//! Classification, for every HTTP sink:
//! * transport failures (refused, reset, timeout, DNS, TLS handshake) → `Retry`;
//! * 2xx → delivered;
//! * 408, 425, 429 and every 5xx → `Retry`, with the `Retry-After` hint (seconds or an
//!   HTTP date) when the destination sent one;
//! * every other status (400, 401, 403, 404, 413, 3xx, ...) → `Fatal`: sending the same
//!   bytes again gives the same answer.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::sink::{BuildContext, BuildError, SendError};

/// Default total time for one request (connect, send, answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of an answer body is read at most (error texts, bulk item lists).
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// How much of an answer body an error message quotes.
const QUOTE_BYTES: usize = 300;

/// The `tls` table of an HTTP sink.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsOptions {
    /// PEM file with the CA certificate(s) to trust instead of the built-in Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate. For testing only: it defeats TLS.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// An HTTP answer, read in full.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The response body.
    pub body: Vec<u8>,
    /// The `Retry-After` hint, already parsed.
    pub retry_after: Option<Duration>,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The start of the body as text, for error messages.
    pub fn quote(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(QUOTE_BYTES) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_owned(),
        }
    }

    /// `Ok` for 2xx; otherwise the [`SendError`] this status means (see the module docs).
    pub fn check(&self, what: &str) -> Result<(), SendError> {
        if self.is_success() {
            return Ok(());
        }
        Err(self.error(what))
    }

    /// The [`SendError`] for a non-2xx answer.
    pub fn error(&self, what: &str) -> SendError {
        let message = format!("{what}: HTTP {}: {}", self.status, self.quote());
        if status_is_retryable(self.status) {
            SendError::Retry {
                message,
                retry_after: self.retry_after,
            }
        } else {
            SendError::Fatal { message }
        }
    }
}

/// Whether an HTTP status is worth retrying: 408, 425, 429 and every 5xx.
pub fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..600).contains(&status)
}

/// Parse a `Retry-After` value: delay seconds, or an HTTP date (a date in the past means
/// "now", zero).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let ms = (at.with_timezone(&chrono::Utc) - now)
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(ms as u64))
}

/// One blocking client per sink (connections are pooled and reused).
pub struct HttpClient {
    agent: ureq::Agent,
}

impl HttpClient {
    /// A client from a sink's `timeout` option (default [`DEFAULT_TIMEOUT`], zero refused)
    /// and its TLS options: what every HTTP sink's `build` starts with.
    pub fn from_options(
        ctx: &BuildContext,
        kind: &'static str,
        timeout: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<HttpClient, BuildError> {
        let timeout = crate::sink::duration_option(
            ctx,
            kind,
            "timeout",
            timeout,
            DEFAULT_TIMEOUT,
            crate::sink::Zero::Refused,
        )?;
        HttpClient::new(ctx, kind, timeout, tls)
    }

    /// A client with a total per-request `timeout` and the sink's TLS options.
    pub fn new(
        ctx: &BuildContext,
        kind: &'static str,
        timeout: Duration,
        tls: &TlsOptions,
    ) -> Result<HttpClient, BuildError> {
        let mut tls_config =
            ureq::tls::TlsConfig::builder().disable_verification(tls.insecure_skip_verify);
        if let Some(path) = &tls.ca_file {
            let err = |message: String| BuildError {
                sink: ctx.name.clone(),
                kind,
                message,
            };
            let pem = std::fs::read(path)
                .map_err(|e| err(format!("tls.ca_file {}: {e}", path.display())))?;
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(err(format!("tls.ca_file {}: not PEM: {e}", path.display())))
                    }
                }
            }
            if certs.is_empty() {
                return Err(err(format!(
                    "tls.ca_file {}: no CERTIFICATE block in the file",
                    path.display()
                )));
            }
            tls_config = tls_config.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("tripline/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_config.build())
            .build();
        Ok(HttpClient {
            agent: config.into(),
        })
    }

    /// POST `body` to `url` with `headers`; the answer whatever its status, or `Retry` when
    /// no answer came (refused, timeout, TLS failure).
    pub fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Answer, SendError> {
        let mut req = self.agent.post(url);
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let answer = req.send(body);
        read_answer(url, answer)
    }
}

fn read_answer(
    url: &str,
    answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, SendError> {
    let mut resp = answer.map_err(|e| transport_error(url, e))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_vec()
        .map_err(|e| transport_error(url, e))?;
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

fn transport_error(url: &str, e: ureq::Error) -> SendError {
    match e {
        // A URL ureq cannot use does not get better by waiting.
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            SendError::fatal(format!("POST {url}: {e}"))
        }
        _ => SendError::retry(format!("POST {url}: {e}")),
    }
}

/// Check that `url` is an absolute `http://` or `https://` URL with a host; `field` names
/// the option in the error.
pub fn check_url(
    ctx: &BuildContext,
    kind: &'static str,
    field: &str,
    url: &str,
) -> Result<String, BuildError> {
    let err = |why: &str| BuildError {
        sink: ctx.name.clone(),
        kind,
        message: format!("{field} = {url:?}: {why}"),
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| err("expected an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(err("the URL has no host"));
    }
    if url.parse::<ureq::http::Uri>().is_err() {
        return Err(err("not a valid URL"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A secret given either inline (`field`) or by the name of an environment variable
/// (`field_env`); neither is `None`, both is an error.
pub fn secret(
    ctx: &BuildContext,
    kind: &'static str,
    field: &str,
    inline: Option<String>,
    env: Option<String>,
) -> Result<Option<String>, BuildError> {
    let err = |message: String| BuildError {
        sink: ctx.name.clone(),
        kind,
        message,
    };
    match (inline, env) {
        (Some(_), Some(_)) => Err(err(format!("set {field} or {field}_env, not both"))),
        (Some(v), None) if v.is_empty() => Err(err(format!("{field} is empty"))),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(var)) => match std::env::var(&var) {
            Ok(v) if !v.is_empty() => Ok(Some(v)),
            Ok(_) => Err(err(format!(
                "{field}_env: environment variable {var} is empty"
            ))),
            Err(_) => Err(err(format!(
                "{field}_env: environment variable {var} is not set"
            ))),
        },
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn statuses() {
        for s in [408, 425, 429, 500, 502, 503, 504, 599] {
            assert!(status_is_retryable(s), "{s}");
        }
        for s in [301, 400, 401, 403, 404, 409, 413, 422] {
            assert!(!status_is_retryable(s), "{s}");
        }
        let a = Answer {
            status: 429,
            body: b"slow down".to_vec(),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            a.check("POST x"),
            Err(SendError::Retry {
                message: "POST x: HTTP 429: slow down".into(),
                retry_after: Some(Duration::from_secs(3))
            })
        );
        let a = Answer {
            status: 400,
            body: b"bad".to_vec(),
            retry_after: None,
        };
        assert!(matches!(a.check("POST x"), Err(SendError::Fatal { .. })));
    }

    #[test]
    fn urls() {
        let ctx = BuildContext {
            name: "n".into(),
            data_dir: "/tmp".into(),
        };
        assert_eq!(
            check_url(&ctx, "webhook", "url", "http://127.0.0.1:9/hook/").unwrap(),
            "http://127.0.0.1:9/hook"
        );
        assert!(check_url(&ctx, "webhook", "url", "ftp://x").is_err());
        assert!(check_url(&ctx, "webhook", "url", "http:///x").is_err());
        let e = check_url(&ctx, "webhook", "url", "localhost:80")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sink \"n\"") && e.contains("url = \"localhost:80\""),
            "{e}"
        );
    }
}
