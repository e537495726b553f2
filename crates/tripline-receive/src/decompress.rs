//! Content decoding with a hard cap on the decompressed size: a compression bomb is stopped
//! once it exceeds the limit, it is never inflated into memory.

use std::io::Read;

use bytes::Bytes;

/// The `Content-Encoding`s the HTTP receiver accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentCoding {
    /// No compression (`identity` or no header).
    Identity,
    /// `gzip` (also `x-gzip`); concatenated members are accepted.
    Gzip,
    /// `zstd`.
    Zstd,
}

impl ContentCoding {
    /// Parse a `Content-Encoding` header value. `None` for anything unsupported, including
    /// stacked codings such as `gzip, zstd`.
    pub fn parse(value: &str) -> Option<ContentCoding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Some(ContentCoding::Identity),
            "gzip" | "x-gzip" => Some(ContentCoding::Gzip),
            "zstd" => Some(ContentCoding::Zstd),
            _ => None,
        }
    }
}

/// Why a body could not be decompressed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecompressError {
    /// The decompressed body exceeds the limit.
    #[error("decompressed body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The compressed data is malformed.
    #[error("cannot decompress {coding} body: {reason}")]
    Corrupt {
        /// `gzip` or `zstd`.
        coding: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
}

/// The largest zstd window accepted (2^25 = 32 MiB): enough for any body within the limit,
/// and it bounds the decoder's own allocation whatever a frame header claims.
const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Decompress `input` according to `coding`, failing as soon as the output would exceed
/// `limit` bytes. Blocking: call from `spawn_blocking` for large inputs.
pub fn decompress(
    coding: ContentCoding,
    input: Bytes,
    limit: usize,
) -> Result<Bytes, DecompressError> {
    match coding {
        ContentCoding::Identity if input.len() > limit => Err(DecompressError::TooLarge { limit }),
        ContentCoding::Identity => Ok(input),
        ContentCoding::Gzip => {
            read_capped(flate2::read::MultiGzDecoder::new(&input[..]), "gzip", limit)
        }
        ContentCoding::Zstd => {
            let mut decoder =
                zstd::stream::read::Decoder::with_buffer(&input[..]).map_err(|e| {
                    DecompressError::Corrupt {
                        coding: "zstd",
                        reason: e.to_string(),
                    }
                })?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|e| DecompressError::Corrupt {
                    coding: "zstd",
                    reason: e.to_string(),
                })?;
            read_capped(decoder, "zstd", limit)
        }
    }
}

/// Read at most `limit + 1` bytes; one byte more than the limit proves the body is too large.
fn read_capped(
    reader: impl Read,
    coding: &'static str,
    limit: usize,
) -> Result<Bytes, DecompressError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| DecompressError::Corrupt {
            coding,
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        Bytes::from(enc.finish().unwrap())
    }

    #[test]
    fn parses_supported_codings_only() {
        assert_eq!(ContentCoding::parse(" GZIP "), Some(ContentCoding::Gzip));
        assert_eq!(ContentCoding::parse("zstd"), Some(ContentCoding::Zstd));
        assert_eq!(
            ContentCoding::parse("identity"),
            Some(ContentCoding::Identity)
        );
        assert_eq!(ContentCoding::parse("br"), None);
        assert_eq!(ContentCoding::parse("gzip, zstd"), None);
    }

    #[test]
    fn gzip_round_trip_within_limit() {
        let data = b"hello otlp".repeat(100);
        assert_eq!(
            decompress(ContentCoding::Gzip, gzip(&data), data.len()).unwrap(),
            &data[..]
        );
    }

    #[test]
    fn gzip_over_limit_by_one_byte_is_too_large() {
        let data = vec![7u8; 1001];
        assert_eq!(
            decompress(ContentCoding::Gzip, gzip(&data), 1000),
            Err(DecompressError::TooLarge { limit: 1000 })
        );
    }

    #[test]
    fn zstd_round_trip_and_limit() {
        let data = vec![1u8; 5000];
        let z = Bytes::from(zstd::encode_all(&data[..], 3).unwrap());
        assert_eq!(
            decompress(ContentCoding::Zstd, z.clone(), 5000)
                .unwrap()
                .len(),
            5000
        );
        assert_eq!(
            decompress(ContentCoding::Zstd, z, 4999),
            Err(DecompressError::TooLarge { limit: 4999 })
        );
    }

    #[test]
    fn corrupt_gzip_is_reported() {
        let err = decompress(
            ContentCoding::Gzip,
            Bytes::from_static(b"not gzip at all"),
            100,
        )
        .unwrap_err();
        assert!(
            matches!(err, DecompressError::Corrupt { coding: "gzip", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn identity_respects_limit() {
        assert!(decompress(ContentCoding::Identity, Bytes::from_static(b"12345"), 5).is_ok());
        assert!(decompress(ContentCoding::Identity, Bytes::from_static(b"123456"), 5).is_err());
    }
}
