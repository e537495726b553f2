//! Errors that reject a whole OTLP request (HTTP 400 / gRPC `InvalidArgument`).

use crate::signal::{Encoding, OtlpSignal};

/// Why a request body could not be decoded at all. The message names the place: the byte
/// offset for protobuf and UTF-8 problems, line and column for JSON.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The protobuf bytes are not a valid `Export*ServiceRequest`.
    #[error("invalid OTLP {signal} protobuf ({len} bytes){at}: {detail}")]
    Protobuf {
        /// Which export request was expected.
        signal: OtlpSignal,
        /// The body's length in bytes.
        len: usize,
        /// ` at byte N` when the first malformed top-level field could be located, else empty.
        at: String,
        /// prost's description of the problem.
        detail: String,
    },
    /// The body is not valid UTF-8 (JSON only).
    #[error("invalid UTF-8 in OTLP {signal} JSON at byte {offset}")]
    Utf8 {
        /// Which export request was expected.
        signal: OtlpSignal,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The JSON is malformed or does not have the OTLP/JSON shape.
    #[error("invalid OTLP {signal} JSON at line {line} column {column}: {detail}")]
    Json {
        /// Which export request was expected.
        signal: OtlpSignal,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// The parser's description of the problem.
        detail: String,
    },
}

impl DecodeError {
    /// The same error, naming `signal` instead (used when the signal was only guessed).
    pub(crate) fn with_signal(mut self, signal: OtlpSignal) -> Self {
        match &mut self {
            DecodeError::Protobuf { signal: s, .. }
            | DecodeError::Utf8 { signal: s, .. }
            | DecodeError::Json { signal: s, .. } => *s = signal,
        }
        self
    }

    /// The encoding the failing body was decoded as.
    pub fn encoding(&self) -> Encoding {
        match self {
            DecodeError::Protobuf { .. } => Encoding::Protobuf,
            DecodeError::Utf8 { .. } | DecodeError::Json { .. } => Encoding::Json,
        }
    }
}
