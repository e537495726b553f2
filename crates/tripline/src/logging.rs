//! Structured logs on stderr. `RUST_LOG` (or `TRIPLINE_LOG`) sets the filter; default `info`.
//! The format is `[log] format` (`--log-format`, `TRIPLINE_LOG_FORMAT`): text, coloured only
//! when stderr is a terminal (and `NO_COLOR` is unset), or one JSON object per line.

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines; ANSI colour only on a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `message` and the event's fields).
    Json,
}

/// Install the global subscriber once.
pub fn init(format: LogFormat) {
    let filter = std::env::var("TRIPLINE_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR"),
            ))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Whether text logs get ANSI colour: only on a terminal, and never with `NO_COLOR` set to
/// a non-empty value (no-color.org).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }

    #[test]
    fn formats_parse_from_config_text() {
        #[derive(Deserialize)]
        struct T {
            format: LogFormat,
        }
        let t: T = toml::from_str("format = \"json\"").unwrap();
        assert_eq!(t.format, LogFormat::Json);
        assert!(toml::from_str::<T>("format = \"xml\"").is_err());
    }
}
