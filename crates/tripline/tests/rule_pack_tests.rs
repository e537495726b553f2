//! The tests stored beside each rule of the built-in pack (`rules/*/*.tests.yml`) pass
//! under `tripline rules test rules/`, every alerting rule has at least two positive and
//! two negative cases, and `tripline lists check lists/` accepts the shipped lists and
//! registries.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::process;
use support::tools::{tripline_command, workspace_root};

#[test]
fn the_pack_passes_its_own_tests() {
    let root = workspace_root();
    let mut cmd = tripline_command();
    cmd.args(["rules", "test"])
        .arg(root.join("rules"))
        .current_dir(&root);
    let out = process::run(
        "tripline rules test rules/",
        &mut cmd,
        Duration::from_secs(300),
    );
    out.assert_success("tripline rules test rules/");
    // PASS rules/codex/<rule>.tests.yml positive[0]
    let mut cases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in out.stdout.lines() {
        let Some(rest) = line.strip_prefix("PASS ") else {
            continue;
        };
        let (file, case) = rest.split_once(' ').unwrap_or((rest, ""));
        let e = cases.entry(file.to_owned()).or_default();
        if case.starts_with("positive") {
            e.0 += 1;
        } else if case.starts_with("negative") {
            e.1 += 1;
        }
    }
    // Every pack directory (codex, claude_code, gemini_cli, agents).
    let files = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tests.yml")
        })
        .count();
    assert_eq!(
        cases.len(),
        files,
        "every test file ran: {cases:?}\n{}",
        out.stdout
    );
    for (file, (pos, neg)) in &cases {
        assert!(
            *pos >= 2 && *neg >= 2,
            "{file}: {pos} positive and {neg} negative cases; want at least 2 each"
        );
    }
}

#[test]
fn the_shipped_lists_check() {
    let root = workspace_root();
    let mut cmd = tripline_command();
    cmd.args(["lists", "check"]).arg(root.join("lists"));
    let out = process::run(
        "tripline lists check lists/",
        &mut cmd,
        Duration::from_secs(60),
    );
    out.assert_success("tripline lists check lists/");
    assert!(out.stdout.contains("host_ips.yml: ok"), "{}", out.stdout);
}
