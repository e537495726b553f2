//! Per-record resource limits applied while normalizing.
//!
//! A record (log record, span with its events, or metric data point) that exceeds a limit
//! is rejected on its own and counted in [`crate::Decoded::rejected`]; the rest of the
//! batch proceeds. Limits on the whole request (body size, decompression) belong to the
//! receivers.

use serde::Deserialize;

/// Limits on the shape of one record. Every field has a documented default, so a config
/// section may set only some of them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Deepest nesting of arrays / key-value lists inside one attribute value or log body.
    /// A scalar attribute has depth 1. Default 32.
    ///
    /// Protobuf messages nested deeper than prost's recursion limit (100) and JSON nested
    /// deeper than 128 levels fail the whole request with a [`crate::DecodeError`] instead.
    pub max_depth: usize,
    /// Most attributes on one record, resource or scope. Default 1024.
    pub max_attributes: usize,
    /// Longest string (attribute value, key, body, name) in bytes. Default 1 MiB.
    pub max_string_len: usize,
    /// Most elements in one array value or key-value list, and most events on one span.
    /// Default 16384.
    pub max_array_len: usize,
}

impl Limits {
    /// Default for [`Limits::max_depth`].
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// Default for [`Limits::max_attributes`].
    pub const DEFAULT_MAX_ATTRIBUTES: usize = 1024;
    /// Default for [`Limits::max_string_len`] (1 MiB).
    pub const DEFAULT_MAX_STRING_LEN: usize = 1 << 20;
    /// Default for [`Limits::max_array_len`].
    pub const DEFAULT_MAX_ARRAY_LEN: usize = 16 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_attributes: Self::DEFAULT_MAX_ATTRIBUTES,
            max_string_len: Self::DEFAULT_MAX_STRING_LEN,
            max_array_len: Self::DEFAULT_MAX_ARRAY_LEN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_keeps_other_defaults() {
        let l: Limits = toml::from_str("max_depth = 4").unwrap();
        assert_eq!(l.max_depth, 4);
        assert_eq!(l.max_attributes, Limits::DEFAULT_MAX_ATTRIBUTES);
        assert!(toml::from_str::<Limits>("max_dept = 4").is_err());
    }
}
