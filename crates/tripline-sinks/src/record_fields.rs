//! The few well-known fields that sinks with a fixed layout (syslog structured data, CEF,
//! Parquet columns) put in their own slots.
//!
//! They are taken from the typed event or alert when its record is made
//! ([`crate::format::event_record`], [`crate::format::alert_record`]), after the sink's own
//! redaction, so they hold what the body holds whatever its format. Values that are not
//! strings are rendered as compact JSON.

use tripline_event::{names, Alert, Event, Value};

/// Well-known fields of one record; `None` when the record does not carry them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordFields {
    /// Events: the canonical event name (`codex.tool_result`, ...).
    pub event_name: Option<String>,
    /// Alerts: the rule's name (`codex_sensitive_tool_output_exported`).
    pub rule_name: Option<String>,
    /// Alerts: the rule's title.
    pub rule_title: Option<String>,
    /// Alerts: the Sigma level (`informational` .. `critical`).
    pub rule_level: Option<String>,
    /// Alerts: the rule's id.
    pub rule_id: Option<String>,
    /// The conversation (alerts: from the group).
    pub conversation_id: Option<String>,
    /// The host (alerts: from the group).
    pub host_name: Option<String>,
    /// The user (alerts: from the group).
    pub user_email: Option<String>,
    /// Alerts: the one-sentence summary.
    pub summary: Option<String>,
}

impl RecordFields {
    /// The fields of an event. Rule fields stay `None`: an event's `severity` is never a
    /// rule level.
    pub fn of_event(event: &Event) -> RecordFields {
        let text = |n: &str| event.get(n).and_then(Value::to_text);
        RecordFields {
            event_name: text(names::EVENT_NAME),
            conversation_id: text(names::CONVERSATION_ID),
            host_name: text(names::HOST_NAME),
            user_email: text(names::USER_EMAIL),
            ..RecordFields::default()
        }
    }

    /// The fields of an alert revision: its rule, summary, and the identity fields of its
    /// group.
    pub fn of_alert(alert: &Alert) -> RecordFields {
        let group = |n: &str| alert.group.get(n).and_then(Value::to_text);
        RecordFields {
            event_name: None,
            rule_name: Some(alert.rule.name.clone()),
            rule_title: Some(alert.rule.title.clone()),
            rule_level: Some(alert.rule.level.clone()),
            rule_id: Some(alert.rule.id.clone()),
            conversation_id: group(names::CONVERSATION_ID),
            host_name: group(names::HOST_NAME),
            user_email: group(names::USER_EMAIL),
            summary: Some(alert.summary.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use tripline_event::{Alert, Event, RuleRef, Value};

    use super::*;
    use crate::format::{alert_record, event_record, Format};

    fn alert() -> Alert {
        Alert {
            id: "a1".into(),
            revision: 2,
            time: "2026-11-20T10:00:02Z".into(),
            rule: RuleRef {
                id: "r1".into(),
                name: "codex_x".into(),
                title: "X".into(),
                level: "high".into(),
                tags: vec![],
            },
            agent: "codex".into(),
            group: [
                ("host_name".to_owned(), Value::from("dev-1")),
                ("conversation_id".to_owned(), Value::from("c1")),
            ]
            .into_iter()
            .collect(),
            count: 1,
            first_time: "2026-11-20T10:00:00Z".into(),
            last_time: "2026-11-20T10:00:02Z".into(),
            events: vec![],
            event_ids: vec![],
            summary: "sum".into(),
            triage: None,
        }
    }

    #[test]
    fn an_alert_carries_its_rule_summary_and_group_in_every_format() {
        let a = alert();
        let want = RecordFields {
            event_name: None,
            rule_name: Some("codex_x".into()),
            rule_title: Some("X".into()),
            rule_level: Some("high".into()),
            rule_id: Some("r1".into()),
            conversation_id: Some("c1".into()),
            host_name: Some("dev-1".into()),
            user_email: None,
            summary: Some("sum".into()),
        };
        for format in [Format::Native, Format::Ocsf, Format::Ecs] {
            assert_eq!(alert_record(&a, format).fields, want, "{format:?}");
        }
    }

    #[test]
    fn an_event_carries_its_identity_and_never_a_rule_level() {
        let mut e = Event::new();
        e.insert("id", "e1");
        e.insert("event_name", "codex.user_prompt");
        e.insert("user_email", "anon:1");
        e.insert("severity", "INFO");
        e.insert("host_name", Value::Int(7));
        for format in [Format::Native, Format::Ocsf, Format::Ecs] {
            let f = event_record(&e, format).fields;
            assert_eq!(f.event_name.as_deref(), Some("codex.user_prompt"));
            assert_eq!(f.user_email.as_deref(), Some("anon:1"));
            assert_eq!(f.host_name.as_deref(), Some("7"), "non-strings as JSON");
            assert_eq!(
                f.rule_level, None,
                "an event's severity is not a rule level"
            );
            assert_eq!(f.conversation_id, None);
        }
    }
}
