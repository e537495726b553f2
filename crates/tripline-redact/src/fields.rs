//! Field classes: which event fields hold prompts, tool content, identifiers or argv.

use serde::{Deserialize, Serialize};

/// The redaction class of a field. Fields in no class are "other": secret-masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldClass {
    /// Conversation content: user prompts, model requests and responses.
    Prompt,
    /// Tool arguments, tool input and tool output.
    ToolContent,
    /// Who and where: e-mail, account ids, host name.
    Identifier,
    /// Process command lines (the full argv can carry a prompt and flags with secrets).
    Argv,
}

impl FieldClass {
    /// Every class, in classification precedence order.
    pub const ALL: [FieldClass; 4] = [
        FieldClass::Prompt,
        FieldClass::ToolContent,
        FieldClass::Argv,
        FieldClass::Identifier,
    ];

    /// `prompt`, `tool_content`, `identifier` or `argv`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::Prompt => "prompt",
            FieldClass::ToolContent => "tool_content",
            FieldClass::Identifier => "identifier",
            FieldClass::Argv => "argv",
        }
    }
}

/// Canonical field names (dots as underscores) per class. A list given in config
/// replaces that class's default list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldClasses {
    /// Conversation content fields.
    #[serde(default = "default_prompt")]
    pub prompt: Vec<String>,
    /// Tool argument / input / output fields.
    #[serde(default = "default_tool_content")]
    pub tool_content: Vec<String>,
    /// Identity fields.
    #[serde(default = "default_identifier")]
    pub identifier: Vec<String>,
    /// Command-line fields.
    #[serde(default = "default_argv")]
    pub argv: Vec<String>,
}

impl Default for FieldClasses {
    fn default() -> Self {
        FieldClasses {
            prompt: default_prompt(),
            tool_content: default_tool_content(),
            identifier: default_identifier(),
            argv: default_argv(),
        }
    }
}

impl FieldClasses {
    /// The field names of one class.
    pub fn names(&self, class: FieldClass) -> &[String] {
        match class {
            FieldClass::Prompt => &self.prompt,
            FieldClass::ToolContent => &self.tool_content,
            FieldClass::Identifier => &self.identifier,
            FieldClass::Argv => &self.argv,
        }
    }

    pub(crate) fn names_mut(&mut self, class: FieldClass) -> &mut Vec<String> {
        match class {
            FieldClass::Prompt => &mut self.prompt,
            FieldClass::ToolContent => &mut self.tool_content,
            FieldClass::Identifier => &mut self.identifier,
            FieldClass::Argv => &mut self.argv,
        }
    }
}

/// The name a field is classified under: without a `resource.` / `scope.` prefix, with
/// dots as underscores.
pub fn classification_key(field: &str) -> String {
    let bare = field
        .strip_prefix("resource.")
        .or_else(|| field.strip_prefix("scope."))
        .unwrap_or(field);
    bare.replace('.', "_")
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn default_prompt() -> Vec<String> {
    owned(&[
        // Codex codex.user_prompt, Claude claude_code.user_prompt, Gemini gemini_cli.user_prompt
        "prompt",
        // Claude: prompt_text, span attribute interaction.user_prompt, assistant responses
        "prompt_text",
        "user_prompt",
        "response",
        // Gemini api_request / api_response and the GenAI semantic conventions
        "request_text",
        "response_text",
        "gen_ai_input_messages",
        "gen_ai_output_messages",
        "gen_ai_system_instructions",
        "gen_ai_prompt",
        "gen_ai_completion",
    ])
}

fn default_tool_content() -> Vec<String> {
    owned(&[
        // Codex codex.tool_result
        "arguments",
        "output",
        // Claude tool_result / tool_decision and the tool.output span event
        "tool_parameters",
        "tool_input",
        "tool_output",
        "content",
        "full_command",
        // Gemini gemini_cli.tool_call
        "function_args",
        "function_response",
        // GenAI semantic conventions
        "gen_ai_tool_call_arguments",
        "gen_ai_tool_call_result",
    ])
}

fn default_identifier() -> Vec<String> {
    owned(&[
        "user_email",
        "user_account_id",
        "user_account_uuid",
        "user_id",
        "user_name",
        "enduser_id",
        "organization_id",
        "installation_id",
        "host_name",
        "process_owner",
        // the enrichment's identities.yml mapping
        "person",
    ])
}

fn default_argv() -> Vec<String> {
    owned(&[
        // Gemini CLI resource attribute: the full argv including the -p prompt
        "process_command_args",
        "process_command_line",
        "process_command",
        "command_line",
        "argv",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_key_strips_prefixes_and_dots() {
        assert_eq!(
            classification_key("resource.process.command_args"),
            "process_command_args"
        );
        assert_eq!(classification_key("user.email"), "user_email");
        assert_eq!(classification_key("scope.host_name"), "host_name");
        assert_eq!(classification_key("prompt"), "prompt");
    }
}
