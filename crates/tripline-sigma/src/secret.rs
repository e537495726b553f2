//! The secret predicate the caller injects (the engine itself knows no secret formats):
//! `tripline.secret_fields` asks it whether a field value holds a secret.

use std::fmt;
use std::sync::Arc;

/// Minimum detector confidence a secret must have (`secret_confidence`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretConfidence {
    /// any detector, including generic/entropy ones
    Low,
    /// provider-specific formats only
    #[default]
    High,
}

impl SecretConfidence {
    /// `low` or `high` (case-insensitive).
    pub fn parse(s: &str) -> Option<SecretConfidence> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Some(SecretConfidence::Low),
            "high" => Some(SecretConfidence::High),
            _ => None,
        }
    }
}

/// Signature of the injected predicate: does `text` hold a secret of at least this
/// confidence?
pub type SecretFn = dyn Fn(&str, SecretConfidence) -> bool + Send + Sync;

/// A cloneable, debuggable wrapper around the injected predicate.
#[derive(Clone)]
pub struct SecretCheck(pub Arc<SecretFn>);

impl SecretCheck {
    /// Wrap a predicate.
    pub fn new(f: impl Fn(&str, SecretConfidence) -> bool + Send + Sync + 'static) -> Self {
        SecretCheck(Arc::new(f))
    }

    /// Run the predicate.
    pub fn check(&self, text: &str, min: SecretConfidence) -> bool {
        (self.0)(text, min)
    }
}

impl fmt::Debug for SecretCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCheck(..)")
    }
}
