//! The `parquet` sink: a Hive-partitioned data lake of Parquet files,
//! `<dir>/kind=<alert|event>/agent=<agent>/date=YYYY-MM-DD/hour=HH/part-<uuid v7>.parquet`.
//! Reference: `docs/sinks/parquet.md`.
//!
//! * [`columns`]: the file schema and the row-group writer.
//! * [`part`]: one file being written, partitions, atomic publication.
//!
//! Rows are kept in memory until their file is published, and a file is written whole at
//! publication: a hidden temp file, fsync, rename. Readers only ever see complete files, and
//! a failed write loses nothing (the rows stay buffered and the next send or flush tries
//! again). A file is published when its rows reach `max_file_bytes`, when it has been open
//! for `roll_interval`, and on every [`Sink::flush`].

pub mod columns;
pub mod part;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Deserialize;

use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};
use columns::Row;
use part::Partition;

const KIND: &str = "parquet";

/// Rows per row group.
const ROW_GROUP_ROWS: usize = 16_384;
/// Partitions buffered at once; past this the oldest is published first.
const MAX_OPEN_FILES: usize = 64;

/// `[[sinks]]` options of type `parquet`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Root of the lake; default `<data_dir>/sinks/<name>/lake` (a folder of its own, so
    /// that the sink's dead-letter file never sits among the partitions).
    #[serde(default)]
    dir: Option<PathBuf>,
    /// Publish a file once its rows add up to this many bytes (uncompressed).
    #[serde(default = "default_max_file_bytes")]
    max_file_bytes: u64,
    /// Publish a file once it has been open this long, e.g. `15m`.
    #[serde(default = "default_roll_interval")]
    roll_interval: String,
    /// `zstd` (default), `snappy` or `none`.
    #[serde(default = "default_compression")]
    compression: String,
}

fn default_max_file_bytes() -> u64 {
    64 << 20
}
fn default_roll_interval() -> String {
    "15m".into()
}
fn default_compression() -> String {
    "zstd".into()
}

/// The rows of one partition's next file.
struct Pending {
    opened: Instant,
    rows: Vec<Row>,
    weight: usize,
}

/// A Parquet data-lake sink.
pub struct ParquetSink {
    name: String,
    root: PathBuf,
    max_file_bytes: usize,
    roll_interval: Duration,
    props: Arc<WriterProperties>,
    open: HashMap<Partition, Pending>,
    /// Sum of the buffered rows' weights; bounded by twice `max_file_bytes`.
    buffered: usize,
}

/// Builds a Parquet sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    Ok(Box::new(ParquetSink::new(ctx, options)?))
}

impl ParquetSink {
    /// A Parquet sink from its `[[sinks]]` options.
    pub fn new(ctx: &BuildContext, options: &toml::Table) -> Result<ParquetSink, BuildError> {
        let opts: Options = parse_options(ctx, KIND, options)?;
        let err = |message: String| BuildError {
            sink: ctx.name.clone(),
            kind: KIND,
            message,
        };
        let root = opts
            .dir
            .clone()
            .unwrap_or_else(|| ctx.data_dir.join("sinks").join(&ctx.name).join("lake"));
        let roll_interval = tripline_store::duration::parse_duration(&opts.roll_interval)
            .map_err(|e| err(format!("roll_interval: {e}")))?;
        if roll_interval.is_zero() {
            return Err(err("roll_interval: must be more than 0".into()));
        }
        if opts.max_file_bytes < 4096 {
            return Err(err(format!(
                "max_file_bytes {}: must be at least 4096",
                opts.max_file_bytes
            )));
        }
        let compression = match opts.compression.as_str() {
            "zstd" => Compression::ZSTD(ZstdLevel::default()),
            "snappy" => Compression::SNAPPY,
            "none" => Compression::UNCOMPRESSED,
            other => {
                return Err(err(format!(
                    "compression {other:?}: expected \"zstd\", \"snappy\" or \"none\""
                )))
            }
        };
        std::fs::create_dir_all(&root).map_err(|e| err(format!("dir {}: {e}", root.display())))?;
        part::remove_stale_temp_files(&root).map_err(|e| {
            err(format!(
                "dir {}: removing stale temp files: {e}",
                root.display()
            ))
        })?;
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_created_by(format!("tripline {}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(ParquetSink {
            name: ctx.name.clone(),
            root,
            max_file_bytes: usize::try_from(opts.max_file_bytes).unwrap_or(usize::MAX),
            roll_interval,
            props: Arc::new(props),
            open: HashMap::new(),
            buffered: 0,
        })
    }

    /// The lake's root directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Writes and publishes the partition's buffered rows. On error they stay buffered.
    fn publish(&mut self, partition: &Partition) -> Result<(), SendError> {
        let Some(pending) = self.open.get(partition) else {
            return Ok(());
        };
        part::write_file(
            &self.root,
            partition,
            &pending.rows,
            ROW_GROUP_ROWS,
            self.props.clone(),
        )
        .map_err(|e| {
            // Disk full, permissions, a vanished directory: all may clear up, so retry.
            SendError::retry(format!(
                "parquet: writing a file in {}: {e}",
                partition.dir(&self.root).display()
            ))
        })?;
        if let Some(done) = self.open.remove(partition) {
            self.buffered -= done.weight;
        }
        Ok(())
    }

    /// Publishes the files that are due: open longer than `roll_interval`, or, while more
    /// than twice `max_file_bytes` is buffered, the largest.
    fn publish_due(&mut self) -> Result<(), SendError> {
        let due: Vec<Partition> = self
            .open
            .iter()
            .filter(|(_, p)| p.opened.elapsed() >= self.roll_interval)
            .map(|(k, _)| k.clone())
            .collect();
        for partition in due {
            self.publish(&partition)?;
        }
        while self.buffered > self.max_file_bytes.saturating_mul(2) {
            let Some(largest) = self
                .open
                .iter()
                .max_by_key(|(_, p)| p.weight)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.publish(&largest)?;
        }
        Ok(())
    }

    fn append(&mut self, record: &Record) -> Result<(), SendError> {
        let partition = Partition::of(record);
        if !self.open.contains_key(&partition) && self.open.len() >= MAX_OPEN_FILES {
            if let Some(oldest) = self
                .open
                .iter()
                .min_by_key(|(_, p)| p.opened)
                .map(|(k, _)| k.clone())
            {
                self.publish(&oldest)?;
            }
        }
        let row = Row::new(record);
        let weight = row.weight();
        let pending = self
            .open
            .entry(partition.clone())
            .or_insert_with(|| Pending {
                opened: Instant::now(),
                rows: Vec::new(),
                weight: 0,
            });
        pending.rows.push(row);
        pending.weight += weight;
        self.buffered += weight;
        if pending.weight >= self.max_file_bytes {
            self.publish(&partition)?;
        }
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        KIND
    }

    /// Buffers the batch. An `Err` (a file that could not be written) leaves every row
    /// buffered, including the batch's rows already appended; the retried batch may then be
    /// stored twice, which (`id`, `revision`) deduplicates.
    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        self.publish_due()?;
        for record in batch {
            self.append(record)?;
        }
        Ok(Outcome::all_delivered())
    }

    fn flush(&mut self) -> Result<(), SendError> {
        let mut partitions: Vec<Partition> = self.open.keys().cloned().collect();
        partitions.sort();
        for partition in partitions {
            self.publish(&partition)?;
        }
        Ok(())
    }
}
