//! Building OTLP/HTTP responses.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;
use tripline_otlp::{Encoding, OtlpSignal};

use crate::auth::AuthError;
use crate::export_response;
use crate::ingest::{retry_after_secs, Ack, IngestError};
use crate::rpc_status::RpcStatus;

/// A 200 with the export response for `signal` in the request's encoding; the
/// `Content-Type` is the request's own, as the specification requires.
pub(crate) fn success(
    signal: OtlpSignal,
    ack: &Ack,
    encoding: Encoding,
    request_content_type: &str,
) -> Response {
    let body = export_response::encode(signal, ack, encoding);
    let ct = HeaderValue::from_str(request_content_type)
        .unwrap_or_else(|_| HeaderValue::from_static(encoding.content_type()));
    (StatusCode::OK, [(header::CONTENT_TYPE, ct)], body).into_response()
}

/// An error response: `http` status, a `google.rpc.Status` body (JSON when `encoding` is
/// JSON, else protobuf) and `Retry-After` when `retry_after` is given.
pub(crate) fn failure(
    http: StatusCode,
    status: &RpcStatus,
    encoding: Encoding,
    retry_after: Option<Duration>,
) -> Response {
    let body = match encoding {
        Encoding::Json => status.to_json(),
        Encoding::Protobuf => status.encode_to_vec(),
    };
    let mut resp = (
        http,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(encoding.content_type()),
        )],
        body,
    )
        .into_response();
    if let Some(delay) = retry_after {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(delay)),
        );
    }
    resp
}

/// The response for an [`IngestError`].
pub(crate) fn ingest_error(err: &IngestError, encoding: Encoding) -> Response {
    let http = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    failure(
        http,
        &RpcStatus::from_ingest_error(err),
        encoding,
        err.retry_after(),
    )
}

/// A failure with a code and message and no details.
pub(crate) fn simple(
    http: StatusCode,
    code: tonic::Code,
    message: String,
    encoding: Encoding,
) -> Response {
    failure(http, &RpcStatus::new(code, message), encoding, None)
}

/// 405 with `Allow`.
pub(crate) fn method_not_allowed(
    allow: &'static str,
    method: &str,
    path: &str,
    encoding: Encoding,
) -> Response {
    let mut resp = simple(
        StatusCode::METHOD_NOT_ALLOWED,
        tonic::Code::Unimplemented,
        format!("method {method} is not allowed on {path}; use {allow}"),
        encoding,
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

/// 401 for missing or wrong credentials; `WWW-Authenticate: Bearer` when the bearer scheme
/// is expected.
pub(crate) fn unauthenticated(err: AuthError, header_name: &str, encoding: Encoding) -> Response {
    let message = format!(
        "{err}: send {}",
        if header_name == "authorization" {
            "Authorization: Bearer <token>".to_string()
        } else {
            format!("the token in the {header_name} header")
        }
    );
    let mut resp = simple(
        StatusCode::UNAUTHORIZED,
        tonic::Code::Unauthenticated,
        message,
        encoding,
    );
    if header_name == "authorization" {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// A plain-text answer for the health and metrics endpoints.
pub(crate) fn text(http: StatusCode, body: impl Into<String>) -> Response {
    let body: String = body.into();
    (
        http,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
