//! `lists/session_class.yml`: human or automation, per conversation (schema in
//! docs/detections.md, "session_class.yml").

use anyhow::{anyhow, bail};
use serde_norway::Value as Yaml;
use tripline_event::Event;
use tripline_sigma::Lists;

use super::matcher::MatchMap;

#[derive(Clone, Debug)]
struct Rule {
    class: String,
    reason: String,
    matcher: MatchMap,
}

/// The compiled session-class registry.
#[derive(Clone, Debug)]
pub struct SessionClasses {
    rules: Vec<Rule>,
    default: String,
}

fn class(s: Option<&str>, what: &str) -> anyhow::Result<String> {
    match s {
        Some(c @ ("human" | "automation")) => Ok(c.to_owned()),
        Some(other) => bail!("{what}: '{other}' is not human or automation"),
        None => bail!("{what}: missing"),
    }
}

impl SessionClasses {
    /// Parse and compile (version 1).
    pub fn parse(doc: &Yaml, lists: &Lists) -> anyhow::Result<SessionClasses> {
        let mut rules = Vec::new();
        if let Some(items) = doc.get("rules") {
            let Yaml::Sequence(items) = items else {
                bail!("rules: expected a list")
            };
            for (i, r) in items.iter().enumerate() {
                let what = format!("rules[{i}]");
                rules.push(Rule {
                    class: class(
                        r.get("class").and_then(Yaml::as_str),
                        &format!("{what}.class"),
                    )?,
                    reason: r
                        .get("reason")
                        .and_then(Yaml::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    matcher: MatchMap::parse(r.get("match"), lists, &format!("{what}.match"))
                        .map_err(|e| anyhow!("{e}"))?,
                });
            }
        }
        let default = match doc.get("default") {
            None => "human".to_owned(),
            Some(d) => class(d.as_str(), "default")?,
        };
        Ok(SessionClasses { rules, default })
    }

    /// (class, reason) of the first rule that holds on `ev`, or the default.
    pub fn classify(&self, ev: &Event) -> (String, String) {
        self.rules
            .iter()
            .find(|r| r.matcher.holds_on(ev))
            .map(|r| (r.class.clone(), r.reason.clone()))
            .unwrap_or_else(|| (self.default.clone(), "default".to_owned()))
    }
}
