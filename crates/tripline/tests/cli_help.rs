//! `tripline <command> --help` for every command and subcommand, found by walking the
//! "Commands:" sections of the binary's own help: each prints a one-line description and
//! an "Examples:" section whose lines run that command.

mod support;

use std::time::Duration;

use support::{process, tools};

/// `tripline ARGS --help`: exits 0, output on stdout.
fn help(path: &[String]) -> String {
    let mut cmd = tools::tripline_command();
    cmd.args(path).arg("--help");
    let what = format!("tripline {} --help", path.join(" "));
    let out = process::run(&what, &mut cmd, Duration::from_secs(30));
    out.assert_success(&what);
    out.stdout
}

/// The subcommand names listed under "Commands:" (without clap's own `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn every_command_help_has_a_description_and_examples() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = Vec::new();
    while let Some(path) = pending.pop() {
        let text = help(&path);
        let name = format!("tripline {}", path.join(" "));
        let name = name.trim_end();
        let description = text.lines().next().unwrap_or_default().trim();
        assert!(
            !description.is_empty() && !description.starts_with("Usage:"),
            "`{name} --help` starts without a description:\n{text}"
        );
        let examples: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "Examples:")
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter(|l| !l.starts_with("   "))
            .collect();
        assert!(
            examples.iter().any(|l| l.contains(name)),
            "`{name} --help` has no example running `{name}`:\n{text}"
        );
        for sub in subcommands(&text) {
            let mut p = path.clone();
            p.push(sub);
            pending.push(p);
        }
        seen.push(name.to_owned());
    }
    for expected in [
        "tripline serve",
        "tripline rules lint",
        "tripline lists import-mcp",
        "tripline retention run",
        "tripline wal check",
        "tripline sinks list",
        "tripline config check",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "the walk missed {expected}: {seen:?}"
        );
    }
}
