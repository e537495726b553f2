//! `lists/posture.yml`: which approval + sandbox combinations each group of sessions may
//! run with (schema in docs/detections.md, "posture.yml").

use anyhow::{anyhow, bail};
use serde_norway::Value as Yaml;
use tripline_event::{Event, Value};
use tripline_sigma::extension::valid_level;
use tripline_sigma::Lists;

use super::matcher::{Alternatives, MatchMap};

/// A combination of controls (`{approval_policy: [...], sandbox_policy: [...]}`); a
/// missing key holds for any value.
#[derive(Clone, Debug)]
struct Combo {
    approval: Option<Alternatives>,
    sandbox: Option<Alternatives>,
}

impl Combo {
    fn parse(v: &Yaml, lists: &Lists, what: &str) -> anyhow::Result<Combo> {
        let Yaml::Mapping(m) = v else {
            bail!("{what}: expected a map")
        };
        let alt = |k: &str| {
            m.get(k)
                .map(|v| Alternatives::parse(v, lists, false, &format!("{what}.{k}")))
                .transpose()
        };
        Ok(Combo {
            approval: alt("approval_policy")?,
            sandbox: alt("sandbox_policy")?,
        })
    }

    fn holds(&self, ev: &Event) -> bool {
        let ok =
            |a: &Option<Alternatives>, f: &str| a.as_ref().is_none_or(|a| a.matches(ev.get(f)));
        ok(&self.approval, "approval_policy") && ok(&self.sandbox, "sandbox_policy")
    }
}

#[derive(Clone, Debug)]
struct Profile {
    name: String,
    matcher: MatchMap,
    allow: Vec<Combo>,
    network: Option<bool>,
}

/// The compiled posture registry.
#[derive(Clone, Debug, Default)]
pub struct Posture {
    weakened: Vec<Combo>,
    profiles: Vec<Profile>,
    violation_levels: Vec<(Combo, String)>,
}

/// The verdict on one session start.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub profile: Option<String>,
    pub allowed: bool,
    pub level: Option<String>,
    pub network: bool,
}

fn seq<'a>(v: Option<&'a Yaml>, what: &str) -> anyhow::Result<&'a [Yaml]> {
    match v {
        None | Some(Yaml::Null) => Ok(&[]),
        Some(Yaml::Sequence(s)) => Ok(s),
        Some(_) => Err(anyhow!("{what}: expected a list")),
    }
}

impl Posture {
    /// Parse and compile (version 1).
    pub fn parse(doc: &Yaml, lists: &Lists) -> anyhow::Result<Posture> {
        let mut p = Posture::default();
        for (i, w) in seq(doc.get("weakened"), "weakened")?.iter().enumerate() {
            p.weakened
                .push(Combo::parse(w, lists, &format!("weakened[{i}]"))?);
        }
        for (i, pr) in seq(doc.get("profiles"), "profiles")?.iter().enumerate() {
            let what = format!("profiles[{i}]");
            let name = pr
                .get("name")
                .and_then(Yaml::as_str)
                .ok_or_else(|| anyhow!("{what}.name: missing"))?
                .to_owned();
            let matcher = MatchMap::parse(pr.get("match"), lists, &format!("{what}.match"))?;
            let mut allow = Vec::new();
            for (j, a) in seq(pr.get("allow"), &format!("{what}.allow"))?
                .iter()
                .enumerate()
            {
                allow.push(Combo::parse(a, lists, &format!("{what}.allow[{j}]"))?);
            }
            let network = match pr.get("network") {
                None | Some(Yaml::Null) => None,
                Some(Yaml::Bool(b)) => Some(*b),
                Some(_) => bail!("{what}.network: expected true or false"),
            };
            p.profiles.push(Profile {
                name,
                matcher,
                allow,
                network,
            });
        }
        for (i, v) in seq(doc.get("violation_levels"), "violation_levels")?
            .iter()
            .enumerate()
        {
            let what = format!("violation_levels[{i}]");
            let level = v.get("level").and_then(Yaml::as_str).and_then(valid_level);
            let level =
                level.ok_or_else(|| anyhow!("{what}.level: missing or not a Sigma level"))?;
            p.violation_levels
                .push((Combo::parse(v, lists, &what)?, level.to_owned()));
        }
        Ok(p)
    }

    /// Evaluate a `codex.conversation_starts` record.
    pub fn evaluate(&self, ev: &Event) -> Verdict {
        let profile = self.profiles.iter().find(|p| p.matcher.holds_on(ev));
        let weakened = self.weakened.iter().any(|c| c.holds(ev));
        let allowed = !weakened || profile.is_some_and(|p| p.allow.iter().any(|c| c.holds(ev)));
        let level = if allowed {
            None
        } else {
            self.violation_levels
                .iter()
                .find(|(c, _)| c.holds(ev))
                .map(|(_, l)| l.clone())
        };
        let full_access = matches!(ev.get("sandbox_policy"), Some(Value::Str(s)) if s.eq_ignore_ascii_case("danger-full-access"));
        let network = full_access || profile.and_then(|p| p.network).unwrap_or(false);
        Verdict {
            profile: profile.map(|p| p.name.clone()),
            allowed,
            level,
            network,
        }
    }
}
