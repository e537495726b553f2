//! Parsing the `profile:` map of a `volume_profile` correlation and the `silence:` map of
//! an `emitter_silence` correlation (tripline extensions, docs/sigma.md).

use serde_norway::Value as Yaml;

use crate::error::LocalError;
use crate::mapping::FieldMapping;
use crate::time::parse_duration_ns;
use crate::yaml::{key_text, kind};

type Located = (String, LocalError);

fn e(field: &str, msg: impl Into<String>) -> Located {
    (field.to_owned(), LocalError::new(msg))
}

const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;

/// What a volume profile's unit is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// one session: the events sharing a value of this field, closed after an idle gap
    Session {
        /// the field naming the session (default `conversation_id`)
        field: String,
    },
    /// one hour of event time per scope
    Hour,
}

/// What is measured over a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// matching events
    Count,
    /// distinct values of a field (case-insensitive, list elements each)
    Distinct(String),
    /// sum of a numeric field
    Sum(String),
    /// seconds from the unit's first to its last matching event
    Duration,
}

/// A parsed `profile:` map.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSpec {
    /// the unit
    pub unit: Unit,
    /// a session closes when the profile clock is this far past its last event; an hour
    /// closes this long after its end
    pub idle_ns: i64,
    /// the measure
    pub measure: Measure,
    /// how the measure is named in alerts ("tool calls")
    pub label: String,
    /// samples a scope needs before it alerts
    pub min_samples: u64,
    /// the learned quantile (0..1)
    pub quantile: f64,
    /// the quantile is multiplied by this
    pub factor: f64,
    /// median + `mad_k` × MAD
    pub mad_k: f64,
    /// never alert at or below this value
    pub floor: f64,
    /// weights halve every this much event time
    pub half_life_ns: i64,
}

/// A parsed `silence:` map.
#[derive(Clone, Debug, PartialEq)]
pub struct SilenceSpec {
    /// only alert while an emitter differing in this group-by field goes on (for example
    /// `signal`: metrics stopped while logs continue)
    pub sibling: Option<String>,
    /// alert when -ln P(this silence | learned pattern) exceeds this
    pub surprise: f64,
    /// never alert on a silence shorter than this
    pub floor_ns: i64,
    /// an hour counts as complete this long after its end
    pub grace_ns: i64,
    /// emitters silent this long are forgotten
    pub forget_ns: i64,
}

fn duration(
    m: &serde_norway::Mapping,
    key: &str,
    field: &str,
    default: i64,
) -> Result<i64, Located> {
    match m.get(key) {
        None => Ok(default),
        Some(v) => {
            let t = key_text(v).unwrap_or_default();
            parse_duration_ns(&t)
                .ok_or_else(|| e(&format!("{field}.{key}"), format!("invalid duration '{t}'")))
        }
    }
}

fn number(m: &serde_norway::Mapping, key: &str, field: &str, default: f64) -> Result<f64, Located> {
    match m.get(key) {
        None => Ok(default),
        Some(Yaml::Number(n)) => n
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| e(&format!("{field}.{key}"), "expected a non-negative number")),
        Some(other) => Err(e(
            &format!("{field}.{key}"),
            format!("expected a number, found {}", kind(other)),
        )),
    }
}

fn text(m: &serde_norway::Mapping, key: &str) -> Option<String> {
    m.get(key).and_then(key_text)
}

fn check_keys(m: &serde_norway::Mapping, field: &str, allowed: &[&str]) -> Result<(), Located> {
    for k in m.keys() {
        let k = key_text(k).unwrap_or_default();
        if !allowed.contains(&k.as_str()) {
            return Err(e(
                &format!("{field}.{k}"),
                format!("unsupported: unknown {field} key"),
            ));
        }
    }
    Ok(())
}

/// Parse `correlation.profile`.
pub fn parse_profile(v: Option<&Yaml>, mapping: &FieldMapping) -> Result<ProfileSpec, Located> {
    const F: &str = "correlation.profile";
    let empty = serde_norway::Mapping::new();
    let m = match v {
        None => &empty,
        Some(Yaml::Mapping(m)) => m,
        Some(other) => return Err(e(F, format!("expected a map, found {}", kind(other)))),
    };
    check_keys(
        m,
        F,
        &[
            "unit",
            "session_field",
            "idle",
            "measure",
            "field",
            "label",
            "min_samples",
            "quantile",
            "factor",
            "mad_k",
            "floor",
            "half_life",
        ],
    )?;
    let unit = match text(m, "unit").as_deref() {
        None | Some("session") => Unit::Session {
            field: mapping
                .map(&text(m, "session_field").unwrap_or_else(|| "conversation_id".into()))
                .to_owned(),
        },
        Some("hour") => Unit::Hour,
        Some(other) => {
            return Err(e(
                &format!("{F}.unit"),
                format!("unknown unit '{other}' (session or hour)"),
            ))
        }
    };
    let field = text(m, "field").map(|f| mapping.map(&f).to_owned());
    let need_field = |name: &str| {
        field.clone().ok_or_else(|| {
            e(
                &format!("{F}.field"),
                format!("measure {name} needs a field"),
            )
        })
    };
    let measure = match text(m, "measure").as_deref() {
        None | Some("count") => Measure::Count,
        Some("distinct") => Measure::Distinct(need_field("distinct")?),
        Some("sum") => Measure::Sum(need_field("sum")?),
        Some("duration") => Measure::Duration,
        Some(other) => {
            return Err(e(
                &format!("{F}.measure"),
                format!("unknown measure '{other}' (count, distinct, sum, duration)"),
            ))
        }
    };
    if field.is_some() && matches!(measure, Measure::Count | Measure::Duration) {
        return Err(e(
            &format!("{F}.field"),
            "only valid for measures distinct and sum",
        ));
    }
    let label = text(m, "label").unwrap_or_else(|| match &measure {
        Measure::Count => "events".into(),
        Measure::Distinct(f) => format!("distinct {f} values"),
        Measure::Sum(f) => f.clone(),
        Measure::Duration => "seconds".into(),
    });
    let quantile = number(m, "quantile", F, 0.99)?;
    if !(0.0..=1.0).contains(&quantile) {
        return Err(e(&format!("{F}.quantile"), "expected a number from 0 to 1"));
    }
    Ok(ProfileSpec {
        unit,
        idle_ns: duration(m, "idle", F, 30 * 60 * 1_000_000_000)?,
        measure,
        label,
        min_samples: number(m, "min_samples", F, 30.0)? as u64,
        quantile,
        factor: number(m, "factor", F, 2.0)?,
        mad_k: number(m, "mad_k", F, 8.0)?,
        floor: number(m, "floor", F, 0.0)?,
        half_life_ns: duration(m, "half_life", F, 14 * DAY_NS)?,
    })
}

/// Parse `correlation.silence`.
pub fn parse_silence(
    v: Option<&Yaml>,
    group_by: &[String],
    mapping: &FieldMapping,
) -> Result<SilenceSpec, Located> {
    const F: &str = "correlation.silence";
    let empty = serde_norway::Mapping::new();
    let m = match v {
        None => &empty,
        Some(Yaml::Mapping(m)) => m,
        Some(other) => return Err(e(F, format!("expected a map, found {}", kind(other)))),
    };
    check_keys(m, F, &["sibling", "surprise", "floor", "grace", "forget"])?;
    let sibling = text(m, "sibling").map(|s| mapping.map(&s).to_owned());
    if let Some(s) = &sibling {
        if !group_by.contains(s) {
            return Err(e(
                &format!("{F}.sibling"),
                format!("'{s}' is not one of the group-by fields"),
            ));
        }
    }
    Ok(SilenceSpec {
        sibling,
        surprise: number(m, "surprise", F, 9.2)?,
        floor_ns: duration(m, "floor", F, 2 * HOUR_NS)?,
        grace_ns: duration(m, "grace", F, 10 * 60 * 1_000_000_000)?,
        forget_ns: duration(m, "forget", F, 30 * DAY_NS)?,
    })
}
