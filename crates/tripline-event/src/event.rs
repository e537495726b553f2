//! The canonical [`Event`]: one flattened unit of agent telemetry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names;
use crate::value::Value;

/// One normalized unit of telemetry: a log record, a metric data point, a span or a
/// span event. Fields are keyed by canonical name (see `docs/fields.md`); the map is
/// ordered so serialization is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Event {
    fields: BTreeMap<String, Value>,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Event;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Event, A::Error> {
                crate::value::collect_map(map).map(Event::from_fields)
            }
        }
        d.deserialize_map(Fields)
    }
}

impl Event {
    /// An event with no fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Build an event from an already-flattened JSON object (for example one line of
    /// `tripline replay --emit events` output, or a Sigma test event). Nested objects stay
    /// nested and are reachable through dotted lookups.
    pub fn from_json_object(obj: serde_json::Map<String, serde_json::Value>) -> Self {
        Self {
            fields: obj.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
        }
    }

    /// An event holding exactly these fields.
    pub fn from_fields(fields: BTreeMap<String, Value>) -> Self {
        Self { fields }
    }

    /// Sets a field, returning the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.fields.insert(key.into(), value.into())
    }

    /// Insert only when the key is not present yet. Returns whether it was inserted.
    pub fn insert_if_absent(&mut self, key: &str, value: impl Into<Value>) -> bool {
        if self.fields.contains_key(key) {
            return false;
        }
        self.fields.insert(key.to_owned(), value.into());
        true
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.fields.remove(key)
    }

    /// The value stored under exactly this key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// A field's value, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.fields.get_mut(key)
    }

    /// A field's value when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Resolve a field name the way rules address fields:
    /// 1. the exact key;
    /// 2. for a dotted name, the nested path through objects (`tool.version`);
    /// 3. for a dotted name, its canonical form (`conversation.id` → `conversation_id`).
    pub fn lookup(&self, name: &str) -> Option<&Value> {
        if let Some(v) = self.fields.get(name) {
            return Some(v);
        }
        if !name.contains('.') {
            return None;
        }
        if let Some(v) = nested(&self.fields, name) {
            return Some(v);
        }
        self.fields.get(&names::canonical(name))
    }

    /// Whether the event has this field.
    pub fn contains_key(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// The fields in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.fields.iter()
    }

    /// The fields in key order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.fields.iter_mut()
    }

    /// How many fields the event has.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the event has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// All fields, by key.
    pub fn fields(&self) -> &BTreeMap<String, Value> {
        &self.fields
    }

    /// The fields, taking the event apart.
    pub fn into_fields(self) -> BTreeMap<String, Value> {
        self.fields
    }

    /// The stable content-derived id (`id` field), when set.
    pub fn id(&self) -> Option<&str> {
        self.get_str(names::ID)
    }

    /// The event time as RFC 3339 text (`time` field), when set.
    pub fn time(&self) -> Option<&str> {
        self.get_str(names::TIME)
    }

    /// The `event_name` field.
    pub fn event_name(&self) -> Option<&str> {
        self.get_str(names::EVENT_NAME)
    }

    /// The `signal` field, parsed.
    pub fn signal(&self) -> Option<Signal> {
        self.get_str(names::SIGNAL).and_then(Signal::parse)
    }

    /// The `agent` field, parsed (`Unknown` when absent).
    pub fn agent(&self) -> Agent {
        self.get_str(names::AGENT)
            .map(Agent::parse)
            .unwrap_or(Agent::Unknown)
    }

    /// Compact JSON text of the whole event.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("Event serialization cannot fail")
    }
}

fn nested<'a>(map: &'a BTreeMap<String, Value>, path: &str) -> Option<&'a Value> {
    for (i, _) in path.match_indices('.') {
        let (head, rest) = (&path[..i], &path[i + 1..]);
        if let Some(Value::Object(inner)) = map.get(head) {
            if let Some(v) = inner.get(rest) {
                return Some(v);
            }
            if let Some(v) = nested(inner, rest) {
                return Some(v);
            }
        }
    }
    None
}

/// Which OTLP unit an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// An OTLP log record.
    Log,
    /// One OTLP metric data point.
    Metric,
    /// An OTLP span.
    Span,
    /// An event inside an OTLP span.
    SpanEvent,
}

impl Signal {
    /// Every signal, in the order reports list them.
    pub const ALL: [Signal; 4] = [Signal::Log, Signal::Metric, Signal::Span, Signal::SpanEvent];

    /// The `signal` field's value (`log`, `metric`, `span`, `span_event`).
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Log => "log",
            Signal::Metric => "metric",
            Signal::Span => "span",
            Signal::SpanEvent => "span_event",
        }
    }

    /// The signal a `signal` field value names, if any.
    pub fn parse(s: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|sig| sig.as_str() == s)
    }
}

/// Which coding agent emitted an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agent {
    /// OpenAI Codex (CLI, IDE extension, desktop app, `codex exec`).
    Codex,
    /// Anthropic Claude Code.
    ClaudeCode,
    /// Google Gemini CLI.
    GeminiCli,
    /// An exporter tripline does not recognize.
    Unknown,
}

impl Agent {
    /// Every agent, in the order reports list them.
    pub const ALL: [Agent; 4] = [
        Agent::Codex,
        Agent::ClaudeCode,
        Agent::GeminiCli,
        Agent::Unknown,
    ];

    /// The `agent` field's value (`codex`, `claude_code`, `gemini_cli`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Codex => "codex",
            Agent::ClaudeCode => "claude_code",
            Agent::GeminiCli => "gemini_cli",
            Agent::Unknown => "unknown",
        }
    }

    /// The agent an `agent` field value names (`Unknown` for anything else).
    pub fn parse(s: &str) -> Agent {
        Agent::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .unwrap_or(Agent::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> Event {
        let serde_json::Value::Object(o) = serde_json::from_str(json).unwrap() else {
            panic!("not an object")
        };
        Event::from_json_object(o)
    }

    #[test]
    fn lookup_prefers_exact_then_nested_then_canonical() {
        let e =
            ev(r#"{"tool.version":"exact","tool":{"version":"nested"},"conversation_id":"c1"}"#);
        assert_eq!(e.lookup("tool.version"), Some(&Value::from("exact")));
        let e = ev(r#"{"tool":{"version":"nested"}}"#);
        assert_eq!(e.lookup("tool.version"), Some(&Value::from("nested")));
        let e = ev(r#"{"conversation_id":"c1"}"#);
        assert_eq!(e.lookup("conversation.id"), Some(&Value::from("c1")));
        assert_eq!(e.lookup("conversation"), None);
    }

    #[test]
    fn nested_lookup_handles_dotted_inner_keys() {
        let e = ev(r#"{"a":{"b.c":{"d":1}}}"#);
        assert_eq!(e.lookup("a.b.c.d"), Some(&Value::Int(1)));
    }

    #[test]
    fn signal_and_agent_round_trip() {
        for s in Signal::ALL {
            assert_eq!(Signal::parse(s.as_str()), Some(s));
        }
        for a in Agent::ALL {
            assert_eq!(Agent::parse(a.as_str()), a);
        }
        assert_eq!(Agent::parse("nope"), Agent::Unknown);
    }
}
