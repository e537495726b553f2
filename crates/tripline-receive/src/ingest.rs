//! The seam between the receivers and the pipeline: a [`Request`] goes in, an [`Ack`] or an
//! [`IngestError`] comes out. Receivers know nothing about decoding, rules or storage.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tripline_otlp::{Encoding, OtlpSignal};

/// Which listener a request arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// OTLP/HTTP (`POST /v1/<signal>`).
    Http,
    /// OTLP/gRPC (`.../<Signal>Service/Export`).
    Grpc,
}

impl Transport {
    /// `http` or `grpc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Grpc => "grpc",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One OTLP export request as received, already decompressed and size-checked.
#[derive(Clone, Debug)]
pub struct Request {
    /// Which export this is.
    pub signal: OtlpSignal,
    /// How `body` is encoded. Always [`Encoding::Protobuf`] for gRPC.
    pub encoding: Encoding,
    /// The export request message, decompressed (never larger than the configured limit).
    pub body: Bytes,
    /// The listener it arrived on.
    pub transport: Transport,
    /// The request's `Content-Type` as sent (`application/grpc...` for gRPC).
    pub content_type: String,
    /// The request's `Content-Encoding` (HTTP) or `grpc-encoding` (gRPC), if any.
    pub content_encoding: Option<String>,
    /// The emitter named by the caller's credentials (not populated until auth exists).
    pub emitter: Option<String>,
    /// When the receiver finished reading the request.
    pub received_at: DateTime<Utc>,
}

/// The pipeline's answer to a request it accepted (possibly partly).
///
/// Maps to an `Export*ServiceResponse` whose `partial_success` is set when `rejected > 0`
/// or `message` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    /// Log records / data points / spans that were not accepted.
    pub rejected: u64,
    /// A developer-facing explanation or warning.
    pub message: Option<String>,
}

impl Ack {
    /// Everything was accepted.
    pub fn ok() -> Ack {
        Ack::default()
    }

    /// Whether this ack becomes a `partial_success` in the response.
    pub fn is_partial(&self) -> bool {
        self.rejected > 0 || self.message.is_some()
    }
}

/// Why the pipeline did not accept a request. Each variant has a fixed HTTP status and
/// gRPC code (see the variant docs).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The payload cannot be decoded or is invalid: HTTP 400, gRPC `INVALID_ARGUMENT`.
    /// Clients do not retry.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The payload exceeds a limit: HTTP 413, gRPC `RESOURCE_EXHAUSTED` without `RetryInfo`.
    /// Clients do not retry.
    #[error("request too large: {0}")]
    TooLarge(String),
    /// Temporarily overloaded: HTTP 429 with `Retry-After`, gRPC `RESOURCE_EXHAUSTED` with
    /// `RetryInfo`. Clients retry after the delay.
    #[error("overloaded, retry after {}s", retry_after_secs(*retry_after))]
    Overloaded {
        /// How long the client should wait.
        retry_after: Duration,
    },
    /// Temporarily unable to accept (storage down, shutting down): HTTP 503 with
    /// `Retry-After`, gRPC `UNAVAILABLE` with `RetryInfo`. Clients retry after the delay.
    #[error("unavailable ({reason}), retry after {}s", retry_after_secs(*retry_after))]
    Unavailable {
        /// How long the client should wait.
        retry_after: Duration,
        /// Why, for the error message.
        reason: String,
    },
    /// A bug or unexpected failure: HTTP 500, gRPC `INTERNAL`. Clients do not retry.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IngestError {
    /// The HTTP status code for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            IngestError::Invalid(_) => 400,
            IngestError::TooLarge(_) => 413,
            IngestError::Overloaded { .. } => 429,
            IngestError::Unavailable { .. } => 503,
            IngestError::Internal(_) => 500,
        }
    }

    /// The gRPC status code for this error.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            IngestError::Invalid(_) => tonic::Code::InvalidArgument,
            IngestError::TooLarge(_) | IngestError::Overloaded { .. } => {
                tonic::Code::ResourceExhausted
            }
            IngestError::Unavailable { .. } => tonic::Code::Unavailable,
            IngestError::Internal(_) => tonic::Code::Internal,
        }
    }

    /// The delay a client should wait before retrying, for the retryable variants.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            IngestError::Overloaded { retry_after }
            | IngestError::Unavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// A `Retry-After` value in whole seconds, rounded up and at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

/// What the receivers hand every accepted request to. The pipeline implements this: it
/// decodes, detects, redacts and durably stores, and only then answers [`Ack`].
pub trait Ingest: Send + Sync + 'static {
    /// Process one export request.
    fn ingest(&self, req: Request) -> BoxFuture<'static, Result<Ack, IngestError>>;
}
