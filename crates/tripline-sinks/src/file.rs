//! The `file` sink: records as JSON Lines in rotating segments, each finished file appearing
//! atomically (see [`crate::segment`]).
//!
//! ```toml
//! [[sinks]]
//! name = "lake"
//! type = "file"
//! receive = ["alerts", "events"]
//! path = "/var/lib/tripline/out"   # default: <data_dir>/sinks/<name>/out
//! max_bytes = 67108864             # roll at 64 MiB (uncompressed)
//! max_age = "1h"                   # ... or after an hour
//! compression = "zstd"             # "none" (default), "zstd" or "gzip", applied per segment
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::segment::{Compression, SegmentOptions, SegmentWriter};
use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default = "default_max_bytes")]
    max_bytes: u64,
    #[serde(
        default = "default_max_age",
        deserialize_with = "crate::spec::duration"
    )]
    max_age: Duration,
    #[serde(default)]
    compression: Compression,
}

fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_max_age() -> Duration {
    Duration::from_secs(3600)
}

/// Writes each record's body as one JSON line.
pub struct FileSink {
    name: String,
    writer: SegmentWriter,
}

/// Builds a file sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, "file", options)?;
    let err = |message: String| BuildError {
        sink: ctx.name.clone(),
        kind: "file",
        message,
    };
    if o.max_bytes == 0 {
        return Err(err("max_bytes: must be greater than 0".into()));
    }
    if o.max_age.is_zero() {
        return Err(err("max_age: must be greater than 0".into()));
    }
    let dir = o
        .path
        .unwrap_or_else(|| ctx.data_dir.join("sinks").join(&ctx.name).join("out"));
    let writer = SegmentWriter::open(SegmentOptions {
        dir: dir.clone(),
        prefix: o.prefix.unwrap_or_else(|| ctx.name.clone()),
        max_bytes: o.max_bytes,
        max_age: o.max_age,
        compression: o.compression,
    })
    .map_err(|e| err(format!("path: cannot use {}: {e}", dir.display())))?;
    Ok(Box::new(FileSink {
        name: ctx.name.clone(),
        writer,
    }))
}

impl Sink for FileSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let dir = self.writer.options().dir.display().to_string();
        for record in batch {
            let line = serde_json::to_vec(&record.body).map_err(|e| {
                SendError::fatal(format!("cannot serialize record {}: {e}", record.id))
            })?;
            self.writer
                .write_line("", &line)
                .map_err(|e| SendError::retry(format!("writing under {dir}: {e}")))?;
        }
        Ok(Outcome::all_delivered())
    }

    fn flush(&mut self) -> Result<(), SendError> {
        self.writer.sync().map_err(|e| {
            SendError::retry(format!(
                "syncing under {}: {e}",
                self.writer.options().dir.display()
            ))
        })
    }
}
