//! Which agent emitted a record.

use tripline_event::Agent;

/// Infer the agent from, in order: the event-name prefix (`codex.`, `claude_code.`,
/// `gemini_cli.`), the instrumentation scope name (`codex*`, `com.anthropic.claude_code*`,
/// `gemini-cli`), and the resource `service.name` (`codex*`, `Codex Desktop`,
/// `claude-code`, `gemini-cli`).
pub(crate) fn infer(
    event_name: Option<&str>,
    scope_name: &str,
    service_name: Option<&str>,
) -> Agent {
    if let Some(a) = event_name.and_then(by_event_prefix) {
        return a;
    }
    if let Some(a) = by_scope(scope_name) {
        return a;
    }
    service_name.and_then(by_service).unwrap_or(Agent::Unknown)
}

fn by_event_prefix(name: &str) -> Option<Agent> {
    if name.starts_with("codex.") {
        Some(Agent::Codex)
    } else if name.starts_with("claude_code.") {
        Some(Agent::ClaudeCode)
    } else if name.starts_with("gemini_cli.") {
        Some(Agent::GeminiCli)
    } else {
        None
    }
}

fn by_scope(scope: &str) -> Option<Agent> {
    let s = scope.to_ascii_lowercase();
    if s.starts_with("codex") {
        Some(Agent::Codex)
    } else if s.starts_with("com.anthropic.claude_code") || s.starts_with("claude_code") {
        Some(Agent::ClaudeCode)
    } else if s.starts_with("gemini-cli") || s.starts_with("gemini_cli") {
        Some(Agent::GeminiCli)
    } else {
        None
    }
}

fn by_service(service: &str) -> Option<Agent> {
    let s = service.to_ascii_lowercase();
    if s.starts_with("codex") {
        Some(Agent::Codex)
    } else if s.starts_with("claude-code") || s.starts_with("claude_code") {
        Some(Agent::ClaudeCode)
    } else if s.starts_with("gemini-cli") || s.starts_with("gemini_cli") {
        Some(Agent::GeminiCli)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_values_map_to_agents() {
        assert_eq!(infer(Some("codex.tool_result"), "", None), Agent::Codex);
        assert_eq!(
            infer(Some("fs.read_file"), "codex_exec", None),
            Agent::Codex
        );
        assert_eq!(infer(None, "", Some("Codex Desktop")), Agent::Codex);
        assert_eq!(
            infer(
                Some("user_prompt"),
                "com.anthropic.claude_code.events",
                None
            ),
            Agent::ClaudeCode
        );
        assert_eq!(infer(None, "x", Some("claude-code")), Agent::ClaudeCode);
        assert_eq!(infer(Some("gemini_cli.config"), "", None), Agent::GeminiCli);
        assert_eq!(infer(None, "", Some("gemini-cli")), Agent::GeminiCli);
        assert_eq!(
            infer(Some("http.request"), "", Some("my-app")),
            Agent::Unknown
        );
    }
}
