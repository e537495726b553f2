//! RFC 5424 message construction: PRI, header, one private structured-data element, and
//! truncation that never breaks the header or the structured data.
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tripline@32473 ...] MSG`

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::record_fields::RecordFields;
use crate::sink::{Record, RecordKind};

/// The SD-ID of tripline's structured-data element. 32473 is the Private Enterprise Number
/// reserved for documentation (RFC 5612); deployments that own a PEN can set their own.
pub const DEFAULT_SD_ID: &str = "tripline@32473";

/// Longest value put in one SD parameter, in bytes; longer values are cut at a character
/// boundary so the structured data stays small whatever the body holds.
const MAX_PARAM_BYTES: usize = 256;

/// Facility names of RFC 5424 section 6.2.1, by code.
const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// A facility code from its name (`local0`, `auth`, ...) or its number (0-23).
pub fn facility_code(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (usize::from(n) < FACILITIES.len()).then_some(n);
    }
    FACILITIES
        .iter()
        .position(|f| f.eq_ignore_ascii_case(text))
        .and_then(|i| u8::try_from(i).ok())
}

/// The facility names accepted by [`facility_code`], for error messages.
pub fn facility_names() -> String {
    FACILITIES.join(", ")
}

/// Syslog severity (RFC 5424 table 2) of a record: alerts by Sigma level, events and raw
/// payloads Informational.
///
/// | level | severity |
/// |---|---|
/// | critical | 2 Critical |
/// | high | 3 Error |
/// | medium | 4 Warning |
/// | low | 5 Notice |
/// | informational | 6 Informational |
/// | other or missing | 5 Notice |
pub fn severity(kind: RecordKind, level: Option<&str>) -> u8 {
    if kind != RecordKind::Alert {
        return 6;
    }
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => 2,
        Some("high") => 3,
        Some("medium") => 4,
        Some("informational") => 6,
        _ => 5,
    }
}

/// The fixed parts of every message a sink sends.
#[derive(Clone, Debug)]
pub struct Header {
    /// The syslog facility (0-23).
    pub facility: u8,
    /// HOSTNAME, already sanitized.
    pub hostname: String,
    /// APP-NAME, already sanitized.
    pub app_name: String,
    /// PROCID.
    pub procid: String,
    /// The SD-ID of the tripline element.
    pub sd_id: String,
}

impl Header {
    /// A header for this facility, host, app name and structured-data id.
    pub fn new(facility: u8, hostname: &str, app_name: &str, sd_id: &str) -> Header {
        Header {
            facility,
            hostname: header_field(hostname, 255),
            app_name: header_field(app_name, 48),
            procid: std::process::id().to_string(),
            sd_id: header_field(sd_id, 32),
        }
    }
}

/// A header field: printable US-ASCII without spaces, at most `max` bytes, `-` when empty.
/// Anything else becomes `_`.
pub fn header_field(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .take(max)
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// Escapes a PARAM-VALUE (RFC 5424 section 6.3.3: `"`, `\` and `]` take a backslash).
pub fn escape_param(value: &str, out: &mut String) {
    for c in cut(value, MAX_PARAM_BYTES).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The structured-data element for one record; `truncated` adds `truncated="1"`.
fn structured_data(
    header: &Header,
    record: &Record,
    fields: &RecordFields,
    truncated: bool,
) -> String {
    let mut sd = String::with_capacity(160);
    sd.push('[');
    sd.push_str(&header.sd_id);
    let mut param = |name: &str, value: &str| {
        let _ = write!(sd, " {name}=\"");
        escape_param(value, &mut sd);
        sd.push('"');
    };
    param("id", &record.id);
    param("revision", &record.revision.to_string());
    param("agent", &record.agent);
    if let Some(rule) = &fields.rule_name {
        param("rule", rule);
    }
    if let Some(level) = &fields.rule_level {
        param("level", level);
    }
    if let Some(event) = &fields.event_name {
        param("event", event);
    }
    if let Some(conversation) = &fields.conversation_id {
        param("conversation", conversation);
    }
    if truncated {
        param("truncated", "1");
    }
    sd.push(']');
    sd
}

/// One complete RFC 5424 message of at most `max_bytes` bytes.
///
/// When the whole message is longer, MSG is cut at a character boundary (and, for CEF, never
/// after a lone escaping backslash) and the element gains `truncated="1"`; the header and
/// the structured data are never cut. If even they do not fit, the structured data is sent
/// as `-`.
pub fn message(
    header: &Header,
    record: &Record,
    fields: &RecordFields,
    msg: &str,
    max_bytes: usize,
) -> Vec<u8> {
    let timestamp = DateTime::<Utc>::from_timestamp_millis(record.time_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let pri = u32::from(header.facility) * 8
        + u32::from(severity(record.kind, fields.rule_level.as_deref()));
    let head = format!(
        "<{pri}>1 {timestamp} {} {} {} {} ",
        header.hostname,
        header.app_name,
        header.procid,
        record.kind.as_str()
    );
    let assemble = |sd: &str, msg: &str| {
        let mut out = Vec::with_capacity(head.len() + sd.len() + 1 + msg.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(sd.as_bytes());
        if !msg.is_empty() {
            out.push(b' ');
            out.extend_from_slice(msg.as_bytes());
        }
        out
    };
    let sd = structured_data(header, record, fields, false);
    if head.len() + sd.len() + 1 + msg.len() <= max_bytes {
        return assemble(&sd, msg);
    }
    let mut sd = structured_data(header, record, fields, true);
    if head.len() + sd.len() + 1 > max_bytes {
        sd = "-".to_owned();
    }
    let budget = max_bytes.saturating_sub(head.len() + sd.len() + 1);
    let mut kept = cut(msg, budget);
    // A cut right after an escaping backslash would turn the next byte into an escape.
    let trailing = kept.bytes().rev().take_while(|b| *b == b'\\').count();
    if trailing % 2 == 1 {
        kept = &kept[..kept.len() - 1];
    }
    let mut out = assemble(&sd, kept);
    out.truncate(max_bytes);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> Record {
        Record {
            kind: RecordKind::Alert,
            id: "al-1".into(),
            revision: 2,
            time_ms: 1_795_168_802_123,
            agent: "codex".into(),
            body: json!({"rule": {"name": "r\"]\\x", "level": "high"}}),
        }
    }

    fn header() -> Header {
        Header::new(16, "dev host", "tripline", DEFAULT_SD_ID)
    }

    #[test]
    fn header_sd_and_escaping() {
        let r = record();
        let text =
            String::from_utf8(message(&header(), &r, &RecordFields::of(&r), "{}", 8192)).unwrap();
        let pid = std::process::id();
        assert_eq!(
            text,
            format!(
                "<131>1 2026-11-20T10:00:02.123Z dev_host tripline {pid} alert [tripline@32473 id=\"al-1\" revision=\"2\" agent=\"codex\" rule=\"r\\\"\\]\\\\x\" level=\"high\"] {{}}"
            )
        );
    }

    #[test]
    fn facilities_and_severities() {
        assert_eq!(facility_code("local0"), Some(16));
        assert_eq!(facility_code("AUTH"), Some(4));
        assert_eq!(facility_code("23"), Some(23));
        assert_eq!(facility_code("24"), None);
        assert_eq!(facility_code("local8"), None);
        assert_eq!(severity(RecordKind::Alert, Some("critical")), 2);
        assert_eq!(severity(RecordKind::Alert, None), 5);
        assert_eq!(severity(RecordKind::Event, Some("critical")), 6);
    }

    #[test]
    fn truncation_keeps_header_and_sd_and_char_boundaries() {
        let r = record();
        let f = RecordFields::of(&r);
        let msg = "é".repeat(1000);
        for max in [200usize, 301, 302, 333, 1000] {
            let out = message(&header(), &r, &f, &msg, max);
            assert!(out.len() <= max, "{} > {max}", out.len());
            let text = String::from_utf8(out).expect("valid UTF-8 after a cut");
            assert!(text.contains("truncated=\"1\"]"), "{text}");
            assert!(text.ends_with('é') || text.ends_with(']'), "{text}");
        }
        let tiny = String::from_utf8(message(&header(), &r, &f, &msg, 90)).unwrap();
        assert!(
            tiny.contains(" alert - "),
            "structured data dropped when it cannot fit: {tiny}"
        );
        // A CEF-style escape is never split.
        let out = message(&header(), &r, &f, &"a\\=".repeat(100), 250);
        let text = String::from_utf8(out).unwrap();
        let msg = text.split("] ").nth(1).unwrap();
        assert!(
            msg.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 0,
            "{msg}"
        );
    }
}
