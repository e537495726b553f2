//! Timestamps as RFC 3339 UTC text with nanosecond precision.

use chrono::{DateTime, Datelike, Timelike, Utc};

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

/// The canonical form, `%Y-%m-%dT%H:%M:%S%.9fZ`, written digit by digit (chrono's format
/// string is interpreted anew on every call). Years outside 0..=9999 and leap seconds,
/// which only parsed text can hold, go through chrono's formatter.
fn format(t: DateTime<Utc>) -> String {
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        return chrono_format(t);
    }
    let mut out = *b"0000-00-00T00:00:00.000000000Z";
    digits(&mut out[0..4], year.unsigned_abs());
    digits(&mut out[5..7], t.month());
    digits(&mut out[8..10], t.day());
    digits(&mut out[11..13], t.hour());
    digits(&mut out[14..16], t.minute());
    digits(&mut out[17..19], t.second());
    digits(&mut out[20..29], t.nanosecond());
    out.iter().map(|b| char::from(*b)).collect()
}

/// `n` in decimal, zero-padded to the width of `slot`.
fn digits(slot: &mut [u8], mut n: u32) {
    for d in slot.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

fn chrono_format(t: DateTime<Utc>) -> String {
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
    fn digit_writer_matches_chrono() {
        let mut nanos = 1u64;
        while nanos < u64::MAX / 3 {
            for n in [nanos, nanos * 3 + 7, u64::MAX - nanos] {
                let t = DateTime::<Utc>::from_timestamp(
                    (n / 1_000_000_000) as i64,
                    (n % 1_000_000_000) as u32,
                )
                .unwrap();
                assert_eq!(format(t), chrono_format(t), "{n}");
            }
            nanos = nanos * 5 + 3;
        }
        for text in [
            "0000-01-01T00:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
            "2016-12-31T23:59:60.5Z",
            "0001-02-03T04:05:06.000000007Z",
        ] {
            let t = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(format(t), chrono_format(t), "{text}");
        }
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
