//! `tripline baseline`: what the first-seen rules and the volume profiles have learned, and
//! since when.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tripline_sigma::BaselineEntry;
use tripline_store::Store;

use crate::commands::settings::SettingsArgs;
use crate::pipeline::analyze::Analyzer;
use crate::pipeline::sealed_state::{StateSync, LEGACY_KEY};
use crate::pipeline::setup::{self, Extra};

/// Show the first-seen baselines learned from stored events, and export them for review
///
/// First-seen rules (a tripline Sigma extension, see docs/sigma.md) record every value
/// they see, silently during their learning period, and alert on new values after it.
/// This lists what they have learned per rule and scope, with the first time each value
/// was seen, read from the engine state saved in the data dir.
///
/// --export writes the learned values as a list file (YAML `name: [values]`) that can be
/// reviewed, committed under lists/, and referenced from rule filters as %name%.
///
/// Volume profiles (volume_profile rules) are listed after them: per rule and scope the
/// median, the rule's quantile, the MAD, the alert threshold, the samples learned and since
/// when. --export-profiles writes them, histograms included, as a JSON file for review and
/// for pre-seeding.
#[derive(clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  tripline baseline                      # the store in ./tripline-data
  tripline baseline --data /var/lib/tripline --export lists/known_surfaces.yml"
)]
pub struct Args {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Extra rule files or directories the server runs with (repeatable)
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Print JSON Lines instead of a table
    #[arg(long)]
    json: bool,
    /// Write the learned values as a YAML list file
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Write the learned volume profiles (scope, quantiles, samples, since, histogram) as a
    /// reviewable JSON file, the input of `Engine::seed_profiles`
    #[arg(long, value_name = "FILE")]
    export_profiles: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cfg = args.settings.load()?;
    let extra = Extra {
        rules: args.rules.clone(),
        ..Extra::default()
    };
    let mut analyzer = Analyzer::load(
        &setup::rule_set(&cfg, &extra),
        setup::engine_options(&cfg, &extra),
    )?;
    let dir = cfg.data_dir();
    let store = Store::open_read_only(dir)
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    if store.count_state_entries()? > 0 || store.load_state(LEGACY_KEY)?.is_some() {
        let (_, sealer) = setup::keyed(&cfg)?;
        StateSync::default().load(&store, &mut analyzer, &sealer)?;
    }
    let names: BTreeMap<String, String> = analyzer
        .engine()
        .rules()
        .into_iter()
        .map(|r| (r.meta.id, r.meta.name))
        .collect();
    let mut entries = analyzer.engine().baselines();
    entries.sort_by(|a, b| (&a.rule_id, &a.scope, &a.value).cmp(&(&b.rule_id, &b.scope, &b.value)));
    let name_of = |e: &BaselineEntry| {
        names
            .get(&e.rule_id)
            .cloned()
            .unwrap_or_else(|| e.rule_id.clone())
    };

    let mut out = io::stdout().lock();
    if args.json {
        for e in &entries {
            let line = serde_json::json!({
                "rule": name_of(e), "rule_id": e.rule_id, "scope": e.scope,
                "value": e.value, "first_seen": e.first_seen, "learning": e.learning,
            });
            writeln!(out, "{line}")?;
        }
    } else if entries.is_empty() {
        writeln!(out, "no first-seen values learned yet in {}", dir.display())?;
    } else {
        writeln!(
            out,
            "{:<32} {:<28} {:<40} {:<24} state",
            "rule", "scope", "value", "first seen"
        )?;
        for e in &entries {
            let state = if e.learning { "learning" } else { "alerting" };
            let scope = if e.scope.is_empty() {
                "(global)"
            } else {
                e.scope.as_str()
            };
            writeln!(
                out,
                "{:<32} {:<28} {:<40} {:<24} {state}",
                name_of(e),
                scope,
                e.value,
                e.first_seen
            )?;
        }
    }

    let profiles = analyzer.engine().profiles();
    if args.json {
        for p in &profiles {
            let line = serde_json::json!({
                "rule": names.get(&p.rule_id).cloned().unwrap_or_else(|| p.rule_id.clone()),
                "rule_id": p.rule_id, "scope": p.scope, "p50": p.p50, "quantile": p.quantile,
                "pq": p.pq, "mad": p.mad, "threshold": p.threshold, "samples": p.samples,
                "since": p.since, "learning": p.learning,
            });
            writeln!(out, "{line}")?;
        }
    } else if !profiles.is_empty() {
        writeln!(
            out,
            "\n{:<28} {:<48} {:>8} {:>8} {:>8} {:>10} {:>8} {:<31} state",
            "profile rule", "scope", "p50", "pq", "mad", "threshold", "samples", "since"
        )?;
        for p in &profiles {
            let scope: Vec<String> = p
                .scope
                .iter()
                .map(|(k, v)| format!("{k}={}", v.to_text().unwrap_or_default()))
                .collect();
            let state = if p.learning { "learning" } else { "alerting" };
            writeln!(
                out,
                "{:<28} {:<48} {:>8.1} {:>8.1} {:>8.1} {:>10.1} {:>8} {:<31} {state}",
                names
                    .get(&p.rule_id)
                    .map(String::as_str)
                    .unwrap_or(&p.rule_id),
                scope.join(","),
                p.p50,
                p.pq,
                p.mad,
                p.threshold,
                p.samples,
                p.since
            )?;
        }
    }
    if let Some(path) = &args.export_profiles {
        let text = serde_json::to_string_pretty(&profiles).context("serializing the profiles")?;
        fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {} profile(s) to {}", profiles.len(), path.display());
    }

    if let Some(path) = &args.export {
        let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in &entries {
            let value = if e.scope.is_empty() {
                e.value.clone()
            } else {
                format!("{}|{}", e.scope, e.value)
            };
            lists
                .entry(format!("{}__baseline", name_of(e)))
                .or_default()
                .push(value);
        }
        let mut text = format!(
            "# First-seen baselines exported by `tripline baseline` from {}.\n# Review before committing. Values are scope|value where a rule has group-by fields.\n",
            dir.display()
        );
        text.push_str(&serde_norway::to_string(&lists).context("serializing the baseline list")?);
        fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "wrote {} value(s) in {} list(s) to {}",
            entries.len(),
            lists.len(),
            path.display()
        );
    }
    Ok(crate::exit::ok())
}
