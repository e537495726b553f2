//! The analysis stage, enrich then detect: the [`Analyzer`] holds the enricher (posture,
//! session class, tool class, conversation context) and the Sigma engine loaded with the
//! built-in pack, extra rule directories and lists.

use std::path::{Path, PathBuf};

use tripline_event::{Alert, Event};
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

use super::enrich::{Enricher, Registries};
use crate::builtin;
use crate::rulefiles;

/// Where rules and lists come from.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Include the built-in pack compiled from `rules/`.
    pub builtin: bool,
    /// Extra rule files or directories (`*.yml`/`*.yaml`, recursively; `*.tests.yml` skipped).
    pub dirs: Vec<PathBuf>,
    /// Extra list files or directories (YAML `name: [values]`), on top of the built-in lists.
    pub lists: Vec<PathBuf>,
}

/// The enricher and the Sigma engine, plus the bookkeeping to feed them.
pub struct Analyzer {
    engine: Engine,
    sources: Vec<RuleSource>,
    lists: Lists,
    opts: EngineOptions,
    enricher: Enricher,
}

impl Analyzer {
    /// Load and compile every rule. Any rule that does not compile is an error naming its
    /// file and line: no rule is skipped silently.
    pub fn load(set: &RuleSet, opts: EngineOptions) -> anyhow::Result<Analyzer> {
        let mut sources = Vec::new();
        if set.builtin {
            for (path, text) in builtin::RULES {
                if rulefiles::is_test_file(Path::new(path)) {
                    continue;
                }
                sources.push(RuleSource {
                    path: format!("<builtin>/rules/{path}"),
                    text: (*text).to_owned(),
                });
            }
        }
        let (files, _tests) = rulefiles::find(&set.dirs)?;
        sources.extend(rulefiles::load_sources(&files)?);
        let lists = load_lists(set)?;
        let engine = compile(&sources, &lists, &opts)?;
        let enricher = Enricher::new(Registries::load(&set.lists, &lists)?);
        Ok(Analyzer {
            engine,
            sources,
            lists,
            opts,
            enricher,
        })
    }

    /// Recompile with new lists, keeping the streaming state.
    pub fn reload_lists(&mut self, set: &RuleSet) -> anyhow::Result<()> {
        let lists = load_lists(set)?;
        let registries = Registries::load(&set.lists, &lists)?;
        self.engine.set_lists(&lists).map_err(compile_errors)?;
        self.enricher.set_registries(registries);
        self.lists = lists;
        Ok(())
    }

    /// Run events through the engine, in order; returns the alerts they produced.
    pub fn run(&mut self, events: &[Event]) -> Vec<Alert> {
        events
            .iter()
            .flat_map(|ev| self.engine.process(ev))
            .map(|out| out.alert)
            .collect()
    }

    /// Move the watermark to the newest event time seen, so windows of quiet groups
    /// expire (this changes no output; it bounds memory).
    pub fn advance_watermark(&mut self) {
        if let Some(wm) = self.engine.watermark() {
            self.engine.advance_watermark(wm);
        }
    }

    /// Run the enrichment stage over a batch, in order (before [`Analyzer::run`]).
    pub fn enrich(&mut self, events: &mut [Event]) {
        self.enricher.enrich_all(events);
    }

    /// The streaming state: `{"engine": <engine snapshot>, "enrich": <enrichment state>}`
    /// (windows, suppression, baselines, per-conversation context). The store keeps the
    /// state as entries (`pipeline::state`); this whole form is what earlier versions
    /// stored, and what tests compare.
    #[cfg(test)]
    pub fn snapshot(&self) -> Vec<u8> {
        // Spliced rather than re-parsed: the engine state is the big part and is already JSON.
        let engine = self.engine.snapshot();
        let enrich = serde_json::to_vec(&self.enricher.snapshot()).unwrap_or_default();
        let mut out = Vec::with_capacity(engine.len() + enrich.len() + 24);
        out.extend_from_slice(br#"{"engine":"#);
        out.extend_from_slice(if engine.is_empty() { b"null" } else { &engine });
        out.extend_from_slice(br#","enrich":"#);
        out.extend_from_slice(if enrich.is_empty() { b"null" } else { &enrich });
        out.push(b'}');
        out
    }

    /// Restore state produced by [`Analyzer::snapshot`] (or an engine-only snapshot from
    /// before the enrichment stage existed).
    pub fn restore(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| anyhow::anyhow!("invalid analyzer snapshot: {e}"))?;
        match v {
            serde_json::Value::Object(mut m)
                if m.contains_key("enrich") && m.contains_key("engine") =>
            {
                let engine = serde_json::to_vec(&m.remove("engine").unwrap_or_default())?;
                self.engine.restore(&engine).map_err(anyhow::Error::msg)?;
                match m.remove("enrich") {
                    None | Some(serde_json::Value::Null) => {
                        self.enricher.reset();
                        Ok(())
                    }
                    Some(v) => self.enricher.restore(v),
                }
            }
            _ => {
                self.enricher.reset();
                self.engine.restore(bytes).map_err(anyhow::Error::msg)
            }
        }
    }

    /// Drop all streaming state (used when the last committed state cannot be read).
    pub fn reset(&mut self) {
        if let Ok(fresh) = compile(&self.sources, &self.lists, &self.opts) {
            self.engine = fresh;
        }
        self.enricher.reset();
    }

    /// The compiled engine, for inspection (`tripline baseline`).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, for state persistence (`pipeline::state`).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The enrichment stage (its per-conversation state is persisted by
    /// `pipeline::state`).
    pub fn enricher(&self) -> &Enricher {
        &self.enricher
    }

    /// The enrichment stage, for restoring and committing its state.
    pub fn enricher_mut(&mut self) -> &mut Enricher {
        &mut self.enricher
    }
}

fn compile(sources: &[RuleSource], lists: &Lists, opts: &EngineOptions) -> anyhow::Result<Engine> {
    Engine::compile(sources, lists, opts).map_err(compile_errors)
}

fn compile_errors(errors: Vec<tripline_sigma::CompileError>) -> anyhow::Error {
    let mut msg = format!("{} rule problem(s):", errors.len());
    for e in &errors {
        msg.push_str(&format!("\n  {e}"));
    }
    anyhow::Error::msg(msg)
}

/// The built-in lists, then each `--lists` path (later names replace earlier ones).
fn load_lists(set: &RuleSet) -> anyhow::Result<Lists> {
    rulefiles::builtin_lists_and(&set.lists)
}
