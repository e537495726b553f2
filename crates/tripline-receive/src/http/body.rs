//! Reading a request body with a hard cap on its size.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// More than the limit arrived.
    TooLarge,
    /// The connection failed mid-body.
    Io(String),
}

/// Read the whole body, failing as soon as more than `limit` bytes arrive.
pub(crate) async fn read_capped(body: Body, limit: usize) -> Result<Bytes, ReadError> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ReadError::Io(e.to_string()))?;
        if buf.len() + chunk.len() > limit {
            drain_stream(stream, limit).await;
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// How long a rejected body is drained before the connection is given up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Read and discard what remains of a rejected body (at most `cap` bytes, for at most
/// [`DRAIN_TIMEOUT`]) so that a client still sending gets to read the error response instead
/// of a connection reset. Past the cap the connection is simply closed.
pub(crate) async fn drain(body: Body, cap: usize) {
    drain_stream(body.into_data_stream(), cap).await;
}

async fn drain_stream(mut stream: axum::body::BodyDataStream, cap: usize) {
    let work = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen = seen.saturating_add(chunk.len());
            if seen > cap {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, work).await;
}
