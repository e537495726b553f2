//! Aggregate events per agent / service / originator / version and compare them with the
//! known schema.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tripline_event::names::{self, canonical};
use tripline_event::{Agent, Event};
use tripline_otlp::known_schema::{value_type, KnownSchema};

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
    /// Log records whose value of a typed key (the schema's `types`) had another type:
    /// canonical key → (expected type, types seen instead, records).
    pub drift: BTreeMap<String, TypeDrift>,
}

/// A key of a known agent arriving with an unexpected type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TypeDrift {
    pub expected: String,
    pub seen: BTreeSet<String>,
    pub records: u64,
}

/// Identity fields `validate` reports per host (canonical names).
pub const IDENTITY_FIELDS: &[&str] = &[
    "host_name",
    "user_email",
    "user_account_id",
    "user_account_uuid",
    "user_id",
    "organization_id",
    "installation_id",
    "enduser_id",
];

/// What one host sends: agents with their versions, and identity fields.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HostStats {
    /// (agent, agent version) → events. The version is `agent_version` (the CLI's), `-`
    /// when the agent does not tell it (Gemini CLI reports only its Node.js version).
    pub agents: BTreeMap<(Agent, String), u64>,
    /// Runtime versions seen (`runtime_version`, Gemini CLI's Node.js).
    pub runtimes: BTreeSet<String>,
    /// Identity fields present on its events, per agent.
    pub identity_fields: BTreeMap<Agent, BTreeSet<String>>,
}

/// The aggregation over all inputs.
#[derive(Default)]
pub struct Survey {
    pub groups: BTreeMap<GroupKey, Group>,
    /// Keyed by `host_name` (`-` when the events carry none).
    pub hosts: BTreeMap<String, HostStats>,
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
        if agent != Agent::Unknown {
            self.add_host(e, agent);
        }
        let group = self.groups.entry(key).or_default();
        let signal = e.get_str(names::SIGNAL).unwrap_or("-").to_owned();
        let name = e.event_name().unwrap_or("-").to_owned();
        if signal == "log" {
            if let Some(types) = schema.types(agent) {
                for (raw, want) in types {
                    let Some(v) = e.get(&canonical(raw)) else {
                        continue;
                    };
                    let seen = value_type(v);
                    if seen == "null" || want.accepts(seen) {
                        continue;
                    }
                    let d = group.drift.entry(canonical(raw)).or_default();
                    d.expected = want.as_str().to_owned();
                    d.seen.insert(seen.to_owned());
                    d.records += 1;
                }
            }
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

impl Survey {
    /// Count `e` for its host.
    fn add_host(&mut self, e: &Event, agent: Agent) {
        let host = text(e, "host_name").unwrap_or_else(|| "-".into());
        let stats = self.hosts.entry(host).or_default();
        let version = text(e, "agent_version").unwrap_or_else(|| "-".into());
        *stats.agents.entry((agent, version)).or_default() += 1;
        if let Some(r) = text(e, "runtime_version") {
            stats.runtimes.insert(r);
        }
        let fields = stats.identity_fields.entry(agent).or_default();
        for f in IDENTITY_FIELDS {
            if e.get(f).is_some_and(|v| !v.is_null()) {
                fields.insert((*f).to_owned());
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
    /// Keys whose values had an unexpected type.
    pub type_drift: BTreeMap<String, TypeDrift>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.unknown_events.is_empty()
            && self.missing_expected.is_empty()
            && self.new_keys.is_empty()
            && self.missing_keys.is_empty()
            && self.type_drift.is_empty()
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
    let mut f = Findings {
        type_drift: group.drift.clone(),
        ..Findings::default()
    };
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

    #[test]
    fn hosts_and_type_drift() {
        let schema = KnownSchema::from_toml(
            "[agents.gemini_cli]\ntypes = { interactive = \"bool\", duration_ms = \"number\", \"session.id\" = \"string\" }\n",
        )
        .unwrap();
        let mut s = Survey::default();
        let g = r#""signal":"log","agent":"gemini_cli","event_name":"gemini_cli.tool_call","host_name":"vm","runtime_version":"v20.20.2","installation_id":"i1","session_id":"s""#;
        s.add(
            &ev(&format!(r#"{{{g},"interactive":false,"duration_ms":3}}"#)),
            &schema,
        );
        // a bool as a string, a number that did not parse, a null (not drift)
        s.add(
            &ev(&format!(
                r#"{{{g},"interactive":"false","duration_ms":"soon"}}"#
            )),
            &schema,
        );
        s.add(
            &ev(&format!(r#"{{{g},"interactive":null,"duration_ms":[1]}}"#)),
            &schema,
        );
        s.add(
            &ev(r#"{"signal":"log","agent":"claude_code","event_name":"user_prompt","agent_version":"2.1.337","user_email":"a@x","user_id":"u1"}"#),
            &schema,
        );
        s.add(
            &ev(r#"{"signal":"log","agent":"unknown","event_name":"x","host_name":"vm"}"#),
            &schema,
        );
        let (key, group) = s
            .groups
            .iter()
            .find(|(k, _)| k.agent == Agent::GeminiCli)
            .unwrap();
        let f = compare(key, group, &schema);
        let interactive = &f.type_drift["interactive"];
        assert_eq!(interactive.expected, "bool");
        assert_eq!(interactive.seen, BTreeSet::from(["string".to_owned()]));
        assert_eq!(interactive.records, 1);
        let duration = &f.type_drift["duration_ms"];
        assert_eq!(duration.expected, "number");
        assert_eq!(
            duration.seen,
            BTreeSet::from(["array".to_owned(), "string".to_owned()])
        );
        assert!(!f.type_drift.contains_key("session_id"));
        assert!(!f.is_empty());
        let vm = &s.hosts["vm"];
        assert_eq!(vm.agents[&(Agent::GeminiCli, "-".to_owned())], 3);
        assert_eq!(vm.agents.len(), 1, "unknown agents are not listed per host");
        assert_eq!(vm.runtimes, BTreeSet::from(["v20.20.2".to_owned()]));
        assert_eq!(
            vm.identity_fields[&Agent::GeminiCli],
            BTreeSet::from(["host_name".to_owned(), "installation_id".to_owned()])
        );
        let none = &s.hosts["-"];
        assert_eq!(none.agents[&(Agent::ClaudeCode, "2.1.337".to_owned())], 1);
        assert_eq!(
            none.identity_fields[&Agent::ClaudeCode],
            BTreeSet::from(["user_email".to_owned(), "user_id".to_owned()])
        );
    }
}
