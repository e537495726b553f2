//! Finding and loading rule files, lists and mappings: shared by the `rules` commands and
//! the pipeline, so both read rule directories the same way.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tripline_sigma::{FieldMapping, Lists, RuleSource};

/// Suffix of rule test files (`foo.tests.yml` tests `foo.yml`).
pub const TEST_SUFFIXES: [&str; 2] = [".tests.yml", ".tests.yaml"];

fn is_yaml(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

/// Whether a path is a rule test file.
pub fn is_test_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    TEST_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Every YAML file under the given files/directories (recursively, sorted), split into
/// rule files and test files.
pub fn find(paths: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut all = Vec::new();
    for p in paths {
        collect(p, &mut all).with_context(|| format!("{}: cannot read", p.display()))?;
    }
    all.sort();
    all.dedup();
    Ok(all.into_iter().partition(|p| !is_test_file(p)))
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_dir() {
        for entry in std::fs::read_dir(p)? {
            let path = entry?.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() || is_yaml(&path) {
                collect(&path, out)?;
            }
        }
    } else if p.is_file() {
        out.push(p.to_path_buf());
    } else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory",
        ));
    }
    Ok(())
}

/// Read rule files into engine sources.
pub fn load_sources(files: &[PathBuf]) -> anyhow::Result<Vec<RuleSource>> {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("{}: cannot read", f.display()))?;
            Ok(RuleSource {
                path: f.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Load list files (a file, or every YAML file of a directory).
pub fn load_lists(path: Option<&Path>) -> anyhow::Result<Lists> {
    let mut lists = Lists::default();
    let Some(path) = path else { return Ok(lists) };
    let mut files = Vec::new();
    collect(path, &mut files).with_context(|| format!("{}: cannot read", path.display()))?;
    files.sort();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("{}: cannot read", f.display()))?;
        if is_registry(&text) {
            continue;
        }
        let l = Lists::from_yaml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        lists.extend(l);
    }
    Ok(lists)
}

/// The built-in lists (embedded from `lists/`), then each of `paths` in order: a list name
/// defined later replaces an earlier one. Registries are skipped.
pub fn builtin_lists_and(paths: &[PathBuf]) -> anyhow::Result<Lists> {
    let mut lists = Lists::default();
    for (path, text) in crate::builtin::LISTS {
        if is_registry(text) {
            continue;
        }
        let l =
            Lists::from_yaml(text).map_err(|e| anyhow::anyhow!("<builtin>/lists/{path}: {e}"))?;
        lists.extend(l);
    }
    for p in paths {
        lists.extend(load_lists(Some(p))?);
    }
    Ok(lists)
}

/// Structured registries (`posture.yml`, `tools.yml`, ...) carry a top-level `version:`;
/// they are not plain lists and are read by their own loaders (`tripline lists check`).
pub fn is_registry(text: &str) -> bool {
    serde_norway::from_str::<serde_norway::Value>(text).is_ok_and(|v| v.get("version").is_some())
}

/// Load a field mapping file.
pub fn load_mapping(path: Option<&Path>) -> anyhow::Result<FieldMapping> {
    let Some(path) = path else {
        return Ok(FieldMapping::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    FieldMapping::from_yaml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
