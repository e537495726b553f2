//! The detection stage: the Sigma engine loaded with the built-in pack, extra rule
//! directories and lists.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tripline_event::{Alert, Event};
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

use crate::builtin;

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

/// The Sigma engine plus the bookkeeping to feed it.
pub struct Detector {
    engine: Engine,
    sources: Vec<RuleSource>,
    lists: Lists,
    opts: EngineOptions,
}

impl Detector {
    /// Load and compile every rule. Any rule that does not compile is an error naming its
    /// file and line: no rule is skipped silently.
    pub fn load(set: &RuleSet, opts: EngineOptions) -> anyhow::Result<Detector> {
        let mut sources = Vec::new();
        if set.builtin {
            for (path, text) in builtin::RULES {
                if !is_rule_file(Path::new(path)) {
                    continue;
                }
                sources.push(RuleSource { path: format!("<builtin>/rules/{path}"), text: (*text).to_owned() });
            }
        }
        for dir in &set.dirs {
            for path in yaml_files(dir)? {
                if !is_rule_file(&path) {
                    continue;
                }
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("reading rule file {}", path.display()))?;
                sources.push(RuleSource { path: path.display().to_string(), text });
            }
        }
        let lists = load_lists(set)?;
        let engine = compile(&sources, &lists, &opts)?;
        Ok(Detector { engine, sources, lists, opts })
    }

    /// Recompile with new lists, keeping the streaming state.
    pub fn reload_lists(&mut self, set: &RuleSet) -> anyhow::Result<()> {
        let lists = load_lists(set)?;
        self.engine.set_lists(&lists).map_err(compile_errors)?;
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

    /// The engine's streaming state (windows, suppression, baselines).
    pub fn snapshot(&self) -> Vec<u8> {
        self.engine.snapshot()
    }

    /// Restore state produced by [`Detector::snapshot`].
    pub fn restore(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.engine.restore(bytes).map_err(anyhow::Error::msg)
    }

    /// Drop all streaming state (used when the last committed state cannot be read).
    pub fn reset(&mut self) {
        if let Ok(fresh) = compile(&self.sources, &self.lists, &self.opts) {
            self.engine = fresh;
        }
    }

    /// The compiled engine, for inspection (`tripline baseline`).
    pub fn engine(&self) -> &Engine {
        &self.engine
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

/// The built-in lists, then each `--lists` path in order (later names replace earlier ones).
fn load_lists(set: &RuleSet) -> anyhow::Result<Lists> {
    let mut lists = Lists::default();
    for (path, text) in builtin::LISTS {
        if let Ok(l) = Lists::from_yaml(text) {
            lists.extend(l);
        } else {
            // Structured registries (posture, tools) are not plain lists; they are read
            // by their own loaders.
            let _ = path;
        }
    }
    for p in &set.lists {
        for path in yaml_files(p)? {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("reading list file {}", path.display()))?;
            let l = Lists::from_yaml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            lists.extend(l);
        }
    }
    Ok(lists)
}

/// Rule files are YAML files that are not rule tests.
fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !(name.ends_with(".tests.yml") || name.ends_with(".tests.yaml"))
}

/// `path` itself if it is a file, else every YAML file below it, sorted.
fn yaml_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
