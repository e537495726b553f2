//! `lists/tools.yml`: what each tool does to the world (schema in docs/detections.md,
//! "tools.yml"). Classes: read_only, state_changing, destructive, unknown.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use serde_norway::Value as Yaml;
use tripline_event::{Event, Value};
use tripline_sigma::Lists;

use super::matcher::Alternatives;

const CLASSES: [&str; 4] = ["read_only", "state_changing", "destructive", "unknown"];

fn class(v: Option<&Yaml>, what: &str, allow_shell: bool) -> anyhow::Result<String> {
    let s = v
        .and_then(Yaml::as_str)
        .ok_or_else(|| anyhow!("{what}: missing class"))?;
    if CLASSES.contains(&s) || (allow_shell && s == "shell") {
        Ok(s.to_owned())
    } else {
        bail!("{what}: unknown class '{s}'")
    }
}

#[derive(Clone, Debug)]
struct McpTool {
    server: Alternatives,
    tool: Alternatives,
    class: String,
}

/// The compiled tool registry.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    builtin: HashMap<String, String>,
    destructive: Option<Alternatives>,
    state_changing: Option<Alternatives>,
    mcp: Vec<McpTool>,
    mcp_default: String,
}

impl Tools {
    /// Parse and compile (version 1).
    pub fn parse(doc: &Yaml, lists: &Lists) -> anyhow::Result<Tools> {
        let mut t = Tools {
            mcp_default: "state_changing".into(),
            ..Tools::default()
        };
        if let Some(Yaml::Mapping(m)) = doc.get("builtin") {
            for (k, v) in m {
                let name = k
                    .as_str()
                    .ok_or_else(|| anyhow!("builtin: tool names must be strings"))?;
                let c = class(v.get("class"), &format!("builtin.{name}.class"), true)?;
                t.builtin.insert(name.to_ascii_lowercase(), c);
            }
        }
        if let Some(sp) = doc.get("shell_patterns") {
            let pat = |k: &str| {
                sp.get(k)
                    .map(|v| Alternatives::parse(v, lists, true, &format!("shell_patterns.{k}")))
                    .transpose()
            };
            t.destructive = pat("destructive")?;
            t.state_changing = pat("state_changing")?;
        }
        if let Some(Yaml::Sequence(items)) = doc.get("mcp") {
            for (i, m) in items.iter().enumerate() {
                let what = format!("mcp[{i}]");
                let alt = |k: &str| -> anyhow::Result<Alternatives> {
                    let v = m.get(k).ok_or_else(|| anyhow!("{what}.{k}: missing"))?;
                    Alternatives::parse(v, lists, false, &format!("{what}.{k}"))
                };
                let c = match m.get("class") {
                    Some(c) => class(Some(c), &format!("{what}.class"), false)?,
                    None => annotations_class(m.get("annotations")),
                };
                t.mcp.push(McpTool {
                    server: alt("server")?,
                    tool: alt("tool")?,
                    class: c,
                });
            }
        }
        if let Some(d) = doc.get("mcp_default_class") {
            t.mcp_default = class(Some(d), "mcp_default_class", false)?;
        }
        Ok(t)
    }

    /// The class of a tool event: MCP tools (non-empty `mcp_server`) by the `mcp` entries;
    /// built-ins by name; `shell` tools by their command in `arguments` (a decision, which
    /// has no arguments, gets `unknown`); anything else `unknown`.
    pub fn classify(&self, ev: &Event) -> &str {
        let server = ev
            .get("mcp_server")
            .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""));
        if server.is_some() {
            let tool = ev.get("tool_name");
            return self
                .mcp
                .iter()
                .find(|m| m.server.matches(server) && m.tool.matches(tool))
                .map(|m| m.class.as_str())
                .unwrap_or(&self.mcp_default);
        }
        let Some(name) = ev.get_str("tool_name") else {
            return "unknown";
        };
        match self
            .builtin
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
        {
            Some("shell") => {
                // Codex: the JSON `arguments`; other agents: the agent layer's `command`.
                let source = if ev.agent() == tripline_event::Agent::Codex {
                    "arguments"
                } else {
                    "command"
                };
                let Some(args) = ev.get(source).filter(|v| !matches!(v, Value::Null)) else {
                    return "unknown";
                };
                let hit =
                    |p: &Option<Alternatives>| p.as_ref().is_some_and(|p| p.matches(Some(args)));
                if hit(&self.destructive) {
                    "destructive"
                } else if hit(&self.state_changing) {
                    "state_changing"
                } else {
                    "read_only"
                }
            }
            Some(c) => c,
            None => "unknown",
        }
    }
}

/// The command line of a shell tool call: `arguments` is JSON with `cmd` (or `command`)
/// as a string or an argv array (joined with spaces). None for other shapes.
pub fn command_of(ev: &Event) -> Option<String> {
    let args = ev.get_str("arguments")?;
    let v: serde_json::Value = serde_json::from_str(args).ok()?;
    let cmd = v.get("cmd").or_else(|| v.get("command"))?;
    match cmd {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => {
            let parts: Option<Vec<&str>> = items.iter().map(|i| i.as_str()).collect();
            Some(parts?.join(" "))
        }
        _ => None,
    }
}

impl Tools {
    /// Whether `tool_name` is a built-in the registry classifies by its command.
    pub fn is_shell(&self, ev: &Event) -> bool {
        ev.get_str("tool_name")
            .and_then(|n| self.builtin.get(&n.to_ascii_lowercase()))
            .is_some_and(|c| c == "shell")
    }
}

/// The MCP rule: readOnlyHint true -> read_only; else destructiveHint false ->
/// state_changing; else destructive (the spec's defaults are false / true).
pub(crate) fn annotations_class(a: Option<&Yaml>) -> String {
    let flag = |k: &str| a.and_then(|a| a.get(k)).and_then(Yaml::as_bool);
    if flag("readOnlyHint") == Some(true) {
        "read_only".into()
    } else if flag("destructiveHint") == Some(false) {
        "state_changing".into()
    } else {
        "destructive".into()
    }
}
