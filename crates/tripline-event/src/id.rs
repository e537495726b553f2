//! Content-derived event ids: the one place an event's `id` is made.
//!
//! Every id is [`ID_LEN`] lowercase hex digits: the first 128 bits of SHA-256 over what the
//! event was made from, so the same input always gives the same id (exporter retries,
//! re-runs and re-read files are recognized as duplicates). Two inputs are hashed:
//!
//! * **An OTLP record** ([`IdAllocator`]): its signal kind, the digests of its resource and
//!   scope ([`part_digest`]) and the record's own protobuf encoding, each part
//!   length-prefixed. The same request decoded twice, from protobuf or from JSON, gives the
//!   same ids. Records that are byte-for-byte identical within one request get distinct
//!   ids: the n-th repeat (n ≥ 1) hashes the first id's digest together with n.
//! * **A flattened JSON line without an `id`** ([`line_id`]): `flat\0` followed by the
//!   line's bytes, so a line read twice (a restart, a rotated copy) is the same event.
//!
//! Hashing and handing out are two steps for OTLP records: a record is hashed before its
//! values are moved out of the decoded message, and gets its id only once it passed the
//! limits (a rejected record does not count as a repeat).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// Length of every content id, in hex digits.
pub const ID_LEN: usize = 32;

/// A record's content hash, before [`IdAllocator::assign`] makes it an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordDigest([u8; 16]);

impl RecordDigest {
    /// The content hash of a record made of `parts` (the record's own encoding among
    /// them), each length-prefixed so part boundaries cannot shift.
    pub fn of_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> RecordDigest {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        RecordDigest(truncate(h.finalize().into()))
    }
}

/// SHA-256 of a part that many records share (an encoded resource or scope), computed
/// once and then hashed into each record's [`RecordDigest`].
pub fn part_digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Hands out the ids of one request's records, telling identical records apart.
#[derive(Default)]
pub struct IdAllocator {
    seen: HashMap<[u8; 16], u32>,
    /// Reused for each record's encoding.
    scratch: Vec<u8>,
}

impl IdAllocator {
    /// The content hash of a record made of `parts` followed by what `encode` writes (the
    /// record's own encoding) into a buffer reused across records.
    pub fn digest(&mut self, parts: &[&[u8]], encode: impl FnOnce(&mut Vec<u8>)) -> RecordDigest {
        self.scratch.clear();
        encode(&mut self.scratch);
        RecordDigest::of_parts(parts.iter().copied().chain([self.scratch.as_slice()]))
    }

    /// The id for a record with this content hash: the hash itself the first time, the
    /// hash of (hash, n) for the n-th repeat in this request.
    pub fn assign(&mut self, digest: RecordDigest) -> String {
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

/// The id of a flattened JSON line that carries none of its own.
pub fn line_id(line: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"flat\0");
    h.update(line);
    hex16(&truncate(h.finalize().into()))
}

/// Lowercase hex of 16 bytes, without going through an iterator of chars.
fn hex16(bytes: &[u8; 16]) -> String {
    let mut out = [0u8; ID_LEN];
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

    fn is_id(id: &str) -> bool {
        id.len() == ID_LEN
            && id
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    }

    #[test]
    fn same_parts_same_id_across_requests_and_repeats_differ() {
        let id = |ids: &mut IdAllocator, parts: &[&[u8]]| {
            let d = ids.digest(parts, |buf| buf.extend_from_slice(b"abc"));
            ids.assign(d)
        };
        let mut a = IdAllocator::default();
        let mut b = IdAllocator::default();
        let x1 = id(&mut a, &[b"log"]);
        let x2 = id(&mut a, &[b"log"]);
        assert_ne!(x1, x2);
        assert_eq!(x1, id(&mut b, &[b"log"]));
        assert_eq!(x2, id(&mut b, &[b"log"]));
        assert!(is_id(&x1) && is_id(&x2));
        // length prefixes keep part boundaries apart
        assert_ne!(id(&mut a, &[b"ab", b"c"]), id(&mut a, &[b"a", b"bc"]));
    }

    #[test]
    fn digest_is_sha256_over_length_prefixed_parts() {
        let mut ids = IdAllocator::default();
        let d = ids.digest(&[b"log"], |buf| buf.extend_from_slice(b"abc"));
        let mut h = Sha256::new();
        for p in [&b"log"[..], &b"abc"[..]] {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        assert_eq!(d.0[..], h.finalize()[..16]);
        assert_eq!(d, RecordDigest::of_parts([&b"log"[..], &b"abc"[..]]));
    }

    #[test]
    fn a_line_id_is_the_prefixed_sha256_of_the_line() {
        let line = br#"{"event_name":"conn","host_name":"h"}"#;
        let id = line_id(line);
        assert!(is_id(&id));
        let mut h = Sha256::new();
        h.update(b"flat\0");
        h.update(line);
        assert_eq!(id, hex::encode(&h.finalize()[..16]));
        assert_ne!(id, line_id(br#"{"event_name":"conn","host_name":"i"}"#));
    }
}
