//! Reading captured telemetry from files and directories, for `tripline replay` and
//! `tripline validate`.
//!
//! Accepted inputs (any of them gzip-compressed with a `.gz` suffix):
//! * OTLP protobuf request bodies (`.pb`, `.protobuf`, `.bin`); the signal comes from the
//!   file name (`0001-logs.pb`, `0003-grpc-traces.pb`), else from a `.headers.json`
//!   sidecar's URL `path`, else from [`ReadOptions::signal`];
//! * captured bodies (`.body`) with a `.meta.json` sidecar (Claude Code, Gemini CLI
//!   captures); the encoding from the sidecar's `Content-Type`, else sniffed;
//! * OTLP/JSON request bodies (`.json`);
//! * OTLP JSON Lines as the OpenTelemetry Collector's `file` exporter writes them, the
//!   signal told by each line's top-level key (`.jsonl`, `.ndjson`, or `.json`);
//! * JSON Lines of already-flattened events (objects without a `resource*` key).
//!
//! A `.json` file holding one document without OTLP keys is not telemetry (manifests,
//! configs) and yields nothing ([`Tally::not_telemetry`]).
//!
//! Sidecars (`.headers.json`, `.meta.json`, `.decoded.json`, `.parsecheck.txt`), hidden
//! files and unknown extensions are skipped. Directories are walked recursively in sorted
//! order, so the output is deterministic.

mod classify;
mod formats;
mod lines;
mod source;

use std::path::{Path, PathBuf};

use tripline_event::Event;

pub use classify::InputKind;
pub use formats::{read_line, LineFormat};

use crate::{decode, DecodeError, Decoded, Encoding, Limits, OtlpSignal};

/// An error from the event callback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Sink<'a> = &'a mut dyn FnMut(Event) -> Result<(), BoxError>;

/// How to read inputs.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The signal of protobuf bodies whose name and sidecar do not tell it.
    pub signal: Option<OtlpSignal>,
    /// Per-record limits passed to [`crate::decode`].
    pub limits: Limits,
    /// Largest file (after decompression) or JSON line read, in bytes. Default 1 GiB.
    pub max_file_bytes: u64,
    /// The fields a format adds to the flattened events of JSON Lines (`--format zeek`).
    pub format: LineFormat,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            signal: None,
            limits: Limits::default(),
            max_file_bytes: 1 << 30,
            format: LineFormat::Generic,
        }
    }
}

/// One file found under the input paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// The file.
    pub path: PathBuf,
    /// What the file holds, as far as the name and sidecars tell.
    pub kind: InputKind,
    /// Whether the file is gzip-compressed (`.gz`).
    pub gzip: bool,
    /// Size on disk in bytes (compressed size for `.gz`), for progress reporting.
    pub size: u64,
}

/// What reading one file produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events handed to the callback.
    pub events: u64,
    /// Records rejected for exceeding limits.
    pub rejected: u64,
    /// The first rejection message, if any.
    pub reject_message: Option<String>,
    /// The file was a single JSON document without OTLP keys (a manifest, a config file)
    /// and was skipped.
    pub not_telemetry: bool,
}

impl Tally {
    fn emit(&mut self, decoded: Decoded, path: &Path, sink: Sink) -> Result<(), ReadError> {
        self.rejected += decoded.rejected;
        if self.reject_message.is_none() {
            self.reject_message = decoded.reject_message;
        }
        for ev in decoded.events {
            self.events += 1;
            sink(ev).map_err(|error| ReadError::Sink {
                path: path.to_path_buf(),
                error,
            })?;
        }
        Ok(())
    }
}

/// Why reading inputs stopped. Every variant names the file (and the line for JSON Lines).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: {error}", path.display())]
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
    #[error("{}: larger than the {limit}-byte limit (after decompression)", path.display())]
    /// The file (decompressed) is larger than the limit.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, bytes.
        limit: u64,
    },
    #[error("{}{}: {error}", path.display(), line_suffix(*line))]
    /// A request body or JSON line is not valid OTLP.
    Decode {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for JSON Lines.
        line: Option<usize>,
        /// Why it could not be decoded.
        error: DecodeError,
    },
    #[error(
        "{}: cannot tell the OTLP signal of this protobuf body; name it like NNNN-logs.pb, \
         add a NNNN-logs.headers.json sidecar with the URL path, or pass --signal",
        path.display()
    )]
    /// A protobuf body whose signal nothing names.
    UnknownSignal {
        /// The file.
        path: PathBuf,
    },
    #[error("{}{}: not a flattened event: {detail}", path.display(), line_suffix(*line))]
    /// A flattened-event line that is not a JSON object of fields.
    BadEvent {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for JSON Lines.
        line: Option<usize>,
        /// What is wrong with it.
        detail: String,
    },
    #[error("{}: {error}", path.display())]
    /// The consumer of the events refused them (for example a failed store write).
    Sink {
        /// The file being read.
        path: PathBuf,
        /// Why the consumer refused.
        error: BoxError,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

impl ReadError {
    fn io(path: &Path, error: std::io::Error) -> Self {
        ReadError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Expand `paths` (files or directories, walked recursively in sorted order) into the
/// files to read, classified. Skipped files are included with [`InputKind::Skip`] so a
/// caller can report them.
pub fn plan(paths: &[PathBuf], opts: &ReadOptions) -> Result<Vec<InputFile>, ReadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| ReadError::io(p, e))?;
        if meta.is_dir() {
            walk(p, opts, &mut out)?;
        } else {
            out.push(input_file(p, meta.len(), opts));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, opts: &ReadOptions, out: &mut Vec<InputFile>) -> Result<(), ReadError> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| ReadError::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ReadError::io(dir, e))?;
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| ReadError::io(&path, e))?;
        if meta.is_dir() {
            walk(&path, opts, out)?;
        } else if meta.is_file() {
            out.push(input_file(&path, meta.len(), opts));
        } else if meta.file_type().is_symlink() {
            // Follow links to files, not to directories (no cycles).
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push(input_file(&path, m.len(), opts)),
                _ => out.push(InputFile {
                    path,
                    kind: InputKind::Skip("symbolic link to a directory or nothing"),
                    gzip: false,
                    size: 0,
                }),
            }
        }
    }
    Ok(())
}

fn input_file(path: &Path, size: u64, opts: &ReadOptions) -> InputFile {
    let (kind, gzip) = classify::classify(path, opts.signal);
    InputFile {
        path: path.to_path_buf(),
        kind,
        gzip,
        size,
    }
}

/// Read one planned file, handing each event to `sink`. Skipped files yield nothing.
pub fn read_file(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event) -> Result<(), BoxError>,
) -> Result<Tally, ReadError> {
    let mut adjusted = |mut ev: Event| {
        opts.format.adjust(&mut ev);
        sink(ev)
    };
    let sink: &mut dyn FnMut(Event) -> Result<(), BoxError> = &mut adjusted;
    let mut tally = Tally::default();
    let path = file.path.as_path();
    let limits = &opts.limits;
    match &file.kind {
        InputKind::Skip(_) => {}
        InputKind::Protobuf { signal } => {
            let signal = signal.ok_or_else(|| ReadError::UnknownSignal {
                path: path.to_path_buf(),
            })?;
            let bytes = source::read_all(path, file.gzip, opts.max_file_bytes)?;
            let decoded = decode(signal, Encoding::Protobuf, &bytes, limits).map_err(|error| {
                ReadError::Decode {
                    path: path.to_path_buf(),
                    line: None,
                    error,
                }
            })?;
            tally.emit(decoded, path, sink)?;
        }
        InputKind::Body { signal, encoding } => {
            let bytes = source::read_all(path, file.gzip, opts.max_file_bytes)?;
            let encoding = encoding.unwrap_or_else(|| sniff(&bytes));
            match encoding {
                Encoding::Json => {
                    lines::handle_json(&bytes, path, None, *signal, limits, &mut tally, sink)?
                }
                Encoding::Protobuf => {
                    let signal = signal.ok_or_else(|| ReadError::UnknownSignal {
                        path: path.to_path_buf(),
                    })?;
                    let decoded = decode(signal, encoding, &bytes, limits).map_err(|error| {
                        ReadError::Decode {
                            path: path.to_path_buf(),
                            line: None,
                            error,
                        }
                    })?;
                    tally.emit(decoded, path, sink)?;
                }
            }
        }
        InputKind::Json { signal } => {
            let bytes = source::read_all(path, file.gzip, opts.max_file_bytes)?;
            if lines::looks_like_lines(&bytes) {
                for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    lines::handle_json(line, path, Some(i + 1), None, limits, &mut tally, sink)?;
                }
            } else {
                lines::handle_json(&bytes, path, None, *signal, limits, &mut tally, sink)?;
            }
        }
        InputKind::JsonLines => {
            let mut reader = source::open(path, file.gzip)?;
            let mut buf = Vec::new();
            let mut n = 0usize;
            while source::read_line(reader.as_mut(), &mut buf, path, opts.max_file_bytes)? {
                n += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                lines::handle_json(&buf, path, Some(n), None, limits, &mut tally, sink)?;
            }
        }
    }
    Ok(tally)
}

/// JSON when the first non-blank byte opens an object, else protobuf.
fn sniff(bytes: &[u8]) -> Encoding {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Encoding::Json,
        _ => Encoding::Protobuf,
    }
}

/// Plan and read every input, handing each event to `sink` in deterministic order.
/// Returns the files planned (skipped ones included) and the total tally.
pub fn read_inputs(
    paths: &[PathBuf],
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event) -> Result<(), BoxError>,
) -> Result<(Vec<InputFile>, Tally), ReadError> {
    let files = plan(paths, opts)?;
    let mut total = Tally::default();
    for f in &files {
        let t = read_file(f, opts, sink)?;
        total.events += t.events;
        total.rejected += t.rejected;
        if total.reject_message.is_none() {
            total.reject_message = t.reject_message;
        }
    }
    Ok((files, total))
}
