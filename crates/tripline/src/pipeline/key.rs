//! The keyed-hash secret used for pseudonyms and fingerprints. It lives outside the data
//! dir, in a 0600 file, so a copy of the data dir alone cannot reverse a pseudonym by
//! brute force over known values.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// Key length in bytes.
const KEY_LEN: usize = 32;

/// The default key file: `$XDG_CONFIG_HOME/tripline/hmac.key`, else
/// `$HOME/.config/tripline/hmac.key`.
pub fn default_key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tripline").join("hmac.key"))
}

/// Read the key, creating a random one (mode 0600, parent 0700) when the file is missing.
pub fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        let meta = fs::metadata(path)?;
        if meta.permissions().mode() & 0o077 != 0 {
            bail!(
                "{}: key file must not be readable by group or others (chmod 600)",
                path.display()
            );
        }
        let key = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if key.len() < 16 {
            bail!(
                "{}: key is too short ({} bytes, need at least 16)",
                path.display(),
                key.len()
            );
        }
        return Ok(key);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    let mut key = vec![0u8; KEY_LEN];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .context("reading /dev/urandom")?;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(&key)?;
    f.sync_all()?;
    Ok(key)
}
