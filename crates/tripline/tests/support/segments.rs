//! Reading what the file and archive sinks write: finished segments (`*.jsonl`,
//! `*.jsonl.zst`, `*.jsonl.gz`), decompressed, as JSON values.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::planted::files_under;

/// Finished segments under `dir` (hidden temp files excluded), sorted.
pub fn finished(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    if dir.exists() {
        files_under(dir, &mut all);
    }
    let mut out: Vec<PathBuf> = all
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Hidden temp or partial files under `dir` (a finished run leaves none).
pub fn unfinished(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    if dir.exists() {
        files_under(dir, &mut all);
    }
    all.into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// The decompressed bytes of one segment.
pub fn bytes(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.to_string_lossy();
    let mut out = Vec::new();
    if name.ends_with(".zst") {
        zstd::stream::Decoder::new(raw.as_slice())
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{name}: not zstd: {e}"));
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{name}: not gzip: {e}"));
    } else {
        out = raw;
    }
    out
}

/// Every JSON line of every finished segment under `dir`.
pub fn records(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for f in finished(dir) {
        let data = bytes(&f);
        for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.push(serde_json::from_slice(line).unwrap_or_else(|e| {
                panic!(
                    "{}: a line is not JSON ({e}): {}",
                    f.display(),
                    String::from_utf8_lossy(line)
                )
            }));
        }
    }
    out
}
