//! [`SecretScanner`]: keyword pre-filter → regex → entropy → allow-list.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use serde::Deserialize;

use crate::detector::{Confidence, Detector, DetectorSpec};
use crate::error::Error;
use crate::finding::{merge_overlapping, Finding};

/// The detector file shipped with tripline.
pub const BUILTIN_DETECTORS: &str = include_str!("../detectors.toml");

/// The shape of a detector file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFile {
    /// Detectors, `[[detector]]`.
    #[serde(default)]
    detector: Vec<DetectorSpec>,
    /// Ids of earlier (built-in) detectors to switch off; only meaningful in a user file.
    #[serde(default)]
    disable: Vec<String>,
}

/// A compiled set of secret detectors. Cheap to share behind an `Arc`; all methods take
/// `&self` and never panic on input.
#[derive(Clone, Debug)]
pub struct SecretScanner {
    specs: Vec<DetectorSpec>,
    detectors: Vec<Detector>,
    prefilter: Option<AhoCorasick>,
    /// For each pre-filter pattern, the detectors it switches on.
    keyword_owners: Vec<Vec<usize>>,
    /// Detectors without keywords: they always run.
    always: Vec<usize>,
    keyed_count: usize,
}

impl SecretScanner {
    /// The built-in detectors (`detectors.toml` in this crate).
    pub fn builtin() -> Self {
        // The built-in file is compiled in and checked by the test suite.
        Self::from_toml(BUILTIN_DETECTORS).expect("built-in detectors.toml is valid")
    }

    /// The built-in detectors, compiled once per process and shared.
    pub fn shared_builtin() -> Arc<SecretScanner> {
        static SHARED: OnceLock<Arc<SecretScanner>> = OnceLock::new();
        Arc::clone(SHARED.get_or_init(|| Arc::new(Self::builtin())))
    }

    /// Detectors from one TOML text (`[[detector]]` tables) and nothing else.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let file: DetectorFile = toml::from_str(text)?;
        Self::from_specs(file.detector)
    }

    /// The built-in detectors extended by a user file: a user detector with a built-in
    /// id replaces it, new ids are added, and `disable = ["id", ...]` removes built-ins.
    pub fn builtin_with_user_toml(user: &str) -> Result<Self, Error> {
        let base: DetectorFile = toml::from_str(BUILTIN_DETECTORS)?;
        let extra: DetectorFile = toml::from_str(user)?;
        let mut specs: Vec<DetectorSpec> = base
            .detector
            .into_iter()
            .filter(|d| !extra.disable.contains(&d.id))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for spec in extra.detector {
            if !seen.insert(spec.id.clone()) {
                return Err(Error::DuplicateId(spec.id));
            }
            match specs.iter_mut().find(|d| d.id == spec.id) {
                Some(slot) => *slot = spec,
                None => specs.push(spec),
            }
        }
        Self::from_specs(specs)
    }

    /// Compile a list of detector specs.
    pub fn from_specs(specs: Vec<DetectorSpec>) -> Result<Self, Error> {
        let mut detectors = Vec::with_capacity(specs.len());
        let mut ids = std::collections::HashSet::new();
        for spec in &specs {
            if !ids.insert(spec.id.as_str()) {
                return Err(Error::DuplicateId(spec.id.clone()));
            }
            detectors.push(Detector::compile(spec)?);
        }
        let mut keyword_index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_owners: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut keyed_count = 0;
        for (i, spec) in specs.iter().enumerate() {
            let usable: Vec<String> = spec
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .filter(|k| !k.is_empty())
                .collect();
            if usable.is_empty() {
                always.push(i);
                continue;
            }
            keyed_count += 1;
            for kw in usable {
                let slot = *keyword_index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_owners.push(Vec::new());
                    keyword_owners.len() - 1
                });
                if !keyword_owners[slot].contains(&i) {
                    keyword_owners[slot].push(i);
                }
            }
        }
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&keywords)
                    .map_err(|e| Error::Keywords(e.to_string()))?,
            )
        };
        Ok(SecretScanner {
            specs,
            detectors,
            prefilter,
            keyword_owners,
            always,
            keyed_count,
        })
    }

    /// The detector specs this scanner was built from, in order.
    pub fn specs(&self) -> &[DetectorSpec] {
        &self.specs
    }

    /// Whether a detector with this id is loaded.
    pub fn has_detector(&self, id: &str) -> bool {
        self.detectors.iter().any(|d| &*d.id == id)
    }

    /// How many detectors are loaded.
    pub fn len(&self) -> usize {
        self.detectors.len()
    }

    /// Whether no detector is loaded.
    pub fn is_empty(&self) -> bool {
        self.detectors.is_empty()
    }

    /// Every detector's regex source, in order (for comparisons and diagnostics).
    pub fn patterns(&self) -> Vec<&str> {
        self.detectors.iter().map(Detector::pattern).collect()
    }

    /// Which detectors the pre-filter lets run on `text`.
    fn selected(&self, text: &str) -> Vec<bool> {
        let mut on = vec![false; self.detectors.len()];
        for &i in &self.always {
            on[i] = true;
        }
        if let Some(ac) = &self.prefilter {
            let mut remaining = self.keyed_count;
            for m in ac.find_overlapping_iter(text) {
                for &d in &self.keyword_owners[m.pattern().as_usize()] {
                    if !on[d] {
                        on[d] = true;
                        remaining -= 1;
                    }
                }
                if remaining == 0 {
                    break;
                }
            }
        }
        on
    }

    /// Every validated match of every detector, overlaps included, sorted by start.
    /// Use [`scan`](Self::scan) for redaction; this is for diagnostics and rules that
    /// want to know every detector that fired.
    pub fn scan_all(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut ranges = Vec::new();
        for (i, on) in self.selected(text).into_iter().enumerate() {
            if !on {
                continue;
            }
            let det = &self.detectors[i];
            ranges.clear();
            det.find_into(text, &mut ranges);
            out.extend(ranges.iter().map(|&(start, end)| Finding {
                detector: Arc::clone(&det.id),
                start,
                end,
                confidence: det.confidence,
            }));
        }
        out.sort_by_key(|f| (f.start, f.end));
        out
    }

    /// The secrets in `text`: non-overlapping, sorted by start. Overlapping matches
    /// merge into their union, named by the strongest detector (see [`Finding`]).
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        merge_overlapping(self.scan_all(text))
    }

    /// Whether `text` holds at least one secret of any confidence. Stops at the first.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.contains_secret_at_least(text, Confidence::Low)
    }

    /// Whether `text` holds a secret whose detector has at least `min` confidence.
    pub fn contains_secret_at_least(&self, text: &str, min: Confidence) -> bool {
        let mut ranges = Vec::new();
        for (i, on) in self.selected(text).into_iter().enumerate() {
            let det = &self.detectors[i];
            if !on || det.confidence < min {
                continue;
            }
            det.find_into(text, &mut ranges);
            if !ranges.is_empty() {
                return true;
            }
        }
        false
    }

    /// Check every detector's samples against this scanner: each true positive must be
    /// found by its own detector, and no detector may flag a false positive. Returns the
    /// problems (empty when all samples behave); useful to validate a user file.
    pub fn check_samples(&self) -> Vec<SampleProblem> {
        let mut problems = Vec::new();
        for spec in &self.specs {
            if spec.true_positives.is_empty() {
                problems.push(SampleProblem {
                    detector: spec.id.clone(),
                    sample: String::new(),
                    problem: "no true-positive sample".into(),
                });
            }
            for sample in spec.true_positive_samples() {
                let hit = self
                    .scan_all(&sample)
                    .iter()
                    .any(|f| *f.detector == *spec.id);
                if !hit {
                    problems.push(SampleProblem {
                        detector: spec.id.clone(),
                        sample,
                        problem: "true positive not found".into(),
                    });
                }
            }
            for sample in spec.false_positive_samples() {
                if let Some(f) = self.scan_all(&sample).first() {
                    problems.push(SampleProblem {
                        detector: spec.id.clone(),
                        problem: format!("false positive flagged by `{}`", f.detector),
                        sample,
                    });
                }
            }
        }
        problems
    }
}

/// A detector sample that does not behave as declared (see
/// [`SecretScanner::check_samples`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleProblem {
    /// The detector whose sample it is.
    pub detector: String,
    /// The expanded sample text.
    pub sample: String,
    /// What went wrong.
    pub problem: String,
}

impl std::fmt::Display for SampleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {:?}", self.detector, self.problem, self.sample)
    }
}
