//! Alert suppression (tripline extension): per rule, a window plus key fields; repeats
//! inside the window become count updates of the first alert (same `id`, `revision` + 1).

use serde::{Deserialize, Serialize};
use serde_norway::Value as Yaml;

use crate::error::LocalError;
use crate::time::parse_duration_ns;

/// `suppress: {window: 1h, by: [user_email, host_name]}`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressSpec {
    /// window in nanoseconds, counted from the first alert
    pub window_ns: i64,
    /// fields whose values form the suppression key (empty: one key per rule)
    pub by: Vec<String>,
}

impl SuppressSpec {
    /// Parse the `suppress:` value.
    pub fn parse(v: &Yaml) -> Result<SuppressSpec, LocalError> {
        let Yaml::Mapping(m) = v else {
            return Err(LocalError::new("expected a map {window, by}"));
        };
        for k in m.keys() {
            if !matches!(k.as_str(), Some("window" | "by")) {
                return Err(LocalError::new(format!(
                    "unknown key {k:?} (expected window, by)"
                )));
            }
        }
        let w = m
            .get("window")
            .and_then(crate::yaml::key_text)
            .ok_or_else(|| LocalError::new("window: missing"))?;
        let window_ns = parse_duration_ns(&w)
            .filter(|n| *n > 0)
            .ok_or_else(|| LocalError::new(format!("window: invalid duration '{w}'")))?;
        let by = match m.get("by") {
            None => Vec::new(),
            Some(Yaml::Sequence(s)) => s
                .iter()
                .map(|x| x.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| LocalError::new("by: expected field names"))?,
            Some(Yaml::String(s)) => vec![s.clone()],
            Some(_) => return Err(LocalError::new("by: expected a list of field names")),
        };
        Ok(SuppressSpec { window_ns, by })
    }
}

/// One open suppression window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuppressEntry {
    /// id of the alert being counted up
    pub alert_id: String,
    /// its latest revision
    pub revision: u32,
    /// its count so far
    pub count: u64,
    /// its first_time
    pub first_time: String,
    /// end of the window (event time, ns)
    pub until_ns: i64,
    /// the highest level among the folded alerts (dynamic levels vary per match); empty
    /// in states saved before dynamic levels existed
    #[serde(default)]
    pub level: String,
}

/// Rank of a Sigma level (unknown levels rank lowest).
fn level_rank(l: &str) -> usize {
    crate::extension::LEVELS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(l))
        .map_or(0, |i| i + 1)
}

/// Apply suppression to a fresh alert: either open a window (the alert passes unchanged) or
/// fold it into the open one (same id, next revision, summed count).
pub fn apply(
    entry: Option<&mut SuppressEntry>,
    alert: &mut tripline_event::Alert,
    t_ns: i64,
    window_ns: i64,
) -> Option<SuppressEntry> {
    match entry {
        Some(e) if t_ns <= e.until_ns => {
            e.revision += 1;
            e.count += alert.count;
            alert.id = e.alert_id.clone();
            alert.revision = e.revision;
            alert.count = e.count;
            alert.first_time = e.first_time.clone();
            // a revision never lowers the level of the alert it updates
            if level_rank(&e.level) > level_rank(&alert.rule.level) {
                alert.rule.level = e.level.clone();
            } else {
                e.level = alert.rule.level.clone();
            }
            None
        }
        _ => Some(SuppressEntry {
            alert_id: alert.id.clone(),
            revision: alert.revision,
            count: alert.count,
            first_time: alert.first_time.clone(),
            until_ns: t_ns.saturating_add(window_ns),
            level: alert.rule.level.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec() {
        let v: Yaml = serde_norway::from_str("window: 10m\nby: [user_email]").unwrap();
        let s = SuppressSpec::parse(&v).unwrap();
        assert_eq!(s.window_ns, 600_000_000_000);
        assert_eq!(s.by, vec!["user_email"]);
        let bad: Yaml = serde_norway::from_str("window: soon").unwrap();
        assert!(SuppressSpec::parse(&bad).is_err());
    }
}
