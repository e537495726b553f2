//! Events as OCSF 1.3 Base Event (class_uid 0, category_uid 0).
//!
//! OCSF has no class for an AI agent's session telemetry (prompts, tool decisions, API
//! calls, token counts); forcing them into API Activity or Process Activity would claim
//! semantics the data lacks. So every event is a Base Event: the identity and time fields
//! are mapped (`time`, `metadata.uid`, `metadata.log_name`, `device.hostname`,
//! `actor.user.email_addr`, `message`), and the whole event is kept under `unmapped`.

use serde_json::{json, Value as Json};
use tripline_event::{names, Event, Value};

use super::{epoch_ms, OCSF_VERSION};

/// OCSF `Base Event`.
pub const CLASS_UID: u32 = 0;

/// One event as an OCSF Base Event.
pub fn base_event(ev: &Event) -> Json {
    let get = |n: &str| ev.get(n).and_then(Value::to_text);
    let time = ev
        .time()
        .or_else(|| ev.get_str(names::RECEIVED_TIME))
        .and_then(epoch_ms);
    let mut out = json!({
        "class_uid": CLASS_UID,
        "class_name": "Base Event",
        "category_uid": 0,
        "category_name": "Uncategorized",
        "activity_id": 99,
        "activity_name": get(names::EVENT_NAME).unwrap_or_else(|| "Other".to_owned()),
        "type_uid": 99,
        "severity_id": 1,
        "severity": "Informational",
        "status_id": 0,
        "time": time,
        "message": get(names::EVENT_NAME),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": get(names::ID),
            "log_name": get(names::SIGNAL),
            "product": { "name": "tripline", "vendor_name": "tripline", "version": env!("CARGO_PKG_VERSION") },
            "labels": [format!("agent:{}", ev.agent().as_str())],
        },
        "unmapped": ev,
    });
    if let Some(h) = get(names::HOST_NAME) {
        out["device"] = json!({ "hostname": h, "type_id": 0 });
    }
    if let Some(u) = get(names::USER_EMAIL) {
        out["actor"] = json!({ "user": { "email_addr": u } });
    }
    out
}
