//! Stable, content-derived event ids.
//!
//! An id is the first 128 bits (32 hex digits) of SHA-256 over the record's signal kind,
//! its resource and scope (as protobuf), and the record itself (as protobuf), each part
//! length-prefixed. The same batch decoded twice, from protobuf or from JSON, gives the
//! same ids. Records that are byte-for-byte identical within one batch get distinct ids:
//! the n-th repeat (n ≥ 1) hashes the first id together with n.
//!
//! Hashing and handing out are two steps: a record is hashed before its values are taken
//! out of the decoded message, and gets its id only once it passed the limits (a rejected
//! record does not count as a repeat).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// SHA-256 of a protobuf message's encoding (resource and scope digests are computed once).
pub(crate) fn digest_message<M: prost::Message>(m: &M) -> [u8; 32] {
    Sha256::digest(m.encode_to_vec()).into()
}

/// A record's content hash, before [`IdAllocator::assign`] makes it an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RecordDigest([u8; 16]);

/// Hands out ids for one batch, disambiguating identical records.
#[derive(Default)]
pub(crate) struct IdAllocator {
    seen: HashMap<[u8; 16], u32>,
    /// Reused for each record's protobuf encoding.
    scratch: Vec<u8>,
}

impl IdAllocator {
    /// The content hash of a record made of `parts` followed by `record`'s protobuf encoding.
    pub(crate) fn digest<M: prost::Message>(
        &mut self,
        parts: &[&[u8]],
        record: &M,
    ) -> RecordDigest {
        self.scratch.clear();
        record
            .encode(&mut self.scratch)
            .expect("a Vec grows to fit any message");
        digest_parts(parts.iter().copied().chain([self.scratch.as_slice()]))
    }

    /// The id for a record with this content hash: the hash itself the first time, the
    /// hash of (hash, n) for the n-th repeat in this batch.
    pub(crate) fn assign(&mut self, digest: RecordDigest) -> String {
        let first = digest.0;
        let n = self.seen.entry(first).or_insert(0);
        let ordinal = *n;
        *n += 1;
        if ordinal == 0 {
            return hex16(&first);
        }
        let mut h = Sha256::new();
        h.update(first);
        h.update(ordinal.to_le_bytes());
        hex16(&truncate(h.finalize().into()))
    }
}

/// The content hash of a record made of `parts` (the record's own encoding among them).
pub(crate) fn digest_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> RecordDigest {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    RecordDigest(truncate(h.finalize().into()))
}

/// Lowercase hex of 16 bytes, without going through an iterator of chars.
fn hex16(bytes: &[u8; 16]) -> String {
    let mut out = [0u8; 32];
    hex::encode_to_slice(bytes, &mut out).expect("32 digits for 16 bytes");
    out.iter().map(|b| char::from(*b)).collect()
}

fn truncate(d: [u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn same_parts_same_id_across_batches_and_repeats_differ() {
        let rec = "abc".to_owned();
        let id = |ids: &mut IdAllocator, parts: &[&[u8]]| {
            let d = ids.digest(parts, &rec);
            ids.assign(d)
        };
        let mut a = IdAllocator::default();
        let mut b = IdAllocator::default();
        let x1 = id(&mut a, &[b"log"]);
        let x2 = id(&mut a, &[b"log"]);
        assert_ne!(x1, x2);
        assert_eq!(x1, id(&mut b, &[b"log"]));
        assert_eq!(x2, id(&mut b, &[b"log"]));
        assert_eq!(x1.len(), 32);
        assert!(x1
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // length prefixes keep part boundaries apart
        assert_ne!(id(&mut a, &[b"ab", b"c"]), id(&mut a, &[b"a", b"bc"]));
    }

    #[test]
    fn digest_is_sha256_over_length_prefixed_parts() {
        let mut ids = IdAllocator::default();
        let d = ids.digest(&[b"log"], &"abc".to_owned());
        let mut h = Sha256::new();
        for p in [&b"log"[..], &"abc".to_owned().encode_to_vec()] {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        assert_eq!(d.0[..], h.finalize()[..16]);
    }
}
