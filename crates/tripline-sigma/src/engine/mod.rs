//! The engine: compile rule sources once, then stream events through it.

mod compile;
mod delta;
mod detector;
mod dynamic;
mod process;
mod profiles;
mod state;

use std::collections::HashMap;

pub use delta::StateDelta;
pub use detector::{Detected, Detector};
pub use profiles::{ProfileSkips, MAX_JUMP_NS};
pub use state::{EntryKey, State};

use crate::correlation::spec::CorrSpec;
use crate::detection::Detection;
use crate::lists::Lists;
use crate::mapping::FieldMapping;
use crate::rule::RuleMeta;
use crate::secret::SecretCheck;
use crate::suppress::SuppressSpec;

/// One rule file handed to the engine: its path (for messages) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSource {
    /// path shown in errors
    pub path: String,
    /// YAML text (one or more documents)
    pub text: String,
}

/// Engine configuration.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// rule field -> event field renames, applied at compile time
    pub mapping: FieldMapping,
    /// fields holding the event time, tried in order
    pub time_fields: Vec<String>,
    /// how far behind the watermark (newest event time seen) an event may arrive and still
    /// count for correlations, in nanoseconds
    pub allowed_lateness_ns: i64,
    /// field used for pre-dispatch (rules pinning it are only evaluated on their values)
    pub dispatch_field: String,
    /// secret predicate for `tripline.secret_fields` (none: secret matching never holds)
    pub secret_check: Option<SecretCheck>,
    /// at most this many live groups per correlation rule; a new group beyond it evicts
    /// the group whose window ends first
    pub max_groups_per_rule: usize,
    /// at most this many learned values per first_seen scope; a new value beyond it
    /// evicts the value first seen longest ago
    pub max_values_per_scope: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            mapping: FieldMapping::default(),
            time_fields: vec!["time".into(), "timestamp".into()],
            allowed_lateness_ns: 0,
            dispatch_field: tripline_event::names::EVENT_NAME.into(),
            secret_check: None,
            max_groups_per_rule: Self::DEFAULT_MAX_GROUPS_PER_RULE,
            max_values_per_scope: Self::DEFAULT_MAX_VALUES_PER_SCOPE,
        }
    }
}

impl EngineOptions {
    /// Default of [`EngineOptions::max_groups_per_rule`].
    pub const DEFAULT_MAX_GROUPS_PER_RULE: usize = 10_000;
    /// Default of [`EngineOptions::max_values_per_scope`].
    pub const DEFAULT_MAX_VALUES_PER_SCOPE: usize = 10_000;
}

/// A compiled detection rule.
#[derive(Clone, Debug)]
pub(crate) struct DetRule {
    pub meta: RuleMeta,
    pub detection: Detection,
    pub filters: Vec<Detection>,
    pub emits: bool,
    /// (correlation index, position in its `rules`)
    pub feeds: Vec<(usize, usize)>,
    pub suppress: Option<SuppressSpec>,
    /// `tripline.levels` / `level_field`
    pub level: Option<dynamic::DynLevel>,
    /// `tripline.secret_fields`
    pub secret: Option<dynamic::SecretAug>,
}

/// A compiled correlation rule.
#[derive(Clone, Debug)]
pub(crate) struct CorrRule {
    pub meta: RuleMeta,
    pub spec: CorrSpec,
    pub emits: bool,
    pub feeds: Vec<(usize, usize)>,
    pub suppress: Option<SuppressSpec>,
    /// `tripline.levels` / `level_field`
    pub level: Option<dynamic::DynLevel>,
}

/// The streaming Sigma engine. No I/O: time comes from events or from the caller.
#[derive(Debug)]
pub struct Engine {
    pub(crate) det: Vec<DetRule>,
    pub(crate) corr: Vec<CorrRule>,
    pub(crate) dispatch: HashMap<String, Vec<usize>>,
    pub(crate) undispatched: Vec<usize>,
    pub(crate) opts: EngineOptions,
    pub(crate) sources: Vec<RuleSource>,
    pub(crate) state: State,
}

/// A short description of a compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    /// metadata
    pub meta: RuleMeta,
    /// `detection` or the correlation type
    pub kind: String,
    /// whether the rule emits outputs itself
    pub emits: bool,
}

impl Engine {
    /// Compile rule sources. Every problem is reported; no rule is skipped silently.
    pub fn compile(
        sources: &[RuleSource],
        lists: &Lists,
        opts: &EngineOptions,
    ) -> Result<Engine, Vec<crate::CompileError>> {
        compile::compile(sources, lists, opts)
    }

    /// Recompile the same sources with new lists, keeping the streaming state (keyed by
    /// rule id). On error the engine is unchanged.
    pub fn set_lists(&mut self, lists: &Lists) -> Result<(), Vec<crate::CompileError>> {
        let mut next = compile::compile(&self.sources, lists, &self.opts)?;
        std::mem::swap(&mut next.state, &mut self.state);
        *self = next;
        Ok(())
    }

    /// The compiled rules, detection rules first.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let d = self.det.iter().map(|r| RuleInfo {
            meta: r.meta.clone(),
            kind: "detection".into(),
            emits: r.emits,
        });
        let c = self.corr.iter().map(|r| RuleInfo {
            meta: r.meta.clone(),
            kind: format!("{:?}", r.spec.ctype),
            emits: r.emits,
        });
        d.chain(c).collect()
    }

    /// Serialize the whole streaming state (correlation windows, suppression, first-seen
    /// baselines, sequence counter, watermark).
    pub fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&self.state).unwrap_or_default()
    }

    /// Restore state produced by [`Engine::snapshot`].
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), String> {
        let s: State =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid engine snapshot: {e}"))?;
        if s.version != State::VERSION {
            return Err(format!(
                "engine snapshot version {} is not supported (expected {})",
                s.version,
                State::VERSION
            ));
        }
        self.state = s;
        self.mark_all_changed();
        Ok(())
    }

    /// The current watermark (newest event time seen or given), Unix ns.
    pub fn watermark(&self) -> Option<i64> {
        self.state.watermark_ns
    }

    /// The sequence numbers correlation windows still hold: the only past events a
    /// future output can name in its `seqs`.
    pub fn live_seqs(&self) -> std::collections::HashSet<u64> {
        self.state
            .corr
            .values()
            .flat_map(|groups| groups.values())
            .flat_map(|w| w.entries.iter())
            .flat_map(|e| e.seqs.iter().copied())
            .collect()
    }

    /// Number of events dropped from correlations for arriving later than the allowed
    /// lateness.
    pub fn late_events(&self) -> u64 {
        self.state.late_dropped
    }
}
