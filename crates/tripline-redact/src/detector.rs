//! One secret detector: its data-file form ([`DetectorSpec`]) and its compiled form.

use std::sync::Arc;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

use crate::entropy::shannon_bits_per_char;
use crate::error::Error;
use crate::sample;

/// How sure a detector is that a match is a real secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Generic, context- or entropy-based match: likely, not certain.
    Low,
    /// Provider-specific format (prefix, checksum shape or PEM armour).
    High,
}

impl Confidence {
    /// `"low"` or `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::High => "high",
        }
    }
}

/// A detector as written in a detector file (`[[detector]]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// Stable id, `[a-z0-9_]+`; appears in masks (`[SECRET:<id>:<fp>]`) and metrics.
    pub id: String,
    /// One line for humans.
    pub description: String,
    /// Case-insensitive literals for the pre-filter: the regex runs only when one of
    /// them occurs in the text. An empty list means the detector always runs.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The pattern (Rust `regex` syntax).
    pub regex: String,
    /// Which capture group is the secret itself. Default: group 1 when the regex has a
    /// group, else the whole match.
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Patterns tested against the secret; a match means "not a secret" (placeholders).
    #[serde(default)]
    pub allow: Vec<String>,
    /// `high` or `low`.
    pub confidence: Confidence,
    /// Texts that must be detected by this detector (`${TEXT*N}` repeats expanded).
    #[serde(default)]
    pub true_positives: Vec<String>,
    /// Texts that no detector may flag (`${TEXT*N}` repeats expanded).
    #[serde(default)]
    pub false_positives: Vec<String>,
}

impl DetectorSpec {
    /// The true-positive samples with repeat templates expanded.
    pub fn true_positive_samples(&self) -> Vec<String> {
        self.true_positives
            .iter()
            .map(|s| sample::expand(s))
            .collect()
    }

    /// The false-positive samples with repeat templates expanded.
    pub fn false_positive_samples(&self) -> Vec<String> {
        self.false_positives
            .iter()
            .map(|s| sample::expand(s))
            .collect()
    }
}

/// A compiled detector.
#[derive(Clone, Debug)]
pub(crate) struct Detector {
    pub(crate) id: Arc<str>,
    pub(crate) confidence: Confidence,
    regex: Regex,
    group: usize,
    entropy: Option<f64>,
    allow: Option<RegexSet>,
}

impl Detector {
    /// Compile a spec, checking its id, regex, group and allow-list.
    pub(crate) fn compile(spec: &DetectorSpec) -> Result<Self, Error> {
        let valid_id = !spec.id.is_empty()
            && spec
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_id {
            return Err(Error::BadId(spec.id.clone()));
        }
        let regex_err = |source| Error::Regex {
            id: spec.id.clone(),
            source,
        };
        let regex = Regex::new(&spec.regex).map_err(regex_err)?;
        let groups = regex.captures_len() - 1;
        let group = match spec.secret_group {
            Some(g) if g > groups => {
                return Err(Error::MissingGroup {
                    id: spec.id.clone(),
                    group: g,
                })
            }
            Some(g) => g,
            None if groups >= 1 => 1,
            None => 0,
        };
        let allow = if spec.allow.is_empty() {
            None
        } else {
            Some(RegexSet::new(&spec.allow).map_err(regex_err)?)
        };
        Ok(Detector {
            id: Arc::from(spec.id.as_str()),
            confidence: spec.confidence,
            regex,
            group,
            entropy: spec.entropy,
            allow,
        })
    }

    /// Every validated secret range (byte offsets into `text`) this detector finds.
    pub(crate) fn find_into(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        if self.group == 0 {
            for m in self.regex.find_iter(text) {
                self.keep_if_valid(text, m.start(), m.end(), out);
            }
        } else {
            // The context before the secret (`password=`) may itself sit inside what an
            // earlier match took for a secret (`generic_password:\nDB_PASSWORD="..."`), so
            // the search resumes at the start of each captured secret, not after the whole
            // match: no assignment is hidden behind another.
            let mut pos = 0;
            while pos <= text.len() {
                let Some(caps) = self.regex.captures_at(text, pos) else {
                    break;
                };
                let whole = caps.get(0).map_or(pos..pos, |m| m.range());
                let next = match caps.get(self.group) {
                    Some(m) => {
                        self.keep_if_valid(text, m.start(), m.end(), out);
                        m.start().max(whole.start + 1)
                    }
                    None => whole.end.max(whole.start + 1),
                };
                pos = next;
                while pos < text.len() && !text.is_char_boundary(pos) {
                    pos += 1;
                }
            }
        }
    }

    fn keep_if_valid(&self, text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
        if start >= end {
            return;
        }
        let secret = &text[start..end];
        if let Some(min) = self.entropy {
            if shannon_bits_per_char(secret) < min {
                return;
            }
        }
        if let Some(allow) = &self.allow {
            if allow.is_match(secret) {
                return;
            }
        }
        out.push((start, end));
    }

    /// The raw pattern, for comparisons such as the benchmark's plain `RegexSet`.
    pub(crate) fn pattern(&self) -> &str {
        self.regex.as_str()
    }
}
