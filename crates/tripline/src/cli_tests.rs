//! The CLI teaches: every command and subcommand has a one-line description and examples,
//! and every example is a command line this CLI accepts.

use clap::{CommandFactory, Parser};

use super::Cli;

/// Every command below the root, as its path (`["rules", "lint"]`), with its definition;
/// the root itself first, with an empty path.
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(path: Vec<String>, cmd: &clap::Command, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_owned());
            walk(p, sub, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &Cli::command(), &mut out);
    out
}

/// `tripline` and the path, for messages.
fn shown(path: &[String]) -> String {
    std::iter::once("tripline")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command lines under the `Examples:` heading of a help text: each starts at a line
/// indented two spaces, and goes on over lines indented further.
fn example_lines(after_help: &str) -> Vec<String> {
    let mut lines = after_help.lines();
    if lines.next() != Some("Examples:") {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        match out.last_mut() {
            Some(last) if line.starts_with("   ") => {
                last.push('\n');
                last.push_str(line);
            }
            _ if line.starts_with("  ") => out.push(line.trim_start().to_owned()),
            _ => break,
        }
    }
    out
}

/// The `tripline` invocations of one example line (a shell pipeline): the words of each
/// command, without leading `VAR=value` assignments, redirections or comments.
fn invocations(example: &str) -> Vec<Vec<String>> {
    let joined = without_comments(&example.replace("\\\n", " "));
    let words = shlex::split(&joined)
        .unwrap_or_else(|| panic!("example is not a shell command line: {example}"));
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut redirected = false;
    for word in words {
        if ["|", "&&", ";"].contains(&word.as_str()) {
            commands.push(Vec::new());
            redirected = false;
            continue;
        }
        let redirect = word.trim_start_matches(|c: char| c.is_ascii_digit());
        if redirect.starts_with('>') || redirect.starts_with('<') {
            redirected = true;
        }
        let current = commands.last_mut().expect("one command at least");
        let assignment = current.is_empty() && word.contains('=') && !word.starts_with('-');
        if !redirected && !assignment {
            current.push(word);
        }
    }
    commands
        .into_iter()
        .filter(|c| c.first().map(String::as_str) == Some("tripline"))
        .collect()
}

/// `text` without its shell comments: `#` at the start of a word, outside quotes, to the
/// end of the line.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut quote, mut comment, mut prev) = (None, false, ' ');
    for c in text.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            }
        } else if let Some(q) = quote {
            quote = (c != q).then_some(q);
            out.push(c);
        } else if c == '#' && prev.is_whitespace() {
            comment = true;
        } else {
            if c == '\'' || c == '"' {
                quote = Some(c);
            }
            out.push(c);
        }
        prev = c;
    }
    out
}

#[test]
fn the_cli_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_command_has_a_one_line_description_in_one_style() {
    for (path, cmd) in commands() {
        let name = shown(&path);
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(!about.trim().is_empty(), "`{name}` has no description");
        assert!(
            !about.contains('\n'),
            "`{name}`: description is not one line: {about:?}"
        );
        assert!(
            about.chars().count() <= 90,
            "`{name}`: description longer than 90 characters: {about:?}"
        );
        assert!(
            about.starts_with(|c: char| c.is_ascii_uppercase()) && !about.ends_with('.'),
            "`{name}`: a description starts with a capital and has no final period: {about:?}"
        );
    }
}

#[test]
fn every_command_has_examples_that_this_cli_accepts() {
    let mut checked = 0;
    for (path, cmd) in commands() {
        let name = shown(&path);
        let after = cmd
            .get_after_help()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let examples = example_lines(&after);
        assert!(
            !examples.is_empty(),
            "`{name}` has no \"Examples:\" section in its help:\n{after}"
        );
        for example in &examples {
            let runs = invocations(example);
            assert!(
                runs.iter().any(|argv| argv[1..].starts_with(&path)),
                "`{name}`: the example does not run `{name}`: {example}"
            );
            for argv in runs {
                if let Err(e) = Cli::try_parse_from(&argv) {
                    panic!("`{name}`: the example {example:?} does not parse:\n{e}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} example invocations found");
}

#[test]
fn examples_are_read_as_the_shell_would() {
    let lines = example_lines(
        "Examples:\n  tripline a --x 1   # the rule's note\n  A=1 B=2 tripline b \\\n    --y \"two words\" 2>> log\n  tripline c | tripline d -\nafter",
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        invocations(&lines[0]),
        vec![vec!["tripline", "a", "--x", "1"]]
    );
    assert_eq!(
        invocations(&lines[1]),
        vec![vec!["tripline", "b", "--y", "two words"]]
    );
    assert_eq!(
        invocations(&lines[2]),
        vec![vec!["tripline", "c"], vec!["tripline", "d", "-"]]
    );
    assert!(example_lines("Usage: x").is_empty());
}
