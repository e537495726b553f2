//! Timestamps as RFC 3339 UTC text with nanosecond precision.

use chrono::{DateTime, Utc};

/// `2026-11-20T10:00:00.123456789Z` for a Unix time in nanoseconds; `None` for 0 (unset in
/// OTLP) or a time chrono cannot represent.
pub(crate) fn from_unix_nanos(nanos: u64) -> Option<String> {
    if nanos == 0 {
        return None;
    }
    let secs = i64::try_from(nanos / 1_000_000_000).ok()?;
    let sub = u32::try_from(nanos % 1_000_000_000).ok()?;
    DateTime::<Utc>::from_timestamp(secs, sub).map(format)
}

/// An RFC 3339 string (any offset) re-rendered in the canonical form; `None` when it does
/// not parse.
pub(crate) fn from_rfc3339(text: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| format(t.with_timezone(&Utc)))
}

fn format(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_render_with_nine_digits() {
        assert_eq!(
            from_unix_nanos(1_795_463_418_920_007_989).as_deref(),
            Some("2026-11-23T19:50:18.920007989Z")
        );
        assert_eq!(from_unix_nanos(0), None);
    }

    #[test]
    fn rfc3339_normalizes_offset_and_precision() {
        assert_eq!(
            from_rfc3339("2026-11-23T19:49:05.435Z").as_deref(),
            Some("2026-11-23T19:49:05.435000000Z")
        );
        assert_eq!(
            from_rfc3339("2026-11-23T21:49:05+02:00").as_deref(),
            Some("2026-11-23T19:49:05.000000000Z")
        );
        assert_eq!(from_rfc3339("yesterday"), None);
    }
}
