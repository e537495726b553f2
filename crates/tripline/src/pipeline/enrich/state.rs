//! Per-conversation enrichment state: bounded maps with oldest-first eviction, persisted
//! beside the engine snapshot.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// At most this many conversations are remembered.
pub const MAX_CONVERSATIONS: usize = 20_000;
/// At most this many tool decisions (by conversation + call_id) are remembered.
pub const MAX_DECISIONS: usize = 50_000;

/// What is remembered about one conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// last use (state tick), for eviction
    pub used: u64,
    /// classified from the `codex.conversation_starts` record (else from the first event)
    pub from_start: bool,
    pub session_class: String,
    pub session_class_reason: String,
    pub approval_policy: Option<String>,
    pub sandbox_policy: Option<String>,
    /// the agent layer's `permission_mode` at the start (or first seen)
    #[serde(default)]
    pub permission_mode: Option<String>,
    /// the agent layer's `sandbox` at the start (or first seen)
    #[serde(default)]
    pub sandbox: Option<String>,
}

/// A `codex.tool_decision`, kept until its `codex.tool_result` arrives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub used: u64,
    pub decision: Option<String>,
    pub source: Option<String>,
}

/// Everything the enrichment remembers across batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrichState {
    pub version: u32,
    pub tick: u64,
    pub conversations: HashMap<String, Conversation>,
    /// key: `conversation_id` + U+001F + `call_id`
    pub decisions: HashMap<String, Decision>,
}

impl Default for EnrichState {
    fn default() -> Self {
        EnrichState {
            version: Self::VERSION,
            tick: 0,
            conversations: HashMap::new(),
            decisions: HashMap::new(),
        }
    }
}

impl EnrichState {
    /// Format version of the serialized state.
    pub const VERSION: u32 = 1;

    /// The next use stamp.
    pub fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// Drop the least recently used entries above the caps (down to 90 % of the cap, so
    /// eviction runs rarely).
    pub fn evict(&mut self) {
        evict_map(&mut self.conversations, MAX_CONVERSATIONS, |c| c.used);
        evict_map(&mut self.decisions, MAX_DECISIONS, |d| d.used);
    }
}

fn evict_map<V>(map: &mut HashMap<String, V>, cap: usize, used: impl Fn(&V) -> u64) {
    if map.len() <= cap {
        return;
    }
    let keep = cap - cap / 10;
    let mut stamps: Vec<u64> = map.values().map(&used).collect();
    stamps.sort_unstable();
    let cutoff = stamps[map.len() - keep];
    map.retain(|_, v| used(v) >= cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_keeps_the_newest() {
        let mut m: HashMap<String, u64> = (0..(MAX_DECISIONS as u64 + 1))
            .map(|i| (i.to_string(), i))
            .collect();
        evict_map(&mut m, MAX_DECISIONS, |v| *v);
        assert_eq!(m.len(), MAX_DECISIONS - MAX_DECISIONS / 10);
        assert!(m.contains_key(&MAX_DECISIONS.to_string()));
        assert!(!m.contains_key("0"));
    }
}
