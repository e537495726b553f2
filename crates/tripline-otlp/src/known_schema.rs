//! The agents' known log events and attribute keys, kept as data in
//! `schema/known-events.toml` and embedded at build time. `tripline validate` compares
//! captured telemetry against it.

use std::collections::BTreeMap;

use serde::Deserialize;
use tripline_event::Agent;

/// The embedded `schema/known-events.toml`.
pub const BUILTIN_TOML: &str = include_str!("../schema/known-events.toml");

/// Known events, per-agent common keys and prompt locations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownSchema {
    /// Keys any event of the agent may carry.
    #[serde(default)]
    pub agents: BTreeMap<Agent, AgentKeys>,
    /// Known log events.
    #[serde(default, rename = "event")]
    pub events: Vec<KnownEvent>,
    /// Where each agent puts the user's prompt.
    #[serde(default, rename = "prompt")]
    pub prompts: Vec<PromptField>,
}

/// Keys shared by an agent's events.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentKeys {
    #[serde(default)]
    /// Resource and scope keys every event of the agent may carry.
    pub common: Vec<String>,
}

/// One known log event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownEvent {
    /// The agent this schema describes.
    pub agent: Agent,
    /// The `event.name` value.
    pub name: String,
    /// Every observed session emitted it.
    #[serde(default)]
    pub expected: bool,
    /// Raw keys present on every observed record; `None` when unknown.
    pub required: Option<Vec<String>>,
    /// Raw keys present on some records; `None` when unknown.
    pub optional: Option<Vec<String>>,
}

impl KnownEvent {
    /// Whether the schema lists this event's keys at all.
    pub fn has_keys(&self) -> bool {
        self.required.is_some() || self.optional.is_some()
    }

    /// Every listed key (required and optional).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.required
            .iter()
            .chain(self.optional.iter())
            .flatten()
            .map(String::as_str)
    }
}

/// Where a prompt arrives and which values mean it was redacted at the source.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptField {
    /// The agent that sent the event.
    pub agent: Agent,
    /// The event's name.
    pub event: String,
    /// Raw attribute key of the prompt text.
    pub key: String,
    /// Values the agent sends instead of the prompt when redaction is on.
    #[serde(default)]
    pub redacted: Vec<String>,
}

impl KnownSchema {
    /// The schema shipped with tripline.
    pub fn builtin() -> Result<Self, toml::de::Error> {
        Self::from_toml(BUILTIN_TOML)
    }

    /// Parse a schema file's text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The known event `name` of `agent`.
    pub fn event(&self, agent: Agent, name: &str) -> Option<&KnownEvent> {
        self.events
            .iter()
            .find(|e| e.agent == agent && e.name == name)
    }

    /// All known events of `agent`.
    pub fn events_of(&self, agent: Agent) -> impl Iterator<Item = &KnownEvent> {
        self.events.iter().filter(move |e| e.agent == agent)
    }

    /// Common keys of `agent`.
    pub fn common_keys(&self, agent: Agent) -> &[String] {
        self.agents.get(&agent).map_or(&[], |a| a.common.as_slice())
    }

    /// Where `agent` puts the prompt for `event`, if it does.
    pub fn prompt(&self, agent: Agent, event: &str) -> Option<&PromptField> {
        self.prompts
            .iter()
            .find(|p| p.agent == agent && p.event == event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schema_parses_and_covers_the_agents() {
        let s = KnownSchema::builtin().expect("builtin schema");
        let prompt = s
            .event(Agent::Codex, "codex.user_prompt")
            .expect("codex.user_prompt");
        assert!(prompt.expected);
        assert!(prompt.keys().any(|k| k == "prompt"));
        assert!(s.event(Agent::ClaudeCode, "user_prompt").is_some());
        assert!(s.event(Agent::GeminiCli, "gemini_cli.config").is_some());
        assert!(s.prompt(Agent::Codex, "codex.user_prompt").is_some());
        assert!(!s.common_keys(Agent::Codex).is_empty());
        for a in [Agent::Codex, Agent::ClaudeCode, Agent::GeminiCli] {
            assert!(s.events_of(a).any(|e| e.expected), "{a:?}");
        }
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(
            KnownSchema::from_toml("[[event]]\nagent = \"codex\"\nname = \"x\"\ncolour = 1\n")
                .is_err()
        );
    }
}
