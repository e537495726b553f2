//! The common agent layer: agent-neutral fields on every finished event, so one rule can
//! read Codex, Claude Code and Gemini CLI alike. The raw attributes stay queryable: a
//! record attribute whose name a canonical field takes, with another value, is kept as
//! `attr.<name>` (as for intrinsic fields). Reference: `docs/fields.md`, "Agent layer".
//!
//! Only reads fields; never fails. Values of unexpected types are left as they are and the
//! canonical field is not set.

use tripline_event::{Agent, Event, Value};

use super::builder::ATTRIBUTE_PREFIX;

/// Canonical field names of the layer.
pub mod field {
    /// `session_start`, `prompt`, `tool_decision`, `tool_result`, `api_request`,
    /// `api_error`, `config` or `response`.
    pub const AGENT_EVENT: &str = "agent_event";
    /// The agent's session id (Codex `conversation.id`, Claude Code and Gemini `session.id`).
    pub const SESSION_ID: &str = "session_id";
    /// The approval posture in the shared vocabulary (`docs/fields.md`).
    pub const PERMISSION_MODE: &str = "permission_mode";
    /// The sandbox posture in the shared vocabulary (`docs/fields.md`).
    pub const SANDBOX: &str = "sandbox";
    /// A tool decision: `accept` or `reject`.
    pub const DECISION: &str = "decision";
    /// Who decided: `user`, `config` (an automatic rule or mode) or `agent`.
    pub const DECISION_SOURCE: &str = "decision_source";
    /// The tool's name as the agent reports it.
    pub const TOOL_NAME: &str = "tool_name";
    /// The id that joins a tool decision to its result.
    pub const TOOL_CALL_ID: &str = "tool_call_id";
    /// The shell command of a shell tool call.
    pub const COMMAND: &str = "command";
    /// The file a file tool reads or writes.
    pub const FILE_PATH: &str = "file_path";
    /// Whether a tool call or API request succeeded.
    pub const SUCCESS: &str = "success";
    /// Whether this event carries prompt text.
    pub const PROMPT_LOGGED: &str = "prompt_logged";
    /// Whether the process's argv carries a `-p` prompt (Gemini CLI).
    pub const PROMPT_IN_ARGV: &str = "prompt_in_argv";
    /// The agent CLI's own version.
    pub const AGENT_VERSION: &str = "agent_version";
    /// The runtime's version (Gemini's `service.version` is Node.js's).
    pub const RUNTIME_VERSION: &str = "runtime_version";
}

/// Add the agent layer's fields to a finished event.
pub(crate) fn apply(ev: &mut Event) {
    let agent = ev.agent();
    let name = ev.event_name().unwrap_or_default().to_owned();
    let kind = agent_event(agent, &name);
    if let Some(k) = kind {
        set(ev, field::AGENT_EVENT, k);
    }
    session_id(ev, agent);
    versions(ev, agent);
    posture(ev, agent, &name);
    tool(ev, agent, kind);
    decision(ev, agent, kind);
    outcome(ev, agent, kind);
    prompt_logged(ev, agent, kind, &name);
    prompt_in_argv(ev);
}

/// Set a canonical field; a different raw value already there moves to `attr.<field>`.
fn set(ev: &mut Event, key: &str, v: impl Into<Value>) {
    let v = v.into();
    if let Some(old) = ev.insert(key, v.clone()) {
        if old != v {
            ev.insert_if_absent(&format!("{ATTRIBUTE_PREFIX}{key}"), old);
        }
    }
}

fn text<'a>(ev: &'a Event, key: &str) -> Option<&'a str> {
    ev.get_str(key).map(str::trim).filter(|s| !s.is_empty())
}

/// The kind of event, from the agent's own event name.
fn agent_event(agent: Agent, name: &str) -> Option<&'static str> {
    let short = name
        .strip_prefix("codex.")
        .or_else(|| name.strip_prefix("claude_code."))
        .or_else(|| name.strip_prefix("gemini_cli."))
        .unwrap_or(name);
    let k = match (agent, short) {
        (Agent::Codex, "conversation_starts") => "session_start",
        (Agent::Codex, "user_prompt") => "prompt",
        (Agent::Codex, "tool_decision" | "guardian_assessment") => "tool_decision",
        (Agent::Codex, "tool_result" | "sandbox_outcome") => "tool_result",
        (Agent::Codex, "api_request") => "api_request",
        (Agent::Codex, "agent_response") => "response",
        (Agent::ClaudeCode, "managed_settings_resolved" | "permission_mode_changed") => "config",
        (Agent::ClaudeCode, "user_prompt") => "prompt",
        (Agent::ClaudeCode, "tool_decision") => "tool_decision",
        (Agent::ClaudeCode, "tool_result") => "tool_result",
        (Agent::ClaudeCode, "api_request") => "api_request",
        (Agent::ClaudeCode, "api_error" | "api_retries_exhausted") => "api_error",
        (Agent::ClaudeCode, "assistant_response") => "response",
        (Agent::GeminiCli, "config") => "session_start",
        (Agent::GeminiCli, "approval_mode_switch") => "config",
        (Agent::GeminiCli, "user_prompt") => "prompt",
        (Agent::GeminiCli, "tool_call") => "tool_result",
        (Agent::GeminiCli, "api_request") => "api_request",
        (Agent::GeminiCli, "api_error") => "api_error",
        (Agent::GeminiCli, "api_response") => "response",
        _ => return None,
    };
    Some(k)
}

/// `session_id`: Codex `conversation.id`; Claude Code and Gemini CLI `session.id` (Gemini
/// also sends it as a resource attribute).
fn session_id(ev: &mut Event, agent: Agent) {
    let id = match agent {
        Agent::Codex => text(ev, "conversation_id"),
        _ => text(ev, "session_id").or_else(|| text(ev, "resource.session_id")),
    };
    if let Some(id) = id.map(str::to_owned) {
        set(ev, field::SESSION_ID, id);
    }
}

/// `agent_version`: the CLI's version. Gemini CLI's `service.version` is the Node.js
/// version (`v20.20.2`): it goes to `runtime_version` and the CLI version stays unknown.
fn versions(ev: &mut Event, agent: Agent) {
    let service = text(ev, "service_version").map(str::to_owned);
    match agent {
        Agent::GeminiCli => {
            if let Some(v) = service {
                set(ev, field::RUNTIME_VERSION, v);
            }
        }
        Agent::Unknown => {}
        _ => {
            let v = text(ev, "app_version").map(str::to_owned).or(service);
            if let Some(v) = v {
                set(ev, field::AGENT_VERSION, v);
            }
        }
    }
}

/// `permission_mode` (`ask`, `auto_edit`, `bypass`, `plan`, `auto`, `never_ask`) and
/// `sandbox` (`read_only`, `workspace_write`, `full_access`, `external`, `enabled`,
/// `disabled`).
fn posture(ev: &mut Event, agent: Agent, name: &str) {
    let mode = match agent {
        Agent::Codex => text(ev, "approval_policy").map(|p| match p {
            "never" => "never_ask",
            "untrusted" | "on-request" | "on-failure" | "granular" | "unless-trusted" => "ask",
            _ => "other",
        }),
        Agent::ClaudeCode => {
            let raw = if name == "permission_mode_changed" {
                text(ev, "to_mode")
            } else {
                text(ev, "permission_mode")
            };
            raw.map(|m| match m {
                "default" => "ask",
                "acceptEdits" => "auto_edit",
                "bypassPermissions" => "bypass",
                "plan" => "plan",
                "auto" => "auto",
                _ => "other",
            })
        }
        Agent::GeminiCli => {
            let raw = if name.ends_with("approval_mode_switch") {
                text(ev, "to_mode")
            } else {
                text(ev, "approval_mode").or_else(|| text(ev, "active_approval_mode"))
            };
            raw.map(|m| match m.to_ascii_lowercase().as_str() {
                "default" => "ask",
                "auto_edit" | "autoedit" => "auto_edit",
                "yolo" => "bypass",
                "plan" => "plan",
                _ => "other",
            })
        }
        Agent::Unknown => None,
    };
    if let Some(m) = mode {
        set(ev, field::PERMISSION_MODE, m);
    }
    let sandbox = match agent {
        Agent::Codex => text(ev, "sandbox_policy").map(|s| match s {
            "read-only" => "read_only",
            "workspace-write" => "workspace_write",
            "danger-full-access" => "full_access",
            "external-sandbox" => "external",
            _ => "other",
        }),
        Agent::GeminiCli => ev.get("sandbox_enabled").and_then(Value::as_bool).map(|b| {
            if b {
                "enabled"
            } else {
                "disabled"
            }
        }),
        _ => None,
    };
    if let Some(s) = sandbox {
        set(ev, field::SANDBOX, s);
    }
}

/// A tool call's arguments as JSON: Codex `arguments`, Claude Code `tool_input` (else
/// `tool_parameters`), Gemini CLI `function_args`.
fn tool_args(ev: &Event, agent: Agent) -> Option<serde_json::Value> {
    let keys: &[&str] = match agent {
        Agent::Codex => &["arguments"],
        Agent::ClaudeCode => &["tool_input", "tool_parameters"],
        Agent::GeminiCli => &["function_args"],
        Agent::Unknown => &[],
    };
    keys.iter().find_map(|k| {
        let s = text(ev, k)?;
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(serde_json::Value::is_object)
    })
}

fn json_str<'a>(v: &'a serde_json::Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| v.get(k).and_then(serde_json::Value::as_str))
        .filter(|s| !s.is_empty())
}

/// `tool_name`, `tool_call_id`, `command`, `file_path` of tool events.
fn tool(ev: &mut Event, agent: Agent, kind: Option<&str>) {
    if !matches!(kind, Some("tool_decision" | "tool_result")) {
        return;
    }
    if agent == Agent::GeminiCli {
        if let Some(n) = text(ev, "function_name").map(str::to_owned) {
            set(ev, field::TOOL_NAME, n);
        }
    }
    let call = match agent {
        Agent::Codex => text(ev, "call_id"),
        Agent::ClaudeCode => text(ev, "tool_use_id"),
        Agent::GeminiCli => text(ev, "call_id").or_else(|| text(ev, "tool_call_id")),
        Agent::Unknown => None,
    };
    if let Some(c) = call.map(str::to_owned) {
        set(ev, field::TOOL_CALL_ID, c);
    }
    let Some(args) = tool_args(ev, agent) else {
        return;
    };
    // Codex's command comes from the tool registry in the enrichment stage (only shell
    // tools' `cmd` is a command line); Claude Code and Gemini CLI name it.
    let command = match agent {
        Agent::ClaudeCode => json_str(&args, &["full_command", "command"]),
        Agent::GeminiCli => json_str(&args, &["command"]),
        _ => None,
    };
    if let Some(c) = command.map(str::to_owned) {
        set(ev, field::COMMAND, c);
    }
    let path = json_str(
        &args,
        &["file_path", "absolute_path", "notebook_path", "path"],
    );
    if let Some(p) = path.map(str::to_owned) {
        set(ev, field::FILE_PATH, p);
    }
}

/// `decision` (`approved`, `denied`, `abort`) and `decision_source` (`config`, `user`,
/// `automated_reviewer`, `hook`).
fn decision(ev: &mut Event, agent: Agent, kind: Option<&str>) {
    if !matches!(kind, Some("tool_decision" | "tool_result")) {
        return;
    }
    let raw = text(ev, "decision")
        .or_else(|| text(ev, "decision_type"))
        .map(str::to_ascii_lowercase);
    let d = raw.as_deref().map(|d| match d {
        "accept" | "auto_accept" | "modify" | "allow" => "approved",
        "reject" | "deny" => "denied",
        d if d.starts_with("approved") => "approved",
        d if d.starts_with("denied") => "denied",
        "abort" | "aborted" | "cancel" => "abort",
        _ => "other",
    });
    if let Some(d) = d {
        set(ev, field::DECISION, d);
    }
    let source = match agent {
        Agent::Codex => text(ev, "source"),
        Agent::ClaudeCode => text(ev, "source").or_else(|| text(ev, "decision_source")),
        Agent::GeminiCli => match raw.as_deref() {
            // "always allow" was chosen by a person earlier in the session.
            Some("auto_accept" | "accept" | "reject" | "modify") => Some("user"),
            _ => None,
        },
        Agent::Unknown => None,
    }
    .map(str::to_ascii_lowercase);
    let s = source.as_deref().map(|s| match s {
        "config" => "config",
        "hook" => "hook",
        "automatedreviewer" | "automated_reviewer" | "guardian" | "classifier" => {
            "automated_reviewer"
        }
        s if s.starts_with("user") => "user",
        _ => "other",
    });
    if let Some(s) = s {
        set(ev, field::DECISION_SOURCE, s);
    }
}

/// `success` of tool results and API calls, as a bool.
fn outcome(ev: &mut Event, agent: Agent, kind: Option<&str>) {
    match kind {
        Some("tool_result") => {
            if let Some(Value::Str(s)) = ev.get(field::SUCCESS) {
                let b = s.trim().eq_ignore_ascii_case("true");
                let f = s.trim().eq_ignore_ascii_case("false");
                if b || f {
                    ev.insert(field::SUCCESS, Value::Bool(b));
                }
            }
        }
        Some("api_error") => set(ev, field::SUCCESS, false),
        Some("api_request") => {
            let status = match agent {
                Agent::Codex => ev.get("http_response_status_code").and_then(Value::as_i64),
                _ => None,
            };
            match status {
                Some(s) => set(ev, field::SUCCESS, s < 400),
                None if agent == Agent::ClaudeCode => set(ev, field::SUCCESS, true),
                None => {}
            }
        }
        Some("response") if agent == Agent::GeminiCli => {
            if let Some(s) = ev.get("status_code").and_then(Value::as_i64) {
                set(ev, field::SUCCESS, s < 400);
            }
        }
        _ => {}
    }
}

/// The fields that carry conversation text, per agent.
fn content_fields(agent: Agent, name: &str) -> &'static [&'static str] {
    match agent {
        Agent::Codex => &["prompt"],
        Agent::ClaudeCode if name.ends_with("_body") => &["body"],
        Agent::ClaudeCode => &["prompt", "prompt_text", "response"],
        Agent::GeminiCli if name == "gen_ai.client.inference.operation.details" => {
            &["gen_ai_input_messages", "gen_ai_output_messages"]
        }
        Agent::GeminiCli => &["prompt", "request_text", "response_text"],
        Agent::Unknown => &[],
    }
}

/// Placeholders agents send instead of the text.
fn is_redaction_marker(s: &str) -> bool {
    matches!(s, "[REDACTED]" | "<REDACTED>" | "REDACTED" | "[redacted]")
}

/// `prompt_logged`: whether the event carries conversation text (a prompt, a request or
/// response body). Set on prompt events always, elsewhere only when true.
fn prompt_logged(ev: &mut Event, agent: Agent, kind: Option<&str>, name: &str) {
    if name.ends_with("api_request_body") || name.ends_with("api_response_body") {
        // Claude Code's raw API bodies (OTEL_LOG_RAW_API_BODIES).
    } else if !matches!(kind, Some("prompt" | "api_request" | "response"))
        && name != "gen_ai.client.inference.operation.details"
    {
        return;
    }
    let logged = content_fields(agent, name).iter().any(|k| {
        text(ev, k).is_some_and(|s| !is_redaction_marker(s))
            || ev
                .get(k)
                .is_some_and(|v| matches!(v, Value::Array(a) if !a.is_empty()))
    });
    if logged || kind == Some("prompt") {
        set(ev, field::PROMPT_LOGGED, logged);
    }
}

/// `prompt_in_argv`: the resource's `process.command_args` holds a prompt given with
/// `-p`/`--prompt`/`--prompt-interactive`/`-i` (Gemini CLI exports its whole argv).
fn prompt_in_argv(ev: &mut Event) {
    let Some(Value::Array(args)) = ev
        .get("process_command_args")
        .or_else(|| ev.get("resource.process_command_args"))
    else {
        return;
    };
    let mut prompt_next = false;
    let mut found = false;
    for a in args {
        let Some(s) = a.as_str() else { continue };
        if prompt_next && !s.is_empty() && !s.starts_with('-') {
            found = true;
            break;
        }
        prompt_next = matches!(s, "-p" | "--prompt" | "-i" | "--prompt-interactive");
        if s.starts_with("--prompt=") && s.len() > "--prompt=".len() {
            found = true;
            break;
        }
    }
    if found {
        set(ev, field::PROMPT_IN_ARGV, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, Value)]) -> Event {
        let mut e = Event::new();
        for (k, v) in pairs {
            e.insert(*k, v.clone());
        }
        apply(&mut e);
        e
    }

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    #[test]
    fn claude_decision_in_bypass_mode() {
        let e = ev(&[
            ("agent", s("claude_code")),
            ("event_name", s("tool_decision")),
            ("session_id", s("S")),
            ("decision", s("accept")),
            ("source", s("config")),
            ("tool_name", s("Bash")),
            ("tool_use_id", s("toolu_1")),
            ("permission_mode", s("bypassPermissions")),
            (
                "tool_parameters",
                s(r#"{"bash_command":"rm","full_command":"rm -rf build"}"#),
            ),
        ]);
        assert_eq!(e.get_str("agent_event"), Some("tool_decision"));
        assert_eq!(e.get_str("decision"), Some("approved"));
        assert_eq!(e.get_str("attr.decision"), Some("accept"));
        assert_eq!(e.get_str("decision_source"), Some("config"));
        assert_eq!(e.get_str("permission_mode"), Some("bypass"));
        assert_eq!(e.get_str("attr.permission_mode"), Some("bypassPermissions"));
        assert_eq!(e.get_str("command"), Some("rm -rf build"));
        assert_eq!(e.get_str("tool_call_id"), Some("toolu_1"));
        assert_eq!(e.get_str("session_id"), Some("S"));
    }

    #[test]
    fn gemini_tool_call_and_versions() {
        let e = ev(&[
            ("agent", s("gemini_cli")),
            ("event_name", s("gemini_cli.tool_call")),
            ("session_id", s("G")),
            ("function_name", s("run_shell_command")),
            ("function_args", s("{\n \"command\": \"cat .env\"\n}")),
            ("success", s("true")),
            ("decision", s("auto_accept")),
            ("service_version", s("v20.20.2")),
            (
                "process_command_args",
                Value::Array(vec![s("node"), s("gemini"), s("-p"), s("hi AKIA")]),
            ),
        ]);
        assert_eq!(e.get_str("agent_event"), Some("tool_result"));
        assert_eq!(e.get_str("tool_name"), Some("run_shell_command"));
        assert_eq!(e.get_str("command"), Some("cat .env"));
        assert_eq!(e.get("success"), Some(&Value::Bool(true)));
        assert_eq!(e.get_str("decision"), Some("approved"));
        assert_eq!(e.get_str("decision_source"), Some("user"));
        assert_eq!(e.get_str("runtime_version"), Some("v20.20.2"));
        assert!(e.get("agent_version").is_none());
        assert_eq!(e.get("prompt_in_argv"), Some(&Value::Bool(true)));
    }

    #[test]
    fn codex_posture_and_prompt() {
        let e = ev(&[
            ("agent", s("codex")),
            ("event_name", s("codex.conversation_starts")),
            ("conversation_id", s("C")),
            ("approval_policy", s("never")),
            ("sandbox_policy", s("danger-full-access")),
            ("service_version", s("0.169.0")),
        ]);
        assert_eq!(e.get_str("agent_event"), Some("session_start"));
        assert_eq!(e.get_str("session_id"), Some("C"));
        assert_eq!(e.get_str("permission_mode"), Some("never_ask"));
        assert_eq!(e.get_str("sandbox"), Some("full_access"));
        assert_eq!(e.get_str("agent_version"), Some("0.169.0"));
        let p = ev(&[
            ("agent", s("codex")),
            ("event_name", s("codex.user_prompt")),
            ("prompt", s("[REDACTED]")),
        ]);
        assert_eq!(p.get("prompt_logged"), Some(&Value::Bool(false)));
        let p = ev(&[
            ("agent", s("codex")),
            ("event_name", s("codex.user_prompt")),
            ("prompt", s("key AKIA...")),
        ]);
        assert_eq!(p.get("prompt_logged"), Some(&Value::Bool(true)));
    }

    #[test]
    fn unexpected_types_and_unknown_agents_are_left_alone() {
        let e = ev(&[
            ("agent", s("unknown")),
            ("event_name", s("tool_result")),
            ("decision", Value::Int(3)),
        ]);
        assert!(e.get("agent_event").is_none());
        assert_eq!(e.get("decision"), Some(&Value::Int(3)));
        let e = ev(&[
            ("agent", s("claude_code")),
            ("event_name", s("tool_result")),
            ("tool_input", Value::Int(7)),
            ("permission_mode", Value::Array(vec![])),
            ("success", s("maybe")),
        ]);
        assert_eq!(e.get_str("agent_event"), Some("tool_result"));
        assert_eq!(e.get("tool_input"), Some(&Value::Int(7)));
        assert_eq!(e.get("success"), Some(&s("maybe")));
        assert!(e.get("permission_mode").is_some());
    }
}
