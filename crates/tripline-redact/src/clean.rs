//! Strings a redactor has already scanned and found clean, so a value that recurs (the
//! resource attributes every event of an export carries, span names, field names) is
//! scanned once, not once per event.
//!
//! Whether a string holds a secret depends only on the string and on the masker's settings
//! (scanner, confidence floor, fingerprint width), which are fixed for a [`crate::Redactor`]
//! and shared by its clones; so a remembered answer is the answer. Only short strings are
//! remembered, and the memory is bounded: past [`CleanStrings::CAP`] entries it starts over.

use std::collections::HashSet;
use std::sync::Mutex;

/// Which scan a string passed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scan {
    /// `Masker::mask` (JSON inside the string included)
    Value,
    /// `Masker::mask_raw` (the text as it is: field names)
    Raw,
}

/// The clean strings of one redactor.
#[derive(Debug, Default)]
pub(crate) struct CleanStrings {
    sets: Mutex<[HashSet<Box<str>>; 2]>,
}

impl CleanStrings {
    /// Longest string remembered, in bytes.
    pub const MAX_LEN: usize = 256;
    /// Entries per scan before the set starts over.
    pub const CAP: usize = 50_000;

    /// Whether `text` is known to be clean under `scan`.
    pub fn contains(&self, scan: Scan, text: &str) -> bool {
        if text.len() > Self::MAX_LEN {
            return false;
        }
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets[scan as usize].contains(text)
    }

    /// Remember that `text` is clean under `scan`.
    pub fn insert(&self, scan: Scan, text: &str) {
        if text.len() > Self::MAX_LEN {
            return;
        }
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        let set = &mut sets[scan as usize];
        if set.len() >= Self::CAP {
            set.clear();
        }
        set.insert(text.into());
    }
}
