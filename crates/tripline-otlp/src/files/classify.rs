//! What a file is, from its name and its capture sidecar.

use std::path::{Path, PathBuf};

use crate::signal::{Encoding, OtlpSignal};

/// How a file will be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// An OTLP protobuf request body (`.pb`, `.protobuf`, `.bin`). `signal` is `None` when
    /// neither the name, a sidecar nor `--signal` tells it (reading then fails).
    Protobuf {
        /// Which export request the body holds, when known.
        signal: Option<OtlpSignal>,
    },
    /// A captured body of either encoding (`.body`, as the Claude Code / Gemini CLI captures
    /// store them); `encoding` from the `.meta.json` sidecar, else sniffed from the bytes.
    Body {
        /// Which export request the body holds, when known.
        signal: Option<OtlpSignal>,
        /// Protobuf or JSON, when the sidecar names it.
        encoding: Option<Encoding>,
    },
    /// A `.json` file: one OTLP/JSON request, OTLP JSON Lines, flattened-event JSON Lines,
    /// or one flattened event; told apart by content.
    Json {
        /// Which export request the file holds, when known.
        signal: Option<OtlpSignal>,
    },
    /// A `.jsonl` / `.ndjson` file: OTLP JSON Lines or flattened-event JSON Lines.
    JsonLines,
    /// Not a request body; the reason says why.
    Skip(&'static str),
}

/// Sidecar suffixes written by capture tools; never request bodies.
const SIDECARS: &[&str] = &[
    ".headers.json",
    ".meta.json",
    ".decoded.json",
    ".parsecheck.txt",
];

/// Classify `path`. `fallback` is the `--signal` option, used when the name and sidecar
/// say nothing.
pub(crate) fn classify(path: &Path, fallback: Option<OtlpSignal>) -> (InputKind, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let (base, gzip) = match lower.strip_suffix(".gz") {
        Some(b) => (b.to_owned(), true),
        None => (lower.clone(), false),
    };
    if name.starts_with('.') {
        return (InputKind::Skip("hidden file"), gzip);
    }
    if SIDECARS.iter().any(|s| base.ends_with(s)) {
        return (InputKind::Skip("capture sidecar"), gzip);
    }
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let stem_path = strip_ext(path, gzip);
    let kind = match ext {
        "pb" | "protobuf" | "bin" => InputKind::Protobuf {
            signal: signal_from_name(&base)
                .or_else(|| sidecar(&stem_path, ".headers.json").and_then(|s| s.0))
                .or(fallback),
        },
        "body" => {
            let side = sidecar(&stem_path, ".meta.json");
            InputKind::Body {
                signal: signal_from_name(&base)
                    .or_else(|| side.as_ref().and_then(|s| s.0))
                    .or(fallback),
                encoding: side.and_then(|s| s.1),
            }
        }
        "json" => InputKind::Json {
            signal: signal_from_name(&base)
                .or_else(|| sidecar(&stem_path, ".headers.json").and_then(|s| s.0))
                .or(fallback),
        },
        "jsonl" | "ndjson" => InputKind::JsonLines,
        _ => InputKind::Skip("not a request body (unknown extension)"),
    };
    (kind, gzip)
}

/// `dir/0001-logs.pb.gz` → `dir/0001-logs`.
fn strip_ext(path: &Path, gzip: bool) -> PathBuf {
    let mut p = path.to_path_buf();
    if gzip {
        p.set_extension("");
    }
    p.set_extension("");
    p
}

/// The signal named by a token of the file name (`0001-logs.pb`, `0003-grpc-traces.pb`,
/// `0001_v1_metrics.body`).
fn signal_from_name(base: &str) -> Option<OtlpSignal> {
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    stem.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|tok| match tok {
            "logs" | "metrics" | "traces" | "spans" => OtlpSignal::parse(tok),
            _ => None,
        })
}

/// Signal (from the recorded URL `path`) and encoding (from `content_type` or the
/// `Content-Type` header) in a capture sidecar `<stem><suffix>`.
fn sidecar(stem: &Path, suffix: &str) -> Option<(Option<OtlpSignal>, Option<Encoding>)> {
    let mut name = stem.as_os_str().to_owned();
    name.push(suffix);
    let text = std::fs::read(PathBuf::from(name)).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let signal = v
        .get("path")
        .and_then(|p| p.as_str())
        .and_then(OtlpSignal::from_path)
        .or_else(|| {
            v.get("signal")
                .and_then(|s| s.as_str())
                .and_then(OtlpSignal::parse)
        });
    let content_type = v
        .get("content_type")
        .and_then(|c| c.as_str())
        .map(str::to_owned)
        .or_else(|| header(&v, "content-type"));
    let encoding = content_type
        .as_deref()
        .and_then(Encoding::from_content_type);
    Some((signal, encoding))
}

/// A header from a `[[name, value], ...]` list, name compared case-insensitively.
fn header(v: &serde_json::Value, name: &str) -> Option<String> {
    v.get("headers")?.as_array()?.iter().find_map(|pair| {
        let pair = pair.as_array()?;
        let k = pair.first()?.as_str()?;
        let val = pair.get(1)?.as_str()?;
        k.eq_ignore_ascii_case(name).then(|| val.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_signals_and_sidecars_are_skipped() {
        let k = |p: &str| classify(Path::new(p), None).0;
        assert_eq!(
            k("/x/0001-logs.pb"),
            InputKind::Protobuf {
                signal: Some(OtlpSignal::Logs)
            }
        );
        assert_eq!(
            k("/x/0003-grpc-traces.pb"),
            InputKind::Protobuf {
                signal: Some(OtlpSignal::Traces)
            }
        );
        assert_eq!(
            k("/x/0001-logs.headers.json"),
            InputKind::Skip("capture sidecar")
        );
        assert_eq!(
            k("/x/0001_v1_logs.meta.json"),
            InputKind::Skip("capture sidecar")
        );
        assert_eq!(
            k("/x/0001-traces.decoded.json"),
            InputKind::Skip("capture sidecar")
        );
        assert!(matches!(k("/x/notes.txt"), InputKind::Skip(_)));
        assert_eq!(k("/x/out.jsonl"), InputKind::JsonLines);
        assert_eq!(
            classify(Path::new("/x/0002-metrics.json.gz"), None),
            (
                InputKind::Json {
                    signal: Some(OtlpSignal::Metrics)
                },
                true
            )
        );
        assert_eq!(
            classify(Path::new("/x/request.pb"), Some(OtlpSignal::Traces)).0,
            InputKind::Protobuf {
                signal: Some(OtlpSignal::Traces)
            }
        );
        assert_eq!(k("/x/request.pb"), InputKind::Protobuf { signal: None });
    }
}
