//! One `[[sinks]]` entry: the fields every sink has ([`SinkSpec`]), checked against the
//! global config, and the type-specific rest (`options`) handed to [`crate::registry::build`].

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use tripline_redact::RedactionPolicy;

use crate::format::Format;
use crate::sink::RecordKind;

/// The keys every sink has; every other key of the entry is a type-specific option.
pub const COMMON_KEYS: &[&str] = &[
    "name",
    "type",
    "receive",
    "admin",
    "format",
    "min_level",
    "agents",
    "event_names",
    "redaction",
    "batch_size",
    "max_attempts",
    "backoff_initial",
    "backoff_max",
    "max_queue_records",
];

/// A configuration error in one `[[sinks]]` entry, naming the sink (or its position) and
/// the field.
#[derive(Debug, thiserror::Error)]
#[error("[[sinks]] {sink}: {field}: {message}")]
pub struct SpecError {
    /// `"name"` or `#N` (1-based position) when the entry has no usable name.
    pub sink: String,
    /// The option at fault.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The Sigma levels, weakest first; `min_level` keeps alerts at or above it.
pub const LEVELS: &[&str] = &["informational", "low", "medium", "high", "critical"];

/// The common fields of a sink.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkSpec {
    /// Unique among the sinks; names the queue, the cursor, the metrics and the dead-letter
    /// directory `<data_dir>/sinks/<name>/`.
    pub name: String,
    /// The sink type (`file`, `webhook`, ...).
    pub kind: String,
    /// Which records it receives.
    pub receive: Vec<RecordKind>,
    /// Required for `receive = ["raw"]`.
    pub admin: bool,
    /// The body format (native, OCSF or ECS).
    pub format: Format,
    /// Alerts below this Sigma level are not sent (index into [`LEVELS`]).
    pub min_level: Option<usize>,
    /// Only records of these agents (empty = all).
    pub agents: Vec<String>,
    /// Only events with these `event_name`s (empty = all; alerts are not filtered by it).
    pub event_names: Vec<String>,
    /// The sink's own redaction policy as written (`None`: the global policy as is).
    pub redaction: Option<RedactionPolicy>,
    /// Records per send.
    pub batch_size: usize,
    /// Sends of one batch before its records are dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt up to `backoff_max`.
    pub backoff_initial: Duration,
    /// The longest retry delay.
    pub backoff_max: Duration,
    /// Most records waiting for this sink; beyond it the oldest are dead-lettered
    /// (`queue_full`).
    pub max_queue_records: u64,
    /// The type-specific options.
    pub options: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Common {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "default_receive")]
    receive: Vec<Receive>,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    format: Format,
    #[serde(default)]
    min_level: Option<String>,
    #[serde(default)]
    agents: Vec<String>,
    #[serde(default)]
    event_names: Vec<String>,
    #[serde(default)]
    redaction: Option<RedactionPolicy>,
    #[serde(default = "default_batch_size")]
    batch_size: usize,
    #[serde(default = "default_max_attempts")]
    max_attempts: u32,
    #[serde(default = "default_backoff_initial", deserialize_with = "duration")]
    backoff_initial: Duration,
    #[serde(default = "default_backoff_max", deserialize_with = "duration")]
    backoff_max: Duration,
    #[serde(default = "default_max_queue_records")]
    max_queue_records: u64,
}

/// `receive` as written in config (plural names).
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Receive {
    Alerts,
    Events,
    Raw,
}

impl Receive {
    fn kind(self) -> RecordKind {
        match self {
            Receive::Alerts => RecordKind::Alert,
            Receive::Events => RecordKind::Event,
            Receive::Raw => RecordKind::Raw,
        }
    }
}

fn default_receive() -> Vec<Receive> {
    vec![Receive::Alerts]
}
fn default_batch_size() -> usize {
    500
}
fn default_max_attempts() -> u32 {
    10
}
fn default_backoff_initial() -> Duration {
    Duration::from_secs(1)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(60)
}
fn default_max_queue_records() -> u64 {
    1_000_000
}

/// Serde helper for humane duration strings (`"500ms"`, `"30s"`, `"1h30m"`), for sink
/// options: `#[serde(deserialize_with = "tripline_sinks::spec::duration")]`.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    tripline_store::duration::parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Which common key makes the entry fail to parse: each key is tried alone (with the
/// required ones), since the TOML value error does not carry the key.
fn failing_field(common: &toml::Table) -> String {
    for key in ["name", "type"] {
        if !common.contains_key(key) {
            return key.to_string();
        }
    }
    for (key, value) in common {
        let mut one = toml::Table::new();
        one.insert("name".into(), "x".into());
        one.insert("type".into(), "file".into());
        one.insert(key.clone(), value.clone());
        if toml::Value::Table(one).try_into::<Common>().is_err() {
            return key.clone();
        }
    }
    "entry".to_string()
}

impl SinkSpec {
    /// Parse entry number `index` (0-based) of `[[sinks]]`. Errors name the sink and field.
    pub fn parse(index: usize, entry: &toml::Table) -> Result<SinkSpec, SpecError> {
        let label = match entry.get("name").and_then(toml::Value::as_str) {
            Some(n) if !n.trim().is_empty() => format!("{n:?}"),
            _ => format!("#{}", index + 1),
        };
        let mut common = toml::Table::new();
        let mut options = toml::Table::new();
        for (k, v) in entry {
            if COMMON_KEYS.contains(&k.as_str()) {
                common.insert(k.clone(), v.clone());
            } else {
                options.insert(k.clone(), v.clone());
            }
        }
        let c: Common =
            toml::Value::Table(common.clone())
                .try_into()
                .map_err(|e: toml::de::Error| SpecError {
                    sink: label.clone(),
                    field: failing_field(&common),
                    message: e.message().to_string(),
                })?;
        let err = |field: &str, message: String| SpecError {
            sink: label.clone(),
            field: field.into(),
            message,
        };
        if c.name.trim().is_empty()
            || !c
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
            || c.name.starts_with('.')
        {
            return Err(err("name", "must be non-empty and use only letters, digits, '-', '_' and '.' (it names a directory)".into()));
        }
        if !crate::registry::TYPES.contains(&c.kind.as_str()) {
            return Err(err(
                "type",
                format!(
                    "unknown sink type {:?}; expected one of {}",
                    c.kind,
                    crate::registry::TYPES.join(", ")
                ),
            ));
        }
        if c.receive.is_empty() {
            return Err(err(
                "receive",
                "must name at least one of \"alerts\", \"events\", \"raw\"".into(),
            ));
        }
        let min_level = match &c.min_level {
            None => None,
            Some(l) => Some(
                LEVELS
                    .iter()
                    .position(|x| x.eq_ignore_ascii_case(l))
                    .ok_or_else(|| {
                        err(
                            "min_level",
                            format!("unknown level {l:?}; expected one of {}", LEVELS.join(", ")),
                        )
                    })?,
            ),
        };
        if c.batch_size == 0 {
            return Err(err("batch_size", "must be greater than 0".into()));
        }
        if c.max_attempts == 0 {
            return Err(err("max_attempts", "must be at least 1".into()));
        }
        if c.backoff_initial > c.backoff_max {
            return Err(err("backoff_initial", "must not exceed backoff_max".into()));
        }
        if c.max_queue_records == 0 {
            return Err(err("max_queue_records", "must be greater than 0".into()));
        }
        Ok(SinkSpec {
            name: c.name,
            kind: c.kind,
            receive: {
                let mut kinds: Vec<RecordKind> = Vec::new();
                for k in c.receive.into_iter().map(Receive::kind) {
                    if !kinds.contains(&k) {
                        kinds.push(k);
                    }
                }
                kinds
            },
            admin: c.admin,
            format: c.format,
            min_level,
            agents: c.agents,
            event_names: c.event_names,
            redaction: c.redaction,
            batch_size: c.batch_size,
            max_attempts: c.max_attempts,
            backoff_initial: c.backoff_initial,
            backoff_max: c.backoff_max,
            max_queue_records: c.max_queue_records,
            options,
        })
    }

    /// Parse every entry and check what needs the whole config: unique names, `raw` only
    /// for admin sinks with the raw tier on, and each sink's redaction at least as strict
    /// as the global policy.
    pub fn parse_all(
        entries: &[toml::Table],
        raw_enabled: bool,
        global: &RedactionPolicy,
    ) -> Result<Vec<SinkSpec>, SpecError> {
        let mut specs: Vec<SinkSpec> = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let spec = SinkSpec::parse(i, entry)?;
            if specs.iter().any(|s| s.name == spec.name) {
                return Err(SpecError {
                    sink: format!("{:?}", spec.name),
                    field: "name".into(),
                    message: "another sink has the same name".into(),
                });
            }
            spec.check(raw_enabled, global)?;
            specs.push(spec);
        }
        Ok(specs)
    }

    fn check(&self, raw_enabled: bool, global: &RedactionPolicy) -> Result<(), SpecError> {
        let err = |field: &str, message: &str| SpecError {
            sink: format!("{:?}", self.name),
            field: field.into(),
            message: message.into(),
        };
        if self.receive.contains(&RecordKind::Raw) {
            if !self.admin {
                return Err(err(
                    "receive",
                    "\"raw\" holds unredacted request bodies: it needs admin = true on this sink",
                ));
            }
            if !raw_enabled {
                return Err(err(
                    "receive",
                    "\"raw\" needs the raw tier: set [raw] enabled = true",
                ));
            }
        }
        if let Some(policy) = &self.redaction {
            if !policy.is_at_least_as_strict_as(global) {
                return Err(err(
                    "redaction",
                    "a sink's redaction may only be stricter than the global [redaction] policy (every action at least as strict, field lists a superset, min_confidence no higher)",
                ));
            }
        }
        Ok(())
    }

    /// The policy this sink re-applies on top of the stored (globally redacted) records, or
    /// `None` when the sink adds nothing to the global policy.
    pub fn extra_policy(&self, global: &RedactionPolicy) -> Option<RedactionPolicy> {
        let policy = self.redaction.as_ref()?.stricten(global);
        (policy != *global).then_some(policy)
    }

    /// Whether this sink receives `kind`.
    pub fn receives(&self, kind: RecordKind) -> bool {
        self.receive.contains(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn common_fields_and_options_are_split() {
        let s = SinkSpec::parse(0, &entry("name = \"f\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\nformat = \"ecs\"\nmin_level = \"high\"\nbackoff_initial = \"250ms\"\npath = \"/tmp/x\"\n")).unwrap();
        assert_eq!(s.name, "f");
        assert_eq!(s.format, Format::Ecs);
        assert_eq!(s.min_level, Some(3));
        assert_eq!(s.backoff_initial, Duration::from_millis(250));
        assert!(s.receives(RecordKind::Event) && !s.receives(RecordKind::Raw));
        assert_eq!(s.options.keys().collect::<Vec<_>>(), vec!["path"]);
    }

    #[test]
    fn errors_name_sink_and_field() {
        let e = SinkSpec::parse(
            0,
            &entry("name = \"s1\"\ntype = \"file\"\nformat = \"xml\"\n"),
        )
        .unwrap_err();
        assert_eq!(
            (e.sink.as_str(), e.field.as_str()),
            ("\"s1\"", "format"),
            "{e}"
        );
        let e = SinkSpec::parse(2, &entry("type = \"file\"\n")).unwrap_err();
        assert_eq!(e.sink, "#3", "{e}");
        let e = SinkSpec::parse(0, &entry("name = \"s1\"\ntype = \"ftp\"\n")).unwrap_err();
        assert_eq!(e.field, "type");
        let e = SinkSpec::parse(
            0,
            &entry("name = \"s1\"\ntype = \"file\"\nmin_level = \"severe\"\n"),
        )
        .unwrap_err();
        assert_eq!(e.field, "min_level");
        let e = SinkSpec::parse(0, &entry("name = \"../x\"\ntype = \"file\"\n")).unwrap_err();
        assert_eq!(e.field, "name");
    }

    #[test]
    fn raw_needs_admin_and_the_raw_tier_and_names_are_unique() {
        let g = RedactionPolicy::default();
        let raw = entry("name = \"a\"\ntype = \"archive\"\nreceive = [\"raw\"]\n");
        assert_eq!(
            SinkSpec::parse_all(std::slice::from_ref(&raw), true, &g)
                .unwrap_err()
                .field,
            "receive"
        );
        let mut admin = raw.clone();
        admin.insert("admin".into(), true.into());
        assert!(SinkSpec::parse_all(&[admin.clone()], false, &g)
            .unwrap_err()
            .message
            .contains("[raw] enabled"));
        assert!(SinkSpec::parse_all(&[admin.clone()], true, &g).is_ok());
        let e = SinkSpec::parse_all(&[admin.clone(), admin], true, &g).unwrap_err();
        assert_eq!(e.field, "name");
    }

    #[test]
    fn redaction_may_only_be_stricter() {
        let g = RedactionPolicy::default();
        let weaker = entry("name = \"w\"\ntype = \"stdout\"\n[redaction]\nprompt = \"mask\"\n");
        assert_eq!(
            SinkSpec::parse_all(&[weaker], false, &g).unwrap_err().field,
            "redaction"
        );
        let stricter = entry("name = \"s\"\ntype = \"stdout\"\n[redaction]\nprompt = \"drop\"\nidentifier = \"pseudonymize\"\n");
        let specs = SinkSpec::parse_all(&[stricter], false, &g).unwrap();
        let extra = specs[0]
            .extra_policy(&g)
            .expect("adds to the global policy");
        assert!(extra.is_at_least_as_strict_as(&g));
        let same = entry("name = \"s\"\ntype = \"stdout\"\n");
        assert!(SinkSpec::parse_all(&[same], false, &g).unwrap()[0]
            .extra_policy(&g)
            .is_none());
    }
}
