//! The few well-known fields that sinks with a fixed layout (syslog structured data, CEF,
//! Parquet columns) lift out of a record's formatted body.
//!
//! The body arrives in the sink's configured format, so each field is looked up under the
//! paths it has in the native form, in OCSF and in ECS, first match wins. A field that no
//! path finds is `None`; values that are not strings are rendered as compact JSON.

use serde_json::Value as Json;

use crate::sink::Record;

/// Well-known fields of one record; `None` when the body does not carry them.
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
    /// The record's `conversation_id`, when it has one.
    pub conversation_id: Option<String>,
    /// The record's `host_name`, when it has one.
    pub host_name: Option<String>,
    /// The record's `user_email`, when it has one.
    pub user_email: Option<String>,
    /// Alerts: the one-sentence summary.
    pub summary: Option<String>,
}

// Each list: native, then OCSF, then ECS paths.
const EVENT_NAME: &[&str] = &["event_name", "unmapped.event_name", "event.action"];
const RULE_NAME: &[&str] = &["rule.name", "finding_info.analytic.name"];
const RULE_TITLE: &[&str] = &["rule.title", "finding_info.title", "rule.description"];
const RULE_LEVEL: &[&str] = &["rule.level", "severity", "labels.rule_level"];
const RULE_ID: &[&str] = &["rule.id", "finding_info.analytic.uid"];
const CONVERSATION_ID: &[&str] = &[
    "conversation_id",
    "group.conversation_id",
    "unmapped.tripline_group.conversation_id",
    "unmapped.conversation_id",
    "labels.conversation_id",
];
const HOST_NAME: &[&str] = &[
    "host_name",
    "group.host_name",
    "unmapped.tripline_group.host_name",
    "device.hostname",
    "host.name",
];
const USER_EMAIL: &[&str] = &[
    "user_email",
    "group.user_email",
    "unmapped.tripline_group.user_email",
    "actor.user.email_addr",
    "user.email",
];
const SUMMARY: &[&str] = &["summary", "message"];

impl RecordFields {
    /// Looks the fields up in `record.body`. Rule fields are read for alerts only and the
    /// event name for events only, so an OCSF `severity` on an event is never a rule level.
    pub fn of(record: &Record) -> RecordFields {
        let body = &record.body;
        let alert = record.kind == crate::sink::RecordKind::Alert;
        let when = |cond: bool, paths: &[&str]| if cond { lookup(body, paths) } else { None };
        RecordFields {
            event_name: when(!alert, EVENT_NAME),
            rule_name: when(alert, RULE_NAME),
            rule_title: when(alert, RULE_TITLE),
            rule_level: when(alert, RULE_LEVEL),
            rule_id: when(alert, RULE_ID),
            conversation_id: lookup(body, CONVERSATION_ID),
            host_name: lookup(body, HOST_NAME),
            user_email: lookup(body, USER_EMAIL),
            summary: when(alert, SUMMARY),
        }
    }
}

/// The first non-null value under one of `paths` (dot-separated object keys). A key that
/// itself contains dots (flat native events) is tried whole before being split.
fn lookup(body: &Json, paths: &[&str]) -> Option<String> {
    paths
        .iter()
        .find_map(|path| at(body, path))
        .and_then(|v| match v {
            Json::Null => None,
            Json::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
}

fn at<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    let obj = value.as_object()?;
    if let Some(v) = obj.get(path) {
        return Some(v).filter(|v| !v.is_null());
    }
    let (head, rest) = path.split_once('.')?;
    at(obj.get(head)?, rest)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sink::RecordKind;

    fn record(kind: RecordKind, body: Json) -> Record {
        Record {
            kind,
            id: "x".into(),
            revision: 1,
            time_ms: 0,
            agent: "codex".into(),
            body,
        }
    }

    #[test]
    fn native_alert_and_event() {
        let a = RecordFields::of(&record(
            RecordKind::Alert,
            json!({"rule": {"name": "r", "title": "T", "level": "high", "id": "rid"}, "group": {"conversation_id": "c1", "host_name": "h"}, "summary": "s"}),
        ));
        assert_eq!(a.rule_name.as_deref(), Some("r"));
        assert_eq!(a.rule_title.as_deref(), Some("T"));
        assert_eq!(a.rule_level.as_deref(), Some("high"));
        assert_eq!(a.conversation_id.as_deref(), Some("c1"));
        assert_eq!(a.host_name.as_deref(), Some("h"));
        assert_eq!(a.user_email, None);
        assert_eq!(a.event_name, None);
        let e = RecordFields::of(&record(
            RecordKind::Event,
            json!({"event_name": "codex.user_prompt", "user_email": "anon:1", "severity": "INFO"}),
        ));
        assert_eq!(e.event_name.as_deref(), Some("codex.user_prompt"));
        assert_eq!(e.user_email.as_deref(), Some("anon:1"));
        assert_eq!(
            e.rule_level, None,
            "an event's severity is not a rule level"
        );
    }

    #[test]
    fn ocsf_alert() {
        let body = crate::format::ocsf::detection_finding(&tripline_event::Alert {
            id: "a1".into(),
            revision: 2,
            time: "2026-11-20T10:00:02Z".into(),
            rule: tripline_event::RuleRef {
                id: "r1".into(),
                name: "codex_x".into(),
                title: "X".into(),
                level: "high".into(),
                tags: vec![],
            },
            agent: "codex".into(),
            group: [("host_name".to_owned(), tripline_event::Value::from("dev-1"))]
                .into_iter()
                .collect(),
            count: 1,
            first_time: "2026-11-20T10:00:00Z".into(),
            last_time: "2026-11-20T10:00:02Z".into(),
            events: vec![],
            event_ids: vec![],
            summary: "sum".into(),
        });
        let f = RecordFields::of(&record(RecordKind::Alert, body));
        assert_eq!(f.rule_name.as_deref(), Some("codex_x"));
        assert_eq!(f.rule_title.as_deref(), Some("X"));
        assert_eq!(f.rule_level.as_deref(), Some("high"));
        assert_eq!(f.host_name.as_deref(), Some("dev-1"));
        assert_eq!(f.summary.as_deref(), Some("sum"));
    }
}
