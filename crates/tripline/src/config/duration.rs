//! Humane durations in the config file: `"30d"`, `"12h"`, `"5m"`, `"90s"`, `"500ms"`, and
//! sums such as `"1h30m"`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A [`Duration`] written as a humane string in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// `n` days.
    pub const fn days(n: u64) -> HumanDuration {
        HumanDuration(Duration::from_secs(n * 86_400))
    }

    /// `n` hours.
    pub const fn hours(n: u64) -> HumanDuration {
        HumanDuration(Duration::from_secs(n * 3_600))
    }

    /// `n` seconds.
    pub const fn secs(n: u64) -> HumanDuration {
        HumanDuration(Duration::from_secs(n))
    }

    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

/// Why a duration string was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (write e.g. \"30d\", \"12h\", \"5m\", \"90s\", \"500ms\", \"1h30m\")")]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

impl FromStr for HumanDuration {
    type Err = ParseDurationError;

    /// One parser for every duration in tripline: [`tripline_time::parse_duration`]
    /// (`<number><unit>` parts, units `w d h m s ms`), plus a bare `0`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.trim() == "0" {
            return Ok(HumanDuration(Duration::ZERO));
        }
        tripline_time::parse_duration(input)
            .map(HumanDuration)
            .map_err(|e| ParseDurationError {
                input: input.to_string(),
                reason: e.reason(),
            })
    }
}

impl fmt::Display for HumanDuration {
    /// The shortest exact form in days and smaller units ([`tripline_time::format_duration`]):
    /// `30d`, `1h30m`, `500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tripline_time::format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Duration, ParseDurationError> {
        s.parse::<HumanDuration>().map(HumanDuration::get)
    }

    #[test]
    fn parses_each_unit() {
        assert_eq!(parse("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(parse("12h").unwrap(), Duration::from_secs(12 * 3_600));
        assert_eq!(parse("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("2w").unwrap(), Duration::from_secs(14 * 86_400));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn parses_sums() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse(" 1m500ms ").unwrap(), Duration::from_millis(60_500));
    }

    #[test]
    fn refuses_malformed_input() {
        for bad in [
            "",
            "5",
            "d",
            "5x",
            "-5s",
            "5 s",
            "1.5h",
            "99999999999999999999d",
            "3000000000000w",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        let msg = parse("5x").unwrap_err().to_string();
        assert!(
            msg.contains("unknown unit") && msg.contains("\"5x\""),
            "{msg}"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["30d", "180d", "1h30m", "500ms", "0s", "17d", "1m1s1ms"] {
            let d: HumanDuration = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(d.to_string().parse::<HumanDuration>().unwrap(), d);
        }
        assert_eq!(HumanDuration(Duration::from_secs(86_400)).to_string(), "1d");
        assert_eq!("2w".parse::<HumanDuration>().unwrap().to_string(), "14d");
    }
}
