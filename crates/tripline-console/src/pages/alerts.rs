//! The alert queue and the alert detail (with its triage form and audit trail).

use maud::{html, Markup};
use tripline_event::{names, TriageStatus};

use super::layout::{self, level, status};
use super::sessions::fields;
use crate::auth::Viewer;
use crate::query::{encode, AlertDetail, AlertFilter, AlertRow, FilterChoices};
use crate::rules::RuleDoc;

const LEVELS: &[&str] = &["critical", "high", "medium", "low", "informational"];
const STATUSES: &[&str] = &["new", "acknowledged", "closed"];

fn select(name: &str, label: &str, current: &str, options: &[String]) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                option value="" { "any" }
                @for o in options {
                    option value=(o) selected[o == current] { (o) }
                }
                @if !current.is_empty() && !options.iter().any(|o| o == current) {
                    option value=(current) selected { (current) }
                }
            }
        }
    }
}

fn text(name: &str, label: &str, current: &str, placeholder: &str) -> Markup {
    html! { label { (label) input name=(name) value=(current) placeholder=(placeholder); } }
}

/// The triage queue.
pub(crate) fn queue(
    v: &Viewer,
    f: &AlertFilter,
    rows: &[AlertRow],
    total: i64,
    choices: &FilterChoices,
    rules: &[RuleDoc],
) -> Markup {
    let mut patterns: Vec<String> = rules
        .iter()
        .filter_map(|r| r.pattern().map(str::to_owned))
        .collect();
    patterns.sort();
    patterns.dedup();
    let own = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    layout::page(
        v,
        "/ui/alerts",
        "Alerts",
        html! {
            form.filters method="get" action="/ui/alerts" {
                (select("agent", "Agent", &f.agent, &choices.agents))
                (select("pattern", "Pattern", &f.pattern, &patterns))
                (select("level", "Level", &f.level, &own(LEVELS)))
                (select("status", "Status", &f.status, &own(STATUSES)))
                (select("rule", "Rule", &f.rule, &choices.rules))
                (text("host", "Host", &f.host, "host name"))
                (text("user", "User", &f.user, "user email"))
                (text("from", "From", &f.from, "2026-12-01"))
                (text("to", "To", &f.to, "2026-12-31T23:59:59Z"))
                @if !f.conversation.is_empty() {
                    input type="hidden" name="conversation" value=(f.conversation);
                }
                button.primary type="submit" { "Filter" }
                a href="/ui/alerts" { "clear" }
            }
            p.muted #count { "Showing " (rows.len()) " of " (total) " alerts, newest first." }
            table #alerts {
                thead { tr {
                    th { "Time" } th { "Level" } th { "Rule" } th { "Agent" } th { "Host" } th { "User" }
                    th.num { "Count" } th { "Status" } th { "Summary" }
                } }
                tbody {
                    @for a in rows {
                        tr data-alert=(a.id) {
                            td { code { (a.time) } }
                            td { (level(&a.level)) }
                            td { a href=(format!("/ui/alerts/{}", encode(&a.id))) { (a.rule) } }
                            td { (a.agent) }
                            td { (a.host.as_deref().unwrap_or("")) }
                            td { (a.user.as_deref().unwrap_or("")) }
                            td.num title="matches, suppressed repeats included" { (a.count) }
                            td { (status(&a.status)) }
                            td { (a.summary) }
                        }
                    }
                }
            }
        },
    )
}

/// One alert.
pub(crate) fn detail(v: &Viewer, d: &AlertDetail, rule: Option<&RuleDoc>) -> Markup {
    let a = &d.alert;
    let current = a.triage.as_ref().map_or(TriageStatus::New, |t| t.status);
    let conversation = a
        .group
        .get(names::CONVERSATION_ID)
        .and_then(|c| c.to_text());
    layout::page(
        v,
        "/ui/alerts",
        &a.rule.title,
        html! {
            div.grid {
                div.card {
                    dl.kv {
                        dt { "Rule" } dd { a href=(format!("/ui/rules/{}", encode(&a.rule.name))) { (a.rule.name) } }
                        dt { "Level" } dd { (level(&a.rule.level)) }
                        dt { "Pattern" } dd { (a.rule.pattern().unwrap_or("")) }
                        dt { "Agent" } dd { (a.agent) }
                        dt { "Status" } dd #status { (status(current.as_str())) }
                        @if let Some(r) = a.triage.as_ref().and_then(|t| t.resolution) {
                            dt { "Resolution" } dd #resolution { (r.as_str()) }
                        }
                        dt { "Time" } dd { (a.first_time) " … " (a.last_time) }
                        dt { "Count" } dd { (a.count)
                            @if a.count > 1 { span.muted { " (" (a.count - 1) " suppressed repeats)" } } }
                        dt { "Revision" } dd #revision { (a.revision) }
                        dt { "Summary" } dd { (a.summary) }
                        dt { "Alert id" } dd { code { (a.id) } }
                    }
                    @if let Some(c) = &conversation {
                        p { a #session-link href=(format!("/ui/sessions/{}", encode(c))) { "Open the session timeline →" } }
                    }
                }
                div.card {
                    h2 { "Triage" }
                    (triage_form(v, &a.id, current))
                    @if !d.audit.is_empty() {
                        h2 { "Audit trail" }
                        table #audit {
                            thead { tr { th { "When" } th { "Who" } th { "Status" } th { "Resolution" } th { "Note" } th.num { "Rev" } } }
                            tbody {
                                @for s in &d.audit {
                                    tr {
                                        td { code { (layout::ms(s.time_ms)) } }
                                        td { (s.actor) }
                                        td { (status(&s.status)) }
                                        td { (s.resolution.as_deref().unwrap_or("")) }
                                        td { (s.note) }
                                        td.num { (s.revision) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Group values" }
            table { tbody {
                @for (k, val) in &a.group {
                    tr { th { (k) } td { code { (val.to_text().unwrap_or_default()) } } }
                }
            } }
            @if let Some(r) = rule {
                h2 { "Rule" }
                div.card {
                    p { (r.description) }
                    @if !r.falsepositives.is_empty() {
                        p.muted { "Tuning notes:" }
                        ul { @for fp in &r.falsepositives { li { (fp) } } }
                    }
                    details { summary { "Sigma source (" (r.path) ")" } pre { (r.source) } }
                }
            }
            h2 { "Evidence (redacted)" }
            @for e in &a.events {
                div.card { (fields(e)) }
            }
        },
    )
}

fn triage_form(v: &Viewer, id: &str, current: TriageStatus) -> Markup {
    let actions: &[(&str, &str)] = match current {
        TriageStatus::New => &[("acknowledge", "Acknowledge"), ("close", "Close")],
        TriageStatus::Acknowledged => &[("close", "Close")],
        TriageStatus::Closed => &[("reopen", "Reopen")],
    };
    html! {
        form.triage method="post" action=(format!("/ui/alerts/{}/triage", encode(id))) {
            input type="hidden" name="csrf" value=(v.csrf);
            label { "Action"
                select name="action" {
                    @for (value, label) in actions { option value=(value) { (label) } }
                }
            }
            @if current != TriageStatus::Closed {
                label.resolution { "Resolution"
                    select name="resolution" {
                        option value="true_positive" { "true positive" }
                        option value="benign" { "benign" }
                        option value="false_positive" { "false positive" }
                    }
                }
            }
            label { "Note" textarea name="note" rows="2" cols="34" maxlength="4000" {} }
            button.primary type="submit" { "Apply" }
        }
    }
}
