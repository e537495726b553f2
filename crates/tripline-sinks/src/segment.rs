//! Rotating JSON Lines segments, shared by the `file` and `archive` sinks.
//!
//! A segment is written under a hidden temp name (`.NAME.jsonl.tmp`) and appears under its
//! final name (`NAME.jsonl`, `NAME.jsonl.zst`, `NAME.jsonl.gz`) only when finished, by
//! rename, so a reader never sees a partial file. It is finished when it reaches
//! `max_bytes`, when it is `max_age` old, when the partition (a subdirectory such as
//! `date=2026-11-20`) changes, and when the writer is dropped. Compression is applied when a
//! segment is finished (the temp file is plain text, so it can be synced and recovered
//! line by line). After a crash, [`SegmentWriter::open`] finishes the temp files it finds,
//! cut back to their last complete line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

/// Compression of finished segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    /// Segments stay plain JSON Lines.
    None,
    /// Finished segments are zstd-compressed.
    Zstd,
    /// Finished segments are gzip-compressed.
    Gzip,
}

impl Compression {
    /// The finished file's suffix after `.jsonl`.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Zstd => ".zst",
            Compression::Gzip => ".gz",
        }
    }
}

/// How segments are named, rolled and compressed.
#[derive(Clone, Debug)]
pub struct SegmentOptions {
    /// The directory the segments go to.
    pub dir: PathBuf,
    /// File name prefix (`NAME` starts with it).
    pub prefix: String,
    /// Finish a segment once it holds this many bytes (uncompressed).
    pub max_bytes: u64,
    /// Finish a segment once it is this old.
    pub max_age: Duration,
    /// How finished segments are compressed.
    pub compression: Compression,
}

const TMP_SUFFIX: &str = ".tmp";
const PART_SUFFIX: &str = ".part";

struct Open {
    out: BufWriter<File>,
    tmp: PathBuf,
    /// `dir/partition/NAME.jsonl` (before the compression suffix).
    base: PathBuf,
    partition: String,
    bytes: u64,
    opened: Instant,
    dirty: bool,
}

/// Writes lines into the current segment and rolls segments.
pub struct SegmentWriter {
    opts: SegmentOptions,
    current: Option<Open>,
    counter: u64,
    finished: u64,
}

impl SegmentWriter {
    /// Create the directory and finish any temp segment a crash left behind.
    pub fn open(opts: SegmentOptions) -> io::Result<SegmentWriter> {
        fs::create_dir_all(&opts.dir)?;
        let writer = SegmentWriter {
            opts,
            current: None,
            counter: 0,
            finished: 0,
        };
        writer.recover(&writer.opts.dir.clone())?;
        Ok(writer)
    }

    /// The options this writer was opened with.
    pub fn options(&self) -> &SegmentOptions {
        &self.opts
    }

    /// Segments finished by this writer so far.
    pub fn finished_count(&self) -> u64 {
        self.finished
    }

    fn recover(&self, dir: &Path) -> io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if path.is_dir() {
                self.recover(&path)?;
            } else if name.starts_with('.') && name.ends_with(PART_SUFFIX) {
                fs::remove_file(&path)?;
            } else if name.starts_with('.') && name.ends_with(&format!(".jsonl{TMP_SUFFIX}")) {
                truncate_to_last_line(&path)?;
                let base = dir.join(&name[1..name.len() - TMP_SUFFIX.len()]);
                finish_file(&path, &base, self.opts.compression)?;
            }
        }
        Ok(())
    }

    /// Append one line (a newline is added) to the segment of `partition` (`""` for the
    /// top directory, or a relative subdirectory such as `date=2026-11-20`).
    pub fn write_line(&mut self, partition: &str, line: &[u8]) -> io::Result<()> {
        let stale = self
            .current
            .as_ref()
            .is_some_and(|c| c.partition != partition || c.opened.elapsed() >= self.opts.max_age);
        if stale {
            self.finish()?;
        }
        if self.current.is_none() {
            self.current = Some(self.start(partition)?);
        }
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        cur.out.write_all(line)?;
        cur.out.write_all(b"\n")?;
        cur.bytes += line.len() as u64 + 1;
        cur.dirty = true;
        if cur.bytes >= self.opts.max_bytes {
            self.finish()?;
        }
        Ok(())
    }

    fn start(&mut self, partition: &str) -> io::Result<Open> {
        let dir = if partition.is_empty() {
            self.opts.dir.clone()
        } else {
            self.opts.dir.join(partition)
        };
        fs::create_dir_all(&dir)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        loop {
            self.counter += 1;
            let name = format!("{}-{stamp}-{:04}.jsonl", self.opts.prefix, self.counter);
            let base = dir.join(&name);
            let tmp = dir.join(format!(".{name}{TMP_SUFFIX}"));
            let finished = PathBuf::from(format!(
                "{}{}",
                base.display(),
                self.opts.compression.suffix()
            ));
            if tmp.exists() || finished.exists() {
                continue;
            }
            let file = OpenOptions::new().create_new(true).write(true).open(&tmp)?;
            return Ok(Open {
                out: BufWriter::new(file),
                tmp,
                base,
                partition: partition.to_owned(),
                bytes: 0,
                opened: Instant::now(),
                dirty: false,
            });
        }
    }

    /// Make every line written so far durable (fsync the temp segment), and finish the
    /// segment if it is `max_age` old.
    pub fn sync(&mut self) -> io::Result<()> {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.opened.elapsed() >= self.opts.max_age)
        {
            return self.finish().map(drop);
        }
        if let Some(cur) = self.current.as_mut() {
            if cur.dirty {
                cur.out.flush()?;
                cur.out.get_ref().sync_data()?;
                cur.dirty = false;
            }
        }
        Ok(())
    }

    /// Finish the current segment (if any): sync, compress, rename into place. Returns
    /// the finished file.
    pub fn finish(&mut self) -> io::Result<Option<PathBuf>> {
        let Some(mut cur) = self.current.take() else {
            return Ok(None);
        };
        cur.out.flush()?;
        cur.out.get_ref().sync_data()?;
        drop(cur.out);
        let done = finish_file(&cur.tmp, &cur.base, self.opts.compression)?;
        if done.is_some() {
            self.finished += 1;
        }
        Ok(done)
    }
}

impl Drop for SegmentWriter {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::error!(dir = %self.opts.dir.display(), "cannot finish the open segment: {e}");
        }
    }
}

/// Cut a temp segment back to its last complete line (a crash may leave half a line).
fn truncate_to_last_line(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let mut keep = len;
    let mut buf = vec![0u8; 64 * 1024];
    while keep > 0 {
        let start = keep.saturating_sub(buf.len() as u64);
        let n = (keep - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(pos) = buf[..n].iter().rposition(|b| *b == b'\n') {
            keep = start + pos as u64 + 1;
            break;
        }
        keep = start;
    }
    if keep != len {
        file.set_len(keep)?;
        file.sync_data()?;
    }
    Ok(())
}

/// Turn the temp file into the finished segment `base` + suffix, atomically; an empty temp
/// file is just removed.
fn finish_file(tmp: &Path, base: &Path, compression: Compression) -> io::Result<Option<PathBuf>> {
    if fs::metadata(tmp)?.len() == 0 {
        fs::remove_file(tmp)?;
        return Ok(None);
    }
    let target = PathBuf::from(format!("{}{}", base.display(), compression.suffix()));
    if compression == Compression::None {
        fs::rename(tmp, &target)?;
    } else {
        let dir = base.parent().unwrap_or(Path::new("."));
        let file_name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("segment");
        let part = dir.join(format!(".{file_name}{PART_SUFFIX}"));
        let mut input = File::open(tmp)?;
        let output = File::create(&part)?;
        let output = match compression {
            Compression::Zstd => {
                let mut enc = zstd::stream::Encoder::new(output, 3)?;
                io::copy(&mut input, &mut enc)?;
                enc.finish()?
            }
            Compression::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(output, flate2::Compression::default());
                io::copy(&mut input, &mut enc)?;
                enc.finish()?
            }
            Compression::None => output,
        };
        output.sync_all()?;
        fs::rename(&part, &target)?;
        fs::remove_file(tmp)?;
    }
    if let Some(dir) = target.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(Some(target))
}

/// Delete finished segments (not temp files) under `dir` last modified before `cutoff`,
/// and the partition directories left empty. Returns how many files were deleted.
pub fn remove_older_than(dir: &Path, cutoff: SystemTime) -> io::Result<u64> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with('.'));
        if path.is_dir() {
            removed += remove_older_than(&path, cutoff)?;
            if fs::read_dir(&path)?.next().is_none() {
                let _ = fs::remove_dir(&path);
            }
        } else if !hidden && entry.metadata()?.modified()? < cutoff {
            fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(dir: &Path, compression: Compression, max_bytes: u64) -> SegmentOptions {
        SegmentOptions {
            dir: dir.to_owned(),
            prefix: "t".into(),
            max_bytes,
            max_age: Duration::from_secs(3600),
            compression,
        }
    }

    fn finished(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in walk(dir) {
            if !e.file_name().unwrap().to_str().unwrap().starts_with('.') {
                out.push(e);
            }
        }
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    fn read_lines(path: &Path) -> Vec<String> {
        let mut text = String::new();
        let f = File::open(path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("zst") => zstd::stream::Decoder::new(f)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap(),
            Some("gz") => flate2::read::GzDecoder::new(f)
                .read_to_string(&mut text)
                .unwrap(),
            _ => {
                let mut f = f;
                f.read_to_string(&mut text).unwrap()
            }
        };
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn rotates_by_size_and_compresses_every_way() {
        for compression in [Compression::None, Compression::Zstd, Compression::Gzip] {
            let tmp = tempfile::tempdir().unwrap();
            let mut w = SegmentWriter::open(opts(tmp.path(), compression, 100)).unwrap();
            for i in 0..50 {
                w.write_line("", format!("{{\"n\":{i}}}").as_bytes())
                    .unwrap();
            }
            drop(w);
            let files = finished(tmp.path());
            assert!(
                files.len() > 3,
                "{compression:?}: rotated into several files: {files:?}"
            );
            assert!(files.iter().all(|f| f
                .to_str()
                .unwrap()
                .ends_with(&format!(".jsonl{}", compression.suffix()))));
            let lines: Vec<String> = files.iter().flat_map(|f| read_lines(f)).collect();
            let expected: Vec<String> = (0..50).map(|i| format!("{{\"n\":{i}}}")).collect();
            let mut sorted = lines.clone();
            sorted.sort_by_key(|l| l[5..l.len() - 1].parse::<u32>().unwrap());
            assert_eq!(sorted, expected, "{compression:?}");
            assert_eq!(walk(tmp.path()).len(), files.len(), "no temp files left");
        }
    }

    #[test]
    fn partitions_are_directories_and_age_rolls() {
        let tmp = tempfile::tempdir().unwrap();
        let mut o = opts(tmp.path(), Compression::Zstd, u64::MAX);
        o.max_age = Duration::from_millis(1);
        let mut w = SegmentWriter::open(o).unwrap();
        w.write_line("date=2026-11-20", b"a").unwrap();
        w.write_line("date=2026-11-21", b"b").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        w.sync().unwrap();
        let files = finished(tmp.path());
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[0].parent().unwrap().ends_with("date=2026-11-20"));
        assert_eq!(read_lines(&files[1]), vec!["b"]);
    }

    #[test]
    fn a_crashed_segment_is_recovered_to_its_last_full_line() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::open(opts(tmp.path(), Compression::Gzip, u64::MAX)).unwrap();
        w.write_line("", b"{\"n\":1}").unwrap();
        w.write_line("", b"{\"n\":2}").unwrap();
        w.sync().unwrap();
        // Simulate kill -9: leak the writer (no finish), then append half a line.
        let tmp_file = walk(tmp.path()).into_iter().next().unwrap();
        std::mem::forget(w);
        OpenOptions::new()
            .append(true)
            .open(&tmp_file)
            .unwrap()
            .write_all(b"{\"n\":3")
            .unwrap();
        fs::write(tmp.path().join(".t-x.jsonl.gz.part"), b"junk").unwrap();
        let w = SegmentWriter::open(opts(tmp.path(), Compression::Gzip, u64::MAX)).unwrap();
        drop(w);
        let files = finished(tmp.path());
        assert_eq!(files.len(), 1, "{:?}", walk(tmp.path()));
        assert_eq!(read_lines(&files[0]), vec!["{\"n\":1}", "{\"n\":2}"]);
        assert_eq!(walk(tmp.path()).len(), 1, "temp and partial files are gone");
    }

    #[test]
    fn retention_removes_old_segments_and_empty_partitions() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::open(opts(tmp.path(), Compression::Zstd, 1)).unwrap();
        w.write_line("date=2026-01-01", b"old").unwrap();
        drop(w);
        assert_eq!(
            remove_older_than(tmp.path(), SystemTime::now() - Duration::from_secs(60)).unwrap(),
            0
        );
        assert_eq!(
            remove_older_than(tmp.path(), SystemTime::now() + Duration::from_secs(1)).unwrap(),
            1
        );
        assert!(!tmp.path().join("date=2026-01-01").exists());
    }
}
