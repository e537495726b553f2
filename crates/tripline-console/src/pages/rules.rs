//! Rules: each with its pattern, level, hits over time, last fired and false-positive share.

use std::collections::HashMap;

use maud::{html, Markup};

use super::layout::{self, level};
use crate::auth::Viewer;
use crate::chart;
use crate::query::{encode, RuleStats};
use crate::rules::RuleDoc;

/// The rule list.
pub(crate) fn list(v: &Viewer, rules: &[RuleDoc], stats: &HashMap<String, RuleStats>) -> Markup {
    let none = RuleStats::default();
    let mut sorted: Vec<&RuleDoc> = rules.iter().collect();
    sorted.sort_by_key(|r| {
        (
            std::cmp::Reverse(stats.get(&r.name).map_or(0, |s| s.alerts)),
            r.name.clone(),
        )
    });
    layout::page(
        v,
        "/ui/rules",
        "Rules",
        html! {
            table #rules {
                thead { tr {
                    th { "Rule" } th { "Pattern" } th { "Level" } th.num { "Alerts" } th.num { "Hits" }
                    th { "Last 14 days" } th { "Last fired" } th.num { "Closed" } th.num { "False positive share" }
                } }
                tbody {
                    @for r in sorted {
                        @let s = stats.get(&r.name).unwrap_or(&none);
                        tr {
                            td { a href=(format!("/ui/rules/{}", encode(&r.name))) { (r.name) } }
                            td { (r.pattern().unwrap_or("")) }
                            td { (level(&r.level)) }
                            td.num { (s.alerts) }
                            td.num { (s.hits) }
                            td { @if s.daily.is_empty() { (chart::spark(&[0; 14])) } @else { (chart::spark(&s.daily)) } }
                            td { code { (s.last_fired.as_deref().unwrap_or("never")) } }
                            td.num { (s.closed) }
                            td.num { @if s.closed > 0 { (format!("{:.0} %", 100.0 * s.false_positive as f64 / s.closed as f64)) } @else { "–" } }
                        }
                    }
                }
            }
        },
    )
}

/// One rule: its description, tuning notes and Sigma source.
pub(crate) fn detail(v: &Viewer, r: &RuleDoc) -> Markup {
    layout::page(
        v,
        "/ui/rules",
        &r.name,
        html! {
            div.card {
                dl.kv {
                    dt { "Title" } dd { (r.title) }
                    dt { "Level" } dd { (level(&r.level)) }
                    dt { "Pattern" } dd { (r.pattern().unwrap_or("")) }
                    dt { "Tags" } dd { (r.tags.join(", ")) }
                    dt { "Source" } dd { code { (r.path) } }
                }
                p { (r.description) }
                @if !r.falsepositives.is_empty() {
                    p.muted { "Tuning notes:" }
                    ul { @for fp in &r.falsepositives { li { (fp) } } }
                }
            }
            p { a href=(format!("/ui/alerts?rule={}", encode(&r.name))) { "Alerts of this rule →" } }
            h2 { "Sigma source" }
            pre #sigma { (r.source) }
        },
    )
}
