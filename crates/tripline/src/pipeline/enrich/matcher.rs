//! Registry `match` maps: canonical field -> list (OR) of Sigma-style wildcards, all keys
//! must hold (AND); `%list%` expands a plain list; `null` matches an absent field.

use anyhow::{anyhow, bail};
use serde_norway::Value as Yaml;
use tripline_event::{Event, Value};
use tripline_sigma::pattern::{SigmaStr, StrMatcher};
use tripline_sigma::Lists;

/// Alternatives for one field.
#[derive(Clone, Debug, Default)]
pub struct Alternatives {
    patterns: Vec<StrMatcher>,
    /// `null` was listed: an absent (or null) field matches
    absent: bool,
}

impl Alternatives {
    /// Compile a list of wildcards (a scalar is a one-element list). `contains` wraps each
    /// pattern in `*...*` (shell patterns over arguments).
    pub fn parse(v: &Yaml, lists: &Lists, contains: bool, what: &str) -> anyhow::Result<Self> {
        let items: Vec<&Yaml> = match v {
            Yaml::Sequence(s) => s.iter().collect(),
            other => vec![other],
        };
        let mut out = Alternatives::default();
        for item in items {
            let text = match item {
                Yaml::Null => {
                    out.absent = true;
                    continue;
                }
                Yaml::String(s) => s.clone(),
                Yaml::Bool(b) => b.to_string(),
                Yaml::Number(n) => n.to_string(),
                _ => bail!("{what}: values must be strings"),
            };
            for t in expand(&text, lists).map_err(|e| anyhow!("{what}: {e}"))? {
                let mut s = SigmaStr::parse(&t);
                if contains {
                    s = s.contains();
                }
                let m = StrMatcher::new(&s, false).map_err(|e| anyhow!("{what}: {}", e.0))?;
                out.patterns.push(m);
            }
        }
        Ok(out)
    }

    /// Whether `v` (a field value, or none) matches.
    pub fn matches(&self, v: Option<&Value>) -> bool {
        match v {
            None | Some(Value::Null) => self.absent,
            Some(Value::Str(s)) => self.patterns.iter().any(|p| p.is_match(s)),
            Some(Value::Array(items)) => items.iter().any(|i| self.matches(Some(i))),
            Some(other) => other
                .to_text()
                .is_some_and(|t| self.patterns.iter().any(|p| p.is_match(&t))),
        }
    }
}

/// Expand `%name%` placeholders (each value of the named plain list; several placeholders
/// give every combination). Unknown lists are errors.
pub fn expand(text: &str, lists: &Lists) -> anyhow::Result<Vec<String>> {
    let Some(start) = text.find('%') else {
        return Ok(vec![text.to_owned()]);
    };
    let Some(len) = text[start + 1..].find('%') else {
        return Ok(vec![text.to_owned()]);
    };
    let name = &text[start + 1..start + 1 + len];
    let values = lists
        .get(name)
        .ok_or_else(|| anyhow!("unknown list '%{name}%'"))?;
    let rest = expand(&text[start + len + 2..], lists)?;
    let mut out = Vec::new();
    for v in values {
        for r in &rest {
            out.push(format!("{}{v}{r}", &text[..start]));
        }
    }
    Ok(out)
}

/// A `match` map: every key must hold.
#[derive(Clone, Debug, Default)]
pub struct MatchMap(Vec<(String, Alternatives)>);

impl MatchMap {
    /// Parse a `match:` map (missing or `{}`: always holds).
    pub fn parse(v: Option<&Yaml>, lists: &Lists, what: &str) -> anyhow::Result<Self> {
        let mut out = Vec::new();
        match v {
            None | Some(Yaml::Null) => {}
            Some(Yaml::Mapping(m)) => {
                for (k, v) in m {
                    let k = k
                        .as_str()
                        .ok_or_else(|| anyhow!("{what}: keys must be field names"))?;
                    out.push((
                        k.to_owned(),
                        Alternatives::parse(v, lists, false, &format!("{what}.{k}"))?,
                    ));
                }
            }
            Some(_) => bail!("{what}: expected a map"),
        }
        Ok(MatchMap(out))
    }

    /// Whether every key holds on `fields` (looked up by `get`).
    pub fn holds(&self, get: &dyn Fn(&str) -> Option<Value>) -> bool {
        self.0.iter().all(|(k, alts)| alts.matches(get(k).as_ref()))
    }

    /// Whether every key holds on an event.
    pub fn holds_on(&self, ev: &Event) -> bool {
        self.holds(&|k| ev.get(k).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_lists_and_matches_wildcards() {
        let mut lists = Lists::default();
        lists.insert("ci", vec!["runner-*".into(), "build01".into()]);
        let y: Yaml = serde_norway::from_str("{host_name: ['%ci%'], env: [null, 'prod']}").unwrap();
        let m = MatchMap::parse(Some(&y), &lists, "match").unwrap();
        let mut ev = Event::new();
        ev.insert("host_name", "RUNNER-7");
        assert!(m.holds_on(&ev));
        ev.insert("env", "dev");
        assert!(!m.holds_on(&ev));
        ev.insert("env", "prod");
        ev.insert("host_name", "laptop");
        assert!(!m.holds_on(&ev));
        let bad: Yaml = serde_norway::from_str("{host_name: ['%nope%']}").unwrap();
        assert!(MatchMap::parse(Some(&bad), &lists, "match").is_err());
    }
}
