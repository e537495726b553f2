//! Human table and JSON output of `tripline validate`.

use std::fmt::Write as _;

use serde::Serialize;

use super::survey::{Findings, Group, GroupKey};

/// One group with its findings, as `--json` prints it.
#[derive(Serialize)]
pub struct GroupReport<'a> {
    #[serde(flatten)]
    pub key: &'a GroupKey,
    pub events: Vec<EventRow<'a>>,
    pub prompts_seen: u64,
    pub prompts_unredacted: u64,
    #[serde(flatten)]
    pub findings: Findings,
}

/// One (signal, event name) row.
#[derive(Serialize)]
pub struct EventRow<'a> {
    pub signal: &'a str,
    pub name: &'a str,
    pub count: u64,
    pub keys: Vec<&'a str>,
    pub first: Option<&'a str>,
    pub last: Option<&'a str>,
}

impl<'a> GroupReport<'a> {
    pub fn new(key: &'a GroupKey, group: &'a Group, findings: Findings) -> Self {
        let events = group
            .names
            .iter()
            .map(|((signal, name), s)| EventRow {
                signal,
                name,
                count: s.count,
                keys: s.keys.iter().map(String::as_str).collect(),
                first: s.first.as_deref(),
                last: s.last.as_deref(),
            })
            .collect();
        Self {
            key,
            events,
            prompts_seen: group.prompts_seen,
            prompts_unredacted: group.prompts_unredacted,
            findings,
        }
    }
}

/// The human-readable report. Log events and span events are listed one per row; spans and
/// metric points are summarized unless `all` is set.
pub fn table(reports: &[GroupReport], all: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let k = r.key;
        let _ = writeln!(
            out,
            "{} · service {} · originator {} · version {}",
            k.agent.as_str(),
            k.service,
            k.originator,
            k.version
        );
        let _ = writeln!(
            out,
            "  {:<11} {:<44} {:>6} {:>5}  {:<30} last",
            "signal", "event", "count", "keys", "first"
        );
        let mut summarized: Vec<(&str, u64, usize)> = Vec::new();
        for row in &r.events {
            if !all && (row.signal == "span" || row.signal == "metric") {
                match summarized.iter_mut().find(|(s, _, _)| *s == row.signal) {
                    Some(entry) => {
                        entry.1 += row.count;
                        entry.2 += 1;
                    }
                    None => summarized.push((row.signal, row.count, 1)),
                }
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<11} {:<44} {:>6} {:>5}  {:<30} {}",
                row.signal,
                row.name,
                row.count,
                row.keys.len(),
                row.first.unwrap_or("-"),
                row.last.unwrap_or("-")
            );
        }
        for (signal, count, names) in summarized {
            let _ = writeln!(
                out,
                "  {signal:<11} {:<44} {count:>6}        (--all lists them)",
                format!("{names} distinct names")
            );
        }
        if r.prompts_seen > 0 {
            let verdict = if r.prompts_unredacted > 0 {
                "UNREDACTED prompts arrive"
            } else {
                "prompts arrive redacted"
            };
            let _ = writeln!(
                out,
                "  prompts: {} of {} unredacted ({verdict})",
                r.prompts_unredacted, r.prompts_seen
            );
        }
        let f = &r.findings;
        if !f.unknown_events.is_empty() {
            let _ = writeln!(out, "  unknown events: {}", f.unknown_events.join(", "));
        }
        if !f.missing_expected.is_empty() {
            let _ = writeln!(
                out,
                "  expected but not seen: {}",
                f.missing_expected.join(", ")
            );
        }
        for (name, keys) in &f.new_keys {
            let _ = writeln!(
                out,
                "  {name}: keys not in the known schema: {}",
                keys.join(", ")
            );
        }
        for (name, keys) in &f.missing_keys {
            let _ = writeln!(out, "  {name}: known keys not seen: {}", keys.join(", "));
        }
        if f.is_empty() {
            let _ = writeln!(out, "  matches the known schema");
        }
        out.push('\n');
    }
    if reports.is_empty() {
        out.push_str("no events read\n");
    }
    out
}
