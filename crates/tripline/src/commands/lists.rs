//! `tripline lists check PATH...`: validate list files and structured registries.
//!
//! Plain list files are YAML maps `name: [values]`. Registry files are recognised by
//! name (`posture.yml`, `tools.yml`) and get their own validator; until their schemas are
//! fixed they are checked as plain lists too. Add a registry by extending [`validator_for`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tripline_sigma::Lists;

/// `tripline lists ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate list files (a file or a directory of .yml/.yaml); exit 1 on problems.
    Check(CheckArgs),
}

/// Arguments of `lists check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// List files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// A validator: file text -> summary or problems (each `line: reason`, line 0 = unknown).
type Validator = fn(&str) -> Result<String, Vec<(usize, String)>>;

/// Which validator checks a file, by its name.
fn validator_for(path: &Path) -> (&'static str, Validator) {
    match path.file_name().and_then(|n| n.to_str()) {
        Some("posture.yml" | "posture.yaml") => ("posture registry", plain_lists),
        Some("tools.yml" | "tools.yaml") => ("tools registry", plain_lists),
        _ => ("lists", plain_lists),
    }
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start_matches(['\'', '"']);
            t.starts_with(key) && t[key.len()..].trim_start_matches(['\'', '"']).trim_start().starts_with(':')
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

fn plain_lists(text: &str) -> Result<String, Vec<(usize, String)>> {
    match Lists::from_yaml(text) {
        Ok(l) => {
            let mut problems = Vec::new();
            for (name, values) in l.iter() {
                if values.is_empty() {
                    problems.push((line_of(text, name), format!("{name}: empty list (an expanded rule would match nothing)")));
                }
                let mut seen = std::collections::BTreeSet::new();
                for v in values {
                    if !seen.insert(v.to_lowercase()) {
                        problems.push((line_of(text, name), format!("{name}: duplicate value '{v}'")));
                    }
                }
            }
            if problems.is_empty() {
                let n: usize = l.iter().map(|(_, v)| v.len()).sum();
                Ok(format!("{} list(s), {n} value(s)", l.iter().count()))
            } else {
                Err(problems)
            }
        }
        Err(e) => {
            let name = e.split(':').next().unwrap_or_default().split('[').next().unwrap_or_default();
            Err(vec![(line_of(text, name), e)])
        }
    }
}

fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in std::fs::read_dir(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))? {
                let path = e?.path();
                if path.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    out.push(path);
                }
            }
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            anyhow::bail!("{}: no such file or directory", p.display());
        }
    }
    out.sort();
    Ok(out)
}

/// Dispatch a `lists` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Check(args) = cmd;
    let mut bad = 0;
    for f in files(&args.paths)? {
        let text = std::fs::read_to_string(&f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let (kind, check) = validator_for(&f);
        match check(&text) {
            Ok(summary) => println!("{}: ok ({kind}: {summary})", f.display()),
            Err(problems) => {
                bad += problems.len();
                for (line, msg) in problems {
                    println!("{}:{line}: {msg}", f.display());
                }
            }
        }
    }
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_report_lines_and_reasons() {
        assert!(plain_lists("Admins:\n  - root@corp.example\n").is_ok());
        let errs = plain_lists("A:\n  - x\n  - X\nB: []\n").unwrap_err();
        assert_eq!(errs, vec![(1, "A: duplicate value 'X'".to_owned()), (4, "B: empty list (an expanded rule would match nothing)".to_owned())]);
        let errs = plain_lists("A: [x]\nC: {d: 1}\n").unwrap_err();
        assert_eq!(errs[0].0, 2);
    }

    #[test]
    fn registries_are_recognised_by_name() {
        assert_eq!(validator_for(Path::new("lists/posture.yml")).0, "posture registry");
        assert_eq!(validator_for(Path::new("lists/tools.yml")).0, "tools registry");
        assert_eq!(validator_for(Path::new("lists/admins.yml")).0, "lists");
    }
}
