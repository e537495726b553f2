//! [`Redactor`]: applies a [`RedactionPolicy`] to events, alerts and strings.

use crate::clean::CleanStrings;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use tripline_event::{Alert, Event, Value};

use crate::argv::mask_argv;
use crate::fields::{classification_key, FieldClass};
use crate::keyed::{Domain, Keyed};
use crate::mask::{truncate_chars, Masker, REDACTED_LITERALS};
use crate::policy::{
    ArgvAction, IdentifierAction, OtherAction, PromptAction, RedactionPolicy, ToolContentAction,
};
use crate::report::RedactionReport;
use crate::scanner::SecretScanner;

/// Whether a field survives its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Keep,
    Drop,
}

/// Applies one policy with one scanner and one HMAC key. Build one per policy (the
/// global one and one per stricter sink) and share the scanner between them.
#[derive(Clone, Debug)]
pub struct Redactor {
    policy: RedactionPolicy,
    scanner: Arc<SecretScanner>,
    keyed: Keyed,
    classes: HashMap<String, FieldClass>,
    /// strings already scanned and found clean (shared by clones: same settings)
    clean: Arc<CleanStrings>,
}

impl Redactor {
    /// A redactor for `policy`. `key` keys every hash, pseudonym and fingerprint: keep it
    /// secret and stable (pseudonyms change with it); it is never logged or printed.
    pub fn new(policy: RedactionPolicy, scanner: Arc<SecretScanner>, key: &[u8]) -> Self {
        let mut classes = HashMap::new();
        // Later classes never override earlier ones: precedence is FieldClass::ALL order.
        for class in FieldClass::ALL {
            for name in policy.fields.names(class) {
                classes.entry(classification_key(name)).or_insert(class);
            }
        }
        Redactor {
            policy,
            scanner,
            keyed: Keyed::new(key),
            classes,
            clean: Arc::default(),
        }
    }

    /// The policy this redactor applies.
    pub fn policy(&self) -> &RedactionPolicy {
        &self.policy
    }

    /// The shared scanner.
    pub fn scanner(&self) -> &Arc<SecretScanner> {
        &self.scanner
    }

    /// The class of a field name (`resource.`/`scope.` prefixes and dots ignored), or
    /// `None` for "every other string".
    pub fn class_of(&self, field: &str) -> Option<FieldClass> {
        if let Some(c) = self.classes.get(field) {
            return Some(*c);
        }
        self.classes.get(&classification_key(field)).copied()
    }

    fn masker(&self) -> Masker<'_> {
        Masker {
            scanner: &self.scanner,
            clean: &self.clean,
            keyed: &self.keyed,
            min_confidence: self.policy.min_confidence,
            fingerprint_chars: self.policy.fingerprint_chars,
        }
    }

    /// Mask the secrets in one string (JSON inside it included). Borrowed when nothing
    /// was found.
    pub fn redact_str<'t>(&self, s: &'t str) -> Cow<'t, str> {
        self.masker().mask(s, &mut RedactionReport::default())
    }

    /// [`redact_str`](Self::redact_str), also counting what was masked.
    pub fn redact_str_counted<'t>(&self, s: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
        self.masker().mask(s, report)
    }

    /// `hmac:<hex>` digest of a value's text.
    pub fn hash_text(&self, text: &str) -> String {
        let hex = self
            .keyed
            .hex(Domain::Hash, text.as_bytes(), self.policy.hash_chars);
        format!("hmac:{hex}")
    }

    /// `anon:<hex>` pseudonym of an identifier; equal inputs give equal pseudonyms under
    /// the same key.
    pub fn pseudonym(&self, text: &str) -> String {
        let hex = self.keyed.hex(
            Domain::Pseudonym,
            text.as_bytes(),
            self.policy.pseudonym_chars,
        );
        format!("anon:{hex}")
    }

    /// Redact every field of an event in place, dropping fields whose action is `drop`.
    pub fn redact_event(&self, ev: &mut Event) -> RedactionReport {
        let mut report = RedactionReport::default();
        let mut dropped = Vec::new();
        for (key, value) in ev.iter_mut() {
            let class = self.class_of(key);
            if self.redact_value(class, value, &mut report) == Fate::Drop {
                dropped.push(key.clone());
            }
        }
        for key in dropped {
            ev.remove(&key);
        }
        for (old, new) in self.key_renames(ev.iter().map(|(k, _)| k), &mut report) {
            if let Some(v) = ev.remove(&old) {
                ev.insert(new, v);
            }
        }
        report
    }

    /// Field names that carry a secret, with their masked replacement.
    fn key_renames<'k>(
        &self,
        keys: impl Iterator<Item = &'k String>,
        report: &mut RedactionReport,
    ) -> Vec<(String, String)> {
        let masker = self.masker();
        keys.filter_map(|k| match masker.mask_key(k, report) {
            Cow::Owned(new) => Some((k.clone(), new)),
            Cow::Borrowed(_) => None,
        })
        .collect()
    }

    fn rename_keys(
        &self,
        map: &mut std::collections::BTreeMap<String, Value>,
        report: &mut RedactionReport,
    ) {
        for (old, new) in self.key_renames(map.keys(), report) {
            if let Some(v) = map.remove(&old) {
                map.insert(new, v);
            }
        }
    }

    /// Redact one field value as if it were stored under `field`. Returns `None` when the
    /// policy drops the field.
    pub fn redact_field(
        &self,
        field: &str,
        mut value: Value,
        report: &mut RedactionReport,
    ) -> Option<Value> {
        match self.redact_value(self.class_of(field), &mut value, report) {
            Fate::Keep => Some(value),
            Fate::Drop => None,
        }
    }

    /// Redact an alert in place: its evidence events, its group values (by field class,
    /// so a pseudonymized `user_email` matches the events) and its summary: each
    /// `field=value` pair it names from the last evidence event becomes that field's
    /// redacted pair, group values that were replaced are replaced in the text too, then
    /// secrets are masked.
    pub fn redact_alert(&self, alert: &mut Alert) -> RedactionReport {
        let mut report = RedactionReport::default();
        let last_before = alert.events.last().cloned();
        for ev in &mut alert.events {
            report.merge(&self.redact_event(ev));
        }
        let mut summary = alert.summary.clone();
        if let (Some(before), Some(after)) = (&last_before, alert.events.last()) {
            summary = redact_summary_pairs(&summary, before, after);
        }
        let mut replacements: Vec<(String, String)> = Vec::new();
        let mut dropped = Vec::new();
        for (key, value) in alert.group.iter_mut() {
            let before = value.to_text();
            let fate = self.redact_value(self.class_of(key), value, &mut report);
            let Some(before) = before.filter(|b| b.chars().count() >= 3) else {
                if fate == Fate::Drop {
                    dropped.push(key.clone());
                }
                continue;
            };
            match fate {
                Fate::Drop => {
                    dropped.push(key.clone());
                    replacements.push((before, format!("[{key} removed]")));
                }
                Fate::Keep => {
                    if let Some(after) = value.to_text().filter(|a| *a != before) {
                        replacements.push((before, after));
                    }
                }
            }
        }
        for key in dropped {
            alert.group.remove(&key);
        }
        replacements.sort_by_key(|(b, _)| std::cmp::Reverse(b.len()));
        for (before, after) in &replacements {
            if summary.contains(before.as_str()) {
                summary = summary.replace(before.as_str(), after);
            }
        }
        alert.summary = self.masker().mask(&summary, &mut report).into_owned();
        report
    }

    fn redact_value(
        &self,
        class: Option<FieldClass>,
        v: &mut Value,
        report: &mut RedactionReport,
    ) -> Fate {
        if matches!(v, Value::Str(s) if REDACTED_LITERALS.contains(&s.as_str())) {
            return Fate::Keep;
        }
        let Some(class) = class else {
            self.redact_other(v, report);
            return Fate::Keep;
        };
        if v.is_null() {
            return Fate::Keep;
        }
        let name = class.as_str();
        match class {
            FieldClass::Prompt => match self.policy.prompt {
                PromptAction::Mask => self.mask_all(v, report),
                PromptAction::Hash => self.hash_value(v),
                PromptAction::Drop => return self.drop(name, report),
            },
            FieldClass::ToolContent => match self.policy.tool_content {
                ToolContentAction::Keep => {}
                ToolContentAction::MaskSecrets => self.mask_all(v, report),
                ToolContentAction::Truncate => {
                    self.mask_all(v, report);
                    let text = match &mut *v {
                        Value::Str(s) => std::mem::take(s),
                        other => other.to_json_string(),
                    };
                    *v = Value::Str(
                        truncate_chars(&text, self.policy.truncate_chars).unwrap_or(text),
                    );
                }
                ToolContentAction::Drop => return self.drop(name, report),
            },
            FieldClass::Identifier => match self.policy.identifier {
                IdentifierAction::Keep => {
                    self.redact_other(v, report);
                    return Fate::Keep;
                }
                IdentifierAction::Pseudonymize => {
                    let text = v.to_text().unwrap_or_default();
                    *v = Value::Str(self.pseudonym(&text));
                }
                IdentifierAction::Drop => return self.drop(name, report),
            },
            FieldClass::Argv => match self.policy.argv {
                ArgvAction::MaskSecrets => match v {
                    Value::Array(items) => {
                        mask_argv(&self.masker(), items, report);
                        for item in items.iter_mut().filter(|i| !matches!(i, Value::Str(_))) {
                            self.mask_all(item, report);
                        }
                        self.argv_prompts(items);
                    }
                    other => self.mask_all(other, report),
                },
                ArgvAction::Hash => self.hash_value(v),
                ArgvAction::Drop => return self.drop(name, report),
            },
        }
        let action = match class {
            FieldClass::Prompt => action_name(self.policy.prompt),
            FieldClass::ToolContent => action_name(self.policy.tool_content),
            FieldClass::Identifier => action_name(self.policy.identifier),
            FieldClass::Argv => action_name(self.policy.argv),
        };
        report.action(name, &action);
        Fate::Keep
    }

    fn drop(&self, class: &str, report: &mut RedactionReport) -> Fate {
        report.action(class, "drop");
        Fate::Drop
    }

    /// A prompt given on the command line (`-p TEXT`, `--prompt TEXT`, `-i TEXT`,
    /// `--prompt=TEXT`; Gemini CLI exports its argv as `process.command_args`) is prompt
    /// content: it gets the prompt policy (hash by default; `mask` keeps the masked text).
    fn argv_prompts(&self, items: &mut [Value]) {
        const FLAGS: [&str; 4] = ["-p", "--prompt", "-i", "--prompt-interactive"];
        let mut next_is_prompt = false;
        for item in items.iter_mut() {
            let Value::Str(s) = item else {
                next_is_prompt = false;
                continue;
            };
            let (prefix, text) = match s.strip_prefix("--prompt=") {
                Some(t) => ("--prompt=", t.to_owned()),
                None if next_is_prompt => ("", s.clone()),
                None => ("", String::new()),
            };
            next_is_prompt = FLAGS.contains(&s.as_str());
            if text.is_empty() {
                continue;
            }
            let redacted = match self.policy.prompt {
                PromptAction::Mask => continue,
                PromptAction::Hash => self.hash_text(&text),
                PromptAction::Drop => "[REDACTED]".to_owned(),
            };
            *s = format!("{prefix}{redacted}");
        }
    }

    fn hash_value(&self, v: &mut Value) {
        let text = v.to_text().unwrap_or_default();
        *v = Value::Str(self.hash_text(&text));
    }

    /// An unclassified value: mask strings when the policy says so, and classify the
    /// keys of nested objects.
    fn redact_other(&self, v: &mut Value, report: &mut RedactionReport) {
        match v {
            Value::Str(s) if self.policy.other == OtherAction::MaskSecrets => {
                if let Cow::Owned(new) = self.masker().mask(s, report) {
                    *s = new;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.redact_other(item, report);
                }
            }
            Value::Object(map) => {
                let mut dropped = Vec::new();
                for (key, child) in map.iter_mut() {
                    if self.redact_value(self.class_of(key), child, report) == Fate::Drop {
                        dropped.push(key.clone());
                    }
                }
                for key in dropped {
                    map.remove(&key);
                }
                if self.policy.other == OtherAction::MaskSecrets {
                    self.rename_keys(map, report);
                }
            }
            _ => {}
        }
    }

    /// Mask secrets in every string of a value, whatever the `other` setting.
    fn mask_all(&self, v: &mut Value, report: &mut RedactionReport) {
        match v {
            Value::Str(s) => {
                if let Cow::Owned(new) = self.masker().mask(s, report) {
                    *s = new;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.mask_all(item, report);
                }
            }
            Value::Object(map) => {
                for child in map.values_mut() {
                    self.mask_all(child, report);
                }
                self.rename_keys(map, report);
            }
            _ => {}
        }
    }
}

/// The snake_case name serde gives an action variant.
fn action_name<T: serde::Serialize>(action: T) -> String {
    match serde_json::to_value(action) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

/// `summary` with every `field=value` pair of `before` (an evidence event as the engine saw
/// it, rendered by [`Alert::summary_pair`]) replaced by the same field's pair in `after` (the
/// event redacted), or by `[field removed]` when redaction dropped the field.
fn redact_summary_pairs(summary: &str, before: &Event, after: &Event) -> String {
    let mut pairs: Vec<(String, String)> = before
        .iter()
        .filter_map(|(field, value)| {
            let old = Alert::summary_pair(field, value)?;
            let new = match after.get(field) {
                Some(v) => Alert::summary_pair(field, v).unwrap_or_else(|| format!("{field}=")),
                None => format!("[{field} removed]"),
            };
            (old != new && summary.contains(&old)).then_some((old, new))
        })
        .collect();
    pairs.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    let mut out = summary.to_owned();
    for (old, new) in pairs {
        out = replace_pair(&out, &old, &new);
    }
    out
}

/// `text` with each occurrence of the pair `old` that starts a pair (at the start, or after
/// a space or `(`) replaced by `new`; `call_id=x` is not an occurrence of `id=x`.
fn replace_pair(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(old) {
        if at < rest {
            continue;
        }
        let starts_pair = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c == ' ' || c == '(');
        if starts_pair {
            out.push_str(&text[rest..at]);
            out.push_str(new);
            rest = at + old.len();
        }
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_replaced_only_where_a_pair_starts() {
        let text = "T: call_id=x, id=x (host_name=vm)";
        assert_eq!(
            replace_pair(text, "id=x", "id=y"),
            "T: call_id=x, id=y (host_name=vm)"
        );
        assert_eq!(replace_pair("id=x", "id=x", "id=z"), "id=z");
        assert_eq!(
            replace_pair(text, "host_name=vm", "host_name=anon:1"),
            "T: call_id=x, id=x (host_name=anon:1)"
        );
    }

    #[test]
    fn summary_pairs_follow_the_redacted_event() {
        let mut before = Event::new();
        before.insert("sandbox_policy", "danger-full-access");
        before.insert("prompt", "secret plan");
        let mut after = before.clone();
        after.remove("prompt");
        after.insert("sandbox_policy", "danger-full-access");
        let summary = "T: sandbox_policy=danger-full-access, prompt=secret plan";
        assert_eq!(
            redact_summary_pairs(summary, &before, &after),
            "T: sandbox_policy=danger-full-access, [prompt removed]"
        );
    }
}
