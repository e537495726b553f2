//! Parsing `correlation:` sections (and the `first_seen` extension).

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use crate::error::LocalError;
use crate::mapping::FieldMapping;
use crate::profile::spec::{parse_profile, parse_silence, ProfileSpec, SilenceSpec};
use crate::time::parse_duration_ns;
use crate::yaml::{key_text, kind};

/// Correlation type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrType {
    /// number of matching events
    EventCount,
    /// number of distinct values of a field
    ValueCount,
    /// all (or `condition` many) rules matched, any order
    Temporal,
    /// all rules matched in the order listed
    TemporalOrdered,
    /// sum of a numeric field
    ValueSum,
    /// average of a numeric field
    ValueAvg,
    /// tripline extension: a value (tuple) seen for the first time in its scope
    FirstSeen,
    /// tripline extension: a session or hour whose measure deviates from its scope's
    /// learned profile
    VolumeProfile,
    /// tripline extension: an emitter silent beyond its learned activity pattern
    EmitterSilence,
}

impl CorrType {
    /// Whether the type learns a profile instead of keeping windows.
    pub fn is_profile(self) -> bool {
        matches!(self, CorrType::VolumeProfile | CorrType::EmitterSilence)
    }

    /// Whether the type has a learning period.
    pub fn learns(self) -> bool {
        self == CorrType::FirstSeen || self.is_profile()
    }
}

/// A condition operator of a correlation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `==`
    Eq,
    /// `!=`
    Neq,
}

impl CondOp {
    /// `value op reference`
    pub fn holds(self, value: f64, reference: f64) -> bool {
        match self {
            CondOp::Gt => value > reference,
            CondOp::Gte => value >= reference,
            CondOp::Lt => value < reference,
            CondOp::Lte => value <= reference,
            CondOp::Eq => value == reference,
            CondOp::Neq => value != reference,
        }
    }
}

/// A parsed correlation section.
#[derive(Clone, Debug)]
pub struct CorrSpec {
    /// type
    pub ctype: CorrType,
    /// referenced rules (ids or names), in order
    pub rules: Vec<String>,
    /// group-by fields (or aliases)
    pub group_by: Vec<String>,
    /// window length in nanoseconds (0 for first_seen)
    pub timespan_ns: i64,
    /// condition terms, AND-linked (empty: type default)
    pub condition: Vec<(CondOp, f64)>,
    /// counted/summed field (`condition.field`), or the first_seen fields
    pub fields: Vec<String>,
    /// alias -> (rule id or name -> field)
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// whether referenced rules still emit their own matches
    pub generate: bool,
    /// first_seen, volume_profile, emitter_silence: learning period in nanoseconds
    pub learning_ns: i64,
    /// volume_profile: the `profile:` map
    pub profile: Option<Box<ProfileSpec>>,
    /// emitter_silence: the `silence:` map
    pub silence: Option<Box<SilenceSpec>>,
}

type Located = (String, LocalError);

fn e(field: &str, msg: impl Into<String>) -> Located {
    (field.to_owned(), LocalError::new(msg))
}

fn strings(v: &Yaml, field: &str) -> Result<Vec<String>, Located> {
    match v {
        Yaml::String(s) => Ok(vec![s.clone()]),
        Yaml::Sequence(items) => items
            .iter()
            .map(|i| key_text(i).filter(|s| !s.is_empty()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| e(field, "expected a list of strings")),
        other => Err(e(
            field,
            format!("expected a list of strings, found {}", kind(other)),
        )),
    }
}

/// Parse a `correlation:` map.
pub fn parse(v: &Yaml, mapping: &FieldMapping) -> Result<CorrSpec, Located> {
    let Yaml::Mapping(m) = v else {
        return Err(e(
            "correlation",
            format!("expected a map, found {}", kind(v)),
        ));
    };
    for k in m.keys() {
        let k = key_text(k).unwrap_or_default();
        if ![
            "type",
            "rules",
            "group-by",
            "timespan",
            "timeframe",
            "condition",
            "aliases",
            "generate",
            "fields",
            "learning_period",
            "profile",
            "silence",
        ]
        .contains(&k.as_str())
        {
            return Err(e(
                &format!("correlation.{k}"),
                "unsupported: unknown correlation key",
            ));
        }
    }
    let ctype = match m.get("type").and_then(Yaml::as_str) {
        Some("event_count") => CorrType::EventCount,
        Some("value_count") => CorrType::ValueCount,
        Some("temporal") => CorrType::Temporal,
        Some("temporal_ordered") => CorrType::TemporalOrdered,
        Some("value_sum") => CorrType::ValueSum,
        Some("value_avg") => CorrType::ValueAvg,
        Some("first_seen") => CorrType::FirstSeen,
        Some("volume_profile") => CorrType::VolumeProfile,
        Some("emitter_silence") => CorrType::EmitterSilence,
        Some("value_percentile") => {
            return Err(e(
                "correlation.type",
                "unsupported: value_percentile (the spec gives no way to name the percentile)",
            ))
        }
        Some(other) => {
            return Err(e(
                "correlation.type",
                format!("unknown correlation type '{other}'"),
            ))
        }
        None => return Err(e("correlation.type", "missing")),
    };
    let rules = strings(
        m.get("rules")
            .ok_or_else(|| e("correlation.rules", "missing"))?,
        "correlation.rules",
    )?;
    if rules.is_empty() {
        return Err(e("correlation.rules", "needs at least one rule"));
    }
    let group_by = match m.get("group-by") {
        None | Some(Yaml::Null) => Vec::new(),
        Some(v) => strings(v, "correlation.group-by")?,
    };
    let mut aliases = BTreeMap::new();
    if let Some(a) = m.get("aliases") {
        let Yaml::Mapping(am) = a else {
            return Err(e("correlation.aliases", "expected a map"));
        };
        for (alias, per_rule) in am {
            let alias = key_text(alias).unwrap_or_default();
            let Yaml::Mapping(pr) = per_rule else {
                return Err(e(
                    &format!("correlation.aliases.{alias}"),
                    "expected a map rule -> field",
                ));
            };
            let mut fields = BTreeMap::new();
            for (r, f) in pr {
                let (Some(r), Some(f)) = (key_text(r), f.as_str()) else {
                    return Err(e(
                        &format!("correlation.aliases.{alias}"),
                        "expected rule: field strings",
                    ));
                };
                fields.insert(r, mapping.map(f).to_owned());
            }
            aliases.insert(alias, fields);
        }
    }
    let timespan_ns = match m.get("timespan").or_else(|| m.get("timeframe")) {
        Some(v) => {
            let t = key_text(v).unwrap_or_default();
            parse_duration_ns(&t).ok_or_else(|| {
                e(
                    "correlation.timespan",
                    format!("invalid duration '{t}' (number + s, m, h, d)"),
                )
            })?
        }
        None if ctype.learns() => 0,
        None => return Err(e("correlation.timespan", "missing")),
    };
    let learning_ns = match m.get("learning_period") {
        Some(v) if ctype.learns() => {
            let t = key_text(v).unwrap_or_default();
            parse_duration_ns(&t).ok_or_else(|| {
                e(
                    "correlation.learning_period",
                    format!("invalid duration '{t}'"),
                )
            })?
        }
        Some(_) => {
            return Err(e(
                "correlation.learning_period",
                "only valid for types first_seen, volume_profile and emitter_silence",
            ))
        }
        None => 0,
    };
    let generate = match m.get("generate") {
        None => false,
        Some(Yaml::Bool(b)) => *b,
        Some(_) => return Err(e("correlation.generate", "expected true or false")),
    };
    let mut condition = Vec::new();
    let mut fields = Vec::new();
    if let Some(c) = m.get("condition") {
        let Yaml::Mapping(cm) = c else {
            return Err(e("correlation.condition", "expected a map"));
        };
        for (k, v) in cm {
            let k = key_text(k).unwrap_or_default();
            let op = match k.as_str() {
                "field" => {
                    fields = strings(v, "correlation.condition.field")?
                        .iter()
                        .map(|f| mapping.map(f).to_owned())
                        .collect();
                    continue;
                }
                "gt" => CondOp::Gt,
                "gte" => CondOp::Gte,
                "lt" => CondOp::Lt,
                "lte" => CondOp::Lte,
                "eq" => CondOp::Eq,
                "neq" => CondOp::Neq,
                other => {
                    return Err(e(
                        &format!("correlation.condition.{other}"),
                        "unknown condition operator",
                    ))
                }
            };
            let n = match v {
                Yaml::Number(n) => n.as_f64(),
                _ => None,
            }
            .ok_or_else(|| e(&format!("correlation.condition.{k}"), "expected a number"))?;
            condition.push((op, n));
        }
    }
    if let Some(f) = m.get("fields") {
        if ctype != CorrType::FirstSeen {
            return Err(e(
                "correlation.fields",
                "only valid for type first_seen (use condition.field)",
            ));
        }
        fields = strings(f, "correlation.fields")?
            .iter()
            .map(|f| mapping.map(f).to_owned())
            .collect();
    }
    match ctype {
        CorrType::EventCount if condition.is_empty() => {
            return Err(e("correlation.condition", "missing"))
        }
        CorrType::ValueCount | CorrType::ValueSum | CorrType::ValueAvg => {
            if fields.len() != 1 {
                return Err(e("correlation.condition.field", "needs exactly one field"));
            }
            if condition.is_empty() {
                return Err(e("correlation.condition", "missing"));
            }
        }
        CorrType::FirstSeen if fields.is_empty() => {
            return Err(e(
                "correlation.fields",
                "missing (the fields whose values are baselined)",
            ))
        }
        _ => {}
    }
    if matches!(ctype, CorrType::Temporal | CorrType::TemporalOrdered) && !fields.is_empty() {
        return Err(e(
            "correlation.condition.field",
            "not valid for temporal correlations",
        ));
    }
    if ctype.is_profile() && !condition.is_empty() {
        return Err(e(
            "correlation.condition",
            "not valid for profile types (the profile decides)",
        ));
    }
    let group_by: Vec<String> = group_by
        .iter()
        .map(|g| {
            if aliases.contains_key(g) {
                g.clone()
            } else {
                mapping.map(g).to_owned()
            }
        })
        .collect();
    let profile = match ctype {
        CorrType::VolumeProfile => Some(Box::new(parse_profile(m.get("profile"), mapping)?)),
        _ if m.contains_key("profile") => {
            return Err(e(
                "correlation.profile",
                "only valid for type volume_profile",
            ))
        }
        _ => None,
    };
    let silence = match ctype {
        CorrType::EmitterSilence => Some(Box::new(parse_silence(
            m.get("silence"),
            &group_by,
            mapping,
        )?)),
        _ if m.contains_key("silence") => {
            return Err(e(
                "correlation.silence",
                "only valid for type emitter_silence",
            ))
        }
        _ => None,
    };
    Ok(CorrSpec {
        ctype,
        rules,
        group_by,
        timespan_ns,
        condition,
        fields,
        aliases,
        generate,
        learning_ns,
        profile,
        silence,
    })
}
