//! Timed runs of the engine over a JSON Lines file, and what they found.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value as Json};
use tripline_sigma::stream::{self, StreamOptions};
use tripline_sigma::{Engine, EngineOptions, Evidence, Lists, Output, OutputKind, RuleSource};

/// How the events reach the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// JSON Lines, parsing only the keys the rules read (the fast path)
    Projected,
    /// JSON Lines, parsing every line whole (the regular path)
    Full,
    /// events parsed before the clock starts (matching and state only)
    Preparsed,
}

/// What a run found: per rule, how many outputs and how many distinct groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// rule name -> outputs
    pub outputs: BTreeMap<String, u64>,
    /// correlation / first-seen rule name -> distinct groups that fired
    pub groups: BTreeMap<String, BTreeSet<String>>,
    /// every output as `rule_name kind lines`, in emission order
    pub log: Vec<String>,
}

impl Found {
    fn add(&mut self, o: &Output, lines: &[u64]) {
        *self.outputs.entry(o.rule_name.clone()).or_default() += 1;
        if o.kind != OutputKind::Match {
            let g = serde_json::to_string(&o.group).unwrap_or_default();
            self.groups
                .entry(o.rule_name.clone())
                .or_default()
                .insert(g);
        }
        self.log.push(format!(
            "{} {:?} {:?} {}",
            o.rule_name, o.kind, lines, o.alert.id
        ));
    }

    /// The counts as JSON: `{rule: {"outputs": n, "groups": m}}`.
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (rule, n) in &self.outputs {
            let mut v = json!({ "outputs": n });
            if let Some(g) = self.groups.get(rule) {
                v["groups"] = json!(g.len());
            }
            m.insert(rule.clone(), v);
        }
        Json::Object(m)
    }
}

/// Read every `.yml`/`.yaml` file under the given files or directories, sorted.
pub fn load_rules(paths: &[PathBuf]) -> anyhow::Result<Vec<RuleSource>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in
                std::fs::read_dir(p).with_context(|| format!("{}: cannot list", p.display()))?
            {
                let path = e?.path();
                if matches!(
                    path.extension().and_then(|x| x.to_str()),
                    Some("yml" | "yaml")
                ) {
                    files.push(path);
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("{}: cannot read", f.display()))?;
            Ok(RuleSource {
                path: f.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Compile the rule sources with default options.
pub fn compile(sources: &[RuleSource]) -> anyhow::Result<Engine> {
    Engine::compile(sources, &Lists::default(), &EngineOptions::default()).map_err(|errs| {
        anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// One timed run: (events, seconds on the clock, what was found).
pub fn run(
    sources: &[RuleSource],
    events: &Path,
    mode: Mode,
    threads: usize,
) -> anyhow::Result<(u64, f64, Found)> {
    let mut engine = compile(sources)?;
    // as `tripline rules eval`: the state is never stored, so no change bookkeeping
    engine.track_changes(false);
    let mut found = Found::default();
    let name = events.display().to_string();
    if mode == Mode::Preparsed {
        // Parse in slices so a million events never sit in memory at once; only the
        // engine's work is on the clock.
        const SLICE: usize = 50_000;
        let file = std::fs::File::open(events).with_context(|| format!("{name}: cannot open"))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let (mut n, mut secs, mut base) = (0u64, 0f64, 0u64);
        loop {
            let mut slice: Vec<Arc<Evidence>> = Vec::with_capacity(SLICE);
            for line in lines.by_ref() {
                let line = line.with_context(|| format!("{name}: cannot read"))?;
                if line.trim().is_empty() {
                    continue;
                }
                let ev = stream::parse_full(line.as_bytes())
                    .map_err(|e| anyhow::anyhow!("{name}:{}: {e}", n + slice.len() as u64 + 1))?;
                slice.push(Arc::new(Evidence::parsed(ev)));
                if slice.len() == SLICE {
                    break;
                }
            }
            if slice.is_empty() {
                break;
            }
            let start = Instant::now();
            n += stream::run_events(&mut engine, &slice, threads, |o, idx| {
                let lines: Vec<u64> = idx.iter().map(|i| i + base).collect();
                found.add(o, &lines);
                Ok(())
            })?;
            secs += start.elapsed().as_secs_f64();
            base += slice.len() as u64;
        }
        std::mem::forget(engine);
        return Ok((n, secs, found));
    }
    let start = Instant::now();
    let file = std::fs::File::open(events).with_context(|| format!("{name}: cannot open"))?;
    let opts = StreamOptions {
        threads,
        projected: mode == Mode::Projected,
        ..StreamOptions::default()
    };
    let n = stream::run_jsonl(&mut engine, file, opts, |o, lines| {
        found.add(o, lines);
        Ok(())
    })
    .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    // The process ends right after: leave the engine's state to the OS instead of
    // freeing a million-event run's windows one by one (a CLI's usual exit).
    std::mem::forget(engine);
    Ok((n, secs, found))
}

/// Peak resident set size of this process so far, in KiB (`VmHWM`), when known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
