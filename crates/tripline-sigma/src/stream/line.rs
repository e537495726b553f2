//! One JSON line into an [`Event`].

use sonic_rs::JsonValueTrait;
use tripline_event::{Event, Value};

use std::sync::Arc;

use super::scan::{FlatFields, FlatLine, Slot};

/// Parse a whole line (the regular path: every field). The error is the parser's
/// message, without position in the file.
///
/// Lines are decoded with `sonic-rs` (SIMD string scanning), straight into the event's
/// own map. A line it rejects goes through `serde_json`, whose answer (an event or its
/// error message) is the reference: the two agree on every valid line, and errors read
/// the same whichever parser saw the line first.
pub fn parse_full(line: &[u8]) -> Result<Event, String> {
    if let Ok(ev) = sonic_rs::from_slice::<Event>(line) {
        return Ok(ev);
    }
    parse_full_reference(line)
}

/// The reference decoder behind [`parse_full`]: `serde_json`.
fn parse_full_reference(line: &[u8]) -> Result<Event, String> {
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
    keys: Option<Arc<KeySet>>,
}

/// A small set of keys, bucketed by length: a lookup compares only keys of the same
/// length (usually none), which beats hashing every key of every line.
#[derive(Clone, Debug, Default)]
pub(super) struct KeySet {
    /// (key, index into `names`), bucketed by key length
    by_len: Vec<Vec<(Box<[u8]>, usize)>>,
    names: Vec<String>,
}

impl KeySet {
    pub(super) fn new(keys: &[String]) -> KeySet {
        let mut by_len: Vec<Vec<(Box<[u8]>, usize)>> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let n = k.len();
            if by_len.len() <= n {
                by_len.resize(n + 1, Vec::new());
            }
            by_len[n].push((k.as_bytes().into(), i));
        }
        KeySet {
            by_len,
            names: keys.to_vec(),
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The position of `key` in the set.
    pub(super) fn index(&self, key: &str) -> Option<usize> {
        let ks = self.by_len.get(key.len())?;
        ks.iter()
            .find(|(k, _)| **k == *key.as_bytes())
            .map(|&(_, i)| i)
    }

    /// The key at position `i`.
    pub(super) fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
    }
}

impl LineParser {
    /// A parser keeping only `keys` (see [`crate::Detector::projection`]); `None` keeps
    /// everything.
    pub fn new(keys: Option<&[String]>) -> LineParser {
        LineParser {
            keys: keys.map(|k| Arc::new(KeySet::new(k))),
        }
    }

    /// Whether values of some keys are skipped.
    pub fn is_projected(&self) -> bool {
        self.keys.is_some()
    }

    /// The fastest read of a projected line: a flat object line scanned into `scratch`,
    /// values decoded only when a rule reads them (see [`FlatFields`]). `None` when not
    /// projected or when the scanner cannot vouch for the line: use [`LineParser::parse`].
    pub(super) fn scan_flat<'a>(
        &'a self,
        line: &'a [u8],
        scratch: &'a mut Vec<Slot>,
    ) -> Option<FlatFields<'a>> {
        FlatFields::scan(line, self.keys.as_ref()?, scratch)
    }

    /// Keep a line [`LineParser::scan_flat`] just scanned into `scratch`, with its
    /// slots, as evidence (the scratch starts afresh).
    pub(super) fn keep_flat(&self, line: &[u8], scratch: &mut Vec<Slot>) -> Option<FlatLine> {
        FlatLine::keep(line, self.keys.as_ref()?, scratch)
    }

    /// Parse one line. Values of other keys are scanned over, not decoded; the kept
    /// values are decoded exactly as [`parse_full`] decodes them. A line the scanner
    /// rejects is handed to [`parse_full`], so errors (and any disagreement between
    /// the two parsers) resolve to the regular path's answer.
    pub fn parse(&self, line: &[u8]) -> Result<Event, String> {
        let Some(keys) = &self.keys else {
            return parse_full(line);
        };
        match super::scan::project_flat(line, |k| keys.contains(k)) {
            Some(ev) => Ok(ev),
            None => self.parse_general(line),
        }
    }

    /// [`LineParser::parse`] for a line the flat scanner did not vouch for (or without a
    /// projection): the SIMD object iterator, else the whole-line parser.
    pub(super) fn parse_general(&self, line: &[u8]) -> Result<Event, String> {
        let Some(keys) = &self.keys else {
            return parse_full(line);
        };
        match project(line, keys) {
            // The iterator skips values almost as strictly as the full parser reads
            // them; it lets through `\u` escapes that are not four hex digits of a valid
            // code point (`\ud800`, `\u\800`), numbers beyond f64's range (`1e999`) and
            // data after the object's end. A line with anything like the first two is
            // checked whole; the last is checked on every line taking this path (lines
            // that are not flat objects).
            Some(ev)
                if !has_unicode_escape(line) && !may_overflow(line) && !refused_whole(line) =>
            {
                Ok(ev)
            }
            Some(ev) => parse_full(line).map(|_| ev),
            None => parse_full(line),
        }
    }
}

/// Whether `line` holds a `\u` escape (or text like one).
fn has_unicode_escape(line: &[u8]) -> bool {
    memchr::memmem::find(line, b"\\u").is_some()
}

/// Whether `sonic-rs`, reading the line as one document, refuses it: the object iterator
/// stops at the object's end and lets trailing data through, which the full parser refuses.
fn refused_whole(line: &[u8]) -> bool {
    sonic_rs::from_slice::<serde::de::IgnoredAny>(line).is_err()
}

/// Whether `line` may hold a number `serde_json` finds out of range: a digit followed by
/// an exponent mark, or a run of 300 digits (text in strings counts too; it only costs a
/// whole parse).
fn may_overflow(line: &[u8]) -> bool {
    let exponent = line
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && (w[1] == b'e' || w[1] == b'E'));
    exponent
        || line
            .split(|c| !c.is_ascii_digit())
            .any(|run| run.len() >= 300)
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
        let line =
            br#"{"a":"x\"y","b":[1,{"c":2}],"skip":{"deep":[1,2,"}"]},"n":1.5,"i":7,"z":null}"#;
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
    fn both_decoders_agree_on_valid_lines() {
        let lines: &[&[u8]] = &[
            br#"{"u":18446744073709551615,"i":-9223372036854775808,"f":1e300,"g":0.1,"h":-0.0,"e":2.2250738585072014e-308}"#,
            br#"{"big":123456789012345678901234567890,"neg":-18446744073709551616,"x":1.7976931348623157e308,"t":5e-324,"z":0E0}"#,
            br#"{"p":3.141592653589793238462643383279,"q":1.0000000000000002,"r":9007199254740993,"s":0.30000000000000004}"#,
            // serde_json reads this one correctly only with its `float_roundtrip` feature
            br#"{"a":-9.997755016644666e+271,"b":1.7976931348623157e-300}"#,
            br#"{"s":"\u00e9\n\t\"\\\/\b\f\r","k\u0041":"\ud83d\ude00","esc":"a\u0000b"}"#,
            "{\"emoji\":\"😀 é\"}".as_bytes(),
            br#"{"a":[1,[2],{"b":null}],"o":{"x.y":{"z":true}},"d":1,"d":"two","empty":{},"ea":[]}"#,
            b"  {\"ws\" : [ 1 , 2 ] }  ",
        ];
        for line in lines {
            let fast = sonic_rs::from_slice::<Event>(line).map_err(|e| e.to_string());
            assert_eq!(
                fast,
                parse_full_reference(line),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn lines_the_reference_rejects_are_rejected_with_its_message() {
        let lines: &[&[u8]] = &[
            br#"{"a":"\ud800"}"#,
            br#"{"a":"\udc00x"}"#,
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"tab\there\"}",
            br#"{"a":1} x"#,
            br#"{"a":1,}"#,
            br#"{"a":NaN}"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":"\x41"}"#,
            br#"{"a":1}{"b":2}"#,
        ];
        for line in lines {
            let reference = parse_full_reference(line);
            assert!(reference.is_err(), "{}", String::from_utf8_lossy(line));
            assert_eq!(
                parse_full(line),
                reference,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn duplicate_keys_keep_the_last_like_the_full_parser() {
        let line = br#"{"a":1,"a":2}"#;
        let p = LineParser::new(Some(&keys(&["a"])));
        assert_eq!(
            p.parse(line).unwrap().get("a"),
            parse_full(line).unwrap().get("a")
        );
    }

    #[test]
    fn bad_lines_get_the_regular_error() {
        let p = LineParser::new(Some(&keys(&["a"])));
        for line in [
            &b"[1,2]"[..],
            b"{\"a\":",
            b"nope",
            b"{\"a\":1,\"b\":[1,tru]}",
            b"{\"a\":1,\"b\":\"\\ud800\"}",
            b"{\"a\":1,\"b\":\"x\\uDC00\"}",
            b"{\"a\":1,\"b\":\"\\u12\"}",
            b"{\"a\":1,\"b\":\"\xff\"}",
            b"{\"a\":1,\"b\":01}",
            b"{\"a\":1,\"b\":1e999}",
            b"{\"a\":\"e1\"}\"dup\",\"a\"e\x12,\"id\":\"e1\"}",
            b"{\"a\":1,\"b\":[1]} {\"c\":2}",
            b"{\"a'\":1,\"skip\":\"\\u\\800\"}",
            b"{\"a\":1,\"b\":[\"\\u12x4\"]}",
            b"{\"a\":1,\"b\":[-1E+400]}",
            b"{\"a\":1,\"b\":{\"c\":1,}}",
        ] {
            assert_eq!(
                p.parse(line).err(),
                parse_full(line).err(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
