//! `tripline lists check PATH...`: validate list files and structured registries.
//!
//! Plain list files are YAML maps `name: [values]`. Registry files are recognised by
//! name (`posture.yml`, `tools.yml`, `session_class.yml`) and get a structural check of
//! their schema (version 1), including that every `%name%` they use is a known plain list.
//! Add a registry by extending [`FileKind`], [`kind_of`] and [`check_registry`].

mod import_mcp;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_norway::Value as Yaml;
use tripline_sigma::Lists;

/// `tripline lists ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate list files and registries (a file or a directory of .yml/.yaml)
    ///
    /// Value lists (`name: [values]`) and the registries (posture.yml, tools.yml,
    /// session_class.yml, host_ips.yml) are checked by their own rules. Exits 1 on problems.
    #[command(after_help = "Examples:
  tripline lists check lists/
  tripline lists check my-lists/hosts.yml")]
    Check(CheckArgs),
    /// Print lists/tools.yml entries for an MCP server from its tools/list answer
    ///
    /// Each tool is classified from its readOnlyHint/destructiveHint annotations; review
    /// the output before merging it into lists/tools.yml.
    #[command(after_help = "Examples:
  tripline lists import-mcp github tools-list.json >> lists/tools.yml")]
    ImportMcp(import_mcp::ImportMcpArgs),
}

/// Arguments of `lists check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// List files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// What a file under `lists/` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    /// `name: [values]`
    Plain,
    /// `posture.yml`
    Posture,
    /// `tools.yml`
    Tools,
    /// `session_class.yml`
    SessionClass,
    /// `host_ips.yml`
    HostIps,
    /// `identities.yml`
    Identities,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Plain => "lists",
            FileKind::Posture => "posture",
            FileKind::Tools => "tools",
            FileKind::SessionClass => "session_class",
            FileKind::HostIps => "host_ips",
            FileKind::Identities => "identities",
        }
    }
}

/// Which validator checks a file: by its name, and any other file with a top-level
/// `version:` claims to be a registry tripline does not know.
fn kind_of(path: &Path, doc: &Yaml) -> Result<FileKind, String> {
    let stem = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    Ok(match stem {
        "posture" => FileKind::Posture,
        "tools" => FileKind::Tools,
        "session_class" => FileKind::SessionClass,
        "host_ips" => FileKind::HostIps,
        "identities" => FileKind::Identities,
        _ if doc.get("version").is_some() => {
            return Err(format!(
                "unknown registry type '{stem}' (known: posture, tools, session_class, host_ips, identities)"
            ))
        }
        _ => FileKind::Plain,
    })
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l
                .trim_start()
                .trim_start_matches("- ")
                .trim_start_matches(['\'', '"']);
            t.starts_with(key)
                && t[key.len()..]
                    .trim_start_matches(['\'', '"'])
                    .trim_start()
                    .starts_with(':')
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// Problems as (line, message).
type Problems = Vec<(usize, String)>;

fn plain_lists(text: &str) -> Result<String, Problems> {
    match Lists::from_yaml(text) {
        Ok(l) => {
            let mut problems = Vec::new();
            for (name, values) in l.iter() {
                if values.is_empty() {
                    problems.push((
                        line_of(text, name),
                        format!("{name}: empty list (an expanded rule would match nothing)"),
                    ));
                }
                let mut seen = std::collections::BTreeSet::new();
                for v in values {
                    if !seen.insert(v.to_lowercase()) {
                        problems.push((
                            line_of(text, name),
                            format!("{name}: duplicate value '{v}'"),
                        ));
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
            let name = e
                .split(':')
                .next()
                .unwrap_or_default()
                .split('[')
                .next()
                .unwrap_or_default();
            Err(vec![(line_of(text, name), e)])
        }
    }
}

/// Structural checks of a registry document; `%name%` references must be known lists.
struct RegistryCheck<'a> {
    text: &'a str,
    known: &'a std::collections::BTreeSet<String>,
    problems: Problems,
}

impl RegistryCheck<'_> {
    fn fail(&mut self, key: &str, at: &str, msg: impl std::fmt::Display) {
        self.problems
            .push((line_of(self.text, key), format!("{at}: {msg}")));
    }

    fn keys(&mut self, v: &Yaml, at: &str, allowed: &[&str], required: &[&str]) -> bool {
        let Some(m) = v.as_mapping() else {
            self.fail(at.rsplit('.').next().unwrap_or(at), at, "expected a map");
            return false;
        };
        for k in m.keys() {
            let k = k.as_str().unwrap_or_default();
            if !allowed.contains(&k) {
                self.fail(
                    k,
                    at,
                    format!("unknown key '{k}' (expected {})", allowed.join(", ")),
                );
            }
        }
        for r in required {
            if !m.contains_key(*r) {
                self.fail(
                    at.rsplit('.').next().unwrap_or(at),
                    at,
                    format!("{r}: missing"),
                );
            }
        }
        true
    }

    fn one_of(&mut self, v: Option<&Yaml>, key: &str, at: &str, allowed: &[&str]) {
        match v.and_then(Yaml::as_str) {
            Some(s) if allowed.contains(&s) => {}
            None if v.is_none() => {}
            _ => self.fail(
                key,
                &format!("{at}.{key}"),
                format!("must be one of {}", allowed.join(", ")),
            ),
        }
    }

    /// A map of field -> list of patterns (strings or null).
    fn matcher(&mut self, v: &Yaml, at: &str) {
        let Some(m) = v.as_mapping() else {
            self.fail(
                at.rsplit('.').next().unwrap_or(at),
                at,
                "expected a map of field: [patterns]",
            );
            return;
        };
        for (k, vals) in m {
            let k = k.as_str().unwrap_or_default().to_owned();
            self.patterns(vals, &k, &format!("{at}.{k}"));
        }
    }

    fn patterns(&mut self, v: &Yaml, key: &str, at: &str) {
        let Some(items) = v.as_sequence() else {
            self.fail(key, at, "expected a list of patterns");
            return;
        };
        for item in items {
            match item {
                Yaml::String(s) => self.refs(s, key, at),
                Yaml::Null | Yaml::Bool(_) | Yaml::Number(_) => {}
                _ => self.fail(key, at, "patterns must be scalars"),
            }
        }
    }

    fn refs(&mut self, s: &str, key: &str, at: &str) {
        let mut rest = s;
        while let Some(start) = rest.find('%') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('%') else { break };
            let name = &after[..end];
            if !name.is_empty() && !self.known.contains(name) {
                self.fail(key, at, format!("%{name}% is not a known list"));
            }
            rest = &after[end + 1..];
        }
    }

    fn list_of_maps<'y>(
        &mut self,
        v: Option<&'y Yaml>,
        key: &str,
        required: bool,
    ) -> Vec<&'y Yaml> {
        match v {
            Some(Yaml::Sequence(items)) => items.iter().collect(),
            None if !required => Vec::new(),
            None => {
                self.fail(key, key, "missing");
                Vec::new()
            }
            Some(_) => {
                self.fail(key, key, "expected a list");
                Vec::new()
            }
        }
    }
}

const CLASSES: [&str; 4] = ["read_only", "state_changing", "destructive", "unknown"];

fn check_registry(
    kind: FileKind,
    text: &str,
    doc: &Yaml,
    known: &std::collections::BTreeSet<String>,
) -> Result<String, Problems> {
    let mut c = RegistryCheck {
        text,
        known,
        problems: Vec::new(),
    };
    if doc.get("version").and_then(Yaml::as_u64) != Some(1) {
        c.fail("version", "version", "must be 1");
    }
    let summary = match kind {
        FileKind::Posture => {
            c.keys(
                doc,
                "posture",
                &["version", "profiles", "violation_levels", "weakened"],
                &["version", "profiles"],
            );
            let profiles = c.list_of_maps(doc.get("profiles"), "profiles", true);
            let mut names = std::collections::BTreeSet::new();
            for (i, p) in profiles.iter().enumerate() {
                let at = format!("profiles[{i}]");
                if !c.keys(
                    p,
                    &at,
                    &["name", "match", "allow", "network"],
                    &["name", "match", "allow"],
                ) {
                    continue;
                }
                match p.get("name").and_then(Yaml::as_str) {
                    Some(n) if !names.insert(n.to_owned()) => {
                        c.fail("name", &at, format!("duplicate profile name '{n}'"))
                    }
                    Some(_) | None => {}
                }
                if let Some(m) = p.get("match") {
                    c.matcher(m, &format!("{at}.match"));
                }
                for (j, a) in c
                    .list_of_maps(p.get("allow"), "allow", true)
                    .iter()
                    .enumerate()
                {
                    c.matcher(a, &format!("{at}.allow[{j}]"));
                }
                if p.get("network").is_some_and(|n| n.as_bool().is_none()) {
                    c.fail(
                        "network",
                        &format!("{at}.network"),
                        "expected true or false",
                    );
                }
            }
            for (i, v) in c
                .list_of_maps(doc.get("violation_levels"), "violation_levels", false)
                .iter()
                .enumerate()
            {
                let at = format!("violation_levels[{i}]");
                c.one_of(
                    v.get("level"),
                    "level",
                    &at,
                    &["informational", "low", "medium", "high", "critical"],
                );
                if let Some(m) = v.as_mapping() {
                    let mut rest = m.clone();
                    rest.remove("level");
                    c.matcher(&Yaml::Mapping(rest), &at);
                }
            }
            for (i, w) in c
                .list_of_maps(doc.get("weakened"), "weakened", false)
                .iter()
                .enumerate()
            {
                c.matcher(w, &format!("weakened[{i}]"));
            }
            format!("{} profile(s)", profiles.len())
        }
        FileKind::Tools => {
            c.keys(
                doc,
                "tools",
                &[
                    "version",
                    "builtin",
                    "shell_patterns",
                    "mcp",
                    "mcp_default_class",
                ],
                &["version"],
            );
            let mut n = 0;
            if let Some(b) = doc.get("builtin") {
                match b.as_mapping() {
                    Some(m) => {
                        for (tool, spec) in m {
                            n += 1;
                            let at = format!("builtin.{}", tool.as_str().unwrap_or_default());
                            c.one_of(
                                spec.get("class"),
                                "class",
                                &at,
                                &["read_only", "state_changing", "destructive", "shell"],
                            );
                        }
                    }
                    None => c.fail("builtin", "builtin", "expected a map tool: {class}"),
                }
            }
            if let Some(sp) = doc.get("shell_patterns") {
                match sp.as_mapping() {
                    Some(m) => {
                        for (class, pats) in m {
                            let class = class.as_str().unwrap_or_default().to_owned();
                            if !CLASSES.contains(&class.as_str()) {
                                c.fail(
                                    &class,
                                    "shell_patterns",
                                    format!(
                                        "unknown class '{class}' (expected {})",
                                        CLASSES.join(", ")
                                    ),
                                );
                            }
                            c.patterns(pats, &class, &format!("shell_patterns.{class}"));
                        }
                    }
                    None => c.fail(
                        "shell_patterns",
                        "shell_patterns",
                        "expected a map class: [patterns]",
                    ),
                }
            }
            for (i, m) in c
                .list_of_maps(doc.get("mcp"), "mcp", false)
                .iter()
                .enumerate()
            {
                let at = format!("mcp[{i}]");
                c.keys(
                    m,
                    &at,
                    &["server", "tool", "annotations", "class"],
                    &["server", "tool"],
                );
                c.one_of(m.get("class"), "class", &at, &CLASSES);
            }
            c.one_of(
                doc.get("mcp_default_class"),
                "mcp_default_class",
                "tools",
                &CLASSES,
            );
            format!("{n} builtin tool(s)")
        }
        FileKind::SessionClass => {
            c.keys(
                doc,
                "session_class",
                &["version", "rules", "default"],
                &["version", "rules", "default"],
            );
            let rules = c.list_of_maps(doc.get("rules"), "rules", true);
            for (i, r) in rules.iter().enumerate() {
                let at = format!("rules[{i}]");
                if c.keys(r, &at, &["class", "reason", "match"], &["class", "match"]) {
                    c.one_of(r.get("class"), "class", &at, &["human", "automation"]);
                    if let Some(m) = r.get("match") {
                        c.matcher(m, &format!("{at}.match"));
                    }
                }
            }
            c.one_of(
                doc.get("default"),
                "default",
                "session_class",
                &["human", "automation"],
            );
            format!("{} rule(s)", rules.len())
        }
        // The loader's own validation: one definition of a valid file.
        FileKind::HostIps => match crate::pipeline::enrich::HostIps::parse(doc) {
            Ok(h) => format!("{} network(s)", h.len()),
            Err(e) => {
                let msg = e.to_string();
                let key = msg
                    .strip_prefix("hosts.")
                    .and_then(|r| r.split(':').next())
                    .unwrap_or("hosts")
                    .to_owned();
                c.fail(&key, "host_ips", msg);
                String::new()
            }
        },
        FileKind::Identities => match crate::pipeline::enrich::Identities::parse(doc) {
            Ok(ids) => format!("{} identit(ies)", ids.len()),
            Err(e) => {
                let msg = e.to_string();
                let key = msg
                    .strip_prefix("people.")
                    .and_then(|r| r.split(':').next())
                    .unwrap_or("people")
                    .to_owned();
                c.fail(&key, "identities", msg);
                String::new()
            }
        },
        FileKind::Plain => String::new(),
    };
    if c.problems.is_empty() {
        Ok(summary)
    } else {
        Err(c.problems)
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
    let args = match cmd {
        Command::Check(args) => args,
        Command::ImportMcp(args) => return import_mcp::run(args),
    };
    let mut loaded = Vec::new();
    for f in files(&args.paths)? {
        let text =
            std::fs::read_to_string(&f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        loaded.push((f, text));
    }
    // Plain lists first: registries may reference them with %name%.
    let mut known = std::collections::BTreeSet::new();
    let mut kinds = Vec::new();
    for (f, text) in &loaded {
        let doc: Yaml = serde_norway::from_str(text).unwrap_or(Yaml::Null);
        let kind = kind_of(f, &doc);
        if let Ok(FileKind::Plain) = kind {
            if let Ok(l) = Lists::from_yaml(text) {
                known.extend(l.iter().map(|(n, _)| n.clone()));
            }
        }
        kinds.push((kind, doc));
    }
    let mut bad = 0;
    for ((f, text), (kind, doc)) in loaded.iter().zip(kinds) {
        let result = match kind {
            Err(e) => Err(vec![(line_of(text, "version"), e)]),
            Ok(FileKind::Plain) => plain_lists(text).map(|s| format!("lists: {s}")),
            Ok(k) => match serde_norway::from_str::<Yaml>(text) {
                Err(e) => Err(vec![(
                    e.location().map(|l| l.line()).unwrap_or(0),
                    format!("invalid YAML: {e}"),
                )]),
                Ok(_) => check_registry(k, text, &doc, &known)
                    .map(|s| format!("{} registry: {s}", k.name())),
            },
        };
        match result {
            Ok(summary) => println!("{}: ok ({summary})", f.display()),
            Err(problems) => {
                bad += problems.len();
                for (line, msg) in problems {
                    println!("{}:{line}: {msg}", f.display());
                }
            }
        }
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_report_lines_and_reasons() {
        assert!(plain_lists("Admins:\n  - root@corp.example\n").is_ok());
        let errs = plain_lists("A:\n  - x\n  - X\nB: []\n").unwrap_err();
        assert_eq!(
            errs,
            vec![
                (1, "A: duplicate value 'X'".to_owned()),
                (
                    4,
                    "B: empty list (an expanded rule would match nothing)".to_owned()
                )
            ]
        );
        let errs = plain_lists("A: [x]\nC: {d: 1}\n").unwrap_err();
        assert_eq!(errs[0].0, 2);
    }

    #[test]
    fn registries_are_recognised_by_name() {
        let v: Yaml = serde_norway::from_str("version: 1").unwrap();
        let plain: Yaml = serde_norway::from_str("a: [b]").unwrap();
        assert_eq!(
            kind_of(Path::new("lists/posture.yml"), &v),
            Ok(FileKind::Posture)
        );
        assert_eq!(
            kind_of(Path::new("lists/tools.yml"), &v),
            Ok(FileKind::Tools)
        );
        assert_eq!(
            kind_of(Path::new("lists/session_class.yml"), &v),
            Ok(FileKind::SessionClass)
        );
        assert_eq!(
            kind_of(Path::new("lists/admins.yml"), &plain),
            Ok(FileKind::Plain)
        );
        assert!(kind_of(Path::new("lists/other.yml"), &v).is_err());
    }

    #[test]
    fn registry_checks_structure_and_list_references() {
        let known: std::collections::BTreeSet<String> = ["ci_hosts".to_owned()].into();
        let text = "version: 1\nrules:\n  - class: robot\n    match:\n      host_name: ['%ci_hosts%', '%nope%']\ndefault: human\n";
        let doc: Yaml = serde_norway::from_str(text).unwrap();
        let errs = check_registry(FileKind::SessionClass, text, &doc, &known).unwrap_err();
        let msgs: Vec<&str> = errs.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "rules[0].class: must be one of human, automation",
                "rules[0].match.host_name: %nope% is not a known list"
            ]
        );
        let ok = "version: 1\nrules: []\ndefault: automation\n";
        let doc: Yaml = serde_norway::from_str(ok).unwrap();
        assert!(check_registry(FileKind::SessionClass, ok, &doc, &known).is_ok());
    }
}
