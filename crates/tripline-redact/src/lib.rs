//! Secret detection and the redaction policy for tripline (no I/O).
//!
//! * [`SecretScanner`] finds secrets in text: a case-insensitive Aho-Corasick keyword
//!   pre-filter selects the detectors worth running, each runs its regex, then an
//!   optional entropy minimum and allow-list reject placeholders. Detectors are data
//!   (`detectors.toml`, extendable by a user file) with true- and false-positive
//!   samples. [`SecretScanner::scan`] and [`SecretScanner::contains_secret`] are also
//!   what a detection rule uses.
//! * [`RedactionPolicy`] says what happens to each field class (prompt, tool content,
//!   identifier, argv, everything else); it is the `[redaction]` config section.
//! * [`Redactor`] applies a policy to [`tripline_event::Event`]s, alerts and strings,
//!   masking secrets as `[SECRET:<detector_id>:<fp>]`, with keyed (HMAC-SHA256) hashes,
//!   pseudonyms and fingerprints, and reports counts for metrics.
//!
//! Redaction runs after detection and before anything is stored, sent or logged.

#![warn(missing_docs)]

mod argv;
mod clean;
mod detector;
mod entropy;
mod error;
mod fields;
mod finding;
mod keyed;
mod mask;
mod policy;
mod redactor;
mod report;
mod sample;
mod scanner;

pub use detector::{Confidence, DetectorSpec};
pub use entropy::shannon_bits_per_char;
pub use error::Error;
pub use fields::{classification_key, FieldClass, FieldClasses};
pub use finding::Finding;
pub use mask::REDACTED_LITERALS;
pub use policy::{
    ArgvAction, IdentifierAction, OtherAction, PromptAction, RedactionPolicy, ToolContentAction,
};
pub use redactor::Redactor;
pub use report::RedactionReport;
pub use sample::expand as expand_sample;
pub use scanner::{SampleProblem, SecretScanner, BUILTIN_DETECTORS};
