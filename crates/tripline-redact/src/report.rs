//! What a redaction pass did, as counts (never values) for metrics.

use std::collections::BTreeMap;

use serde::Serialize;

/// Counts of masked secrets per detector id and of applied actions per
/// `<class>.<action>` (e.g. `prompt.hash`, `identifier.pseudonymize`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RedactionReport {
    /// Masked secrets per detector id.
    pub secrets: BTreeMap<String, u64>,
    /// Applied field actions per `<class>.<action>`.
    pub actions: BTreeMap<String, u64>,
}

impl RedactionReport {
    /// Whether nothing was changed.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.actions.is_empty()
    }

    /// Total masked secrets over every detector.
    pub fn total_secrets(&self) -> u64 {
        self.secrets.values().sum()
    }

    /// Add another report's counts to this one.
    pub fn merge(&mut self, other: &RedactionReport) {
        for (k, v) in &other.secrets {
            *self.secrets.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.actions {
            *self.actions.entry(k.clone()).or_default() += v;
        }
    }

    pub(crate) fn secret(&mut self, detector: &str) {
        match self.secrets.get_mut(detector) {
            Some(n) => *n += 1,
            None => {
                self.secrets.insert(detector.to_owned(), 1);
            }
        }
    }

    pub(crate) fn action(&mut self, class: &str, action: &str) {
        *self.actions.entry(format!("{class}.{action}")).or_default() += 1;
    }
}
