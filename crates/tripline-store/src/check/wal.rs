//! Reading a SQLite `-wal` file the way SQLite's recovery does, to find where the valid,
//! committed prefix ends and what follows it.
//!
//! Format (sqlite.org/fileformat2.html, "The Write-Ahead Log"): a 32-byte header, then
//! frames of a 24-byte header plus one page each. All integers are big-endian.
//!
//! * header: magic (`0x377f0682`: checksum words little-endian, `0x377f0683`: big-endian),
//!   format version 3007000, page size, checkpoint sequence, salt-1, salt-2, and a checksum
//!   of the first 24 bytes;
//! * frame header: page number, database size in pages after commit (non-zero only on a
//!   transaction's last frame, the commit frame), salt-1, salt-2 (copied from the header),
//!   and a checksum over the frame header's first 8 bytes and the page, cumulative: it
//!   starts from the previous frame's checksum (the header's for the first frame).
//!
//! Recovery accepts frames from the start while their salts match the header, the page
//! number is non-zero and the cumulative checksum holds; the log ends at the last commit
//! frame of that run. Everything after it is ignored by SQLite.

use serde::Serialize;

/// Size of the WAL file header.
pub const WAL_HEADER_BYTES: u64 = 32;
/// Size of a frame header (before its page).
pub const FRAME_HEADER_BYTES: u64 = 24;
const MAGIC_LE: u32 = 0x377f_0682;
const MAGIC_BE: u32 = 0x377f_0683;
const FORMAT_VERSION: u32 = 3_007_000;

/// Why the run of valid frames stopped before the end of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every whole frame in the file is valid.
    EndOfFile,
    /// A frame's salts differ from the header's: frames left over from before the WAL was
    /// restarted by a checkpoint (normal; SQLite reuses the file from the start).
    SaltMismatch,
    /// A frame carries the header's salts but its checksum is wrong: a torn or damaged
    /// write.
    Checksum,
    /// A frame with the header's salts names page 0.
    BadPageNumber,
    /// The header itself is invalid (magic, version, page size or checksum): SQLite
    /// ignores the whole file.
    BadHeader,
}

/// What a `-wal` file holds, as SQLite's recovery would see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalScan {
    /// Length of the file in bytes.
    pub file_bytes: u64,
    /// Whether the 32-byte header is present and valid.
    pub header_valid: bool,
    /// Why the header is invalid, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_problem: Option<String>,
    /// Page size from the header (0 when the header is invalid).
    pub page_size: u32,
    /// The header's checkpoint sequence number.
    pub checkpoint_seq: u32,
    /// Frames with the header's salts and a correct cumulative checksum, from the start.
    pub valid_frames: u64,
    /// Frames up to and including the last commit frame among the valid ones: what
    /// recovery keeps (SQLite's `mxFrame`).
    pub committed_frames: u64,
    /// Commit frames (= transactions) among the committed frames.
    pub transactions: u64,
    /// Byte offset where the committed log ends.
    pub committed_end: u64,
    /// Valid frames after the last commit frame: a transaction that never committed.
    pub uncommitted_frames: u64,
    /// Whole frames after the valid run that carry the header's salts: torn or damaged.
    pub torn_frames: u64,
    /// Commit frames among the torn frames: transactions recovery cannot keep. Whether
    /// they were ever acknowledged is unknown, so dropping them is a possible loss.
    pub torn_commit_frames: u64,
    /// Whole frames after the valid run with other salts: left over from an earlier WAL
    /// generation. SQLite ignores them; they are not a problem.
    pub stale_frames: u64,
    /// Bytes at the end too short to be a whole frame (a write cut short).
    pub partial_bytes: u64,
    /// Why the valid run stopped.
    pub stop: StopReason,
}

impl WalScan {
    /// Whether anything after the committed log would be discarded by recovery that is
    /// not an ordinary leftover from an earlier WAL generation: an unfinished
    /// transaction, frames with bad checksums, a partial frame, or a bad header on a
    /// non-empty file.
    pub fn torn_tail(&self) -> bool {
        self.uncommitted_frames > 0
            || self.torn_frames > 0
            || self.partial_bytes > 0
            || (!self.header_valid && self.file_bytes > 0)
    }

    /// Whether the part recovery drops may have held committed transactions: commit frames
    /// after a bad checksum (damage inside the log rather than a write cut short), or an
    /// unreadable header on a file long enough to hold a frame.
    pub fn may_hide_commits(&self) -> bool {
        let smallest_wal_with_a_frame = WAL_HEADER_BYTES + FRAME_HEADER_BYTES + 512;
        self.torn_commit_frames > 0
            || (!self.header_valid && self.file_bytes >= smallest_wal_with_a_frame)
    }

    /// Bytes after the committed log that recovery drops (torn, uncommitted, partial).
    pub fn torn_bytes(&self) -> u64 {
        if !self.torn_tail() {
            return 0;
        }
        if !self.header_valid {
            return self.file_bytes;
        }
        let frame = frame_bytes(self.page_size);
        (self.uncommitted_frames + self.torn_frames) * frame + self.partial_bytes
    }
}

fn frame_bytes(page_size: u32) -> u64 {
    FRAME_HEADER_BYTES + u64::from(page_size)
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's WAL checksum: over 32-bit words taken in pairs, in the byte order the magic
/// number chose, continuing from `(s1, s2)`. `data.len()` is a multiple of 8.
fn checksum(big_endian: bool, data: &[u8], (mut s1, mut s2): (u32, u32)) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |i: usize| {
            let b = [pair[i], pair[i + 1], pair[i + 2], pair[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        s1 = s1.wrapping_add(word(0)).wrapping_add(s2);
        s2 = s2.wrapping_add(word(4)).wrapping_add(s1);
    }
    (s1, s2)
}

/// Scan a `-wal` file's bytes.
pub fn scan(bytes: &[u8]) -> WalScan {
    let file_bytes = bytes.len() as u64;
    let mut out = WalScan {
        file_bytes,
        header_valid: false,
        header_problem: None,
        page_size: 0,
        checkpoint_seq: 0,
        valid_frames: 0,
        committed_frames: 0,
        transactions: 0,
        committed_end: 0,
        uncommitted_frames: 0,
        torn_frames: 0,
        torn_commit_frames: 0,
        stale_frames: 0,
        partial_bytes: 0,
        stop: StopReason::BadHeader,
    };
    if bytes.is_empty() {
        // An empty WAL (after a TRUNCATE checkpoint) is the cleanest state there is.
        out.header_valid = true;
        out.stop = StopReason::EndOfFile;
        return out;
    }
    if let Err(problem) = read_header(bytes, &mut out) {
        out.header_problem = Some(problem);
        return out;
    }
    let big_endian = be32(bytes, 0) == MAGIC_BE;
    let (salt1, salt2) = (be32(bytes, 16), be32(bytes, 20));
    let mut sum = (be32(bytes, 24), be32(bytes, 28));
    let frame = frame_bytes(out.page_size) as usize;
    let mut offset = WAL_HEADER_BYTES as usize;
    out.committed_end = WAL_HEADER_BYTES;
    out.stop = StopReason::EndOfFile;
    while offset + frame <= bytes.len() {
        let f = &bytes[offset..offset + frame];
        if be32(f, 8) != salt1 || be32(f, 12) != salt2 {
            out.stop = StopReason::SaltMismatch;
            break;
        }
        if be32(f, 0) == 0 {
            out.stop = StopReason::BadPageNumber;
            break;
        }
        let next = checksum(
            big_endian,
            &f[FRAME_HEADER_BYTES as usize..],
            checksum(big_endian, &f[..8], sum),
        );
        if next != (be32(f, 16), be32(f, 20)) {
            out.stop = StopReason::Checksum;
            break;
        }
        sum = next;
        offset += frame;
        out.valid_frames += 1;
        if be32(f, 4) != 0 {
            out.committed_frames = out.valid_frames;
            out.transactions += 1;
            out.committed_end = offset as u64;
        }
    }
    out.uncommitted_frames = out.valid_frames - out.committed_frames;
    let rest = &bytes[offset..];
    let whole = rest.len() / frame;
    out.partial_bytes = (rest.len() % frame) as u64;
    if out.stop == StopReason::SaltMismatch {
        // Frames of an earlier generation follow, unless one with the current salts
        // appears among them (then the current generation was torn there).
        for f in rest.chunks_exact(frame) {
            if be32(f, 8) == salt1 && be32(f, 12) == salt2 {
                out.torn_frames += 1;
                out.torn_commit_frames += u64::from(be32(f, 4) != 0);
            } else {
                out.stale_frames += 1;
            }
        }
    } else {
        out.torn_frames = whole as u64;
        out.torn_commit_frames =
            rest.chunks_exact(frame).filter(|f| be32(f, 4) != 0).count() as u64;
    }
    out
}

fn read_header(bytes: &[u8], out: &mut WalScan) -> Result<(), String> {
    if bytes.len() < WAL_HEADER_BYTES as usize {
        return Err(format!(
            "{} bytes, shorter than the 32-byte header",
            bytes.len()
        ));
    }
    let magic = be32(bytes, 0);
    if magic != MAGIC_LE && magic != MAGIC_BE {
        return Err(format!("magic number {magic:#010x} is not a SQLite WAL's"));
    }
    let version = be32(bytes, 4);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, expected {FORMAT_VERSION}"
        ));
    }
    let page_size = be32(bytes, 8);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "page size {page_size} is not a power of two in 512..=65536"
        ));
    }
    let sum = checksum(magic == MAGIC_BE, &bytes[..24], (0, 0));
    if sum != (be32(bytes, 24), be32(bytes, 28)) {
        return Err("header checksum mismatch".to_string());
    }
    out.header_valid = true;
    out.page_size = page_size;
    out.checkpoint_seq = be32(bytes, 12);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u32 = 512;

    /// A WAL with the given frames, each `(page number, commit size)`, written the way
    /// SQLite writes them.
    fn build(big_endian: bool, salts: (u32, u32), frames: &[(u32, u32)]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [
            if big_endian { MAGIC_BE } else { MAGIC_LE },
            FORMAT_VERSION,
            PAGE,
            7,
            salts.0,
            salts.1,
        ] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        let mut sum = checksum(big_endian, &b, (0, 0));
        b.extend_from_slice(&sum.0.to_be_bytes());
        b.extend_from_slice(&sum.1.to_be_bytes());
        for (i, &(pgno, commit)) in frames.iter().enumerate() {
            let page: Vec<u8> = (0..PAGE).map(|j| (j as usize * 31 + i * 7) as u8).collect();
            let mut head = Vec::new();
            head.extend_from_slice(&pgno.to_be_bytes());
            head.extend_from_slice(&commit.to_be_bytes());
            sum = checksum(big_endian, &page, checksum(big_endian, &head, sum));
            for w in [salts.0, salts.1, sum.0, sum.1] {
                head.extend_from_slice(&w.to_be_bytes());
            }
            b.extend_from_slice(&head);
            b.extend_from_slice(&page);
        }
        b
    }

    const FRAME: usize = 24 + PAGE as usize;

    #[test]
    fn clean_log_in_both_byte_orders() {
        for be in [false, true] {
            let s = scan(&build(be, (1, 2), &[(1, 0), (2, 3), (3, 0), (1, 3)]));
            assert!(s.header_valid && !s.torn_tail(), "{s:?}");
            assert_eq!(
                (s.valid_frames, s.committed_frames, s.transactions),
                (4, 4, 2)
            );
            assert_eq!(s.committed_end, s.file_bytes);
            assert_eq!(s.stop, StopReason::EndOfFile);
        }
    }

    #[test]
    fn empty_file_is_clean() {
        let s = scan(&[]);
        assert!(!s.torn_tail() && s.committed_frames == 0);
    }

    #[test]
    fn unfinished_transaction_is_a_torn_tail() {
        let s = scan(&build(false, (1, 2), &[(1, 0), (2, 3), (3, 0)]));
        assert_eq!((s.committed_frames, s.uncommitted_frames), (2, 1));
        assert!(s.torn_tail() && !s.may_hide_commits());
        assert_eq!(s.torn_bytes(), FRAME as u64);
    }

    #[test]
    fn half_frame_and_garbage_are_torn() {
        let full = build(false, (1, 2), &[(1, 2), (2, 2)]);
        let cut = &full[..full.len() - FRAME / 2];
        let s = scan(cut);
        assert_eq!(
            (s.committed_frames, s.partial_bytes),
            (1, (FRAME - FRAME / 2) as u64)
        );
        assert!(s.torn_tail());

        let mut garbage = full.clone();
        garbage.extend_from_slice(b"not a frame at all");
        let s = scan(&garbage);
        assert_eq!((s.committed_frames, s.partial_bytes), (2, 18));
        assert!(s.torn_tail());
    }

    #[test]
    fn flipped_bit_ends_the_log_there() {
        let mut b = build(true, (9, 9), &[(1, 2), (2, 2), (3, 2)]);
        let second_page = 32 + FRAME + 24 + 100;
        b[second_page] ^= 0x40;
        let s = scan(&b);
        assert_eq!(
            (s.committed_frames, s.torn_frames, s.stop),
            (1, 2, StopReason::Checksum)
        );
        assert_eq!(s.torn_commit_frames, 2);
        assert!(s.may_hide_commits());
        assert!(s.torn_tail());
    }

    #[test]
    fn frames_of_an_earlier_generation_are_not_a_problem() {
        let old = build(false, (5, 77), &[(1, 0), (2, 0), (3, 0), (4, 4)]);
        let mut b = build(false, (6, 1234), &[(1, 4)]);
        b.extend_from_slice(&old[b.len()..]);
        let s = scan(&b);
        assert_eq!(
            (s.committed_frames, s.stale_frames, s.stop),
            (1, 3, StopReason::SaltMismatch)
        );
        assert!(!s.torn_tail(), "{s:?}");
    }

    #[test]
    fn bad_header_voids_the_file() {
        let mut b = build(false, (1, 2), &[(1, 1)]);
        b[25] ^= 1;
        let s = scan(&b);
        assert!(!s.header_valid && s.torn_tail());
        assert_eq!(s.committed_frames, 0);
        assert!(s.may_hide_commits());
        assert!(s.header_problem.unwrap().contains("checksum"));
        let short = scan(b"short");
        assert!(short.header_problem.as_deref().unwrap().contains("shorter"));
        assert!(short.torn_tail() && !short.may_hide_commits());
    }
}
