//! The serializable streaming state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::correlation::window::GroupWindow;
use crate::first_seen::FirstSeenState;
use crate::suppress::SuppressEntry;

/// Everything that must survive a restart. Keyed by rule id, so recompiling (new lists,
/// edited rules) keeps the state of unchanged rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// format version
    pub version: u32,
    /// sequence number of the next event
    pub seq: u64,
    /// newest event time seen or given (Unix ns)
    pub watermark_ns: Option<i64>,
    /// correlation rule id -> group key -> window
    pub corr: BTreeMap<String, BTreeMap<String, GroupWindow>>,
    /// first_seen rule id -> learned values
    pub first_seen: BTreeMap<String, FirstSeenState>,
    /// suppression key -> open window
    pub suppress: BTreeMap<String, SuppressEntry>,
    /// events dropped from correlations as too late
    pub late_dropped: u64,
}

impl State {
    /// Current snapshot format version.
    pub const VERSION: u32 = 1;

    /// A fresh state.
    pub fn new() -> State {
        State {
            version: Self::VERSION,
            ..State::default()
        }
    }
}
