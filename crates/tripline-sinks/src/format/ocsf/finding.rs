//! OCSF Detection Finding (class 2004, category Findings) for tripline alerts.
//!
//! Required attributes are always set: `activity_id`, `category_uid`, `class_uid`,
//! `type_uid`, `severity_id`, `time`, `metadata` (product and version) and `finding_info`
//! (`uid`, `title`). A first revision is activity 1 (Create); a later revision of the same
//! alert id is activity 2 (Update), so downstream systems update one finding per alert.

use serde_json::{json, Map, Value as Json};
use tripline_event::Alert;

use super::{epoch_ms, severity_id, OCSF_VERSION};

/// OCSF class `Detection Finding`.
pub const CLASS_UID: u32 = 2004;
/// OCSF category `Findings`.
pub const CATEGORY_UID: u32 = 2;

/// The OCSF Detection Finding for one alert revision.
pub fn detection_finding(alert: &Alert) -> Json {
    let activity_id: u32 = if alert.revision <= 1 { 1 } else { 2 };
    let severity = severity_id(&alert.rule.level);
    let mut unmapped = Map::new();
    unmapped.insert("tripline_revision".into(), json!(alert.revision));
    unmapped.insert(
        "tripline_group".into(),
        serde_json::to_value(&alert.group).unwrap_or(Json::Null),
    );
    unmapped.insert("tripline_agent".into(), json!(alert.agent));
    let evidences: Vec<Json> = alert
        .events
        .iter()
        .map(|ev| json!({ "data": ev }))
        .collect();
    json!({
        "activity_id": activity_id,
        "activity_name": if activity_id == 1 { "Create" } else { "Update" },
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + activity_id,
        "severity_id": severity,
        "severity": alert.rule.level,
        "time": epoch_ms(&alert.time),
        "start_time": epoch_ms(&alert.first_time),
        "end_time": epoch_ms(&alert.last_time),
        "count": alert.count,
        "message": alert.summary,
        "is_alert": true,
        "status_id": 1,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": format!("{}:{}", alert.id, alert.revision),
            "product": { "name": "tripline", "vendor_name": "tripline", "version": env!("CARGO_PKG_VERSION") },
            "labels": alert.rule.tags,
        },
        "finding_info": {
            "uid": alert.id,
            "title": alert.rule.title,
            "desc": alert.summary,
            "analytic": { "uid": alert.rule.id, "name": alert.rule.name, "type_id": 1, "type": "Rule" },
            "types": alert.rule.pattern().map(|p| vec![p]).unwrap_or_default(),
            "first_seen_time": epoch_ms(&alert.first_time),
            "last_seen_time": epoch_ms(&alert.last_time),
            "related_events": alert.event_ids.iter().map(|id| json!({ "uid": id })).collect::<Vec<_>>(),
        },
        "evidences": evidences,
        "unmapped": unmapped,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tripline_event::{Alert, RuleRef};

    use super::*;

    fn alert(revision: u32, level: &str) -> Alert {
        Alert {
            id: "a1".into(),
            revision,
            time: "2026-11-20T10:00:02Z".into(),
            rule: RuleRef {
                id: "r1".into(),
                name: "codex_x".into(),
                title: "X".into(),
                level: level.into(),
                tags: vec!["attack.t1562".into()],
            },
            agent: "codex".into(),
            group: BTreeMap::new(),
            count: 2,
            first_time: "2026-11-20T10:00:00Z".into(),
            last_time: "2026-11-20T10:00:02Z".into(),
            events: vec![],
            event_ids: vec!["e1".into(), "e2".into()],
            summary: "s".into(),
        }
    }

    #[test]
    fn required_fields_and_activity() {
        let f = detection_finding(&alert(1, "high"));
        for k in [
            "activity_id",
            "category_uid",
            "class_uid",
            "type_uid",
            "severity_id",
            "time",
            "metadata",
            "finding_info",
        ] {
            assert!(!f[k].is_null(), "missing {k}");
        }
        assert_eq!(f["type_uid"], 200401);
        assert_eq!(f["severity_id"], 4);
        assert_eq!(f["time"], 1_795_168_802_000i64);
        assert_eq!(
            f["finding_info"]["related_events"].as_array().map(Vec::len),
            Some(2)
        );
        let u = detection_finding(&alert(3, "nonsense"));
        assert_eq!(u["activity_id"], 2);
        assert_eq!(u["type_uid"], 200402);
        assert_eq!(u["severity_id"], 0);
    }
}
