//! What the detection stage emits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::value::Value;

/// The rule that produced an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The rule's `id:` (a UUID in the built-in packs).
    pub id: String,
    /// The rule's file stem, used in `rules` commands and alert ids.
    pub name: String,
    /// The rule's `title:`.
    pub title: String,
    /// The rule's Sigma `level:` (`informational` .. `critical`).
    pub level: String,
    #[serde(default)]
    /// The rule's `tags:`, including its `tripline.pattern.<p>` tag.
    pub tags: Vec<String>,
}

/// Prefix of the pattern-taxonomy tag (`docs/detections.md`, "Pattern taxonomy").
pub const PATTERN_TAG_PREFIX: &str = "tripline.pattern.";

impl RuleRef {
    /// The rule's pattern (`posture_weakened`, ...): its `tripline.pattern.<p>` tag.
    pub fn pattern(&self) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix(PATTERN_TAG_PREFIX))
    }
}

/// One alert. Identity is (`id`, `revision`): a suppressed repeat re-emits the same `id`
/// with a higher `revision` and `count`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable: derived from the rule, the group and the window's first event.
    pub id: String,
    /// Starts at 1; each suppressed repeat or status change adds one.
    pub revision: u32,
    /// Event time of the last contributing event, RFC 3339.
    pub time: String,
    /// The rule that fired.
    pub rule: RuleRef,
    /// The agent of the contributing events (`codex`, `claude_code`, `gemini_cli`, `unknown`).
    pub agent: String,
    /// Group-by values, plus `conversation_id`, `host_name` and `user_email` when known.
    pub group: BTreeMap<String, Value>,
    /// How many times the rule fired for this group (1 + suppressed repeats).
    pub count: u64,
    /// Event time of the first contributing event, RFC 3339.
    pub first_time: String,
    /// Event time of the last contributing event of the latest revision, RFC 3339.
    pub last_time: String,
    /// Up to 10 evidence events (redacted before the alert leaves the detect stage).
    pub events: Vec<Event>,
    /// Ids of every contributing event.
    pub event_ids: Vec<String>,
    /// One human sentence.
    pub summary: String,
}

impl Alert {
    /// How many evidence events an alert carries at most.
    pub const MAX_EVIDENCE: usize = 10;
}
