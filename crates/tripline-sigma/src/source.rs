//! Event access: how the engine reads fields, without `serde_json::Value` on the hot path.

use std::borrow::Cow;

use tripline_event::{Event, Value};

/// Read access to one event's fields.
pub trait FieldSource {
    /// The value stored under a rule field name (absent: `None`; JSON null: `Some(Null)`).
    fn field(&self, name: &str) -> Option<&Value>;

    /// Call `f` with every scalar value of the event (nested objects and list elements
    /// included) until it returns `true`; returns whether it did. Used by keyword searches.
    fn any_value(&self, f: &mut dyn FnMut(&Value) -> bool) -> bool;

    /// The string stored under a rule field name (`None` when absent or not a string).
    /// A source that can lend it without decoding a [`Value`] overrides this: the engine
    /// reads the dispatch field and the event time of every event through it.
    fn field_str(&self, name: &str) -> Option<Cow<'_, str>> {
        self.field(name).and_then(Value::as_str).map(Cow::Borrowed)
    }
}

impl FieldSource for Event {
    fn field(&self, name: &str) -> Option<&Value> {
        self.lookup(name)
    }

    fn any_value(&self, f: &mut dyn FnMut(&Value) -> bool) -> bool {
        self.iter().any(|(_, v)| any_scalar(v, f))
    }
}

/// `f` on each scalar of `v` (list elements and nested object values included) until it
/// returns `true`.
pub(crate) fn any_scalar(v: &Value, f: &mut dyn FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| any_scalar(i, f)),
        Value::Object(map) => map.values().any(|i| any_scalar(i, f)),
        other => f(other),
    }
}

/// The text Sigma compares a scalar as: strings as-is, numbers in JSON form, booleans as
/// `true`/`false`. Null, arrays and objects have no text.
pub fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Str(s) => Some(Cow::Borrowed(s)),
        Value::Int(i) => Some(Cow::Owned(i.to_string())),
        Value::Float(_) => Some(Cow::Owned(v.to_json_string())),
        Value::Bool(true) => Some(Cow::Borrowed("true")),
        Value::Bool(false) => Some(Cow::Borrowed("false")),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Call `f` on each comparable item of a field value: the value itself, or each scalar
/// element of a list (the kit's any-element convention). Stops at the first `true`.
pub fn any_item(v: &Value, f: &mut dyn FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items
            .iter()
            .any(|i| !matches!(i, Value::Array(_) | Value::Object(_)) && f(i)),
        other => f(other),
    }
}

/// A number from a JSON number or a numeric string (`"1500"`, `" -2.5e3 "`); booleans,
/// null and other text have none.
pub fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => parse_numeric_text(s),
        _ => None,
    }
}

fn parse_numeric_text(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > s
    };
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text_follows_kit_rule() {
        assert_eq!(parse_numeric_text("1500"), Some(1500.0));
        assert_eq!(parse_numeric_text(" -2.5e3 "), Some(-2500.0));
        assert_eq!(parse_numeric_text("n/a"), None);
        assert_eq!(parse_numeric_text("1."), None);
        assert_eq!(parse_numeric_text("+1"), None);
        assert_eq!(as_number(&Value::Bool(true)), None);
    }

    #[test]
    fn text_of_scalars() {
        assert_eq!(scalar_text(&Value::Int(250)).as_deref(), Some("250"));
        assert_eq!(scalar_text(&Value::Float(250.5)).as_deref(), Some("250.5"));
        assert_eq!(scalar_text(&Value::Bool(false)).as_deref(), Some("false"));
        assert_eq!(scalar_text(&Value::Null), None);
    }
}
