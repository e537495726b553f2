//! OCSF 1.3 bodies: alerts as a Detection Finding ([`finding`]), events as a Base Event
//! ([`base_event`]).

pub mod base_event;
pub mod finding;

pub use base_event::base_event;
pub use finding::detection_finding;

/// The OCSF schema version the mapping follows.
pub const OCSF_VERSION: &str = "1.3.0";

/// OCSF `severity_id` for a Sigma level.
pub fn severity_id(level: &str) -> u8 {
    match level.to_ascii_lowercase().as_str() {
        "informational" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => 0, // Unknown
    }
}

/// Unix milliseconds of an RFC 3339 time (OCSF's `timestamp_t`).
fn epoch_ms(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis())
}
