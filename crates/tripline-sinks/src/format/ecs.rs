//! Elastic Common Schema (ECS 8.x) for events and alerts.
//!
//! ECS fields where one fits (`@timestamp`, `event.*`, `rule.*`, `host.name`, `user.email`,
//! `service.*`, `labels`, `tags`, `message`); everything tripline knows is kept under
//! `tripline.*`, so nothing is lost.

use serde_json::{json, Map, Value as Json};
use tripline_event::{names, Alert, Event, Value};

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::to_text)
}

fn put(obj: &mut Map<String, Json>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        obj.insert(key.into(), Json::String(v));
    }
}

/// An event as ECS: `event.kind = "event"`, `event.action` = the event name.
pub fn event(ev: &Event) -> Json {
    let get = |n: &str| text(ev.get(n));
    let mut event = Map::new();
    event.insert("kind".into(), json!("event"));
    event.insert("module".into(), json!("tripline"));
    event.insert("dataset".into(), json!("tripline.event"));
    put(&mut event, "id", get(names::ID));
    put(&mut event, "action", get(names::EVENT_NAME));
    put(&mut event, "provider", Some(ev.agent().as_str().to_owned()));
    put(&mut event, "created", get(names::RECEIVED_TIME));
    let mut out = Map::new();
    out.insert(
        "@timestamp".into(),
        json!(get(names::TIME).or_else(|| get(names::RECEIVED_TIME))),
    );
    out.insert("event".into(), Json::Object(event));
    if let Some(h) = get(names::HOST_NAME) {
        out.insert("host".into(), json!({ "name": h }));
    }
    if let Some(u) = get(names::USER_EMAIL) {
        out.insert("user".into(), json!({ "email": u }));
    }
    let mut service = Map::new();
    put(&mut service, "name", get(names::SERVICE_NAME));
    put(&mut service, "version", get(names::SERVICE_VERSION));
    if !service.is_empty() {
        out.insert("service".into(), Json::Object(service));
    }
    let mut labels = Map::new();
    put(&mut labels, "agent", Some(ev.agent().as_str().to_owned()));
    put(&mut labels, "conversation_id", get(names::CONVERSATION_ID));
    put(&mut labels, "signal", get(names::SIGNAL));
    out.insert("labels".into(), Json::Object(labels));
    out.insert("tripline".into(), json!({ "event": ev }));
    Json::Object(out)
}

/// An alert revision as ECS: `event.kind = "alert"`, the rule under `rule.*`.
pub fn alert(a: &Alert) -> Json {
    let group = |n: &str| text(a.group.get(n));
    let mut out = Map::new();
    out.insert("@timestamp".into(), json!(a.time));
    out.insert(
        "event".into(),
        json!({
            "kind": "alert",
            "id": a.id,
            "module": "tripline",
            "dataset": "tripline.alert",
            "provider": a.agent,
            "severity": super::ocsf::severity_id(&a.rule.level),
            "start": a.first_time,
            "end": a.last_time,
        }),
    );
    out.insert(
        "rule".into(),
        json!({
            "id": a.rule.id,
            "name": a.rule.name,
            "description": a.rule.title,
            "ruleset": "tripline",
            "category": a.rule.pattern(),
        }),
    );
    out.insert("message".into(), json!(a.summary));
    if !a.rule.tags.is_empty() {
        out.insert("tags".into(), json!(a.rule.tags));
    }
    if let Some(h) = group(names::HOST_NAME) {
        out.insert("host".into(), json!({ "name": h }));
    }
    if let Some(u) = group(names::USER_EMAIL) {
        out.insert("user".into(), json!({ "email": u }));
    }
    let mut labels = Map::new();
    put(&mut labels, "agent", Some(a.agent.clone()));
    put(&mut labels, "rule_level", Some(a.rule.level.clone()));
    put(
        &mut labels,
        "conversation_id",
        group(names::CONVERSATION_ID),
    );
    out.insert("labels".into(), Json::Object(labels));
    out.insert(
        "tripline".into(),
        json!({
            "revision": a.revision,
            "count": a.count,
            "group": a.group,
            "event_ids": a.event_ids,
            "events": a.events,
        }),
    );
    Json::Object(out)
}
