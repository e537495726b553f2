//! The single request handler: routing and header checks ([`route`]), the capped body read
//! and decompression ([`read_body`]), then the hand-off to [`crate::Ingest`].

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request as AxumRequest, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use tonic::Code;
use tripline_otlp::{Encoding, OtlpSignal};

use super::body::{drain, read_capped, ReadError};
use super::reply;
use super::HttpState;
use crate::decompress::{decompress, ContentCoding, DecompressError};
use crate::ingest::{Request, Transport};
use crate::tls::accept::Peer;

/// Liveness path.
const HEALTHZ: &str = "/healthz";
/// Readiness path.
const READYZ: &str = "/readyz";
/// Prometheus metrics path.
const METRICS: &str = "/metrics";

/// An export request whose headers passed every check.
struct Export {
    signal: OtlpSignal,
    encoding: Encoding,
    content_type: String,
    content_encoding: Option<String>,
    coding: ContentCoding,
    emitter: Option<String>,
}

/// Route and answer one request.
pub(crate) async fn handle(State(state): State<Arc<HttpState>>, req: AxumRequest) -> Response {
    let (parts, body) = req.into_parts();
    let limit = state.cfg.max_body_bytes;
    let export = match route(&state, &parts) {
        Ok(export) => export,
        Err(answer) => {
            drain(body, limit).await;
            return *answer;
        }
    };
    let body = match read_body(body, export.coding, limit, export.encoding).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let Export {
        signal,
        encoding,
        content_type,
        content_encoding,
        emitter,
        ..
    } = export;
    let request = Request {
        signal,
        encoding,
        body,
        transport: Transport::Http,
        content_type: content_type.clone(),
        content_encoding,
        emitter,
        received_at: chrono::Utc::now(),
    };
    match state.ingest.ingest(request).await {
        Ok(ack) => reply::success(signal, &ack, encoding, &content_type),
        Err(err) => {
            tracing::debug!(signal = signal.as_str(), error = %err, "OTLP/HTTP export refused");
            reply::ingest_error(&err, encoding)
        }
    }
}

/// Decide from the request line and headers alone: `Ok` for an export to read, `Err` with
/// the answer otherwise (health checks, 404, 405, 401, 415, 413 by `Content-Length`).
fn route(state: &HttpState, parts: &Parts) -> Result<Export, Box<Response>> {
    let path = parts.uri.path();
    let limit = state.cfg.max_body_bytes;
    let content_type = header_str(&parts.headers, header::CONTENT_TYPE);
    let encoding = content_type
        .as_deref()
        .and_then(Encoding::from_content_type);
    // Errors are answered in JSON when the client speaks JSON, else protobuf.
    let err_encoding = encoding.unwrap_or(Encoding::Protobuf);

    if path == HEALTHZ || path == READYZ {
        return Err(Box::new(health(state, path, &parts.method)));
    }
    if path == METRICS {
        if let Some(source) = &state.metrics {
            if parts.method != Method::GET && parts.method != Method::HEAD {
                return Err(Box::new(reply::method_not_allowed(
                    "GET, HEAD",
                    parts.method.as_str(),
                    path,
                    err_encoding,
                )));
            }
            let mut page = source.render();
            page.push_str("# HELP tripline_auth_failures_total Requests refused for a missing or wrong ingest token.\n");
            page.push_str("# TYPE tripline_auth_failures_total counter\n");
            page.push_str(&format!(
                "tripline_auth_failures_total {}\n",
                state.cfg.auth.failures()
            ));
            if let Some(tls) = &state.cfg.tls {
                page.push_str("# HELP tripline_tls_handshake_failures_total TLS handshakes that failed (plaintext clients, missing or untrusted client certificates, timeouts), both listeners.\n");
                page.push_str("# TYPE tripline_tls_handshake_failures_total counter\n");
                page.push_str(&format!(
                    "tripline_tls_handshake_failures_total {}\n",
                    tls.handshake_failures()
                ));
            }
            return Err(Box::new(reply::text(StatusCode::OK, page)));
        }
    }
    let Some(signal) = state.cfg.paths.signal_for(path) else {
        return Err(Box::new(reply::simple(
            StatusCode::NOT_FOUND,
            Code::NotFound,
            format!("no OTLP endpoint at {path}"),
            err_encoding,
        )));
    };
    if parts.method != Method::POST {
        return Err(Box::new(reply::method_not_allowed(
            "POST",
            parts.method.as_str(),
            path,
            err_encoding,
        )));
    }
    let auth = &state.cfg.auth;
    let token_emitter = auth
        .verify(parts.headers.get(auth.header_name()).map(|v| v.as_bytes()))
        .map_err(|e| {
            tracing::debug!(path, error = %e, "OTLP/HTTP export refused: not authenticated");
            Box::new(reply::unauthenticated(e, auth.header_name(), err_encoding))
        })?;
    // A token names the sender; without tokens, a verified client certificate does.
    let emitter = token_emitter.or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .and_then(|ConnectInfo(peer)| peer.name.clone())
    });
    let (Some(encoding), Some(content_type)) = (encoding, content_type) else {
        let sent =
            header_str(&parts.headers, header::CONTENT_TYPE).unwrap_or_else(|| "none".into());
        return Err(Box::new(reply::simple(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported Content-Type {sent:?}; use application/x-protobuf or application/json"
            ),
            err_encoding,
        )));
    };
    let content_encoding = header_str(&parts.headers, header::CONTENT_ENCODING);
    let Some(coding) = ContentCoding::parse(content_encoding.as_deref().unwrap_or("")) else {
        return Err(Box::new(reply::simple(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported Content-Encoding {:?}; use gzip, zstd or identity",
                content_encoding.unwrap_or_default()
            ),
            encoding,
        )));
    };
    if let Some(len) = declared_length(&parts.headers).filter(|len| *len > limit as u64) {
        return Err(Box::new(too_large(
            format!("body of {len} bytes exceeds the limit of {limit} bytes"),
            encoding,
        )));
    }
    Ok(Export {
        signal,
        encoding,
        content_type,
        content_encoding,
        coding,
        emitter,
    })
}

/// Read the body (at most `limit` bytes) and decompress it (at most `limit` bytes out).
async fn read_body(
    body: Body,
    coding: ContentCoding,
    limit: usize,
    encoding: Encoding,
) -> Result<Bytes, Response> {
    let raw = read_capped(body, limit).await.map_err(|e| match e {
        ReadError::TooLarge => {
            too_large(format!("body exceeds the limit of {limit} bytes"), encoding)
        }
        ReadError::Io(e) => reply::simple(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("cannot read body: {e}"),
            encoding,
        ),
    })?;
    match tokio::task::spawn_blocking(move || decompress(coding, raw, limit)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(DecompressError::TooLarge { limit })) => Err(too_large(
            format!("decompressed body exceeds the limit of {limit} bytes"),
            encoding,
        )),
        Ok(Err(e @ DecompressError::Corrupt { .. })) => Err(reply::simple(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            e.to_string(),
            encoding,
        )),
        Err(join) => Err(reply::simple(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            format!("decompression failed: {join}"),
            encoding,
        )),
    }
}

/// `GET /healthz` and `GET /readyz`.
fn health(state: &HttpState, path: &str, method: &Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return reply::method_not_allowed("GET, HEAD", method.as_str(), path, Encoding::Protobuf);
    }
    if path == HEALTHZ {
        reply::text(StatusCode::OK, "ok\n")
    } else if state.readiness.is_ready() {
        reply::text(StatusCode::OK, "ready\n")
    } else {
        reply::text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// 413 with a `RESOURCE_EXHAUSTED` status.
fn too_large(message: String, encoding: Encoding) -> Response {
    reply::simple(
        StatusCode::PAYLOAD_TOO_LARGE,
        Code::ResourceExhausted,
        message,
        encoding,
    )
}

/// A header as a string, if present and visible ASCII.
fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The declared `Content-Length`, if any and well-formed.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
