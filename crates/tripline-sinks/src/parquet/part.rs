//! Partitions, and writing one Parquet file atomically: a hidden temp file in its
//! partition directory, published by fsync and rename, then an fsync of the directory.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::columns::{self, Row};
use crate::sink::Record;

/// Prefix and suffix of files being written; readers skip dot files and `*.tmp`.
pub const TEMP_PREFIX: &str = ".part-";
/// Suffix of a part file still being written.
pub const TEMP_SUFFIX: &str = ".parquet.tmp";

/// Where a record goes: `kind=<kind>/agent=<agent>/date=YYYY-MM-DD/hour=HH`, in UTC.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition(String);

impl Partition {
    /// The partition a record belongs to.
    pub fn of(record: &Record) -> Partition {
        let time = DateTime::<Utc>::from_timestamp_millis(record.time_ms).unwrap_or_default();
        Partition(format!(
            "kind={}/agent={}/date={}/hour={}",
            record.kind.as_str(),
            escape(&record.agent),
            time.format("%Y-%m-%d"),
            time.format("%H")
        ))
    }

    /// The partition's directory under `root`.
    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }
}

/// A partition value as Hive escapes it: anything but ASCII letters, digits, `_`, `-`
/// and `.` becomes `%XX`; an empty value is `__HIVE_DEFAULT_PARTITION__`.
fn escape(value: &str) -> String {
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".into();
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'-')
            || (b == b'.' && !value.bytes().all(|c| c == b'.'))
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes `rows` to a new file in the partition's directory: a hidden temp file, row groups
/// of at most `row_group_rows`, the footer, fsync, rename to `part-<uuid v7>.parquet`, fsync
/// of the directory. On error the temp file is removed and nothing is published.
pub fn write_file(
    root: &Path,
    partition: &Partition,
    rows: &[Row],
    row_group_rows: usize,
    props: Arc<WriterProperties>,
) -> std::io::Result<PathBuf> {
    let dir = partition.dir(root);
    fs::create_dir_all(&dir)?;
    let stem = uuid::Uuid::now_v7();
    let temp = dir.join(format!("{TEMP_PREFIX}{stem}{TEMP_SUFFIX}"));
    let target = dir.join(format!("part-{stem}.parquet"));
    let result =
        write_temp(&temp, rows, row_group_rows, props).and_then(|()| fs::rename(&temp, &target));
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    File::open(&dir)?.sync_all()?;
    Ok(target)
}

fn write_temp(
    temp: &Path,
    rows: &[Row],
    row_group_rows: usize,
    props: Arc<WriterProperties>,
) -> std::io::Result<()> {
    let file = File::options().write(true).create_new(true).open(temp)?;
    let mut writer = SerializedFileWriter::new(BufWriter::new(file), columns::schema(), props)
        .map_err(std::io::Error::other)?;
    for chunk in rows.chunks(row_group_rows.max(1)) {
        columns::write_row_group(&mut writer, chunk).map_err(std::io::Error::other)?;
    }
    let buffered = writer.into_inner().map_err(std::io::Error::other)?;
    let file = buffered.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Removes temp files a crashed writer left under `root`. Their rows were never flushed,
/// so delivery sends them again.
pub fn remove_stale_temp_files(root: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            removed += remove_stale_temp_files(&path)?;
        } else if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::RecordKind;

    #[test]
    fn partition_path_and_escaping() {
        let record = Record {
            kind: RecordKind::Event,
            id: "e".into(),
            revision: 1,
            time_ms: 1_795_168_802_000, // 2026-11-20T10:00:02Z
            agent: "codex".into(),
            body: serde_json::json!({}),
        };
        assert_eq!(
            Partition::of(&record).0,
            "kind=event/agent=codex/date=2026-11-20/hour=10"
        );
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape("claude_code"), "claude_code");
        assert_eq!(escape(""), "__HIVE_DEFAULT_PARTITION__");
    }
}
