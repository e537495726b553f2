//! Humane durations: `30d`, `12h`, `5m`, `90s`, `2w`, `1d12h`, `500ms`; TTLs also take `never`.

use std::time::Duration;

/// A TTL text that is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (examples: 30d, 12h, 5m, 90s, 2w, 1d12h, never)")]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

impl DurationError {
    /// Why the text is not a duration (`empty`, `missing unit`, `unknown unit`, ...).
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// Parse a duration made of `<number><unit>` parts, units `w`, `d`, `h`, `m`, `s`, `ms`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        input: input.to_owned(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    let mut total_ms: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err("expected a number"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| err("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit_ms: u64 = match &rest[..unit_len] {
            "w" => 7 * 86_400_000,
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit")),
        };
        rest = &rest[unit_len..];
        let part = number
            .checked_mul(unit_ms)
            .ok_or_else(|| err("too large"))?;
        total_ms = total_ms.checked_add(part).ok_or_else(|| err("too large"))?;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Parse a TTL: a duration, or `never`/`off` for "keep forever" (`None`).
pub fn parse_ttl(input: &str) -> Result<Option<Duration>, DurationError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "never" | "off" | "forever" => Ok(None),
        _ => parse_duration(input).map(Some),
    }
}

/// Render a duration the way [`parse_duration`] reads it (largest whole units).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_duration("12h").unwrap(),
            Duration::from_secs(12 * 3_600)
        );
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            Duration::from_secs(36 * 3_600)
        );
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in ["", "d", "30", "30x", "-1d", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn ttl_never_means_none() {
        assert_eq!(parse_ttl("never").unwrap(), None);
        assert_eq!(
            parse_ttl("3d").unwrap(),
            Some(Duration::from_secs(3 * 86_400))
        );
    }

    #[test]
    fn format_round_trips() {
        for text in ["30d", "1d12h", "5m", "90s", "250ms"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
    }
}
