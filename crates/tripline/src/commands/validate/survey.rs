//! Aggregate events per agent / service / originator / version and compare them with the
//! known schema.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tripline_event::names::{self, canonical};
use tripline_event::{Agent, Event};
use tripline_otlp::known_schema::KnownSchema;

/// Which telemetry source a group of events came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GroupKey {
    pub agent: Agent,
    pub service: String,
    pub originator: String,
    pub version: String,
}

/// One event name seen in a group.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NameStats {
    pub count: u64,
    /// Canonical field names seen on any of its events.
    pub keys: BTreeSet<String>,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The name came from an `event.name` attribute (not only from the OTLP `eventName`
    /// field).
    pub semantic: bool,
}

/// What was seen for one group.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Group {
    /// Keyed by (signal, event name).
    pub names: BTreeMap<(String, String), NameStats>,
    pub prompts_seen: u64,
    pub prompts_unredacted: u64,
}

/// The aggregation over all inputs.
#[derive(Default)]
pub struct Survey {
    pub groups: BTreeMap<GroupKey, Group>,
}

fn text(e: &Event, key: &str) -> Option<String> {
    e.get(key).and_then(|v| v.to_text())
}

impl Survey {
    /// Count one event.
    pub fn add(&mut self, e: &Event, schema: &KnownSchema) {
        let agent = e.agent();
        let key = GroupKey {
            agent,
            service: text(e, names::SERVICE_NAME).unwrap_or_else(|| "-".into()),
            originator: text(e, names::ORIGINATOR).unwrap_or_else(|| "-".into()),
            version: text(e, "app_version")
                .or_else(|| text(e, names::SERVICE_VERSION))
                .unwrap_or_else(|| "-".into()),
        };
        let group = self.groups.entry(key).or_default();
        let signal = e.get_str(names::SIGNAL).unwrap_or("-").to_owned();
        let name = e.event_name().unwrap_or("-").to_owned();
        if signal == "log" {
            if let Some(p) = schema.prompt(agent, &name) {
                if let Some(v) = e.lookup(&p.key).and_then(|v| v.to_text()) {
                    group.prompts_seen += 1;
                    if !p.redacted.iter().any(|r| r == &v) {
                        group.prompts_unredacted += 1;
                    }
                }
            }
        }
        let semantic = e.get_str(names::OTLP_EVENT_NAME) != Some(name.as_str());
        let stats = group.names.entry((signal, name)).or_default();
        stats.count += 1;
        stats.semantic |= semantic;
        stats.keys.extend(e.fields().keys().cloned());
        if let Some(t) = e.time() {
            if stats.first.as_deref().is_none_or(|f| t < f) {
                stats.first = Some(t.to_owned());
            }
            if stats.last.as_deref().is_none_or(|l| t > l) {
                stats.last = Some(t.to_owned());
            }
        }
    }
}

/// Differences between one group and the known schema (log events only).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Findings {
    /// Log event names the schema does not know for this agent.
    pub unknown_events: Vec<String>,
    /// Events every session is expected to emit that were not seen.
    pub missing_expected: Vec<String>,
    /// Per event: keys seen that the schema does not list.
    pub new_keys: BTreeMap<String, Vec<String>>,
    /// Per event: keys the schema marks as always present that were not seen.
    pub missing_keys: BTreeMap<String, Vec<String>>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.unknown_events.is_empty()
            && self.missing_expected.is_empty()
            && self.new_keys.is_empty()
            && self.missing_keys.is_empty()
    }
}

/// Field names tripline itself sets (never attributes).
const INTRINSIC: &[&str] = &[
    names::ID,
    names::TIME,
    names::OBSERVED_TIME,
    names::RECEIVED_TIME,
    names::SIGNAL,
    names::AGENT,
    names::EVENT_NAME,
    names::OTLP_EVENT_NAME,
    names::SCOPE_NAME,
    names::SCOPE_VERSION,
    names::SEVERITY,
    names::SEVERITY_NUMBER,
    names::TRACE_ID,
    names::SPAN_ID,
    names::BODY,
    names::EMITTER,
];

/// Compare a group's log events with the schema. Only records named by an `event.name`
/// attribute are compared (a name taken from the OTLP `eventName` field, such as Codex's
/// call sites, is listed but not judged). Keys present on every compared event name of the
/// group are treated as resource or common keys, not as event-specific changes. Expected
/// events are reported missing only for groups that carry at least one known event.
pub fn compare(key: &GroupKey, group: &Group, schema: &KnownSchema) -> Findings {
    let mut f = Findings::default();
    let logs: Vec<(&String, &NameStats)> = group
        .names
        .iter()
        .filter(|((sig, _), s)| sig == "log" && s.semantic)
        .map(|((_, n), s)| (n, s))
        .collect();
    if logs.is_empty() {
        return f;
    }
    let shared: BTreeSet<&String> = logs
        .iter()
        .map(|(_, s)| &s.keys)
        .fold(None::<BTreeSet<&String>>, |acc, keys| {
            Some(match acc {
                None => keys.iter().collect(),
                Some(a) => a.into_iter().filter(|k| keys.contains(*k)).collect(),
            })
        })
        .unwrap_or_default();
    let common: BTreeSet<String> = schema
        .common_keys(key.agent)
        .iter()
        .map(|k| canonical(k))
        .collect();
    for (name, stats) in &logs {
        let Some(known) = schema.event(key.agent, name) else {
            f.unknown_events.push((*name).clone());
            continue;
        };
        if !known.has_keys() {
            continue;
        }
        let listed: BTreeSet<String> = known.keys().map(canonical).collect();
        let new: Vec<String> = stats
            .keys
            .iter()
            .filter(|k| {
                !listed.contains(*k)
                    && !common.contains(*k)
                    && !shared.contains(k)
                    && !INTRINSIC.contains(&k.as_str())
                    && !k.starts_with(names::RESOURCE_PREFIX)
                    && !k.starts_with(names::SCOPE_PREFIX)
            })
            .cloned()
            .collect();
        if !new.is_empty() {
            f.new_keys.insert((*name).clone(), new);
        }
        let missing: Vec<String> = known
            .required
            .iter()
            .flatten()
            .map(|k| canonical(k))
            .filter(|k| !stats.keys.contains(k) && !INTRINSIC.contains(&k.as_str()))
            .collect();
        if !missing.is_empty() {
            f.missing_keys.insert((*name).clone(), missing);
        }
    }
    let seen: BTreeSet<&str> = logs.iter().map(|(n, _)| n.as_str()).collect();
    if !seen.iter().any(|n| schema.event(key.agent, n).is_some()) {
        return f;
    }
    f.missing_expected = schema
        .events_of(key.agent)
        .filter(|e| e.expected && !seen.contains(e.name.as_str()))
        .map(|e| e.name.clone())
        .collect();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> Event {
        match serde_json::from_str(json) {
            Ok(serde_json::Value::Object(o)) => Event::from_json_object(o),
            other => panic!("{other:?}"),
        }
    }

    const SCHEMA: &str = r#"
[agents.codex]
common = ["conversation.id"]
[[event]]
agent = "codex"
name = "codex.user_prompt"
expected = true
required = ["prompt", "prompt_length"]
[[event]]
agent = "codex"
name = "codex.conversation_starts"
expected = true
required = ["approval_policy"]
[[prompt]]
agent = "codex"
event = "codex.user_prompt"
key = "prompt"
redacted = ["[REDACTED]"]
"#;

    #[test]
    fn findings_cover_unknown_missing_and_changed_keys() {
        let schema = KnownSchema::from_toml(SCHEMA).unwrap();
        let mut s = Survey::default();
        let base = r#""signal":"log","agent":"codex","service_name":"codex_exec","originator":"codex_exec","app_version":"0.1","conversation_id":"c""#;
        s.add(&ev(&format!(r#"{{{base},"event_name":"codex.user_prompt","prompt":"hi AKIA","time":"2026-01-01T00:00:01Z","extra_key":1}}"#)), &schema);
        s.add(&ev(&format!(r#"{{{base},"event_name":"codex.user_prompt","prompt":"[REDACTED]","time":"2026-01-01T00:00:00Z"}}"#)), &schema);
        s.add(
            &ev(&format!(
                r#"{{{base},"event_name":"codex.brand_new","time":"2026-01-01T00:00:02Z"}}"#
            )),
            &schema,
        );
        // named only by the OTLP eventName field: listed, not judged
        s.add(
            &ev(&format!(
                r#"{{{base},"event_name":"event x.rs:1","otlp_event_name":"event x.rs:1"}}"#
            )),
            &schema,
        );
        assert_eq!(s.groups.len(), 1);
        let (key, group) = s.groups.iter().next().unwrap();
        assert_eq!(group.prompts_seen, 2);
        assert_eq!(group.prompts_unredacted, 1);
        let stats = &group.names[&("log".to_owned(), "codex.user_prompt".to_owned())];
        assert_eq!(stats.count, 2);
        assert_eq!(stats.first.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(stats.last.as_deref(), Some("2026-01-01T00:00:01Z"));
        let f = compare(key, group, &schema);
        assert_eq!(f.unknown_events, vec!["codex.brand_new"]);
        assert_eq!(f.missing_expected, vec!["codex.conversation_starts"]);
        assert_eq!(f.new_keys["codex.user_prompt"], vec!["extra_key"]);
        assert_eq!(f.missing_keys["codex.user_prompt"], vec!["prompt_length"]);
    }
}
