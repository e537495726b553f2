//! Secret masking of text: `[SECRET:<detector_id>:<fp>]` in place of each secret,
//! including inside JSON carried in a string.

use crate::clean::{CleanStrings, Scan};
use std::borrow::Cow;
use std::ops::Range;

use crate::detector::Confidence;
use crate::finding::Finding;
use crate::keyed::{Domain, Keyed};
use crate::report::RedactionReport;
use crate::scanner::SecretScanner;

/// Values agents use to say "content withheld"; they pass every policy unchanged.
pub const REDACTED_LITERALS: [&str; 2] = ["[REDACTED]", "<REDACTED>"];

/// How deep JSON-inside-a-string is unpacked.
const MAX_EMBEDDED_JSON_DEPTH: u8 = 3;

/// Mask opening; a finding that lies wholly inside an earlier mask is ignored.
const MASK_OPEN: &str = "[SECRET:";

/// Everything masking needs.
pub(crate) struct Masker<'a> {
    pub(crate) scanner: &'a SecretScanner,
    /// strings already found clean by this masker's redactor
    pub(crate) clean: &'a CleanStrings,
    pub(crate) keyed: &'a Keyed,
    pub(crate) min_confidence: Confidence,
    pub(crate) fingerprint_chars: usize,
}

impl Masker<'_> {
    /// Mask every secret in `text`, parsing JSON objects/arrays carried in it.
    pub(crate) fn mask<'t>(&self, text: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
        if self.clean.contains(Scan::Value, text) {
            return Cow::Borrowed(text);
        }
        let out = self.mask_at(text, 0, report);
        if matches!(out, Cow::Borrowed(_)) {
            self.clean.insert(Scan::Value, text);
        }
        out
    }

    /// [`Masker::mask_raw`] for a field name (remembering clean names).
    pub(crate) fn mask_key<'t>(&self, key: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
        if self.clean.contains(Scan::Raw, key) {
            return Cow::Borrowed(key);
        }
        let out = self.mask_raw(key, report);
        if matches!(out, Cow::Borrowed(_)) {
            self.clean.insert(Scan::Raw, key);
        }
        out
    }

    fn mask_at<'t>(&self, text: &'t str, depth: u8, report: &mut RedactionReport) -> Cow<'t, str> {
        if REDACTED_LITERALS.contains(&text) {
            return Cow::Borrowed(text);
        }
        if depth < MAX_EMBEDDED_JSON_DEPTH && looks_like_json(text) {
            if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(text) {
                if self.mask_json(&mut json, depth + 1, report) {
                    let rewritten = json.to_string();
                    // A second raw pass catches secrets that span JSON syntax
                    // (`"password": "..."`); masks already written are skipped.
                    return Cow::Owned(self.mask_raw(&rewritten, report).into_owned());
                }
            }
        }
        self.mask_raw(text, report)
    }

    /// Mask the secrets found in the text as-is.
    pub(crate) fn mask_raw<'t>(&self, text: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
        let findings = self.findings(text);
        if findings.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.push_str(&text[at..f.start]);
            out.push_str(&self.token(f, text));
            report.secret(&f.detector);
            at = f.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    /// The findings that will be masked: at or above the confidence floor and not inside
    /// an existing mask.
    pub(crate) fn findings(&self, text: &str) -> Vec<Finding> {
        let masks = existing_masks(text, self.fingerprint_chars, |id| {
            self.scanner.has_detector(id)
        });
        let mut findings = self.scanner.scan(text);
        findings.retain(|f| {
            f.confidence >= self.min_confidence
                && !masks.iter().any(|m| m.start <= f.start && f.end <= m.end)
        });
        findings
    }

    /// `[SECRET:<id>:<fp>]` for one finding.
    pub(crate) fn token(&self, f: &Finding, text: &str) -> String {
        let fp = self.keyed.hex(
            Domain::Fingerprint,
            f.secret(text).as_bytes(),
            self.fingerprint_chars,
        );
        format!("{MASK_OPEN}{}:{fp}]", f.detector)
    }

    /// Mask inside a JSON value; returns whether anything changed.
    fn mask_json(
        &self,
        v: &mut serde_json::Value,
        depth: u8,
        report: &mut RedactionReport,
    ) -> bool {
        match v {
            serde_json::Value::String(s) => match self.mask_at(s, depth, report) {
                Cow::Owned(new) => {
                    *s = new;
                    true
                }
                Cow::Borrowed(_) => false,
            },
            serde_json::Value::Array(items) => {
                let mut changed = false;
                for item in items {
                    changed |= self.mask_json(item, depth, report);
                }
                changed
            }
            serde_json::Value::Object(map) => {
                let mut changed = false;
                let renames: Vec<(String, String)> = map
                    .keys()
                    .filter_map(|k| match self.mask_raw(k, report) {
                        Cow::Owned(new) => Some((k.clone(), new)),
                        Cow::Borrowed(_) => None,
                    })
                    .collect();
                for (old, new) in renames {
                    if let Some(val) = map.remove(&old) {
                        map.insert(new, val);
                        changed = true;
                    }
                }
                for val in map.values_mut() {
                    changed |= self.mask_json(val, depth, report);
                }
                changed
            }
            _ => false,
        }
    }
}

fn looks_like_json(text: &str) -> bool {
    let t = text.trim();
    (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'))
}

/// Byte ranges of `[SECRET:<id>:<hex>]` masks already present in `text`. Only masks
/// naming a known detector with a fingerprint of exactly `fp_len` hex characters count,
/// so a secret cannot hide inside a look-alike mask.
fn existing_masks(text: &str, fp_len: usize, known_id: impl Fn(&str) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(MASK_OPEN) {
        let start = from + pos;
        let body = &text[start + MASK_OPEN.len()..];
        from = start + MASK_OPEN.len();
        let id_len = body
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let rest = &body[id_len..];
        if id_len == 0 || !rest.starts_with(':') || !known_id(&body[..id_len]) {
            continue;
        }
        let hex_len = rest[1..].bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex_len != fp_len || rest.as_bytes().get(1 + hex_len) != Some(&b']') {
            continue;
        }
        let end = start + MASK_OPEN.len() + id_len + 1 + hex_len + 1;
        out.push(start..end);
        from = end;
    }
    out
}

/// Keep the first `max_chars` characters of `text`, noting how many were cut.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> Option<String> {
    let (cut, _) = text.char_indices().nth(max_chars)?;
    let dropped = text[cut..].chars().count();
    Some(format!("{}…[+{dropped} chars]", &text[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_well_formed_masks_only() {
        let t = "a [SECRET:aws_access_key:1a2b3c4d] b [SECRET:x:zz] [SECRET::12] \
                 [SECRET:aws_access_key:1a2b] [SECRET:sk_live_abc:1a2b3c4d]";
        let m = existing_masks(t, 8, |id| id == "aws_access_key");
        assert_eq!(m.len(), 1);
        assert_eq!(&t[m[0].clone()], "[SECRET:aws_access_key:1a2b3c4d]");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("héllo", 2).as_deref(), Some("hé…[+3 chars]"));
        assert_eq!(truncate_chars("hi", 2), None);
    }

    #[test]
    fn json_shape_check() {
        assert!(looks_like_json(" {\"a\":1} "));
        assert!(looks_like_json("[1]"));
        assert!(!looks_like_json("{ not closed"));
    }
}
