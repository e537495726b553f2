//! The `tripline:` top-level key (tripline extension): dynamic alert level and secret
//! matching. Parsed here; resolved against the rule's identifiers in `engine::compile`.
//!
//! ```yaml
//! tripline:
//!   level_field: posture_level          # event field holding a level; wins when valid
//!   levels:                             # first entry whose condition holds sets the level
//!     - {condition: full_access, level: high}
//!   secret_fields: [arguments, output]  # identifiers testing these fields also hold when
//!   secret_confidence: high             # the injected secret check finds a secret there
//! ```

use serde_norway::Value as Yaml;

use crate::error::LocalError;
use crate::secret::SecretConfidence;
use crate::yaml::{key_text, kind};

/// The Sigma levels an alert may carry.
pub const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// Whether `s` is one of [`LEVELS`] (case-insensitive); returns the canonical spelling.
pub fn valid_level(s: &str) -> Option<&'static str> {
    LEVELS
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(s.trim()))
}

/// One `levels` entry before resolution: the condition text and the level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelEntry {
    /// condition over the rule's search identifiers (`helper.identifier` on correlations)
    pub condition: String,
    /// canonical level
    pub level: String,
}

/// The parsed `tripline:` key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtSpec {
    /// `level_field`
    pub level_field: Option<String>,
    /// `levels`, in order
    pub levels: Vec<LevelEntry>,
    /// `secret_fields`
    pub secret_fields: Vec<String>,
    /// `secret_confidence` (default `high`)
    pub secret_confidence: SecretConfidence,
}

impl ExtSpec {
    /// Whether the key is absent or empty.
    pub fn is_empty(&self) -> bool {
        self.level_field.is_none() && self.levels.is_empty() && self.secret_fields.is_empty()
    }

    /// Parse the value of `tripline:`. Unknown keys are errors: an extension the engine
    /// does not implement must not be ignored silently.
    pub fn parse(v: &Yaml) -> Result<ExtSpec, LocalError> {
        let Yaml::Mapping(m) = v else {
            return Err(LocalError::new(format!(
                "expected a map, found {}",
                kind(v)
            )));
        };
        let mut out = ExtSpec::default();
        let mut confidence_given = false;
        for (k, v) in m {
            let key = key_text(k).unwrap_or_default();
            match key.as_str() {
                "level_field" => {
                    let f = v
                        .as_str()
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| LocalError::new("level_field: expected a field name"))?;
                    out.level_field = Some(f.trim().to_owned());
                }
                "levels" => out.levels = parse_levels(v)?,
                "secret_fields" => out.secret_fields = parse_fields(v)?,
                "secret_confidence" => {
                    confidence_given = true;
                    let s = key_text(v).unwrap_or_default();
                    out.secret_confidence = SecretConfidence::parse(&s).ok_or_else(|| {
                        LocalError::new(format!(
                            "secret_confidence: expected low or high, found '{s}'"
                        ))
                    })?;
                }
                other => {
                    return Err(LocalError::new(format!(
                        "unknown key '{other}' (supported: level_field, levels, secret_fields, secret_confidence)"
                    )))
                }
            }
        }
        if confidence_given && out.secret_fields.is_empty() {
            return Err(LocalError::new(
                "secret_confidence without secret_fields has no effect",
            ));
        }
        Ok(out)
    }
}

fn parse_levels(v: &Yaml) -> Result<Vec<LevelEntry>, LocalError> {
    let Yaml::Sequence(items) = v else {
        return Err(LocalError::new(format!(
            "levels: expected a list of {{condition, level}}, found {}",
            kind(v)
        )));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Yaml::Mapping(m) = item else {
            return Err(LocalError::new(format!(
                "levels[{i}]: expected a map {{condition, level}}"
            )));
        };
        for k in m.keys() {
            if !matches!(k.as_str(), Some("condition" | "level")) {
                return Err(LocalError::new(format!(
                    "levels[{i}]: unknown key {k:?} (expected condition, level)"
                )));
            }
        }
        let condition = m
            .get("condition")
            .and_then(Yaml::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| LocalError::new(format!("levels[{i}].condition: missing")))?;
        let level = m.get("level").and_then(key_text).unwrap_or_default();
        let level = valid_level(&level).ok_or_else(|| {
            LocalError::new(format!(
                "levels[{i}].level: '{level}' is not one of {}",
                LEVELS.join(", ")
            ))
        })?;
        out.push(LevelEntry {
            condition: condition.to_owned(),
            level: level.to_owned(),
        });
    }
    Ok(out)
}

fn parse_fields(v: &Yaml) -> Result<Vec<String>, LocalError> {
    let items: Vec<&Yaml> = match v {
        Yaml::Sequence(items) => items.iter().collect(),
        Yaml::String(_) => vec![v],
        other => {
            return Err(LocalError::new(format!(
                "secret_fields: expected a list of field names, found {}",
                kind(other)
            )))
        }
    };
    let fields: Vec<String> = items
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .collect::<Option<_>>()
        .ok_or_else(|| LocalError::new("secret_fields: field names must be non-empty strings"))?;
    if fields.is_empty() {
        return Err(LocalError::new("secret_fields: empty list"));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ExtSpec, LocalError> {
        ExtSpec::parse(&serde_norway::from_str(s).unwrap())
    }

    #[test]
    fn parses_every_key() {
        let e = parse(
            "{level_field: posture_level, levels: [{condition: a, level: High}], secret_fields: [output], secret_confidence: low}",
        )
        .unwrap();
        assert_eq!(e.level_field.as_deref(), Some("posture_level"));
        assert_eq!(e.levels[0].level, "high");
        assert_eq!(e.secret_fields, vec!["output"]);
        assert_eq!(e.secret_confidence, SecretConfidence::Low);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("{unless: {}}").is_err());
        assert!(parse("{levels: [{condition: a, level: severe}]}").is_err());
        assert!(parse("{levels: [{level: high}]}").is_err());
        assert!(parse("{secret_confidence: high}").is_err());
        assert!(parse("{secret_fields: []}").is_err());
        assert!(parse("[a]").is_err());
    }
}
