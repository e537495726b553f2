//! Inventory: agents, surfaces, versions, hosts and users seen, and the first-seen rules.

use std::collections::BTreeSet;

use maud::{html, Markup};

use super::layout;
use crate::auth::Viewer;
use crate::query::Surface;
use crate::rules::RuleDoc;

/// A surface not heard from for this long is listed as silent.
const SILENT_MS: i64 = 24 * 3600 * 1000;

/// The inventory page.
pub(crate) fn page(v: &Viewer, rows: &[Surface], rules: &[RuleDoc]) -> Markup {
    let distinct = |f: &dyn Fn(&Surface) -> &str| {
        rows.iter()
            .map(f)
            .filter(|s| !s.is_empty())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let now = chrono::Utc::now().timestamp_millis();
    let silent: Vec<&Surface> = rows
        .iter()
        .filter(|s| now - s.last_ingest_ms > SILENT_MS)
        .collect();
    let first_seen: Vec<&RuleDoc> = rules
        .iter()
        .filter(|r| r.source.contains("first_seen"))
        .collect();
    layout::page(
        v,
        "/ui/inventory",
        "Inventory",
        html! {
            div.stats {
                div.stat { b { (distinct(&|s| &s.agent)) } "agents" }
                div.stat { b { (distinct(&|s| &s.originator)) } "surfaces (originators)" }
                div.stat { b { (distinct(&|s| &s.version)) } "versions" }
                div.stat { b { (distinct(&|s| &s.host)) } "hosts" }
                div.stat { b { (distinct(&|s| &s.user)) } "users" }
                div.stat { b { (silent.len()) } "silent for 24 h" }
            }
            table #inventory {
                thead { tr {
                    th { "Agent" } th { "Service" } th { "Version" } th { "Originator" } th { "Host" } th { "User" }
                    th { "First seen" } th { "Last seen" } th.num { "Events" } th { "Last heard" }
                } }
                tbody {
                    @for s in rows {
                        tr {
                            td { (s.agent) } td { (s.service) } td { (s.version) } td { (s.originator) }
                            td { (s.host) } td { (s.user) }
                            td { code { (s.first_seen.as_deref().unwrap_or("")) } }
                            td { code { (s.last_seen.as_deref().unwrap_or("")) } }
                            td.num { (s.count) }
                            td { code { (layout::ms(s.last_ingest_ms)) }
                                @if now - s.last_ingest_ms > SILENT_MS { " " span.pill.lvl-medium { "silent" } } }
                        }
                    }
                }
            }
            h2 { "First-seen baselines" }
            p.muted { "First-seen rules learn values silently during their learning period, then alert on new ones. "
                "The learned values are sealed in the engine state; `tripline baseline` lists them." }
            table #baselines {
                thead { tr { th { "Rule" } th { "Level" } th { "Pattern" } } }
                tbody {
                    @for r in &first_seen {
                        tr { td { a href=(format!("/ui/rules/{}", crate::query::encode(&r.name))) { (r.name) } } td { (layout::level(&r.level)) } td { (r.pattern().unwrap_or("")) } }
                    }
                }
            }
        },
    )
}
