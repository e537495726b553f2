//! Reading the complete lines appended to a file since a saved position.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::offsets::{FileKey, Position};

/// Bytes of the file's start that identify it.
const HEAD_BYTES: u64 = 256;

/// One line: its 1-based number, and its bytes without the terminator (`None` when it was
/// longer than the limit and skipped).
pub struct Line {
    pub number: u64,
    pub bytes: Option<Vec<u8>>,
}

/// What one read returned: complete lines only, and the offset after the last of them.
pub struct Chunk {
    pub lines: Vec<Line>,
    pub line_count: u64,
    pub end: u64,
}

/// An open input file.
pub struct TailFile {
    path: PathBuf,
    file: File,
    key: FileKey,
    len: u64,
}

impl TailFile {
    pub fn open(path: &Path) -> anyhow::Result<TailFile> {
        let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("{}: cannot stat", path.display()))?;
        Ok(TailFile {
            path: path.to_path_buf(),
            key: format!("{}:{}", meta.dev(), meta.ino()),
            len: meta.len(),
            file,
        })
    }

    pub fn key(&self) -> FileKey {
        self.key.clone()
    }

    /// Why a saved position does not fit this file (it shrank, or its first bytes are not
    /// the ones read), if it does not.
    pub fn must_restart(&mut self, pos: &Position) -> anyhow::Result<Option<&'static str>> {
        if pos.offset == 0 {
            return Ok(None);
        }
        if self.len < pos.offset {
            return Ok(Some(
                "the file is shorter than the saved position (truncated)",
            ));
        }
        if self.head_fingerprint(pos.offset)? != pos.head {
            return Ok(Some("the file's first bytes changed (a new file)"));
        }
        Ok(None)
    }

    /// SHA-256 (hex) of the first `min(HEAD_BYTES, upto)` bytes.
    pub fn head_fingerprint(&mut self, upto: u64) -> anyhow::Result<String> {
        let n = upto.min(HEAD_BYTES);
        let mut buf = Vec::with_capacity(n as usize);
        self.file.seek(SeekFrom::Start(0))?;
        (&mut self.file)
            .take(n)
            .read_to_end(&mut buf)
            .with_context(|| format!("{}: cannot read", self.path.display()))?;
        Ok(hex::encode(Sha256::digest(&buf)))
    }

    /// Up to `max_lines` complete lines after `pos`. A line without its newline yet is left
    /// for a later read; a line longer than `max_line` is returned without bytes.
    pub fn read_lines(
        &mut self,
        pos: &Position,
        max_lines: usize,
        max_line: u64,
    ) -> anyhow::Result<Chunk> {
        self.file.seek(SeekFrom::Start(pos.offset))?;
        let mut reader = BufReader::new(&mut self.file);
        let mut chunk = Chunk {
            lines: Vec::new(),
            line_count: 0,
            end: pos.offset,
        };
        let mut buf = Vec::new();
        while chunk.lines.len() < max_lines {
            buf.clear();
            let n = (&mut reader)
                .take(max_line + 1)
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("{}: cannot read", self.path.display()))?
                as u64;
            if n == 0 {
                break;
            }
            let number = pos.line + chunk.line_count + 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                chunk.end += n;
                chunk.line_count += 1;
                chunk.lines.push(Line {
                    number,
                    bytes: Some(std::mem::take(&mut buf)),
                });
            } else if n > max_line {
                // Too long: skip to the end of the line, if it has one yet.
                let mut skipped = n;
                loop {
                    let avail = reader.fill_buf()?;
                    if avail.is_empty() {
                        return Ok(chunk);
                    }
                    match avail.iter().position(|b| *b == b'\n') {
                        Some(i) => {
                            reader.consume(i + 1);
                            skipped += i as u64 + 1;
                            break;
                        }
                        None => {
                            let k = avail.len();
                            reader.consume(k);
                            skipped += k as u64;
                        }
                    }
                }
                chunk.end += skipped;
                chunk.line_count += 1;
                chunk.lines.push(Line {
                    number,
                    bytes: None,
                });
            } else {
                break; // an unfinished last line
            }
        }
        Ok(chunk)
    }
}
