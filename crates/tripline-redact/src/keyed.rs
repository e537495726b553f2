//! Keyed digests (HMAC-SHA256) for fingerprints, hashes and pseudonyms.
//!
//! Each use has its own domain tag so a prompt hash never equals the pseudonym or the
//! fingerprint of the same text. The key is held privately and never printed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a digest is for; part of the HMAC input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    /// Short fingerprint inside a `[SECRET:id:fp]` mask.
    Fingerprint,
    /// Replacement of a hashed prompt or argv value.
    Hash,
    /// Pseudonym of an identifier.
    Pseudonym,
}

impl Domain {
    fn tag(self) -> &'static [u8] {
        match self {
            Domain::Fingerprint => b"tripline/fingerprint\0",
            Domain::Hash => b"tripline/hash\0",
            Domain::Pseudonym => b"tripline/pseudonym\0",
        }
    }
}

/// An HMAC key. `Debug` never shows the bytes.
#[derive(Clone)]
pub(crate) struct Keyed {
    mac: HmacSha256,
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(<hidden>)")
    }
}

impl Keyed {
    pub(crate) fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        Keyed { mac }
    }

    /// The first `hex_chars` lowercase hex characters (at most 64) of
    /// HMAC(key, domain tag || data).
    pub(crate) fn hex(&self, domain: Domain, data: &[u8], hex_chars: usize) -> String {
        let mut mac = self.mac.clone();
        mac.update(domain.tag());
        mac.update(data);
        let digest = mac.finalize().into_bytes();
        let mut text = hex::encode(digest);
        text.truncate(hex_chars.clamp(1, 64));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_keys_separate_digests() {
        let k = Keyed::new(b"k1");
        let a = k.hex(Domain::Hash, b"x", 64);
        assert_eq!(a.len(), 64);
        assert_eq!(a, k.hex(Domain::Hash, b"x", 64));
        assert_ne!(a, k.hex(Domain::Pseudonym, b"x", 64));
        assert_ne!(a, Keyed::new(b"k2").hex(Domain::Hash, b"x", 64));
        assert_eq!(k.hex(Domain::Hash, b"x", 8), a[..8]);
        assert!(!format!("{k:?}").contains("k1"));
    }
}
