//! The CEF:0 payload (ArcSight Common Event Format) for syslog messages.
//!
//! `CEF:0|tripline|tripline|<version>|<signature id>|<name>|<severity>|<extension>`
//!
//! Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks
//! (`\n`, `\r`), as the CEF specification requires. The field mapping is documented in
//! `docs/sinks/syslog.md`.

use std::fmt::Write as _;

use crate::record_fields::RecordFields;
use crate::sink::{Record, RecordKind};

/// CEF severity (0-10) of a Sigma level: informational 1, low 3, medium 5, high 8,
/// critical 10; anything else 5. Events and raw payloads are 1.
pub fn severity(kind: RecordKind, level: Option<&str>) -> u8 {
    if kind != RecordKind::Alert {
        return 1;
    }
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("informational") => 1,
        Some("low") => 3,
        Some("high") => 8,
        Some("critical") => 10,
        _ => 5,
    }
}

fn escape_header(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' | '|' => {
                out.push('\\');
                out.push(c);
            }
            // Line breaks are not allowed in the header; a space keeps the line whole.
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

fn escape_extension(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The CEF line for one record. It never contains a raw line break.
pub fn line(record: &Record, fields: &RecordFields) -> String {
    let alert = record.kind == RecordKind::Alert;
    let signature = if alert {
        fields.rule_name.as_deref()
    } else {
        fields.event_name.as_deref()
    };
    let name = if alert {
        fields.rule_title.as_deref().or(signature)
    } else {
        signature
    };
    let mut out = String::with_capacity(256);
    out.push_str("CEF:0|tripline|tripline|");
    escape_header(env!("CARGO_PKG_VERSION"), &mut out);
    out.push('|');
    escape_header(signature.unwrap_or(record.kind.as_str()), &mut out);
    out.push('|');
    escape_header(name.unwrap_or(record.kind.as_str()), &mut out);
    let _ = write!(
        out,
        "|{}|",
        severity(record.kind, fields.rule_level.as_deref())
    );

    let mut first = true;
    let mut ext = |key: &str, value: &str| {
        if !first {
            out.push(' ');
        }
        first = false;
        out.push_str(key);
        out.push('=');
        escape_extension(value, &mut out);
    };
    ext("rt", &record.time_ms.to_string());
    ext("externalId", &record.id);
    ext("cat", record.kind.as_str());
    ext("cn1Label", "revision");
    ext("cn1", &record.revision.to_string());
    ext("cs1Label", "agent");
    ext("cs1", &record.agent);
    let optional = [
        ("cs2", "rule", &fields.rule_name),
        ("cs3", "level", &fields.rule_level),
        ("cs4", "conversationId", &fields.conversation_id),
        ("cs5", "eventName", &fields.event_name),
        ("cs6", "ruleId", &fields.rule_id),
    ];
    for (key, label, value) in optional {
        if let Some(value) = value {
            ext(&format!("{key}Label"), label);
            ext(key, value);
        }
    }
    if let Some(host) = &fields.host_name {
        ext("dhost", host);
    }
    if let Some(user) = &fields.user_email {
        ext("suser", user);
    }
    if let Some(summary) = &fields.summary {
        ext("msg", summary);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn header_extension_and_escaping() {
        let record = Record {
            kind: RecordKind::Alert,
            id: "a1".into(),
            revision: 3,
            time_ms: 1000,
            agent: "codex".into(),
            body: json!({
                "rule": {"name": "r|x", "title": "Pipe | and \\ back", "level": "critical", "id": "rid"},
                "group": {"host_name": "h=1", "user_email": "anon:u"},
                "summary": "line one\nline two = x\\y",
            }),
            fields: RecordFields {
                rule_name: Some("r|x".into()),
                rule_title: Some("Pipe | and \\ back".into()),
                rule_level: Some("critical".into()),
                rule_id: Some("rid".into()),
                host_name: Some("h=1".into()),
                user_email: Some("anon:u".into()),
                summary: Some("line one\nline two = x\\y".into()),
                ..Default::default()
            },
        };
        let line = line(&record, &record.fields);
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            line,
            format!(
                "CEF:0|tripline|tripline|{version}|r\\|x|Pipe \\| and \\\\ back|10|rt=1000 externalId=a1 cat=alert \
                 cn1Label=revision cn1=3 cs1Label=agent cs1=codex cs2Label=rule cs2=r|x cs3Label=level cs3=critical \
                 cs6Label=ruleId cs6=rid dhost=h\\=1 suser=anon:u msg=line one\\nline two \\= x\\\\y"
            )
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn event_line() {
        let record = Record {
            kind: RecordKind::Event,
            id: "e1".into(),
            revision: 1,
            time_ms: 5,
            agent: "codex".into(),
            body: json!({"event_name": "codex.tool_result", "conversation_id": "c"}),
            fields: RecordFields {
                event_name: Some("codex.tool_result".into()),
                conversation_id: Some("c".into()),
                ..Default::default()
            },
        };
        let line = line(&record, &record.fields);
        assert!(line.starts_with("CEF:0|tripline|tripline|"), "{line}");
        assert!(
            line.contains("|codex.tool_result|codex.tool_result|1|"),
            "{line}"
        );
        assert!(
            line.ends_with(
                "cs4Label=conversationId cs4=c cs5Label=eventName cs5=codex.tool_result"
            ),
            "{line}"
        );
    }
}
