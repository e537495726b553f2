//! Human table and JSON output of `tripline validate`.

use std::fmt::Write as _;

use serde::Serialize;

use super::survey::{Findings, Group, GroupKey, HostStats};

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

/// One host as `--json` prints it.
#[derive(Serialize)]
pub struct HostReport<'a> {
    pub host: &'a str,
    pub agents: Vec<HostAgent<'a>>,
    pub runtimes: Vec<&'a str>,
}

/// One agent and version a host sends, with its identity fields.
#[derive(Serialize)]
pub struct HostAgent<'a> {
    pub agent: &'a str,
    pub version: &'a str,
    pub events: u64,
    pub identity_fields: Vec<&'a str>,
}

impl<'a> HostReport<'a> {
    pub fn new(host: &'a str, h: &'a HostStats) -> Self {
        let agents = h
            .agents
            .iter()
            .map(|((agent, version), n)| HostAgent {
                agent: agent.as_str(),
                version,
                events: *n,
                identity_fields: h
                    .identity_fields
                    .get(agent)
                    .map(|f| f.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
            })
            .collect();
        Self {
            host,
            agents,
            runtimes: h.runtimes.iter().map(String::as_str).collect(),
        }
    }
}

/// The per-host part of the human-readable report.
pub fn hosts_table(hosts: &[HostReport]) -> String {
    let mut out = String::new();
    if hosts.is_empty() {
        return out;
    }
    out.push_str("hosts (host_name; - = events without one)\n");
    for h in hosts {
        let _ = writeln!(out, "  {}", h.host);
        for a in &h.agents {
            let ids = if a.identity_fields.is_empty() {
                "none".to_owned()
            } else {
                a.identity_fields.join(", ")
            };
            let _ = writeln!(
                out,
                "    {:<12} version {:<10} {:>6} events  identity: {ids}",
                a.agent, a.version, a.events
            );
        }
        if !h.runtimes.is_empty() {
            let _ = writeln!(out, "    runtime versions: {}", h.runtimes.join(", "));
        }
    }
    out
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
        for (key, d) in &f.type_drift {
            let seen: Vec<&str> = d.seen.iter().map(String::as_str).collect();
            let _ = writeln!(
                out,
                "  type drift: {key} should be {}, {} record(s) had {}",
                d.expected,
                d.records,
                seen.join(", ")
            );
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
