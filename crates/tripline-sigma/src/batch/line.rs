//! One JSON line into an [`Event`].

use std::collections::HashSet;

use sonic_rs::JsonValueTrait;
use tripline_event::{Event, Value};

/// Parse a whole line (the regular path: every field, `serde_json`). The error is the
/// parser's message, without position in the file.
pub fn parse_full(line: &[u8]) -> Result<Event, String> {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(o)) => Ok(Event::from_json_object(o)),
        Ok(_) => Err("expected a JSON object".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Parses lines into events holding only the top-level keys rules read.
#[derive(Clone, Debug)]
pub struct LineParser {
    /// `None`: every key (the regular path)
    keys: Option<HashSet<String>>,
}

impl LineParser {
    /// A parser keeping only `keys` (see [`crate::Detector::projection`]); `None` keeps
    /// everything.
    pub fn new(keys: Option<&[String]>) -> LineParser {
        LineParser {
            keys: keys.map(|k| k.iter().cloned().collect()),
        }
    }

    /// Whether values of some keys are skipped.
    pub fn is_projected(&self) -> bool {
        self.keys.is_some()
    }

    /// Parse one line. Values of other keys are scanned over, not decoded; the kept
    /// values are decoded exactly as [`parse_full`] decodes them. A line the scanner
    /// rejects is handed to [`parse_full`], so errors (and any disagreement between
    /// the two parsers) resolve to the regular path's answer.
    pub fn parse(&self, line: &[u8]) -> Result<Event, String> {
        let Some(keys) = &self.keys else {
            return parse_full(line);
        };
        match project(line, keys) {
            Some(ev) => Ok(ev),
            None => parse_full(line),
        }
    }
}

/// The projected event, or `None` when the scanner rejects the line.
fn project(line: &[u8], keys: &HashSet<String>) -> Option<Event> {
    let mut ev = Event::new();
    for item in sonic_rs::to_object_iter(line) {
        let (k, v) = item.ok()?;
        let k: &str = k.as_ref();
        if !keys.contains(k) {
            continue;
        }
        let value = match v.as_str() {
            Some(s) => Value::Str(s.to_owned()),
            None => Value::from(serde_json::from_str::<serde_json::Value>(v.as_raw_str()).ok()?),
        };
        ev.insert(k, value);
    }
    Some(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn projection_keeps_only_the_asked_keys_with_full_values() {
        let line = br#"{"a":"x\"y","b":[1,{"c":2}],"skip":{"deep":[1,2,"}"]},"n":1.5,"i":7,"z":null}"#;
        let p = LineParser::new(Some(&keys(&["a", "b", "n", "i", "z", "absent"])));
        let ev = p.parse(line).unwrap();
        let full = parse_full(line).unwrap();
        for k in ["a", "b", "n", "i", "z"] {
            assert_eq!(ev.get(k), full.get(k), "{k}");
        }
        assert_eq!(ev.get("skip"), None);
        assert_eq!(ev.len(), 5);
    }

    #[test]
    fn duplicate_keys_keep_the_last_like_the_full_parser() {
        let line = br#"{"a":1,"a":2}"#;
        let p = LineParser::new(Some(&keys(&["a"])));
        assert_eq!(p.parse(line).unwrap().get("a"), parse_full(line).unwrap().get("a"));
    }

    #[test]
    fn bad_lines_get_the_regular_error() {
        let p = LineParser::new(Some(&keys(&["a"])));
        for line in [&b"[1,2]"[..], b"{\"a\":", b"nope", b"{\"a\":1,\"b\":[1,tru]}"] {
            assert_eq!(p.parse(line).err(), parse_full(line).err(), "{:?}", String::from_utf8_lossy(line));
        }
    }
}
