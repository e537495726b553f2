//! Portability of the built-in rule packs: every rule file in `rules/codex/`,
//! `rules/claude_code/`, `rules/gemini_cli/` and `rules/agents/` is converted with sigma-cli
//! (pySigma) to Splunk SPL, Elasticsearch Lucene and ES|QL, and
//! the outcome must be exactly the "Portability (sigma-cli)" table of docs/detections.md:
//! a `yes` converts, a `no` fails and gives its reason in the table. Rules that use tripline
//! extensions (first_seen, `tripline:` keys, enrichment fields) either convert with the
//! extension ignored or are listed as `no` with the reason.
//!
//! `%name%` placeholders are resolved by a pipeline generated from `lists/` by
//! `tests/support/sigma_lists_pipeline.py`; conversion runs `--without-pipeline` otherwise.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::process;
use support::tools::{self, Tool};

const TARGETS: [&str; 3] = ["splunk", "lucene", "esql"];

/// rule file stem -> target -> converts
type Table = BTreeMap<String, BTreeMap<String, bool>>;

/// The portability table of docs/detections.md, with the reason column per rule.
fn documented(root: &Path) -> (Table, BTreeMap<String, String>) {
    let doc = std::fs::read_to_string(root.join("docs/detections.md")).expect("docs/detections.md");
    let start = doc
        .find("\n## Portability (sigma-cli)")
        .expect("docs/detections.md has a Portability (sigma-cli) section");
    let section = &doc[start + 1..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map(|i| i + 3)
        .unwrap_or(section.len())];
    let mut table = Table::new();
    let mut reasons = BTreeMap::new();
    let mut header: Option<Vec<String>> = None;
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().trim_matches('|').trim().to_owned())
            .collect();
        match &header {
            None if cells.first().map(String::as_str) == Some("rule") => header = Some(cells),
            None => {}
            Some(_) if line.chars().all(|ch| matches!(ch, '|' | '-' | ':' | ' ')) => {}
            Some(h) => {
                let mut row = BTreeMap::new();
                for t in TARGETS {
                    let i = h
                        .iter()
                        .position(|c| c == t)
                        .unwrap_or_else(|| panic!("portability table has no {t} column"));
                    let v = cells.get(i).map(String::as_str).unwrap_or("");
                    assert!(
                        v == "yes" || v == "no",
                        "portability table, {}: {t} must be yes or no, not {v:?}",
                        cells[0]
                    );
                    row.insert(t.to_owned(), v == "yes");
                }
                let why = h
                    .iter()
                    .position(|c| c == "why not")
                    .and_then(|i| cells.get(i))
                    .cloned()
                    .unwrap_or_default();
                reasons.insert(cells[0].clone(), why);
                table.insert(cells[0].clone(), row);
            }
        }
    }
    (table, reasons)
}

/// The rule pack directories under `rules/`.
const PACKS: [&str; 4] = ["codex", "claude_code", "gemini_cli", "agents"];

fn rule_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = PACKS
        .iter()
        .flat_map(|pack| {
            std::fs::read_dir(root.join("rules").join(pack))
                .unwrap_or_else(|e| panic!("rules/{pack}: {e}"))
                .map(|e| e.unwrap().path())
        })
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".yml") && !n.ends_with(".tests.yml")
        })
        .collect();
    files.sort();
    // Every pack directory under rules/ is converted.
    for d in std::fs::read_dir(root.join("rules")).expect("rules") {
        let name = d.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            PACKS.contains(&name.as_str()),
            "rules/{name} is not converted"
        );
    }
    files
}

#[test]
fn every_rule_converts_or_is_documented_as_not_converting() {
    let Some(found) = tools::require("rule_pack_sigma_cli", &[Tool::SigmaCli, Tool::VenvPython])
    else {
        return;
    };
    let root = tools::workspace_root();
    let tmp = tempfile::tempdir().expect("temp dir");
    let pipeline = tmp.path().join("tripline-lists-pipeline.yml");
    let mut gen = Command::new(found.path(Tool::VenvPython));
    gen.arg(root.join("tests/support/sigma_lists_pipeline.py"))
        .arg(root.join("lists"))
        .arg(&pipeline);
    process::run(
        "sigma_lists_pipeline.py",
        &mut gen,
        Duration::from_secs(120),
    )
    .assert_success("sigma_lists_pipeline.py");

    let (doc, reasons) = documented(&root);
    // One thread per target: each conversion is a separate Python start-up.
    let files = rule_files(&root);
    let results: Vec<(String, &str, bool, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = TARGETS
            .iter()
            .map(|&t| {
                let (files, sigma, pipeline) = (&files, found.path(Tool::SigmaCli), &pipeline);
                scope.spawn(move || {
                    files
                        .iter()
                        .map(|file| {
                            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                            let mut cmd = Command::new(sigma);
                            cmd.args(["convert", "-t", t, "--without-pipeline", "-p"])
                                .arg(pipeline)
                                .arg(file);
                            let out =
                                process::run("sigma convert", &mut cmd, Duration::from_secs(300));
                            let ok = out.status.success() && !out.stdout.trim().is_empty();
                            (stem, t, ok, out.stdout)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("conversion thread"))
            .collect()
    });
    let mut actual = Table::new();
    let mut problems = Vec::new();
    for (stem, t, ok, stdout) in results {
        // A converted query is a real query over an agent's events, not an empty shell.
        let names_agent = ["codex", "claude_code", "gemini_cli"]
            .iter()
            .any(|a| stdout.contains(a));
        if ok && t != "lucene" && !names_agent && !stem.contains("bypass") {
            problems.push(format!(
                "{stem} -> {t}: the query does not name an agent:\n{stdout}"
            ));
        }
        actual.entry(stem).or_default().insert(t.to_owned(), ok);
    }
    for (rule, row) in &doc {
        if row.values().any(|ok| !ok) && reasons.get(rule).is_none_or(|r| r.is_empty()) {
            problems.push(format!(
                "{rule}: does not convert to every target but the table gives no reason"
            ));
        }
    }
    assert_eq!(
        actual, doc,
        "sigma-cli results (left) differ from the Portability table in docs/detections.md (right)"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
