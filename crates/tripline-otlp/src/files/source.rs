//! Opening input files: transparent gzip, with a cap on the (decompressed) size.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::ReadError;

/// Read a whole file, gunzipping when `gzip`, failing past `max_bytes`.
pub(crate) fn read_all(path: &Path, gzip: bool, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut reader = open(path, gzip)?;
    let mut buf = Vec::new();
    (&mut reader)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::io(path, e))?;
    if buf.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit: max_bytes,
        });
    }
    Ok(buf)
}

/// A buffered reader over the file's (decompressed) bytes.
pub(crate) fn open(path: &Path, gzip: bool) -> Result<Box<dyn BufRead>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
    Ok(if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

/// Read one line (without its terminator) into `buf`, failing past `max_bytes`.
/// `Ok(false)` at end of input.
pub(crate) fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    path: &Path,
    max_bytes: u64,
) -> Result<bool, ReadError> {
    buf.clear();
    let n = reader
        .take(max_bytes.saturating_add(1))
        .read_until(b'\n', buf)
        .map_err(|e| ReadError::io(path, e))?;
    if n == 0 {
        return Ok(false);
    }
    if buf.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit: max_bytes,
        });
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(true)
}
