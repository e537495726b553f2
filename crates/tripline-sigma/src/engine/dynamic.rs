//! Resolved `tripline:` extensions: the dynamic alert level and secret matching.
//!
//! * [`DynLevel`]: `level_field` wins when the evidence event carries a valid level; else
//!   the first `levels` entry whose condition holds; else the rule's `level`.
//! * [`SecretAug`]: every search identifier that reads one of `secret_fields` also holds
//!   when the injected [`SecretCheck`] finds a secret in one of those fields it reads.

use tripline_event::Value;

use crate::condition::{self, Cond};
use crate::correlation::window::Entry;
use crate::detection::Detection;
use crate::error::LocalError;
use crate::evidence::Evidence;
use crate::extension::{valid_level, ExtSpec};
use crate::secret::{SecretCheck, SecretConfidence};
use crate::source::FieldSource;

use super::DetRule;

/// A dynamic level resolved against a rule's identifiers.
#[derive(Clone, Debug, Default)]
pub(crate) struct DynLevel {
    /// `level_field`
    pub field: Option<String>,
    /// `(condition, level)`, in order
    pub levels: Vec<(Cond, String)>,
    /// correlations only: identifier index -> (position in `rules`, detection rule index,
    /// search index in that rule)
    pub refs: Vec<(usize, usize, usize)>,
}

impl DynLevel {
    /// Resolve a detection rule's `levels` against its own identifiers.
    pub fn for_detection(ext: &ExtSpec, det: &Detection) -> Result<Option<DynLevel>, LocalError> {
        if ext.level_field.is_none() && ext.levels.is_empty() {
            return Ok(None);
        }
        let mut levels = Vec::new();
        for (i, l) in ext.levels.iter().enumerate() {
            let c = condition::parse(&l.condition, &det.names)
                .map_err(|e| LocalError::new(format!("levels[{i}].condition: {}", e.0)))?;
            levels.push((c, l.level.clone()));
        }
        Ok(Some(DynLevel {
            field: ext.level_field.clone(),
            levels,
            refs: Vec::new(),
        }))
    }

    /// Resolve a correlation's `levels`: identifiers are `<helper>.<identifier>`, where
    /// `<helper>` is a detection rule of the correlation's `rules` (as written there, or
    /// by its name or id). `helpers` holds (position, detection index) per such rule.
    pub fn for_correlation(
        ext: &ExtSpec,
        written: &[String],
        helpers: &[(usize, usize)],
        det: &[DetRule],
    ) -> Result<Option<DynLevel>, LocalError> {
        if ext.level_field.is_none() && ext.levels.is_empty() {
            return Ok(None);
        }
        let mut names = Vec::new();
        let mut refs = Vec::new();
        for &(pos, di) in helpers {
            let r = &det[di];
            let mut prefixes = vec![r.meta.name.clone(), r.meta.id.clone()];
            if let Some(w) = written.get(pos) {
                prefixes.push(w.clone());
            }
            prefixes.sort();
            prefixes.dedup();
            for p in &prefixes {
                for (si, ident) in r.detection.names.iter().enumerate() {
                    names.push(format!("{p}.{ident}"));
                    refs.push((pos, di, si));
                }
            }
        }
        let mut levels = Vec::new();
        for (i, l) in ext.levels.iter().enumerate() {
            let c = condition::parse(&l.condition, &names).map_err(|e| {
                LocalError::new(format!(
                    "levels[{i}].condition: {} (on a correlation, identifiers are <helper rule>.<identifier>)",
                    e.0
                ))
            })?;
            levels.push((c, l.level.clone()));
        }
        Ok(Some(DynLevel {
            field: ext.level_field.clone(),
            levels,
            refs,
        }))
    }

    /// The level `level_field` names on `ev`, when valid.
    fn level_in_field(&self, ev: Option<&dyn FieldSource>) -> Option<String> {
        let f = self.field.as_deref()?;
        match ev?.field(f)? {
            Value::Str(s) => valid_level(s).map(str::to_owned),
            _ => None,
        }
    }

    /// The level of a detection match on `ev`.
    pub fn detection_level(
        &self,
        rule: &DetRule,
        ev: &dyn FieldSource,
        secret: Option<&SecretCheck>,
    ) -> Option<String> {
        if let Some(l) = self.level_in_field(Some(ev)) {
            return Some(l);
        }
        let extra = |i: usize| secret_holds(rule, i, ev, secret);
        self.levels
            .iter()
            .find(|(c, _)| rule.detection.eval_cond(c, ev, &extra))
            .map(|(_, l)| l.clone())
    }

    /// The level of a correlation alert over `window` (oldest first): `level_field` on
    /// the newest evidence event; an identifier holds when some evidence event its helper
    /// matched satisfies it.
    pub fn correlation_level(
        &self,
        det: &[DetRule],
        window: &[&Entry],
        secret: Option<&SecretCheck>,
    ) -> Option<String> {
        let last = window
            .iter()
            .rev()
            .find_map(|e| e.evidence.as_deref().map(Evidence::event));
        if let Some(l) = self.level_in_field(last.map(|e| e as &dyn FieldSource)) {
            return Some(l);
        }
        let leaf = |k: usize| {
            let Some(&(pos, di, si)) = self.refs.get(k) else {
                return false;
            };
            let Some(rule) = det.get(di) else {
                return false;
            };
            window.iter().filter(|e| e.rule == pos).any(|e| {
                e.evidence
                    .as_deref()
                    .map(Evidence::event)
                    .is_some_and(|ev| {
                        rule.detection.searches.get(si).is_some_and(|s| s.eval(ev))
                            || secret_holds(rule, si, ev, secret)
                    })
            })
        };
        self.levels
            .iter()
            .find(|(c, _)| c.eval_with(&leaf))
            .map(|(_, l)| l.clone())
    }
}

/// Secret matching resolved per identifier.
#[derive(Clone, Debug, Default)]
pub(crate) struct SecretAug {
    /// per search identifier: the secret fields it reads (empty: not augmented)
    pub fields: Vec<Vec<String>>,
    /// minimum confidence
    pub min: SecretConfidence,
}

impl SecretAug {
    /// Resolve `secret_fields` (mapped to event fields) against a detection's identifiers.
    /// Errors when no identifier reads any of them (the key would do nothing).
    pub fn resolve(
        ext: &ExtSpec,
        det: &Detection,
        map: &dyn Fn(&str) -> String,
    ) -> Result<Option<SecretAug>, LocalError> {
        if ext.secret_fields.is_empty() {
            return Ok(None);
        }
        let wanted: Vec<String> = ext.secret_fields.iter().map(|f| map(f)).collect();
        let fields: Vec<Vec<String>> = (0..det.searches.len())
            .map(|i| {
                let mut read: Vec<String> = det
                    .fields_of(i)
                    .into_iter()
                    .filter(|f| wanted.iter().any(|w| w == f))
                    .map(str::to_owned)
                    .collect();
                read.sort();
                read.dedup();
                read
            })
            .collect();
        if fields.iter().all(Vec::is_empty) {
            return Err(LocalError::new(
                "secret_fields: no search identifier of the detection reads any of these fields",
            ));
        }
        Ok(Some(SecretAug {
            fields,
            min: ext.secret_confidence,
        }))
    }
}

/// Whether identifier `i` of `rule` holds through secret matching on `ev`.
pub(crate) fn secret_holds(
    rule: &DetRule,
    i: usize,
    ev: &dyn FieldSource,
    check: Option<&SecretCheck>,
) -> bool {
    let (Some(aug), Some(check)) = (rule.secret.as_ref(), check) else {
        return false;
    };
    let Some(fields) = aug.fields.get(i) else {
        return false;
    };
    fields.iter().any(|f| match ev.field(f) {
        Some(Value::Str(s)) => check.check(s, aug.min),
        Some(v @ (Value::Array(_) | Value::Object(_))) => check.check(&v.to_json_string(), aug.min),
        _ => false,
    })
}
