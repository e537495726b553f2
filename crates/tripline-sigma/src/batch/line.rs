//! One JSON line into an [`Event`].

use sonic_rs::JsonValueTrait;
use tripline_event::{Event, Value};

/// Parse a whole line (the regular path: every field, `serde_json`). The error is the
/// parser's message, without position in the file.
pub fn parse_full(line: &[u8]) -> Result<Event, String> {
    // Straight into the event's own map: the same values as going through
    // `serde_json::Value` and `Event::from_json_object`, without building the tree twice.
    if let Ok(ev) = serde_json::from_slice::<Event>(line) {
        return Ok(ev);
    }
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
    keys: Option<KeySet>,
}

/// A small set of keys, bucketed by length: a lookup compares only keys of the same
/// length (usually none), which beats hashing every key of every line.
#[derive(Clone, Debug, Default)]
struct KeySet {
    by_len: Vec<Vec<Box<[u8]>>>,
}

impl KeySet {
    fn new(keys: &[String]) -> KeySet {
        let mut by_len: Vec<Vec<Box<[u8]>>> = Vec::new();
        for k in keys {
            let n = k.len();
            if by_len.len() <= n {
                by_len.resize(n + 1, Vec::new());
            }
            by_len[n].push(k.as_bytes().into());
        }
        KeySet { by_len }
    }

    fn contains(&self, key: &str) -> bool {
        self.by_len
            .get(key.len())
            .is_some_and(|ks| ks.iter().any(|k| **k == *key.as_bytes()))
    }
}

impl LineParser {
    /// A parser keeping only `keys` (see [`crate::Detector::projection`]); `None` keeps
    /// everything.
    pub fn new(keys: Option<&[String]>) -> LineParser {
        LineParser {
            keys: keys.map(KeySet::new),
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
fn project(line: &[u8], keys: &KeySet) -> Option<Event> {
    let mut ev = Event::new();
    for item in sonic_rs::to_object_iter(line) {
        let (k, v) = item.ok()?;
        let k: &str = k.as_ref();
        if !keys.contains(k) {
            continue;
        }
        let value = match v.as_str() {
            Some(s) => Value::Str(s.to_owned()),
            None => serde_json::from_str::<Value>(v.as_raw_str()).ok()?,
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
    fn whole_lines_decode_like_the_json_value_path() {
        let line = br#"{"u":18446744073709551615,"i":-9223372036854775808,"f":1e300,"g":0.1,"s":"\u00e9\n","a":[1,[2],{"b":null}],"o":{"x.y":{"z":true}},"d":1,"d":"two"}"#;
        let serde_json::Value::Object(o) = serde_json::from_slice(line).unwrap() else {
            panic!("not an object")
        };
        assert_eq!(parse_full(line).unwrap(), Event::from_json_object(o));
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
