//! The `archive` sink: records (usually the raw tier: `receive = ["raw"]`, `admin = true`)
//! as zstd JSON Lines segments under `<path>/date=YYYY-MM-DD/` (UTC date of each record),
//! with segments older than `retention` deleted.
//!
//! ```toml
//! [[sinks]]
//! name = "raw-archive"
//! type = "archive"
//! receive = ["raw"]
//! admin = true
//! path = "/srv/tripline-archive"  # default: <data_dir>/sinks/<name>/archive
//! retention = "90d"               # default 30d; "never" keeps everything
//! max_bytes = 67108864            # roll at 64 MiB (uncompressed)
//! max_age = "1h"
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use crate::segment::{remove_older_than, Compression, SegmentOptions, SegmentWriter};
use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};

/// How often retention runs (at most).
const RETENTION_EVERY: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default = "default_retention")]
    retention: String,
    #[serde(default = "default_max_bytes")]
    max_bytes: u64,
    #[serde(
        default = "default_max_age",
        deserialize_with = "crate::spec::duration"
    )]
    max_age: Duration,
}

fn default_retention() -> String {
    "30d".into()
}
fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_max_age() -> Duration {
    Duration::from_secs(3600)
}

/// Writes records to rolling, optionally compressed JSON Lines segments.
pub struct ArchiveSink {
    name: String,
    writer: SegmentWriter,
    retention: Option<Duration>,
    last_sweep: Option<Instant>,
}

/// Builds an archive sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, "archive", options)?;
    let err = |message: String| BuildError {
        sink: ctx.name.clone(),
        kind: "archive",
        message,
    };
    let retention = tripline_store::duration::parse_ttl(&o.retention)
        .map_err(|e| err(format!("retention: {e}")))?;
    if o.max_bytes == 0 {
        return Err(err("max_bytes: must be greater than 0".into()));
    }
    if o.max_age.is_zero() {
        return Err(err("max_age: must be greater than 0".into()));
    }
    let dir = o
        .path
        .unwrap_or_else(|| ctx.data_dir.join("sinks").join(&ctx.name).join("archive"));
    let writer = SegmentWriter::open(SegmentOptions {
        dir: dir.clone(),
        prefix: ctx.name.clone(),
        max_bytes: o.max_bytes,
        max_age: o.max_age,
        compression: Compression::Zstd,
    })
    .map_err(|e| err(format!("path: cannot use {}: {e}", dir.display())))?;
    let mut sink = ArchiveSink {
        name: ctx.name.clone(),
        writer,
        retention,
        last_sweep: None,
    };
    sink.sweep()
        .map_err(|e| err(format!("retention sweep under {}: {e}", dir.display())))?;
    Ok(Box::new(sink))
}

impl ArchiveSink {
    fn sweep(&mut self) -> std::io::Result<()> {
        let Some(ttl) = self.retention else {
            return Ok(());
        };
        if self
            .last_sweep
            .is_some_and(|t| t.elapsed() < RETENTION_EVERY)
        {
            return Ok(());
        }
        self.last_sweep = Some(Instant::now());
        let removed = remove_older_than(&self.writer.options().dir, SystemTime::now() - ttl)?;
        if removed > 0 {
            tracing::info!(sink = %self.name, removed, "archive retention removed old segments");
        }
        Ok(())
    }
}

/// `date=YYYY-MM-DD` of a record's time (UTC).
fn partition(record: &Record) -> String {
    let day = chrono::DateTime::from_timestamp_millis(record.time_ms).unwrap_or_default();
    format!("date={}", day.format("%Y-%m-%d"))
}

impl Sink for ArchiveSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "archive"
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        for record in batch {
            let line = serde_json::to_vec(&record.body).map_err(|e| {
                SendError::fatal(format!("cannot serialize record {}: {e}", record.id))
            })?;
            self.writer
                .write_line(&partition(record), &line)
                .map_err(|e| {
                    SendError::retry(format!(
                        "writing under {}: {e}",
                        self.writer.options().dir.display()
                    ))
                })?;
        }
        Ok(Outcome::all_delivered())
    }

    fn flush(&mut self) -> Result<(), SendError> {
        let dir = self.writer.options().dir.display().to_string();
        self.writer
            .sync()
            .map_err(|e| SendError::retry(format!("syncing under {dir}: {e}")))?;
        self.sweep()
            .map_err(|e| SendError::retry(format!("retention under {dir}: {e}")))
    }
}
