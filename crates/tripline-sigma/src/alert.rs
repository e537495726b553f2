//! Building [`tripline_event::Alert`]s and engine outputs.

use sha2::{Digest, Sha256};
use tripline_event::{names, Alert, Event, RuleRef, Value};

use crate::rule::{Group, RuleMeta};
use crate::time::format_ns;

/// What produced an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// a detection rule matched one event
    Match,
    /// a correlation's condition started to hold for a group
    Correlation,
    /// a first_seen rule saw a new value after its learning period
    FirstSeen,
    /// a volume_profile or emitter_silence rule: a unit above its learned profile, or a
    /// silence its activity pattern does not explain
    Profile,
}

/// One engine output: the alert plus what `rules eval` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// kind
    pub kind: OutputKind,
    /// the emitting rule's id
    pub rule_id: String,
    /// the emitting rule's name
    pub rule_name: String,
    /// group-by values (empty for plain matches)
    pub group: Group,
    /// engine sequence numbers of the contributing events, ascending
    pub seqs: Vec<u64>,
    /// event time of the triggering event (ns), when known
    pub time_ns: Option<i64>,
    /// the window's anchor: the first-arriving contributing event whose time equals the
    /// window's end time (for a plain match, the event itself). With several events at the
    /// same instant this can precede the event whose arrival emitted the output; it is what
    /// the conformance kit calls `first_fire`.
    pub anchor_seq: u64,
    /// the alert
    pub alert: Alert,
}

/// Stable alert id: rule id + group + the window's first event id.
pub fn alert_id(rule_id: &str, group: &Group, first_event: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(group).unwrap_or_default());
    h.update([0]);
    h.update(first_event.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Everything an alert is made of.
pub struct AlertParts<'a> {
    /// the rule
    pub meta: &'a RuleMeta,
    /// group-by values
    pub group: Group,
    /// first and last contributing event times (ns)
    pub first_ns: Option<i64>,
    /// time of the last contributing event
    pub last_ns: Option<i64>,
    /// contributing events' ids
    pub event_ids: Vec<String>,
    /// evidence events (at most [`Alert::MAX_EVIDENCE`] are kept)
    pub evidence: Vec<&'a Event>,
    /// number of contributing events
    pub count: u64,
    /// what happened, for the summary; empty for a plain match, whose summary names the
    /// values of the rule's `fields:` (or says "rule matched" when there are none)
    pub what: String,
}

/// The values of a rule's `fields:` in `event`, as `field=value, ...` in the rule's order
/// ([`Alert::summary_pair`]); fields without a value, and those the group already shows,
/// are left out.
fn field_values(fields: &[String], event: &Event, group: &Group) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .filter(|f| !group.contains_key(f.as_str()))
        .filter_map(|f| Alert::summary_pair(f, event.get(f)?))
        .collect();
    pairs.join(", ")
}

/// Build the alert.
pub fn build(p: AlertParts<'_>) -> Alert {
    let mut group = p.group;
    let first_event = p.event_ids.first().cloned().unwrap_or_default();
    let id = alert_id(&p.meta.id, &group, &first_event);
    if let Some(last) = p.evidence.last() {
        for f in [names::CONVERSATION_ID, names::HOST_NAME, names::USER_EMAIL] {
            if let Some(v) = last.get(f).filter(|v| !v.is_null()) {
                group.entry(f.to_owned()).or_insert_with(|| v.clone());
            }
        }
    }
    let agent = p
        .evidence
        .last()
        .map(|e| e.agent().as_str())
        .unwrap_or("unknown")
        .to_owned();
    let time = p.last_ns.map(format_ns).unwrap_or_default();
    let group_text: Vec<String> = group
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            v => Some(format!("{k}={}", v.to_text().unwrap_or_default())),
        })
        .collect();
    let title = if p.meta.title.is_empty() {
        &p.meta.name
    } else {
        &p.meta.title
    };
    let values = p
        .evidence
        .last()
        .map(|last| field_values(&p.meta.fields, last, &group))
        .unwrap_or_default();
    let what = match (p.what.is_empty(), values.is_empty()) {
        (true, true) => "rule matched".to_owned(),
        (true, false) => values,
        (false, true) => p.what,
        (false, false) => format!("{}; {values}", p.what),
    };
    let summary = if group_text.is_empty() {
        format!("{title}: {what}")
    } else {
        format!("{title}: {what} ({})", group_text.join(", "))
    };
    let n = p.evidence.len();
    let evidence = p
        .evidence
        .into_iter()
        .skip(n.saturating_sub(Alert::MAX_EVIDENCE))
        .cloned()
        .collect();
    Alert {
        id,
        revision: 0,
        time: time.clone(),
        rule: RuleRef {
            id: p.meta.id.clone(),
            name: p.meta.name.clone(),
            title: p.meta.title.clone(),
            level: p.meta.level.clone(),
            tags: p.meta.tags.clone(),
        },
        agent,
        group,
        count: p.count,
        first_time: p.first_ns.map(format_ns).unwrap_or_else(|| time.clone()),
        last_time: time,
        events: evidence,
        event_ids: p.event_ids,
        summary,
        triage: None,
    }
}
