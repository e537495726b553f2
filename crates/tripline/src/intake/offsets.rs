//! The read position of every tailed file, saved in the data dir (`intake/offsets.json`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A file's identity: `"<device>:<inode>"`, so a renamed file keeps its position.
pub type FileKey = String;

/// Where reading a file stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The path the file had when last read (for people reading the file).
    pub path: String,
    /// Bytes consumed: everything before this offset has been stored.
    pub offset: u64,
    /// Lines consumed (the next line is `line + 1`).
    pub line: u64,
    /// SHA-256 (hex) of the file's first bytes (up to 256, at most `offset`): tells a
    /// rewritten file or a reused inode from the file that was read.
    pub head: String,
}

/// Every file's position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offsets {
    version: u32,
    files: BTreeMap<FileKey, Position>,
}

/// Entries kept at most; the ones for files that no longer exist go first.
const MAX_FILES: usize = 10_000;

impl Offsets {
    const VERSION: u32 = 1;

    /// Read the saved positions; a missing file is an empty set.
    pub fn load(path: &Path) -> anyhow::Result<Offsets> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Offsets::default()),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
        };
        let o: Offsets = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not an offsets file", path.display()))?;
        if o.version != Self::VERSION {
            anyhow::bail!(
                "{}: offsets version {} is not supported (expected {})",
                path.display(),
                o.version,
                Self::VERSION
            );
        }
        Ok(o)
    }

    /// Write atomically (temporary file, fsync, rename).
    pub fn save(&mut self, path: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        self.version = Self::VERSION;
        if self.files.len() > MAX_FILES {
            self.files.retain(|_, p| Path::new(&p.path).exists());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("{}: cannot write", tmp.display()))?;
        f.write_all(&serde_json::to_vec_pretty(self)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("{}: cannot replace", path.display()))?;
        Ok(())
    }

    pub fn get(&self, key: &FileKey) -> Option<&Position> {
        self.files.get(key)
    }

    pub fn set(&mut self, key: FileKey, pos: Position) {
        self.files.insert(key, pos);
    }
}
