//! [`RedactionPolicy`]: what to do with each field class; the `[redaction]` config section.
//!
//! Every action enum is declared from least to most strict, so `Ord` is strictness.

use serde::{Deserialize, Serialize};

use crate::detector::Confidence;
use crate::error::Error;
use crate::fields::{FieldClass, FieldClasses};

/// What happens to `prompt`-class fields (conversation content).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptAction {
    /// Keep the text with secrets masked.
    Mask,
    /// Replace with `hmac:<hex>`, a keyed digest: equal prompts stay comparable, the
    /// text is gone. The default: prompts carry code, incident notes and secrets that
    /// no scanner fully catches, and detections only need "was it logged / repeated".
    #[default]
    Hash,
    /// Remove the field.
    Drop,
}

/// What happens to `tool_content`-class fields (tool arguments and output).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolContentAction {
    /// Keep verbatim (no masking).
    Keep,
    /// Keep with secrets masked (default).
    #[default]
    MaskSecrets,
    /// Mask secrets, then keep the first `truncate_chars` characters.
    Truncate,
    /// Remove the field.
    Drop,
}

/// What happens to `identifier`-class fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierAction {
    /// Keep (default): identity is what an analyst pivots on.
    #[default]
    Keep,
    /// Replace with `anon:<hex>`, a keyed digest, so joins still work.
    Pseudonymize,
    /// Remove the field.
    Drop,
}

/// What happens to `argv`-class fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgvAction {
    /// Keep with secrets masked; for an array, flags and values are scanned together
    /// (default).
    #[default]
    MaskSecrets,
    /// Replace with `hmac:<hex>`.
    Hash,
    /// Remove the field.
    Drop,
}

/// What happens to every other string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherAction {
    /// Keep verbatim.
    Keep,
    /// Mask secrets, including in nested values and JSON inside strings (default).
    #[default]
    MaskSecrets,
}

/// The redaction policy: the `[redaction]` section of the config. Every field has a
/// safe default, so an empty section is a valid policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactionPolicy {
    /// Conversation content (default `hash`).
    pub prompt: PromptAction,
    /// Tool arguments and output (default `mask_secrets`).
    pub tool_content: ToolContentAction,
    /// Characters kept by `tool_content = "truncate"` (default 2048).
    pub truncate_chars: usize,
    /// Identity fields (default `keep`).
    pub identifier: IdentifierAction,
    /// Command lines (default `mask_secrets`).
    pub argv: ArgvAction,
    /// Every other string (default `mask_secrets`).
    pub other: OtherAction,
    /// Weakest detector confidence that gets masked (default `low`: mask everything).
    pub min_confidence: Confidence,
    /// Hex characters in `hmac:` hashes (default 16).
    pub hash_chars: usize,
    /// Hex characters of `anon:` pseudonyms (default 12).
    pub pseudonym_chars: usize,
    /// Hex characters of the fingerprint in `[SECRET:<id>:<fp>]` (default 8).
    pub fingerprint_chars: usize,
    /// Field names per class.
    pub fields: FieldClasses,
}

impl Default for RedactionPolicy {
    fn default() -> Self {
        RedactionPolicy {
            prompt: PromptAction::default(),
            tool_content: ToolContentAction::default(),
            truncate_chars: 2048,
            identifier: IdentifierAction::default(),
            argv: ArgvAction::default(),
            other: OtherAction::default(),
            min_confidence: Confidence::Low,
            hash_chars: 16,
            pseudonym_chars: 12,
            fingerprint_chars: 8,
            fields: FieldClasses::default(),
        }
    }
}

/// A TOML document whose `[redaction]` table is the policy.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    redaction: RedactionPolicy,
}

impl RedactionPolicy {
    /// Read the `[redaction]` table of a TOML document (other tables are ignored; a
    /// missing table gives the defaults).
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let table: toml::Table = toml::from_str(text)?;
        let Some(section) = table.get("redaction") else {
            return Ok(Self::default());
        };
        let mut doc = toml::Table::new();
        doc.insert("redaction".into(), section.clone());
        let parsed: Document = doc.try_into()?;
        Ok(parsed.redaction)
    }

    /// Whether `self` (e.g. a sink's policy) hides at least as much as `other` (e.g. the
    /// global policy): every action at least as strict, truncation no longer, masking
    /// confidence no higher, and every class's field list a superset of `other`'s.
    pub fn is_at_least_as_strict_as(&self, other: &RedactionPolicy) -> bool {
        let truncate_ok = !(self.tool_content == ToolContentAction::Truncate
            && other.tool_content == ToolContentAction::Truncate
            && self.truncate_chars > other.truncate_chars);
        let fields_ok = FieldClass::ALL.iter().all(|&c| {
            let mine = self.fields.names(c);
            other.fields.names(c).iter().all(|n| mine.contains(n))
        });
        self.prompt >= other.prompt
            && self.tool_content >= other.tool_content
            && truncate_ok
            && self.identifier >= other.identifier
            && self.argv >= other.argv
            && self.other >= other.other
            && self.min_confidence <= other.min_confidence
            && fields_ok
    }

    /// The stricter of the two, per setting: the stricter action for each class, the
    /// shorter truncation, the lower masking confidence and the union of field lists.
    /// Digest lengths are taken from `self`.
    pub fn stricten(&self, other: &RedactionPolicy) -> RedactionPolicy {
        let mut out = self.clone();
        out.prompt = self.prompt.max(other.prompt);
        out.tool_content = self.tool_content.max(other.tool_content);
        out.truncate_chars = match (self.tool_content, other.tool_content) {
            (ToolContentAction::Truncate, ToolContentAction::Truncate) => {
                self.truncate_chars.min(other.truncate_chars)
            }
            (_, ToolContentAction::Truncate) => other.truncate_chars,
            _ => self.truncate_chars,
        };
        out.identifier = self.identifier.max(other.identifier);
        out.argv = self.argv.max(other.argv);
        out.other = self.other.max(other.other);
        out.min_confidence = self.min_confidence.min(other.min_confidence);
        for class in FieldClass::ALL {
            let names = out.fields.names_mut(class);
            for n in other.fields.names(class) {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        out
    }
}
