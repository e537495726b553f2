//! The dead-letter file of a sink: `<data_dir>/sinks/<name>/dead-letter.jsonl`, one JSON
//! object per record that could not be delivered, with the reason and the error.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

/// File name inside the sink's directory.
pub const FILE_NAME: &str = "dead-letter.jsonl";

/// Where a sink's dead letters go.
pub fn path(data_dir: &Path, sink: &str) -> PathBuf {
    data_dir.join("sinks").join(sink).join(FILE_NAME)
}

/// One undeliverable record.
pub struct Letter<'a> {
    /// Why the record was given up (`attempts`, `fatal`, `overflow`, ...).
    pub reason: &'static str,
    /// The last error the sink gave.
    pub error: &'a str,
    /// `alert`, `event` or `raw`.
    pub kind: &'a str,
    /// The record's id.
    pub id: &'a str,
    /// The record's revision.
    pub revision: u64,
    /// The record as it would have been sent (raw payloads: a reference only, never the
    /// unredacted body).
    pub record: Json,
}

/// Appends letters; each call is synced before it returns.
pub struct DeadLetter {
    sink: String,
    path: PathBuf,
    file: Option<File>,
}

impl DeadLetter {
    /// The dead-letter file of sink `sink` under `data_dir`.
    pub fn new(data_dir: &Path, sink: &str) -> DeadLetter {
        DeadLetter {
            sink: sink.to_owned(),
            path: path(data_dir, sink),
            file: None,
        }
    }

    /// Where the dead-letter file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append and sync `letters`.
    pub fn write(&mut self, letters: &[Letter<'_>]) -> io::Result<()> {
        if letters.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                fs::create_dir_all(dir)?;
            }
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut buf = Vec::new();
        for l in letters {
            let line = json!({
                "time": now,
                "sink": self.sink,
                "reason": l.reason,
                "error": l.error,
                "kind": l.kind,
                "id": l.id,
                "revision": l.revision,
                "record": l.record,
            });
            serde_json::to_writer(&mut buf, &line).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(&buf)?;
        file.sync_data()
    }
}
