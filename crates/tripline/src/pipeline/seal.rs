//! Sealing the engine's state at rest. Correlation windows keep their evidence events and
//! first-seen baselines keep the values they learned, both unredacted (detection needs the
//! raw values), so the snapshot is encrypted (ChaCha20-Poly1305) before it is stored. The
//! key is derived from the key file that lives outside the data dir: a copy of the data dir
//! alone reveals nothing, and a restart (even after kill -9) can still read its state.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::OnceLock;

/// Format tag at the start of a sealed blob.
const MAGIC: &[u8; 4] = b"TLS1";
const NONCE_LEN: usize = 12;

/// Encrypts and decrypts state blobs with a key derived from the keyed-hash key, and names
/// state entries with a keyed hash derived from the same key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
    /// key of the entry-name hash
    names: Vec<u8>,
    /// opened on first use, then read for every nonce
    urandom: OnceLock<std::fs::File>,
}

fn derive(key: &[u8], purpose: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

impl Sealer {
    /// A sealer keyed from `key` (the contents of the key file).
    pub fn new(key: &[u8]) -> Sealer {
        let derived = derive(key, b"tripline engine state encryption v1");
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&derived)),
            names: derive(key, b"tripline engine state entry names v1"),
            urandom: OnceLock::new(),
        }
    }

    /// The stored name of a state entry: a keyed hash (128 bits, hex) of its logical name,
    /// which holds raw group and learned values and so is never stored itself.
    pub fn entry_id(&self, name: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.names).expect("HMAC takes any key length");
        mac.update(name.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    fn nonce(&self) -> anyhow::Result<[u8; NONCE_LEN]> {
        let mut nonce = [0u8; NONCE_LEN];
        let file = match self.urandom.get() {
            Some(f) => f,
            None => {
                let f = std::fs::File::open("/dev/urandom")
                    .map_err(|e| anyhow::anyhow!("opening /dev/urandom: {e}"))?;
                self.urandom.get_or_init(|| f)
            }
        };
        std::io::Read::read_exact(&mut &*file, &mut nonce)
            .map_err(|e| anyhow::anyhow!("reading /dev/urandom: {e}"))?;
        Ok(nonce)
    }

    /// `MAGIC | nonce | ciphertext+tag`.
    pub fn seal(&self, plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = self.nonce()?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| anyhow::anyhow!("encrypting the engine state failed"))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plaintext of a blob made by [`Sealer::seal`] with the same key.
    pub fn open(&self, blob: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rest = blob.strip_prefix(MAGIC.as_slice()).ok_or_else(|| {
            anyhow::anyhow!("the stored engine state is not sealed (unknown format)")
        })?;
        if rest.len() < NONCE_LEN {
            anyhow::bail!("the stored engine state is truncated");
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| {
                anyhow::anyhow!(
                    "the stored engine state cannot be decrypted: was the key file replaced?"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let a = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let blob = a.seal(b"raw evidence AKIAIOSFODNN7EXAMPLE").unwrap();
        assert!(!blob.windows(20).any(|w| w == b"AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(a.open(&blob).unwrap(), b"raw evidence AKIAIOSFODNN7EXAMPLE");
        let b = Sealer::new(b"another key entirely, 32 bytes!!");
        assert!(b.open(&blob).is_err());
        assert!(a.open(b"plain json").is_err());
        assert_ne!(
            a.seal(b"x").unwrap(),
            a.seal(b"x").unwrap(),
            "a fresh nonce per blob"
        );
    }

    #[test]
    fn entry_ids_are_keyed_and_hide_the_name() {
        let a = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let b = Sealer::new(b"another key entirely, 32 bytes!!");
        let name = r#"["w","r-many","alice@example.com\u001f"]"#;
        assert_eq!(a.entry_id(name), a.entry_id(name));
        assert_eq!(a.entry_id(name).len(), 32);
        assert_ne!(a.entry_id(name), b.entry_id(name));
        assert_ne!(a.entry_id(name), a.entry_id("[\"m\"]"));
        assert!(!a.entry_id(name).contains("alice"));
    }
}
