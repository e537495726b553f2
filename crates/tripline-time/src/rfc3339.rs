//! RFC 3339 times as Unix milliseconds, the unit the store and the sinks keep.

/// Unix milliseconds as RFC 3339 UTC text with millisecond precision
/// (`2026-11-20T10:00:00.000Z`); out-of-range values render as the epoch.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parse an RFC 3339 timestamp (any offset) to Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("invalid RFC 3339 time {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_through_text() {
        let ms = 1_795_168_802_123;
        assert_eq!(format_ms(ms), "2026-11-20T10:00:02.123Z");
        assert_eq!(parse_rfc3339_ms(&format_ms(ms)), Ok(ms));
        assert_eq!(parse_rfc3339_ms("2026-11-20T11:00:02.123+01:00"), Ok(ms));
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn bad_text_names_itself() {
        let e = parse_rfc3339_ms("yesterday").unwrap_err();
        assert!(e.contains("\"yesterday\""), "{e}");
    }
}
