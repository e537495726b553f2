//! The enrichment stage, between normalize and detect: evaluates the structured
//! registries (`posture.yml`, `tools.yml`, `session_class.yml`) and carries conversation
//! context onto later events, so rules can test plain fields. Fields: docs/fields.md,
//! "Enrichment fields".
//!
//! Enrichment fields are always overwritten: the exporter controls every attribute, and
//! a client-sent `posture_allowed: true` must not mute a rule.

mod command;
mod context;
pub(crate) mod hosts;
mod matcher;
mod posture;
mod session;
pub(crate) mod tools;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde_norway::Value as Yaml;
use tripline_event::{names, Event, Value};
use tripline_sigma::Lists;

use crate::builtin;
use crate::rulefiles;

pub use context::{EnrichContext, EnrichDelta, EnrichEntry};
pub use hosts::HostIps;
pub use posture::Posture;
pub use session::SessionClasses;
pub use tools::Tools;

use context::{Conversation, Decision};

const CONVERSATION_STARTS: &str = "codex.conversation_starts";
const TOOL_DECISION: &str = "codex.tool_decision";
const TOOL_RESULT: &str = "codex.tool_result";

/// The registries in force (each optional: a missing registry sets none of its fields).
#[derive(Clone, Debug, Default)]
pub struct Registries {
    pub posture: Option<Posture>,
    pub tools: Option<Tools>,
    pub session: Option<SessionClasses>,
    pub host_ips: Option<HostIps>,
}

impl Registries {
    /// Compile registry files given as (path, text); a later file of the same name
    /// replaces an earlier one. Files are recognised by name; other registries are errors.
    pub fn from_texts(files: &[(String, String)], lists: &Lists) -> anyhow::Result<Registries> {
        let mut r = Registries::default();
        for (path, text) in files {
            let doc: Yaml =
                serde_norway::from_str(text).with_context(|| format!("{path}: invalid YAML"))?;
            match doc.get("version").and_then(Yaml::as_u64) {
                Some(1) => {}
                other => bail!("{path}: unsupported registry version {other:?} (expected 1)"),
            }
            let name = Path::new(path)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let ctx = |e: anyhow::Error| anyhow!("{path}: {e}");
            match name {
                "posture" => r.posture = Some(Posture::parse(&doc, lists).map_err(ctx)?),
                "tools" => r.tools = Some(Tools::parse(&doc, lists).map_err(ctx)?),
                "session_class" => r.session = Some(SessionClasses::parse(&doc, lists).map_err(ctx)?),
                "host_ips" => r.host_ips = Some(HostIps::parse(&doc).map_err(ctx)?),
                _ => bail!("{path}: unknown registry (expected posture.yml, tools.yml, session_class.yml or host_ips.yml)"),
            }
        }
        Ok(r)
    }

    /// The built-in registries, then those found under `paths` (files or directories).
    pub fn load(paths: &[PathBuf], lists: &Lists) -> anyhow::Result<Registries> {
        let mut files: Vec<(String, String)> = builtin::LISTS
            .iter()
            .filter(|(_, text)| rulefiles::is_registry(text))
            .map(|(p, t)| (format!("<builtin>/lists/{p}"), (*t).to_owned()))
            .collect();
        let (found, _) = rulefiles::find(paths)?;
        for f in found {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("{}: cannot read", f.display()))?;
            if rulefiles::is_registry(&text) {
                files.push((f.display().to_string(), text));
            }
        }
        Registries::from_texts(&files, lists)
    }
}

/// The enrichment stage: registries plus the per-conversation context.
#[derive(Clone, Debug, Default)]
pub struct Enricher {
    registries: Registries,
    context: EnrichContext,
}

fn text(ev: &Event, f: &str) -> Option<String> {
    ev.get(f).and_then(Value::to_text).filter(|s| !s.is_empty())
}

impl Enricher {
    /// An enricher with these registries and empty state.
    pub fn new(registries: Registries) -> Enricher {
        Enricher {
            registries,
            context: EnrichContext::default(),
        }
    }

    /// Replace the registries, keeping the state.
    pub fn set_registries(&mut self, registries: Registries) {
        self.registries = registries;
    }

    /// Enrich a batch in order.
    pub fn enrich_all(&mut self, events: &mut [Event]) {
        for ev in events.iter_mut() {
            self.enrich(ev);
        }
        self.context.evict();
    }

    /// Enrich one event (see the module docs for the fields).
    pub fn enrich(&mut self, ev: &mut Event) {
        if let Some(h) = &self.registries.host_ips {
            match h.resolve(ev) {
                Some((host, field)) => {
                    ev.insert("host_name", host);
                    ev.insert("host_name_from", field);
                }
                None => {
                    ev.remove("host_name_from");
                }
            }
        }
        let name = ev.event_name().map(str::to_owned);
        let name = name.as_deref();
        if name == Some(CONVERSATION_STARTS) {
            if let Some(p) = &self.registries.posture {
                let v = p.evaluate(ev);
                if let Some(profile) = v.profile {
                    ev.insert("posture_profile", profile);
                }
                ev.insert("posture_allowed", Value::Bool(v.allowed));
                match v.level {
                    Some(l) => ev.insert("posture_level", l),
                    None => ev.remove("posture_level"),
                };
                ev.insert("posture_network", Value::Bool(v.network));
            }
        }
        let kind = text(ev, "agent_event");
        let is_decision = name == Some(TOOL_DECISION) || kind.as_deref() == Some("tool_decision");
        let is_result = name == Some(TOOL_RESULT) || kind.as_deref() == Some("tool_result");
        if is_decision || is_result {
            if let Some(t) = &self.registries.tools {
                let class = t.classify(ev).to_owned();
                ev.insert("tool_class", class);
                // Codex names no command: it is the shell tool's `cmd`. The other agents'
                // command comes from the normalizer's agent layer.
                let command = if ev.agent() != tripline_event::Agent::Codex {
                    text(ev, "command")
                } else if t.is_shell(ev) {
                    tools::command_of(ev)
                } else {
                    None
                };
                let found = command.as_deref().map(command::targets).unwrap_or_default();
                set_opt(ev, "command", command);
                set_list(ev, "command_paths", found.paths);
                set_list(ev, "command_hosts", found.hosts);
            }
        }
        // Conversation context follows each agent's own ids: the agent layer's
        // `session_id` (Codex conversation.id, Claude Code and Gemini CLI session.id).
        let Some(conv) = text(ev, "session_id").or_else(|| text(ev, names::CONVERSATION_ID)) else {
            return;
        };
        let tick = self.context.next_tick();
        let is_start =
            name == Some(CONVERSATION_STARTS) || kind.as_deref() == Some("session_start");
        self.conversation_context(ev, &conv, is_start, tick);
        // A Gemini tool_call is decision and result in one record.
        if is_result
            && ev.get("decision").is_some_and(|d| !d.is_null())
            && text(ev, "tool_call_id").is_none()
        {
            ev.insert("tool_decision_seen", Value::Bool(true));
            set_opt(ev, "tool_decision", text(ev, "decision"));
            set_opt(ev, "tool_decision_source", text(ev, "decision_source"));
            return;
        }
        if let Some(call) = text(ev, "tool_call_id").or_else(|| text(ev, "call_id")) {
            let key = format!("{conv}\u{1f}{call}");
            let step = if is_decision {
                Some(TOOL_DECISION)
            } else if is_result {
                Some(TOOL_RESULT)
            } else {
                None
            };
            match step {
                Some(TOOL_DECISION) => {
                    let d = Decision {
                        used: tick,
                        decision: text(ev, "decision"),
                        source: text(ev, "decision_source").or_else(|| text(ev, "source")),
                    };
                    self.context.insert_decision(key, d);
                }
                Some(TOOL_RESULT) => match self.context.decision_mut(&key) {
                    Some(d) => {
                        d.used = tick;
                        ev.insert("tool_decision_seen", Value::Bool(true));
                        set_opt(ev, "tool_decision", d.decision.clone());
                        set_opt(ev, "tool_decision_source", d.source.clone());
                    }
                    None => {
                        ev.insert("tool_decision_seen", Value::Bool(false));
                        ev.remove("tool_decision");
                        ev.remove("tool_decision_source");
                    }
                },
                _ => {}
            }
        }
    }

    /// Remember the conversation (from its start record, or from its first event until
    /// the start arrives) and copy its context onto `ev`.
    fn conversation_context(&mut self, ev: &mut Event, conv: &str, is_start: bool, tick: u64) {
        let known = self
            .context
            .conversation(conv)
            .is_some_and(|c| c.from_start || !is_start);
        if !known {
            let (class, reason) = match &self.registries.session {
                Some(s) => s.classify(ev),
                None => (String::new(), String::new()),
            };
            let c = Conversation {
                used: tick,
                from_start: is_start,
                session_class: class,
                session_class_reason: reason,
                approval_policy: if is_start {
                    text(ev, "approval_policy")
                } else {
                    None
                },
                sandbox_policy: if is_start {
                    text(ev, "sandbox_policy")
                } else {
                    None
                },
                permission_mode: None,
                sandbox: None,
            };
            self.context.insert_conversation(conv.to_owned(), c);
        }
        let Some(c) = self.context.conversation_mut(conv) else {
            return;
        };
        c.used = tick;
        if !c.session_class.is_empty() {
            ev.insert("session_class", c.session_class.clone());
            ev.insert("session_class_reason", c.session_class_reason.clone());
        }
        // Claude Code has no posture-bearing start record: its mode is learned from the
        // first event that carries one.
        if c.permission_mode.is_none() {
            c.permission_mode = text(ev, "permission_mode");
        }
        if c.sandbox.is_none() {
            c.sandbox = text(ev, "sandbox");
        }
        let (a, s) = (c.approval_policy.clone(), c.sandbox_policy.clone());
        set_opt(ev, "session_approval_policy", a);
        set_opt(ev, "session_sandbox_policy", s);
        let (m, b) = (c.permission_mode.clone(), c.sandbox.clone());
        set_opt(ev, "session_permission_mode", m);
        set_opt(ev, "session_sandbox", b);
    }

    /// The whole state, serialized (JSON): the form earlier versions stored as one entry.
    #[cfg(test)]
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&self.context).unwrap_or(serde_json::Value::Null)
    }

    /// Restore state produced by [`Enricher::snapshot`].
    pub fn restore(&mut self, v: serde_json::Value) -> anyhow::Result<()> {
        let s: EnrichContext = serde_json::from_value(v).context("invalid enrichment state")?;
        if s.version != EnrichContext::VERSION {
            bail!(
                "enrichment state version {} is not supported (expected {})",
                s.version,
                EnrichContext::VERSION
            );
        }
        self.context = s;
        Ok(())
    }

    /// Restore the state from its stored entries.
    pub fn restore_entries(&mut self, entries: Vec<EnrichEntry>) -> anyhow::Result<()> {
        self.context = EnrichContext::from_entries(entries)?;
        Ok(())
    }

    /// The state's entries changed since the last [`Enricher::mark_committed`].
    pub fn delta(&self) -> EnrichDelta {
        self.context.delta()
    }

    /// Every entry of the state (a full rewrite).
    pub fn all_entries(&self) -> Vec<(String, EnrichEntry)> {
        self.context.all_entries()
    }

    /// The last delta is stored.
    pub fn mark_committed(&mut self) {
        self.context.mark_committed();
    }

    /// Forget all conversations.
    pub fn reset(&mut self) {
        self.context = EnrichContext::default();
    }
}

/// Set `field` to `v`, or remove it when `v` is none (enrichment fields are never left
/// with a client-sent value).
fn set_opt(ev: &mut Event, field: &str, v: Option<String>) {
    match v {
        Some(v) => {
            ev.insert(field, v);
        }
        None => {
            ev.remove(field);
        }
    }
}

/// Set `field` to a list of strings, or remove it when the list is empty.
fn set_list(ev: &mut Event, field: &str, items: Vec<String>) {
    if items.is_empty() {
        ev.remove(field);
    } else {
        ev.insert(
            field,
            Value::Array(items.into_iter().map(Value::Str).collect()),
        );
    }
}

#[cfg(test)]
mod tests;
