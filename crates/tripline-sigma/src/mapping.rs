//! Field mapping: rename rule fields to event fields at compile time (like a pySigma
//! processing pipeline's field name mapping).

use std::collections::BTreeMap;

/// `rule_field -> event_field` renames.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMapping {
    map: BTreeMap<String, String>,
}

impl FieldMapping {
    /// The event field a rule field reads (itself when not mapped).
    pub fn map<'a>(&'a self, field: &'a str) -> &'a str {
        self.map.get(field).map(String::as_str).unwrap_or(field)
    }

    /// Add one rename.
    pub fn insert(&mut self, rule_field: &str, event_field: &str) {
        self.map
            .insert(rule_field.to_owned(), event_field.to_owned());
    }

    /// Parse a mapping file: YAML `field_mapping: {rule_field: event_field}`.
    pub fn from_yaml(text: &str) -> Result<FieldMapping, String> {
        let v: serde_norway::Value =
            serde_norway::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
        let mut out = FieldMapping::default();
        let Some(m) = v.get("field_mapping") else {
            return Err(
                "field_mapping: missing (expected field_mapping: {rule_field: event_field})".into(),
            );
        };
        let serde_norway::Value::Mapping(m) = m else {
            return Err(format!(
                "field_mapping: expected a map, found {}",
                crate::yaml::kind(m)
            ));
        };
        for (k, v) in m {
            let (Some(k), Some(v)) = (crate::yaml::key_text(k), v.as_str()) else {
                return Err("field_mapping: keys and values must be field names (strings)".into());
            };
            out.insert(&k, v);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_passes_through() {
        let m = FieldMapping::from_yaml("field_mapping:\n  CommandLine: arguments\n").unwrap();
        assert_eq!(m.map("CommandLine"), "arguments");
        assert_eq!(m.map("tool_name"), "tool_name");
        assert!(FieldMapping::from_yaml("x: 1").is_err());
    }
}
