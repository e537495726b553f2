//! Sealing the engine's state at rest. Correlation windows keep their evidence events and
//! first-seen baselines keep the values they learned, both unredacted (detection needs the
//! raw values), so the snapshot is encrypted (ChaCha20-Poly1305) before it is stored. The
//! key is derived from the key file that lives outside the data dir: a copy of the data dir
//! alone reveals nothing, and a restart (even after kill -9) can still read its state.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Format tag at the start of a sealed blob.
const MAGIC: &[u8; 4] = b"TLS1";
const NONCE_LEN: usize = 12;

/// Encrypts and decrypts state blobs with a key derived from the keyed-hash key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    /// A sealer keyed from `key` (the contents of the key file).
    pub fn new(key: &[u8]) -> Sealer {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"tripline engine state encryption v1");
        let derived = mac.finalize().into_bytes();
        Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&derived)) }
    }

    /// `MAGIC | nonce | ciphertext+tag`.
    pub fn seal(&self, plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut nonce))
            .map_err(|e| anyhow::anyhow!("reading /dev/urandom: {e}"))?;
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
        let rest = blob
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| anyhow::anyhow!("the stored engine state is not sealed (unknown format)"))?;
        if rest.len() < NONCE_LEN {
            anyhow::bail!("the stored engine state is truncated");
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), sealed).map_err(|_| {
            anyhow::anyhow!("the stored engine state cannot be decrypted: was the key file replaced?")
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
    }
}
