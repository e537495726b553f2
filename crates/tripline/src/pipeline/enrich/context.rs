//! The enrichment context: what is remembered per conversation, in bounded maps with
//! oldest-first eviction, persisted as one store entry per conversation and per pending
//! tool decision (plus a small meta entry), so a batch rewrites only what it touched.

use std::collections::{HashMap, HashSet};

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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnrichContext {
    pub version: u32,
    pub tick: u64,
    conversations: HashMap<String, Conversation>,
    /// key: `conversation_id` + U+001F + `call_id`
    decisions: HashMap<String, Decision>,
    /// what changed since the last commit (bookkeeping, not state)
    #[serde(skip)]
    changes: Changes,
}

impl PartialEq for EnrichContext {
    fn eq(&self, o: &EnrichContext) -> bool {
        self.version == o.version
            && self.tick == o.tick
            && self.conversations == o.conversations
            && self.decisions == o.decisions
    }
}

/// Keys written or removed since the last commit.
#[derive(Clone, Debug, Default)]
struct Changes {
    conversations: HashSet<String>,
    decisions: HashSet<String>,
    removed: Vec<String>,
}

/// One persisted piece of the enrichment state.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrichEntry {
    /// format version and the use counter
    Meta {
        version: u32,
        tick: u64,
    },
    Conversation {
        key: String,
        value: Conversation,
    },
    Decision {
        key: String,
        value: Decision,
    },
}

/// The entries a batch changed: (entry name, entry) to write, entry names to delete.
/// Names reveal raw ids; the caller stores them only under a keyed hash.
#[derive(Debug, Default)]
pub struct EnrichDelta {
    pub upserts: Vec<(String, EnrichEntry)>,
    pub removals: Vec<String>,
}

const META_NAME: &str = "enrich/meta";

fn conversation_name(key: &str) -> String {
    format!("enrich/conversation/{key}")
}

fn decision_name(key: &str) -> String {
    format!("enrich/decision/{key}")
}

impl Default for EnrichContext {
    fn default() -> Self {
        EnrichContext {
            version: Self::VERSION,
            tick: 0,
            conversations: HashMap::new(),
            decisions: HashMap::new(),
            changes: Changes::default(),
        }
    }
}

impl EnrichContext {
    /// Format version of the serialized state.
    pub const VERSION: u32 = 1;

    /// The next use stamp.
    pub fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// The conversation, for reading.
    pub fn conversation(&self, key: &str) -> Option<&Conversation> {
        self.conversations.get(key)
    }

    /// The conversation, for changing (marks it changed).
    pub fn conversation_mut(&mut self, key: &str) -> Option<&mut Conversation> {
        let c = self.conversations.get_mut(key)?;
        if !self.changes.conversations.contains(key) {
            self.changes.conversations.insert(key.to_owned());
        }
        Some(c)
    }

    /// Remember a conversation, replacing what was known.
    pub fn insert_conversation(&mut self, key: String, c: Conversation) {
        self.changes.conversations.insert(key.clone());
        self.conversations.insert(key, c);
    }

    /// The pending decision, for changing (marks it changed).
    pub fn decision_mut(&mut self, key: &str) -> Option<&mut Decision> {
        let d = self.decisions.get_mut(key)?;
        if !self.changes.decisions.contains(key) {
            self.changes.decisions.insert(key.to_owned());
        }
        Some(d)
    }

    /// Remember a decision, replacing what was known.
    pub fn insert_decision(&mut self, key: String, d: Decision) {
        self.changes.decisions.insert(key.clone());
        self.decisions.insert(key, d);
    }

    /// Drop the least recently used entries above the caps (down to 90 % of the cap, so
    /// eviction runs rarely).
    pub fn evict(&mut self) {
        let Changes {
            conversations,
            decisions,
            removed,
        } = &mut self.changes;
        for key in evict_map(&mut self.conversations, MAX_CONVERSATIONS, |c| c.used) {
            conversations.remove(&key);
            removed.push(conversation_name(&key));
        }
        for key in evict_map(&mut self.decisions, MAX_DECISIONS, |d| d.used) {
            decisions.remove(&key);
            removed.push(decision_name(&key));
        }
    }

    /// Every entry (a full rewrite).
    pub fn all_entries(&self) -> Vec<(String, EnrichEntry)> {
        let mut out = vec![self.meta()];
        out.extend(
            self.conversations
                .iter()
                .map(|(k, v)| conversation_entry(k, v)),
        );
        out.extend(self.decisions.iter().map(|(k, v)| decision_entry(k, v)));
        out
    }

    /// The entries changed since the last [`EnrichContext::mark_committed`]. The meta entry
    /// is written whenever anything else is.
    pub fn delta(&self) -> EnrichDelta {
        let c = &self.changes;
        let mut upserts = Vec::new();
        for k in &c.conversations {
            if let Some(v) = self.conversations.get(k) {
                upserts.push(conversation_entry(k, v));
            }
        }
        for k in &c.decisions {
            if let Some(v) = self.decisions.get(k) {
                upserts.push(decision_entry(k, v));
            }
        }
        if !upserts.is_empty() || !c.removed.is_empty() {
            upserts.push(self.meta());
        }
        EnrichDelta {
            upserts,
            removals: c.removed.clone(),
        }
    }

    /// The last [`EnrichContext::delta`] is stored.
    pub fn mark_committed(&mut self) {
        self.changes = Changes::default();
    }

    /// Rebuild the state from its stored entries (any order).
    pub fn from_entries(entries: impl IntoIterator<Item = EnrichEntry>) -> anyhow::Result<Self> {
        let mut s = EnrichContext::default();
        for e in entries {
            match e {
                EnrichEntry::Meta { version, tick } => {
                    anyhow::ensure!(
                        version == Self::VERSION,
                        "enrichment state version {version} is not supported (expected {})",
                        Self::VERSION
                    );
                    s.tick = tick;
                }
                EnrichEntry::Conversation { key, value } => {
                    s.conversations.insert(key, value);
                }
                EnrichEntry::Decision { key, value } => {
                    s.decisions.insert(key, value);
                }
            }
        }
        Ok(s)
    }

    fn meta(&self) -> (String, EnrichEntry) {
        let meta = EnrichEntry::Meta {
            version: self.version,
            tick: self.tick,
        };
        (META_NAME.to_owned(), meta)
    }
}

fn conversation_entry(k: &str, v: &Conversation) -> (String, EnrichEntry) {
    let e = EnrichEntry::Conversation {
        key: k.to_owned(),
        value: v.clone(),
    };
    (conversation_name(k), e)
}

fn decision_entry(k: &str, v: &Decision) -> (String, EnrichEntry) {
    let e = EnrichEntry::Decision {
        key: k.to_owned(),
        value: v.clone(),
    };
    (decision_name(k), e)
}

/// Evict down to 90 % of `cap` when over it; returns the evicted keys.
fn evict_map<V>(map: &mut HashMap<String, V>, cap: usize, used: impl Fn(&V) -> u64) -> Vec<String> {
    if map.len() <= cap {
        return Vec::new();
    }
    let keep = cap - cap / 10;
    let mut stamps: Vec<u64> = map.values().map(&used).collect();
    stamps.sort_unstable();
    let cutoff = stamps[map.len() - keep];
    let gone: Vec<String> = map
        .iter()
        .filter(|(_, v)| used(v) < cutoff)
        .map(|(k, _)| k.clone())
        .collect();
    for k in &gone {
        map.remove(k);
    }
    gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_keeps_the_newest() {
        let mut m: HashMap<String, u64> = (0..(MAX_DECISIONS as u64 + 1))
            .map(|i| (i.to_string(), i))
            .collect();
        let gone = evict_map(&mut m, MAX_DECISIONS, |v| *v);
        assert_eq!(m.len(), MAX_DECISIONS - MAX_DECISIONS / 10);
        assert_eq!(gone.len(), MAX_DECISIONS + 1 - m.len());
        assert!(m.contains_key(&MAX_DECISIONS.to_string()));
        assert!(!m.contains_key("0"));
    }

    #[test]
    fn the_delta_holds_only_what_changed_and_entries_rebuild_the_state() {
        let mut s = EnrichContext::default();
        for i in 0..5 {
            let t = s.next_tick();
            s.insert_conversation(
                format!("c{i}"),
                Conversation {
                    used: t,
                    ..Default::default()
                },
            );
        }
        let first = s.delta();
        assert_eq!(
            first.upserts.len(),
            6,
            "five conversations and the meta entry"
        );
        s.mark_committed();
        assert!(
            s.delta().upserts.is_empty(),
            "nothing changed since the commit"
        );

        let t = s.next_tick();
        s.conversation_mut("c2").unwrap().used = t;
        let d = s.delta();
        let names: Vec<&str> = d.upserts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"enrich/conversation/c2") && names.contains(&META_NAME));

        let rebuilt = EnrichContext::from_entries(s.all_entries().into_iter().map(|(_, e)| e));
        assert_eq!(rebuilt.unwrap(), s);
    }
}
