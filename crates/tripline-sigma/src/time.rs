//! Event time: read from `time`, else `timestamp`, else a configured field.

use chrono::{DateTime, SecondsFormat, Utc};
use tripline_event::Value;

use crate::source::FieldSource;

/// Parse a field value as an instant in Unix nanoseconds: RFC 3339 text, or a number
/// (seconds below 1e11, milliseconds below 1e14, microseconds below 1e17, else
/// nanoseconds).
pub fn value_ns(v: &Value) -> Option<i64> {
    match v {
        Value::Str(s) => text_ns(s),
        Value::Int(i) => Some(scale(*i as f64)),
        Value::Float(f) if f.is_finite() => Some(scale(*f)),
        _ => None,
    }
}

fn scale(n: f64) -> i64 {
    let a = n.abs();
    let ns = if a < 1e11 {
        n * 1e9
    } else if a < 1e14 {
        n * 1e6
    } else if a < 1e17 {
        n * 1e3
    } else {
        n
    };
    ns as i64
}

/// The event's time: the first of `fields` that parses.
pub fn event_ns(ev: &dyn FieldSource, fields: &[String]) -> Option<i64> {
    fields.iter().find_map(|f| match ev.field_str(f) {
        // the usual case, without decoding the value
        Some(s) => text_ns(&s),
        None => ev.field(f).and_then(value_ns),
    })
}

fn text_ns(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()?
        .timestamp_nanos_opt()
}

/// RFC 3339 text (UTC, `Z`, sub-second digits only when needed).
pub fn format_ns(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parse a Sigma timespan (`timespan:`, `allowed_lateness`) to nanoseconds: one number
/// followed by `s`, `m`, `h`, `d` (also `ms` and `w`).
pub fn parse_duration_ns(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1_000_000i64)
    } else {
        let unit = match s.chars().last()? {
            's' => 1_000_000_000i64,
            'm' => 60_000_000_000,
            'h' => 3_600_000_000_000,
            'd' => 86_400_000_000_000,
            'w' => 604_800_000_000_000,
            _ => return None,
        };
        (&s[..s.len() - 1], unit)
    };
    let n: i64 = num.trim().parse().ok().filter(|n| *n >= 0)?;
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let n = value_ns(&Value::from("2026-03-01T10:00:00Z")).unwrap();
        assert_eq!(format_ns(n), "2026-03-01T10:00:00Z");
        let m = value_ns(&Value::from("2026-03-01T10:00:00.250+00:00")).unwrap();
        assert_eq!(m - n, 250_000_000);
        assert_eq!(
            value_ns(&Value::Int(1_700_000_000)),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(value_ns(&Value::from("yesterday")), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("5m"), Some(300_000_000_000));
        assert_eq!(parse_duration_ns("2s"), Some(2_000_000_000));
        assert_eq!(parse_duration_ns("7d"), Some(7 * 86_400_000_000_000));
        assert_eq!(parse_duration_ns("10ms"), Some(10_000_000));
        assert_eq!(parse_duration_ns("5x"), None);
        assert_eq!(parse_duration_ns("m"), None);
        assert_eq!(parse_duration_ns("-1m"), None);
    }
}
