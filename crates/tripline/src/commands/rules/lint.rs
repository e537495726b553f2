//! `tripline rules lint DIR...`

use std::path::PathBuf;
use std::process::ExitCode;

use tripline_sigma::{Engine, EngineOptions, RuleSource};

use crate::rulefiles as files;

/// Arguments of `rules lint`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories (searched recursively for .yml/.yaml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Lists for `%placeholder%` expansion (a YAML file or a directory of them).
    #[arg(long)]
    pub lists: Option<PathBuf>,
}

const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// Style problems the compiler does not reject: missing title, unknown level.
fn style_problems(src: &RuleSource) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(docs) = tripline_sigma::yaml::load_documents(&src.text) else {
        return out;
    };
    for d in docs {
        let Some(map) = d.value.as_mapping() else {
            continue;
        };
        let is_alerting = map.contains_key("detection") || map.contains_key("correlation");
        if is_alerting
            && map
                .get("title")
                .and_then(|t| t.as_str())
                .is_none_or(str::is_empty)
        {
            out.push(format!("{}:{}: title: missing", src.path, d.first_line));
        }
        if let Some(level) = map.get("level") {
            if !level.as_str().is_some_and(|l| LEVELS.contains(&l)) {
                out.push(format!(
                    "{}:{}: level: must be one of {}",
                    src.path,
                    d.line_of("level", d.first_line),
                    LEVELS.join(", ")
                ));
            }
        }
    }
    out
}

/// Run the linter.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (rules, _tests) = files::find(&args.paths)?;
    let sources = files::load_sources(&rules)?;
    let lists = files::builtin_lists_and(args.lists.as_slice())?;
    let mut problems: Vec<String> = sources.iter().flat_map(style_problems).collect();
    if let Err(errs) = Engine::compile(&sources, &lists, &EngineOptions::default()) {
        problems.extend(errs.iter().map(|e| e.to_string()));
    }
    problems.sort();
    problems.dedup();
    for p in &problems {
        println!("{p}");
    }
    eprintln!(
        "{} rule file(s), {} problem(s)",
        sources.len(),
        problems.len()
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
