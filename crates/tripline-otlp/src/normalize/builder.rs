//! Assembles one event's fields with tripline's precedence rules:
//! intrinsic fields, then record attributes, then resource attributes, then scope
//! attributes. See `docs/fields.md` ("Attribute names and collisions").

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use tripline_event::names::{self, canonical};
use tripline_event::{Event, Value};

use super::coerce::coerce;
use super::values::Attr;

/// Prefix under which a record attribute is kept when an intrinsic field has its name.
pub const ATTRIBUTE_PREFIX: &str = "attr.";

/// Fields of the event being built.
#[derive(Default)]
pub(crate) struct Builder {
    fields: BTreeMap<String, Value>,
}

impl Builder {
    /// Set an intrinsic field (identity, time, span or metric field).
    pub(crate) fn set(&mut self, key: &str, v: impl Into<Value>) {
        self.fields.insert(key.to_owned(), v.into());
    }

    /// Set an intrinsic field when there is a value.
    pub(crate) fn set_opt(&mut self, key: &str, v: Option<impl Into<Value>>) {
        if let Some(v) = v {
            self.set(key, v);
        }
    }

    /// Add the record's own attributes under canonical names, with numbers-as-strings
    /// coerced. A name already taken by an intrinsic field keeps the intrinsic value; the
    /// attribute goes to `attr.<name>` unless it holds the same value. When two raw keys
    /// share a canonical name (`a.b` and `a_b`), the one already spelled canonically (else
    /// the first) takes it and the other keeps its raw key.
    pub(crate) fn record_attributes(&mut self, attrs: Vec<Attr>) {
        // Keyed by canonical name; `Some(raw key)` when the raw key was not canonical (it
        // had dots), so a later canonically spelled key can send it back to its raw key.
        // A raw key with no dot is its canonical name and is moved, not copied.
        let mut own: BTreeMap<String, (Option<String>, Value)> = BTreeMap::new();
        for (raw, v) in attrs {
            let (canon, dotted) = if raw.contains('.') {
                (canonical(&raw), Some(raw))
            } else {
                (raw, None)
            };
            let v = coerce(&canon, &v).unwrap_or(v);
            match own.entry(canon) {
                Entry::Vacant(e) => {
                    e.insert((dotted, v));
                }
                // Spelled canonically: it takes the canonical name from a dotted key, which
                // goes back to its raw key; from another canonical spelling (the same key
                // twice), the first one keeps it.
                Entry::Occupied(mut e) => match dotted {
                    None => {
                        if e.get().0.is_some() {
                            let (old_raw, old_v) = e.insert((None, v));
                            own.insert(old_raw.unwrap_or_default(), (None, old_v));
                        }
                    }
                    Some(raw) => {
                        own.insert(raw, (None, v));
                    }
                },
            }
        }
        for (k, (_, v)) in own {
            match self.fields.entry(k) {
                Entry::Vacant(e) => {
                    e.insert(v);
                }
                Entry::Occupied(e) => {
                    if e.get() != &v {
                        let key = format!("{ATTRIBUTE_PREFIX}{}", e.key());
                        self.fields.insert(key, v);
                    }
                }
            }
        }
    }

    /// Add resource attributes (already under canonical names); a name already taken (by a
    /// record attribute or an intrinsic field) keeps its value and the resource value goes
    /// to `resource.<canonical name>`.
    pub(crate) fn resource_attributes(&mut self, attrs: &[Attr]) {
        for (canon, v) in attrs {
            match self.fields.entry(canon.clone()) {
                Entry::Vacant(e) => {
                    e.insert(v.clone());
                }
                Entry::Occupied(e) => {
                    let key = format!("{}{}", names::RESOURCE_PREFIX, e.key());
                    self.fields.insert(key, v.clone());
                }
            }
        }
    }

    /// Add instrumentation-scope attributes, already named `scope.<canonical name>`.
    pub(crate) fn scope_attributes(&mut self, attrs: &[Attr]) {
        for (key, v) in attrs {
            self.fields.insert(key.clone(), v.clone());
        }
    }

    /// The finished event, with the common agent layer's fields.
    pub(crate) fn finish(self) -> Event {
        let mut ev = Event::from_fields(self.fields);
        super::agent_layer::apply(&mut ev);
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_intrinsic_record_resource_scope() {
        let mut b = Builder::default();
        b.set("event_name", "codex.user_prompt");
        b.set("signal", "log");
        b.record_attributes(vec![
            ("event.name".into(), Value::from("codex.user_prompt")),
            ("signal".into(), Value::from("smoke")),
            ("service.name".into(), Value::from("record-svc")),
            ("duration_ms".into(), Value::from("15")),
        ]);
        b.resource_attributes(&[
            ("service_name".into(), Value::from("codex_exec")),
            ("host_name".into(), Value::from("vm")),
        ]);
        b.scope_attributes(&[("scope.x_y".into(), Value::Int(1))]);
        let e = b.finish();
        assert_eq!(e.get_str("event_name"), Some("codex.user_prompt"));
        assert!(e.get("attr.event_name").is_none());
        assert_eq!(e.get_str("signal"), Some("log"));
        assert_eq!(e.get_str("attr.signal"), Some("smoke"));
        assert_eq!(e.get_str("service_name"), Some("record-svc"));
        assert_eq!(e.get_str("resource.service_name"), Some("codex_exec"));
        assert_eq!(e.get_str("host_name"), Some("vm"));
        assert_eq!(e.get("duration_ms"), Some(&Value::Int(15)));
        assert_eq!(e.get("scope.x_y"), Some(&Value::Int(1)));
        assert_eq!(e.lookup("host.name"), Some(&Value::from("vm")));
    }

    #[test]
    fn canonical_collision_keeps_raw_key() {
        let mut b = Builder::default();
        b.record_attributes(vec![
            ("a.b".into(), Value::Int(1)),
            ("a_b".into(), Value::Int(2)),
        ]);
        let e = b.finish();
        assert_eq!(e.get("a_b"), Some(&Value::Int(2)));
        assert_eq!(e.get("a.b"), Some(&Value::Int(1)));
        assert_eq!(e.len(), 2);
        // the canonical spelling takes the name whichever comes first; a repeated key
        // keeps its first value
        let mut b = Builder::default();
        b.record_attributes(vec![
            ("a_b".into(), Value::Int(2)),
            ("a.b".into(), Value::Int(1)),
            ("a_b".into(), Value::Int(3)),
            ("c.d".into(), Value::Int(4)),
            ("c.d".into(), Value::Int(5)),
        ]);
        let e = b.finish();
        assert_eq!(e.get("a_b"), Some(&Value::Int(2)));
        assert_eq!(e.get("a.b"), Some(&Value::Int(1)));
        assert_eq!(e.get("c_d"), Some(&Value::Int(4)));
        assert_eq!(e.get("c.d"), Some(&Value::Int(5)));
        assert_eq!(e.len(), 4);
    }
}
