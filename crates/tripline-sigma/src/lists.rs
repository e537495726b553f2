//! Named value lists for `%placeholder%` expansion (`name -> [values]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Named value lists. The engine takes them as data; loading and reloading them is the
/// caller's job (see [`crate::Engine::set_lists`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lists {
    lists: BTreeMap<String, Vec<String>>,
}

impl Lists {
    /// The values of list `name`.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.lists.get(name).map(Vec::as_slice)
    }

    /// Add or replace a list.
    pub fn insert(&mut self, name: &str, values: Vec<String>) {
        self.lists.insert(name.to_owned(), values);
    }

    /// Merge another set of lists into this one (later lists replace same-named ones).
    pub fn extend(&mut self, other: Lists) {
        self.lists.extend(other.lists);
    }

    /// All list names with their values.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.lists.iter()
    }

    /// Parse the YAML list format: a map `name: [values]` whose values are scalars.
    /// Errors name the list and the offending entry.
    pub fn from_yaml(text: &str) -> Result<Lists, String> {
        let v: serde_norway::Value =
            serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
        let mut out = Lists::default();
        let map = match v {
            serde_norway::Value::Mapping(m) => m,
            serde_norway::Value::Null => return Ok(out),
            other => {
                return Err(format!(
                    "expected a map of name: [values], found {}",
                    crate::yaml::kind(&other)
                ))
            }
        };
        for (k, v) in map {
            let name = crate::yaml::key_text(&k).ok_or("list names must be strings")?;
            let serde_norway::Value::Sequence(items) = v else {
                return Err(format!(
                    "{name}: expected a list of values, found {}",
                    crate::yaml::kind(&v)
                ));
            };
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    serde_norway::Value::String(s) => values.push(s.clone()),
                    serde_norway::Value::Number(n) => values.push(n.to_string()),
                    serde_norway::Value::Bool(b) => values.push(b.to_string()),
                    other => {
                        return Err(format!(
                            "{name}[{i}]: expected a scalar value, found {}",
                            crate::yaml::kind(other)
                        ))
                    }
                }
            }
            out.insert(&name, values);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_list_files() {
        let l = Lists::from_yaml("Admins:\n  - a\n  - 2\n").unwrap();
        assert_eq!(l.get("Admins").unwrap(), &["a".to_owned(), "2".to_owned()]);
        assert!(Lists::from_yaml("Admins: x\n")
            .unwrap_err()
            .contains("Admins"));
        assert!(Lists::from_yaml("A:\n  - {b: 1}\n")
            .unwrap_err()
            .contains("A[0]"));
    }
}
