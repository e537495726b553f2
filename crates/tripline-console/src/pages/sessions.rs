//! Session search and one conversation's timeline.

use maud::{html, Markup};
use tripline_event::{names, Event};

use super::layout::{self, level, status};
use crate::auth::Viewer;
use crate::query::{encode, SessionFilter, SessionRow, Timeline};

/// Fields shown in the row head (or not at all) rather than in the field list.
const HIDDEN: &[&str] = &[
    names::ID,
    names::TIME,
    names::EVENT_NAME,
    names::SIGNAL,
    names::AGENT,
    names::CONVERSATION_ID,
    names::HOST_NAME,
    names::USER_EMAIL,
    names::TRACE_ID,
    names::SPAN_ID,
    names::PARENT_SPAN_ID,
    names::OBSERVED_TIME,
];

/// Longest value shown whole; longer ones are cut (the store keeps them).
const SHOW_CHARS: usize = 2000;

/// The fields a timeline row shows up front, when present (the agent layer's names,
/// `docs/fields.md`); the rest are one click away.
const ESSENTIAL: &[&str] = &[
    "agent_event",
    "tool_name",
    "command",
    "arguments",
    "decision",
    "decision_source",
    "tool_decision",
    "tool_decision_source",
    "tool_class",
    "success",
    "output",
    "prompt",
    "model",
    "status_code",
    "error",
    "error_message",
    "duration_ms",
    "session_approval_policy",
    "session_sandbox_policy",
    "session_permission_mode",
    "posture_allowed",
    "mcp_server",
];

fn shown(k: &str) -> bool {
    !HIDDEN.contains(&k)
        && !k.starts_with(names::RESOURCE_PREFIX)
        && !k.starts_with(names::SCOPE_PREFIX)
}

fn value_text(v: &tripline_event::Value) -> String {
    let text = v.to_text().unwrap_or_default();
    if text.chars().count() > SHOW_CHARS {
        let mut cut: String = text.chars().take(SHOW_CHARS).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// An event's fields as a compact list (values escaped, long ones cut): the essential
/// ones first, every other one under "all fields".
pub(crate) fn fields(e: &Event) -> Markup {
    html! {
        dl.kv.fields {
            @for k in ESSENTIAL {
                @if let Some(v) = e.get(k).filter(|v| !v.to_text().unwrap_or_default().is_empty()) {
                    dt { (k) } dd { code { (value_text(v)) } }
                }
            }
        }
        details {
            summary { "all fields" }
            dl.kv.fields {
                @for (k, v) in e.iter() {
                    @if shown(k) && !ESSENTIAL.contains(&k.as_str()) {
                        dt { (k) } dd { code { (value_text(v)) } }
                    }
                }
            }
        }
    }
}

/// Session search.
pub(crate) fn list(v: &Viewer, f: &SessionFilter, rows: &[SessionRow]) -> Markup {
    layout::page(
        v,
        "/ui/sessions",
        "Sessions",
        html! {
            form.filters method="get" action="/ui/sessions" {
                label { "Conversation id" input name="conversation" value=(f.conversation); }
                label { "User" input name="user" value=(f.user); }
                label { "Host" input name="host" value=(f.host); }
                label { "From" input name="from" value=(f.from) placeholder="2026-12-01"; }
                label { "To" input name="to" value=(f.to); }
                button.primary type="submit" { "Search" }
            }
            table #sessions {
                thead { tr { th { "Conversation" } th { "Agent" } th { "Host" } th { "User" } th { "First" } th { "Last" } th.num { "Events" } th.num { "Alerts" } } }
                tbody {
                    @for s in rows {
                        tr {
                            td { a href=(format!("/ui/sessions/{}", encode(&s.id))) { code { (s.id) } } }
                            td { (s.agent.as_deref().unwrap_or("")) }
                            td { (s.host.as_deref().unwrap_or("")) }
                            td { (s.user.as_deref().unwrap_or("")) }
                            td { code { (s.first.as_deref().unwrap_or("")) } }
                            td { code { (s.last.as_deref().unwrap_or("")) } }
                            td.num { (s.events) }
                            td.num { (s.alerts) }
                        }
                    }
                }
            }
            @if rows.is_empty() { p.muted { "No conversation matches." } }
        },
    )
}

/// One conversation, in time order.
pub(crate) fn timeline(v: &Viewer, id: &str, t: &Timeline) -> Markup {
    let first = t.events.first().map(|e| &e.event);
    layout::page(
        v,
        "/ui/sessions",
        "Session timeline",
        html! {
            div.card {
                dl.kv {
                    dt { "Conversation" } dd { code #conversation { (id) } }
                    @if let Some(e) = first {
                        dt { "Agent" } dd { (e.get_str(names::AGENT).unwrap_or("")) }
                        dt { "Host" } dd { (e.get_str(names::HOST_NAME).unwrap_or("")) }
                        dt { "User" } dd { (e.get_str(names::USER_EMAIL).unwrap_or("")) }
                    }
                    dt { "Events" } dd { (t.total)
                        @if t.total > t.events.len() as i64 { span.muted { " (first " (t.events.len()) " shown)" } } }
                }
            }
            h2 { "Alerts raised" }
            @if t.alerts.is_empty() { p.muted { "None." } }
            @else {
                table #session-alerts {
                    thead { tr { th { "Time" } th { "Level" } th { "Rule" } th { "Status" } th { "Summary" } } }
                    tbody {
                        @for a in &t.alerts {
                            tr {
                                td { code { (a.time) } }
                                td { (level(&a.level)) }
                                td { a href=(format!("/ui/alerts/{}", encode(&a.id))) { (a.rule) } }
                                td { (status(&a.status)) }
                                td { (a.summary) }
                            }
                        }
                    }
                }
            }
            h2 { "Events" }
            table #timeline {
                thead { tr { th { "Time" } th { "Event" } th { "Details (redacted)" } } }
                tbody {
                    @for e in &t.events {
                        tr data-event=(e.id) {
                            td { code { (e.event.time().unwrap_or("")) } }
                            td { b { (e.event.get_str(names::EVENT_NAME).unwrap_or("")) } br; span.muted { (e.event.get_str(names::SIGNAL).unwrap_or("")) } }
                            td { (fields(&e.event)) }
                        }
                    }
                }
            }
        },
    )
}
