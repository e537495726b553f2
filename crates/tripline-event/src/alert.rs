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
    /// Where a person's triage has got to (set by the console; absent until then). A
    /// triage change is a new revision of the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<Triage>,
}

/// Triage state of an alert: new -> acknowledged -> closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageStatus {
    /// Nobody has looked at it yet.
    New,
    /// Someone is looking at it.
    Acknowledged,
    /// Done, with a [`Resolution`].
    Closed,
}

/// How a closed alert was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// A real problem.
    TruePositive,
    /// Real, but allowed.
    Benign,
    /// The rule was wrong.
    FalsePositive,
}

impl TriageStatus {
    /// The stored and displayed name (`new`, `acknowledged`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            TriageStatus::New => "new",
            TriageStatus::Acknowledged => "acknowledged",
            TriageStatus::Closed => "closed",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<TriageStatus> {
        [
            TriageStatus::New,
            TriageStatus::Acknowledged,
            TriageStatus::Closed,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

impl Resolution {
    /// The stored and displayed name (`true_positive`, `benign`, `false_positive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::TruePositive => "true_positive",
            Resolution::Benign => "benign",
            Resolution::FalsePositive => "false_positive",
        }
    }

    /// The resolution named `s`, if any.
    pub fn parse(s: &str) -> Option<Resolution> {
        [
            Resolution::TruePositive,
            Resolution::Benign,
            Resolution::FalsePositive,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One triage step: who moved the alert to which status, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    /// The status after this step.
    pub status: TriageStatus,
    /// Set when `status` is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// The person's note (may be empty).
    #[serde(default)]
    pub note: String,
    /// The console user who made the change.
    pub by: String,
    /// When, RFC 3339.
    pub time: String,
}

impl Alert {
    /// How many evidence events an alert carries at most.
    pub const MAX_EVIDENCE: usize = 10;

    /// Longest value a summary shows, in characters; longer ones end in `…`.
    pub const SUMMARY_VALUE_CHARS: usize = 120;

    /// One `field=value` pair as a summary names it (the values of a rule's `fields:`):
    /// the value's text on one line (control characters escaped), at most
    /// [`Alert::SUMMARY_VALUE_CHARS`] characters. `None` for a null value. The engine
    /// writes summaries with it and the redactor finds the pairs to redact with it, so
    /// both must render alike.
    pub fn summary_pair(field: &str, value: &Value) -> Option<String> {
        let text = value.to_text()?;
        let mut out = format!("{field}=");
        for (i, c) in text.chars().enumerate() {
            if i == Self::SUMMARY_VALUE_CHARS {
                out.push('…');
                break;
            }
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_pairs_are_one_bounded_line() {
        let pair = |v: Value| Alert::summary_pair("f", &v);
        assert_eq!(pair("never".into()).as_deref(), Some("f=never"));
        assert_eq!(pair(Value::Int(3)).as_deref(), Some("f=3"));
        assert_eq!(pair(Value::Null), None);
        assert_eq!(pair("a\nb\tc".into()).as_deref(), Some("f=a\\nb\\tc"));
        let long = pair("x".repeat(500).into()).unwrap();
        assert_eq!(long.chars().count(), 2 + Alert::SUMMARY_VALUE_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
