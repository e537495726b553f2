//! `lists/identities.yml`: agent account ids and emails to a person. Codex, Claude Code and
//! Gemini CLI each name the user differently (`user.email`, `user.account_id`,
//! `user.account_uuid`, `user.id`, `installation.id`); the enrichment sets one `person` on
//! every event whose identity is listed, so cross-agent rules group by it. Schema in
//! docs/detections.md, "identities.yml".

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use serde_norway::Value as Yaml;
use tripline_event::{Event, Value};

/// Identity fields tried when the registry does not name its own, in this order.
pub const DEFAULT_ID_FIELDS: &[&str] = &[
    "user_email",
    "user_account_uuid",
    "user_account_id",
    "user_id",
    "installation_id",
    "enduser_id",
];

/// The compiled identity registry.
#[derive(Clone, Debug, Default)]
pub struct Identities {
    id_fields: Vec<String>,
    /// Lowercased identity value → person.
    people: HashMap<String, String>,
}

impl Identities {
    /// Parse and compile (version 1). Errors name the person entry.
    pub fn parse(doc: &Yaml) -> anyhow::Result<Identities> {
        if let Some(m) = doc.as_mapping() {
            for k in m.keys() {
                let k = k.as_str().unwrap_or_default();
                if !["version", "id_fields", "people"].contains(&k) {
                    bail!("unknown key '{k}' (expected version, id_fields, people)");
                }
            }
        }
        let id_fields = match doc.get("id_fields") {
            None => DEFAULT_ID_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
            Some(Yaml::Sequence(items)) if !items.is_empty() => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .filter(|s| !s.is_empty())
                        .map(tripline_event::names::canonical)
                        .ok_or_else(|| anyhow!("id_fields: field names must be strings"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Some(_) => bail!("id_fields: expected a non-empty list of field names"),
        };
        let mut people: HashMap<String, String> = HashMap::new();
        match doc.get("people") {
            None => {}
            Some(Yaml::Mapping(m)) => {
                for (person, ids) in m {
                    let person = person
                        .as_str()
                        .filter(|p| !p.is_empty())
                        .ok_or_else(|| anyhow!("people: person names must be non-empty strings"))?;
                    let Some(ids) = ids.as_sequence().filter(|a| !a.is_empty()) else {
                        bail!(
                            "people.{person}: expected a non-empty list of account ids or emails"
                        );
                    };
                    for id in ids {
                        let text = id
                            .as_str()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .ok_or_else(|| {
                                anyhow!("people.{person}: ids must be non-empty strings")
                            })?;
                        let key = text.to_lowercase();
                        if let Some(other) = people.get(&key) {
                            bail!("people.{person}: '{text}' is already assigned to {other}");
                        }
                        people.insert(key, person.to_owned());
                    }
                }
            }
            Some(_) => bail!("people: expected a map of person: [account ids or emails]"),
        }
        Ok(Identities { id_fields, people })
    }

    /// How many identities are listed.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// The person of the first identity field whose value is listed (compared without
    /// case), with that field's name.
    pub fn resolve(&self, ev: &Event) -> Option<(String, String)> {
        self.id_fields.iter().find_map(|f| {
            let v = ev.get(f).and_then(Value::to_text)?;
            let person = self.people.get(&v.trim().to_lowercase())?;
            Some((person.clone(), f.clone()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Yaml {
        serde_norway::from_str(text).unwrap()
    }

    fn ev(pairs: &[(&str, &str)]) -> Event {
        let mut e = Event::new();
        for (k, v) in pairs {
            e.insert(*k, *v);
        }
        e
    }

    #[test]
    fn any_listed_id_names_the_person() {
        let ids = Identities::parse(&doc(
            "version: 1\npeople:\n  alice:\n    - Alice@Example.internal\n    - 3f2a-uuid\n  bob: [bob@example.internal]\n",
        ))
        .unwrap();
        assert_eq!(ids.len(), 3);
        let codex = ev(&[("agent", "codex"), ("user_email", "alice@example.internal")]);
        assert_eq!(
            ids.resolve(&codex),
            Some(("alice".into(), "user_email".into()))
        );
        let claude = ev(&[("agent", "claude_code"), ("user_account_uuid", "3F2A-UUID")]);
        assert_eq!(
            ids.resolve(&claude),
            Some(("alice".into(), "user_account_uuid".into()))
        );
        assert_eq!(ids.resolve(&ev(&[("user_email", "eve@x")])), None);
        assert_eq!(ids.resolve(&ev(&[])), None);
    }

    #[test]
    fn own_fields_and_errors() {
        let ids = Identities::parse(&doc(
            "version: 1\nid_fields: [enduser.id]\npeople:\n  carol: [c1]\n",
        ))
        .unwrap();
        assert_eq!(
            ids.resolve(&ev(&[("enduser_id", "c1")])),
            Some(("carol".into(), "enduser_id".into()))
        );
        assert_eq!(ids.resolve(&ev(&[("user_email", "c1")])), None);
        let dup = Identities::parse(&doc("version: 1\npeople:\n  a: [x]\n  b: [X]\n"))
            .unwrap_err()
            .to_string();
        assert!(
            dup.contains("people.b") && dup.contains("already assigned to a"),
            "{dup}"
        );
        assert!(Identities::parse(&doc("version: 1\npeople:\n  a: []\n")).is_err());
        assert!(Identities::parse(&doc("version: 1\npersons: {}\n")).is_err());
        assert!(Identities::parse(&doc("version: 1\nid_fields: []\n")).is_err());
    }
}
