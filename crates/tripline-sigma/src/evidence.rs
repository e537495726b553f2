//! A matched event kept as evidence by correlation windows and alerts.
//!
//! The JSON Lines stream path ([`crate::stream`]) reads only the keys the rules need from most lines.
//! A line that matches a rule feeding a correlation still has to be kept whole for the
//! alert that may fire later, yet most such windows never fire: [`Evidence::line`] keeps
//! the line's bytes and parses them the first time the whole event is asked for.
//! Windows share one [`Evidence`] through an `Arc`, so no event is ever copied.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tripline_event::Event;

use crate::source::FieldSource;
use crate::stream::line::parse_full;
use crate::stream::scan::FlatLine;

/// One matched event: the fields the engine reads when applying the match, and the
/// whole event for alerts (the same event, or parsed from its line on first use).
pub struct Evidence {
    fields: Fields,
    /// the line parsed whole, once asked for
    whole: OnceLock<Event>,
}

enum Fields {
    /// a whole event
    Whole(Event),
    /// the projection of a line onto the keys the rules read, and the line
    Projected { fields: Event, line: Box<[u8]> },
    /// a flat line and its scanned values (see `stream::scan`)
    Flat(FlatLine),
}

impl Evidence {
    /// A whole event.
    pub fn parsed(ev: Event) -> Evidence {
        Evidence {
            fields: Fields::Whole(ev),
            whole: OnceLock::new(),
        }
    }

    /// A JSON line and its projection onto the keys the rules read (see
    /// [`crate::Detector::projection`]). The line is parsed when [`Evidence::event`]
    /// is first called; should it not parse, the projection stands in for it.
    pub fn line(line: &[u8], projected: Event) -> Evidence {
        Evidence {
            fields: Fields::Projected {
                fields: projected,
                line: line.into(),
            },
            whole: OnceLock::new(),
        }
    }

    /// A flat line as the stream path scanned it.
    pub(crate) fn flat(line: FlatLine) -> Evidence {
        Evidence {
            fields: Fields::Flat(line),
            whole: OnceLock::new(),
        }
    }

    /// The fields rules read (the whole event, or a projection holding every key the
    /// rules read).
    pub fn fields(&self) -> &dyn FieldSource {
        match &self.fields {
            Fields::Whole(ev) => ev,
            Fields::Projected { fields, .. } => fields,
            Fields::Flat(flat) => flat,
        }
    }

    /// The whole event.
    pub fn event(&self) -> &Event {
        match &self.fields {
            Fields::Whole(ev) => ev,
            Fields::Projected { fields, line } => self
                .whole
                .get_or_init(|| parse_full(line).unwrap_or_else(|_| fields.clone())),
            Fields::Flat(flat) => self
                .whole
                .get_or_init(|| parse_full(flat.line()).unwrap_or_else(|_| flat.view().to_event())),
        }
    }
}

impl Clone for Evidence {
    fn clone(&self) -> Evidence {
        Evidence::parsed(self.event().clone())
    }
}

impl From<Event> for Evidence {
    fn from(ev: Event) -> Evidence {
        Evidence::parsed(ev)
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.event() == other.event()
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.event().fmt(f)
    }
}

/// Stored as the whole event (the form persisted state has always had).
impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.event().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Evidence, D::Error> {
        Event::deserialize(d).map(Evidence::parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_parsed_whole_on_first_use_and_stored_whole() {
        let line = br#"{"a":1,"b":"two","id":"e1"}"#;
        let mut projected = Event::new();
        projected.insert("a", 1i64);
        let e = Evidence::line(line, projected.clone());
        assert_eq!(e.fields().field("a"), Some(&tripline_event::Value::Int(1)));
        assert_eq!(e.fields().field("b"), None);
        assert_eq!(e.event(), &parse_full(line).unwrap());
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"a":1,"b":"two","id":"e1"}"#);
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.event(), e.event());
    }

    #[test]
    fn a_line_that_does_not_parse_falls_back_to_its_projection() {
        let mut projected = Event::new();
        projected.insert("a", 1i64);
        let e = Evidence::line(b"{\"a\":1,\"b\":\"\\ud800\"}", projected.clone());
        assert_eq!(e.event(), &projected);
    }
}
