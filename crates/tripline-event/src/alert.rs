//! What the detection stage emits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::value::Value;

/// The rule that produced an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRef {
    pub id: String,
    pub name: String,
    pub title: String,
    pub level: String,
    #[serde(default)]
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
    pub revision: u32,
    /// Event time of the last contributing event, RFC 3339.
    pub time: String,
    pub rule: RuleRef,
    pub agent: String,
    /// Group-by values, plus `conversation_id`, `host_name` and `user_email` when known.
    pub group: BTreeMap<String, Value>,
    pub count: u64,
    pub first_time: String,
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
