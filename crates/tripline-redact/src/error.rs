//! Errors raised while loading detector files or redaction configuration.

/// Why a detector file or policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TOML text did not parse or did not match the expected shape.
    #[error("detector file is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// A detector's `regex` or one of its `allow` patterns did not compile.
    #[error("detector `{id}`: invalid regex: {source}")]
    Regex {
        /// The detector id.
        id: String,
        /// The regex compiler's error.
        #[source]
        source: regex::Error,
    },
    /// A detector names a capture group its regex does not have.
    #[error("detector `{id}`: secret_group {group} does not exist in the regex")]
    MissingGroup {
        /// The detector id.
        id: String,
        /// The requested group index.
        group: usize,
    },
    /// Two detectors in the same file share an id.
    #[error("duplicate detector id `{0}`")]
    DuplicateId(String),
    /// A detector id is empty or uses characters outside `[a-z0-9_]`.
    #[error("detector id `{0}` must be non-empty lowercase ASCII letters, digits or `_`")]
    BadId(String),
    /// The keyword pre-filter could not be built.
    #[error("keyword pre-filter: {0}")]
    Keywords(String),
}
