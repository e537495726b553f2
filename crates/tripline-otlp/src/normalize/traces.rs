//! Spans → events (`signal = span`) and their span events (`signal = span_event`).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{span, Span};
use tripline_event::{names, Event, Signal};

use tripline_event::Agent;

use super::agent;
use super::builder::Builder;
use super::context::{add_shared, attr_str, hex_id, ResourceCtx, ScopeCtx};
use super::time;
use super::values::{self, check_str, LimitError};
use super::{encoded, Batch};

pub(crate) fn normalize(req: &mut ExportTraceServiceRequest, batch: &mut Batch) {
    for (ri, rs) in req.resource_spans.iter_mut().enumerate() {
        let count = || rs.scope_spans.iter().map(|s| s.spans.len() as u64).sum();
        let res = match ResourceCtx::new(rs.resource.as_mut(), batch.limits) {
            Ok(r) => r,
            Err(e) => {
                batch.reject(format_args!("resource #{ri}"), &e, count());
                continue;
            }
        };
        for (si, ss) in rs.scope_spans.iter_mut().enumerate() {
            let scope = match ScopeCtx::new(ss.scope.as_mut(), batch.limits) {
                Ok(s) => s,
                Err(e) => {
                    let n = ss.spans.len() as u64;
                    batch.reject(format_args!("scope #{si} of resource #{ri}"), &e, n);
                    continue;
                }
            };
            for (pi, sp) in ss.spans.iter_mut().enumerate() {
                match span_events(sp, &res, &scope, batch) {
                    Ok(evs) => batch.events.extend(evs),
                    Err(e) => batch.reject(
                        format_args!("span #{pi} (resource #{ri}, scope #{si})"),
                        &e,
                        1,
                    ),
                }
            }
        }
    }
}

/// The span's own event followed by one event per span event. The span is rejected as a
/// whole when it or any of its events is over a limit. Takes the span's attribute values.
fn span_events(
    sp: &mut Span,
    res: &ResourceCtx,
    scope: &ScopeCtx,
    batch: &mut Batch,
) -> Result<Vec<Event>, LimitError> {
    let limits = batch.limits;
    check_str("span name", &sp.name, limits)?;
    check_str(
        "status message",
        sp.status.as_ref().map_or("", |s| &s.message),
        limits,
    )?;
    if sp.events.len() > limits.max_array_len {
        return Err(LimitError::ArrayTooLong {
            key: "span events".into(),
            len: sp.events.len(),
            limit: limits.max_array_len,
        });
    }
    let digest = batch
        .ids
        .digest(&[b"span", &res.digest, &scope.digest], encoded(&*sp));
    let event_digests: Vec<_> = sp
        .events
        .iter()
        .map(|ev| {
            let parts: [&[u8]; 5] = [
                b"span_event",
                &res.digest,
                &scope.digest,
                &sp.trace_id,
                &sp.span_id,
            ];
            batch.ids.digest(&parts, encoded(ev))
        })
        .collect();
    let attrs = values::attributes(&mut sp.attributes, limits)?;
    let agent = agent::infer(Some(&sp.name), &scope.name, res.service_name.as_deref());
    let identity = inherited_identity(agent, &attrs);
    let mut converted = Vec::with_capacity(sp.events.len());
    for ev in &mut sp.events {
        check_str("span event name", &ev.name, limits)?;
        let mut ev_attrs = values::attributes(&mut ev.attributes, limits)?;
        for (k, v) in &identity {
            if !ev_attrs.iter().any(|(ek, _)| ek == k) {
                ev_attrs.push((k.clone(), v.clone()));
            }
        }
        converted.push(ev_attrs);
    }

    let trace_id = hex_id(&sp.trace_id);
    let span_id = hex_id(&sp.span_id);
    let start = time::from_unix_nanos(sp.start_time_unix_nano);
    let id = batch.ids.assign(digest);

    let mut b = Builder::default();
    b.set(names::SIGNAL, Signal::Span.as_str());
    b.set(names::AGENT, agent.as_str());
    b.set(names::ID, id);
    b.set_opt(names::TIME, start.clone());
    b.set_opt(names::START_TIME, start);
    b.set_opt(
        names::END_TIME,
        time::from_unix_nanos(sp.end_time_unix_nano),
    );
    if sp.start_time_unix_nano != 0 && sp.end_time_unix_nano >= sp.start_time_unix_nano {
        let nanos = sp.end_time_unix_nano - sp.start_time_unix_nano;
        b.set(names::DURATION_MS, nanos as f64 / 1e6);
    }
    b.set(names::EVENT_NAME, sp.name.as_str());
    b.set(names::SPAN_NAME, sp.name.as_str());
    b.set(names::SPAN_KIND, kind_name(sp.kind));
    let (code, message) = match &sp.status {
        Some(s) => (s.code, s.message.as_str()),
        None => (0, ""),
    };
    b.set(names::STATUS_CODE, status_name(code));
    if !message.is_empty() {
        b.set(names::STATUS_MESSAGE, message);
    }
    b.set_opt(names::TRACE_ID, trace_id.clone());
    b.set_opt(names::SPAN_ID, span_id.clone());
    b.set_opt(names::PARENT_SPAN_ID, hex_id(&sp.parent_span_id));
    if !sp.trace_state.is_empty() {
        b.set("trace_state", sp.trace_state.as_str());
    }
    add_shared(&mut b, attrs, res, scope);

    let mut out = Vec::with_capacity(1 + sp.events.len());
    out.push(b.finish());
    for ((ev, ev_attrs), digest) in sp.events.iter().zip(converted).zip(event_digests) {
        let id = batch.ids.assign(digest);
        out.push(span_event(
            ev, ev_attrs, id, sp, &trace_id, &span_id, res, scope,
        ));
    }
    Ok(out)
}

// A span event takes its span's identity piece by piece (ids, times, inherited attributes);
// a struct for them would exist for this one call.
#[allow(clippy::too_many_arguments)]
fn span_event(
    ev: &span::Event,
    attrs: Vec<values::Attr>,
    id: String,
    sp: &Span,
    trace_id: &Option<String>,
    span_id: &Option<String>,
    res: &ResourceCtx,
    scope: &ScopeCtx,
) -> Event {
    let event_name = attr_str(&attrs, "event.name")
        .or(Some(ev.name.as_str()).filter(|s| !s.is_empty()))
        .map(str::to_owned);
    let time = time::from_unix_nanos(ev.time_unix_nano)
        .or_else(|| attr_str(&attrs, "event.timestamp").and_then(time::from_rfc3339));
    let agent = agent::infer(
        event_name.as_deref(),
        &scope.name,
        res.service_name.as_deref(),
    );

    let mut b = Builder::default();
    b.set(names::SIGNAL, Signal::SpanEvent.as_str());
    b.set(names::AGENT, agent.as_str());
    b.set(names::ID, id);
    b.set_opt(names::TIME, time);
    b.set_opt(names::EVENT_NAME, event_name);
    if !ev.name.is_empty() {
        b.set(names::OTLP_EVENT_NAME, ev.name.as_str());
    }
    b.set(names::SPAN_NAME, sp.name.as_str());
    b.set_opt(names::TRACE_ID, trace_id.clone());
    b.set_opt(names::SPAN_ID, span_id.clone());
    add_shared(&mut b, attrs, res, scope);
    b.finish()
}

/// Span attributes a span event inherits when it lacks them. Claude Code's `tool.output`
/// span event (the raw tool output, `OTEL_LOG_TOOL_CONTENT=1`) carries only the output and
/// the path; its span carries the session and the user. Other agents' span events are
/// left as sent (Codex's are content-free copies of its log records).
const INHERITED_IDENTITY: &[&str] = &[
    "session.id",
    "user.id",
    "user.email",
    "user.account_uuid",
    "user.account_id",
    "organization.id",
    "tool_name",
    "tool_use_id",
];

fn inherited_identity(agent: Agent, span_attrs: &[values::Attr]) -> Vec<values::Attr> {
    if agent != Agent::ClaudeCode {
        return Vec::new();
    }
    span_attrs
        .iter()
        .filter(|(k, _)| INHERITED_IDENTITY.contains(&k.as_str()))
        .cloned()
        .collect()
}

fn kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

fn status_name(code: i32) -> &'static str {
    match code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    }
}
