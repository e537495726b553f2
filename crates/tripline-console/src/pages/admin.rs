//! Admin-only pages: the raw tier and the configuration.

use maud::{html, Markup};
use tripline_store::StoredRawPayload;

use super::layout;
use crate::auth::Viewer;

/// Bytes of a raw body shown on its page.
const PREVIEW_BYTES: usize = 4096;

/// What the raw page shows: payload count, the newest payloads, one payload opened.
pub(crate) type RawView = (u64, Vec<StoredRawPayload>, Option<StoredRawPayload>);

/// The raw tier (admins only; the route checks the role).
pub(crate) fn raw(v: &Viewer, found: Option<&RawView>) -> Markup {
    layout::page(
        v,
        "/ui/raw",
        "Raw tier",
        html! {
            @match found {
                None => p.muted { "The raw tier is off ([raw] enabled = false): no request bodies are kept." },
                Some((count, list, one)) => {
                    p { (count) " request bodies kept, verbatim and unredacted." }
                    @if let Some(p) = one {
                        h2 { "Payload " (p.id) }
                        dl.kv {
                            dt { "Received" } dd { (p.payload.received_time) }
                            dt { "Signal" } dd { (p.payload.signal) }
                            dt { "Content type" } dd { (p.payload.content_type) }
                            dt { "Emitter" } dd { (p.payload.emitter.as_deref().unwrap_or("")) }
                            dt { "SHA-256" } dd { code { (p.sha256) } }
                        }
                        pre #raw-body { (String::from_utf8_lossy(&p.payload.body[..p.payload.body.len().min(PREVIEW_BYTES)])) }
                    }
                    table #raw {
                        thead { tr { th.num { "Id" } th { "Received" } th { "Signal" } th { "Content type" } th { "Emitter" } th.num { "Bytes" } } }
                        tbody {
                            @for p in list.iter().rev() {
                                tr {
                                    td.num { a href=(format!("/ui/raw?id={}", p.id)) { (p.id) } }
                                    td { code { (p.payload.received_time) } }
                                    td { (p.payload.signal) }
                                    td { (p.payload.content_type) }
                                    td { (p.payload.emitter.as_deref().unwrap_or("")) }
                                    td.num { (p.payload.body.len()) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The effective configuration (secrets masked by `serve`).
pub(crate) fn config(v: &Viewer, text: &str) -> Markup {
    layout::page(
        v,
        "/ui/config",
        "Configuration",
        html! { pre #config { (text) } },
    )
}
