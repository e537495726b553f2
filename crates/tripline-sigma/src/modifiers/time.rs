//! Time-part modifiers: `minute`, `hour`, `day`, `week`, `month`, `year`, read from
//! ISO-8601 text as written (no time-zone conversion).

use chrono::{Datelike, NaiveDate};

/// Which part of a timestamp to extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePart {
    /// 0-59
    Minute,
    /// 0-23
    Hour,
    /// 1-31
    Day,
    /// week of the year, Monday first (`%W`, 0-53)
    Week,
    /// 1-12
    Month,
    /// the year
    Year,
}

fn digits(s: &str, at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Extract `part` from an ISO-8601 date or date-time (`2026-02-22`, `2026-02-22T06:06:31Z`,
/// `2026-02-22 06:06`). `None` when the text is not such a timestamp.
pub fn extract(text: &str, part: TimePart) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(text, 0, 4)? as i32,
        digits(text, 5, 2)?,
        digits(text, 8, 2)?,
    )?;
    let time =
        if b.len() >= 16 && (b[10] == b'T' || b[10] == b't' || b[10] == b' ') && b[13] == b':' {
            let (h, m) = (digits(text, 11, 2)?, digits(text, 14, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            Some((h, m))
        } else if b.len() == 10 {
            Some((0, 0))
        } else {
            None
        };
    let (h, m) = time?;
    Some(match part {
        TimePart::Minute => m as i64,
        TimePart::Hour => h as i64,
        TimePart::Day => date.day() as i64,
        TimePart::Week => date.format("%W").to_string().parse().ok()?,
        TimePart::Month => date.month() as i64,
        TimePart::Year => date.year() as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_iso_timestamps() {
        let t = "2026-02-22T06:07:31Z";
        assert_eq!(extract(t, TimePart::Month), Some(2));
        assert_eq!(extract(t, TimePart::Day), Some(22));
        assert_eq!(extract(t, TimePart::Hour), Some(6));
        assert_eq!(extract(t, TimePart::Minute), Some(7));
        assert_eq!(extract(t, TimePart::Year), Some(2026));
        assert_eq!(extract("2026-01-05", TimePart::Week), Some(1));
        assert_eq!(extract("not a date", TimePart::Year), None);
        assert_eq!(extract("2026-13-01", TimePart::Year), None);
    }
}
