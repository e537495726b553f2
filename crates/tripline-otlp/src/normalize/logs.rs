//! Log records → events (`signal = log`).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use tripline_event::{names, Event, Signal, Value};

use super::agent;
use super::builder::Builder;
use super::context::{add_shared, attr_str, hex_id, ResourceCtx, ScopeCtx};
use super::time;
use super::values::{self, check_str, LimitError};
use super::{encoded, Batch};

pub(crate) fn normalize(req: &mut ExportLogsServiceRequest, batch: &mut Batch) {
    for (ri, rl) in req.resource_logs.iter_mut().enumerate() {
        let count = || {
            rl.scope_logs
                .iter()
                .map(|s| s.log_records.len() as u64)
                .sum()
        };
        let res = match ResourceCtx::new(rl.resource.as_mut(), batch.limits) {
            Ok(r) => r,
            Err(e) => {
                batch.reject(format_args!("resource #{ri}"), &e, count());
                continue;
            }
        };
        for (si, sl) in rl.scope_logs.iter_mut().enumerate() {
            let scope = match ScopeCtx::new(sl.scope.as_mut(), batch.limits) {
                Ok(s) => s,
                Err(e) => {
                    let n = sl.log_records.len() as u64;
                    batch.reject(format_args!("scope #{si} of resource #{ri}"), &e, n);
                    continue;
                }
            };
            for (li, rec) in sl.log_records.iter_mut().enumerate() {
                match log_event(rec, &res, &scope, batch) {
                    Ok(ev) => batch.events.push(ev),
                    Err(e) => batch.reject(
                        format_args!("log record #{li} (resource #{ri}, scope #{si})"),
                        &e,
                        1,
                    ),
                }
            }
        }
    }
}

/// One log record's event; takes the record's attribute and body values.
fn log_event(
    rec: &mut LogRecord,
    res: &ResourceCtx,
    scope: &ScopeCtx,
    batch: &mut Batch,
) -> Result<Event, LimitError> {
    let limits = batch.limits;
    let digest = batch
        .ids
        .digest(&[b"log", &res.digest, &scope.digest], encoded(&*rec));
    let attrs = values::attributes(&mut rec.attributes, limits)?;
    check_str("eventName", &rec.event_name, limits)?;
    check_str("severityText", &rec.severity_text, limits)?;
    let body = match &mut rec.body {
        Some(b) => values::convert("body", b, limits)?,
        None => Value::Null,
    };

    let event_name = attr_str(&attrs, "event.name")
        .or(Some(rec.event_name.as_str()).filter(|s| !s.is_empty()))
        .map(str::to_owned);
    let observed = time::from_unix_nanos(rec.observed_time_unix_nano);
    let time = attr_str(&attrs, "event.timestamp")
        .and_then(time::from_rfc3339)
        .or_else(|| time::from_unix_nanos(rec.time_unix_nano))
        .or_else(|| observed.clone());
    let agent = agent::infer(
        event_name.as_deref(),
        &scope.name,
        res.service_name.as_deref(),
    );
    let id = batch.ids.assign(digest);

    let mut b = Builder::default();
    b.set(names::SIGNAL, Signal::Log.as_str());
    b.set(names::AGENT, agent.as_str());
    b.set(names::ID, id);
    b.set_opt(names::TIME, time);
    b.set_opt(names::OBSERVED_TIME, observed);
    b.set_opt(names::EVENT_NAME, event_name);
    if !rec.event_name.is_empty() {
        b.set(names::OTLP_EVENT_NAME, rec.event_name.as_str());
    }
    b.set_opt(
        names::SEVERITY,
        severity_text(&rec.severity_text, rec.severity_number),
    );
    if rec.severity_number != 0 {
        b.set(names::SEVERITY_NUMBER, i64::from(rec.severity_number));
    }
    b.set_opt(names::TRACE_ID, hex_id(&rec.trace_id));
    b.set_opt(names::SPAN_ID, hex_id(&rec.span_id));
    if !body.is_null() {
        b.set(names::BODY, body);
    }
    add_shared(&mut b, attrs, res, scope);
    Ok(b.finish())
}

/// `severityText` as sent; when empty, the short name of the severity number's range
/// (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`).
fn severity_text(text: &str, number: i32) -> Option<String> {
    if !text.is_empty() {
        return Some(text.to_owned());
    }
    let name = match number {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => return None,
    };
    Some(name.to_owned())
}
