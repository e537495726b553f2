//! The page frame: head, navigation, the signed-in user and the logout form.

use maud::{html, Markup, DOCTYPE};

use crate::auth::{Role, Viewer};

/// Navigation entries: (path, label, admin only).
const NAV: &[(&str, &str, bool)] = &[
    ("/ui/alerts", "Alerts", false),
    ("/ui/sessions", "Sessions", false),
    ("/ui/inventory", "Inventory", false),
    ("/ui/rules", "Rules", false),
    ("/ui/health", "Health", false),
    ("/ui/raw", "Raw tier", true),
    ("/ui/config", "Config", true),
];

/// The document head and body frame.
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · tripline" }
                link rel="stylesheet" href="/ui/assets/console.css";
                link rel="icon" type="image/svg+xml" href="/ui/assets/favicon.svg";
            }
            body {
                (body)
                script src="/ui/assets/console.js" {}
            }
        }
    }
}

/// A signed-in page: navigation with `active` highlighted, then `body`.
pub(crate) fn page(v: &Viewer, active: &str, title: &str, body: Markup) -> Markup {
    bare(
        title,
        html! {
            header.top {
                span.brand { "tripline" }
                @for (path, label, admin) in NAV {
                    @if !admin || v.role == Role::Admin {
                        a href=(path) class=[(active == *path).then_some("on")] { (label) }
                    }
                }
                span.who { (v.name) " (" (v.role.as_str()) ")" }
                form method="post" action="/ui/logout" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button type="submit" { "Log out" }
                }
            }
            main {
                h1 { (title) }
                (body)
            }
        },
    )
}

/// An error page for a signed-in user.
pub(crate) fn error(v: &Viewer, title: &str, why: &str) -> Markup {
    page(
        v,
        "",
        title,
        html! { p.err { (why) } p { a href="/ui/alerts" { "Back to the alerts" } } },
    )
}

/// A level as a coloured pill.
pub(crate) fn level(l: &str) -> Markup {
    let class = match l {
        "critical" | "high" | "medium" | "low" => format!("pill lvl-{l}"),
        _ => "pill".to_owned(),
    };
    html! { span class=(class) { (l) } }
}

/// A triage status as a coloured pill.
pub(crate) fn status(s: &str) -> Markup {
    let class = match s {
        "new" | "acknowledged" | "closed" => format!("pill st-{s}"),
        _ => "pill".to_owned(),
    };
    html! { span class=(class) data-status=(s) { (s) } }
}

/// Unix milliseconds as RFC 3339 (UTC, seconds).
pub(crate) fn ms(t: i64) -> String {
    chrono::DateTime::from_timestamp_millis(t)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
