//! From stored rows to a sink's records: filter, the sink's own (stricter) redaction,
//! format.

use tripline_event::{Alert, Event};
use tripline_redact::Redactor;
use tripline_store::OutboxRow;

use crate::format;
use crate::sink::{Record, RecordKind};
use crate::spec::{SinkSpec, LEVELS};

/// Turns outbox rows into the records one sink receives.
pub struct Preparer {
    spec: SinkSpec,
    /// The sink's stricter policy, applied again on top of the stored (globally redacted)
    /// record; `None` when the sink adds nothing to the global policy.
    redactor: Option<Redactor>,
}

impl Preparer {
    /// A preparer for one sink, with its own redactor when its policy differs.
    pub fn new(spec: SinkSpec, redactor: Option<Redactor>) -> Preparer {
        Preparer { spec, redactor }
    }

    /// The sink's configuration.
    pub fn spec(&self) -> &SinkSpec {
        &self.spec
    }

    /// The record for `row`, `Ok(None)` when the sink's filters drop it, `Err` when the
    /// stored JSON cannot be read.
    pub fn row(&self, row: &OutboxRow) -> Result<Option<Record>, String> {
        match row.kind.as_str() {
            "event" => {
                if !self.spec.receives(RecordKind::Event) || !self.agent_ok(&row.agent) {
                    return Ok(None);
                }
                let event: Event = serde_json::from_str(&row.body)
                    .map_err(|e| format!("outbox row {}: event JSON: {e}", row.seq))?;
                Ok(self.event(event))
            }
            "alert" => {
                if !self.spec.receives(RecordKind::Alert) || !self.agent_ok(&row.agent) {
                    return Ok(None);
                }
                let alert: Alert = serde_json::from_str(&row.body)
                    .map_err(|e| format!("outbox row {}: alert JSON: {e}", row.seq))?;
                Ok(self.alert(alert, true))
            }
            other => Err(format!("outbox row {}: unknown kind {other:?}", row.seq)),
        }
    }

    fn agent_ok(&self, agent: &str) -> bool {
        self.spec.agents.is_empty() || self.spec.agents.iter().any(|a| a == agent)
    }

    /// An event through the sink's filters, redaction and format.
    pub fn event(&self, mut event: Event) -> Option<Record> {
        if !self.spec.event_names.is_empty()
            && !event
                .event_name()
                .is_some_and(|n| self.spec.event_names.iter().any(|x| x == n))
        {
            return None;
        }
        if let Some(r) = &self.redactor {
            r.redact_event(&mut event);
        }
        Some(format::event_record(&event, self.spec.format))
    }

    /// An alert through the sink's level filter (when `filter`), redaction and format.
    pub fn alert(&self, mut alert: Alert, filter: bool) -> Option<Record> {
        if filter {
            if let Some(min) = self.spec.min_level {
                let level = LEVELS
                    .iter()
                    .position(|l| l.eq_ignore_ascii_case(&alert.rule.level));
                if level.is_none_or(|l| l < min) {
                    return None;
                }
            }
        }
        if let Some(r) = &self.redactor {
            r.redact_alert(&mut alert);
        }
        Some(format::alert_record(&alert, self.spec.format))
    }
}
