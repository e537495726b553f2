//! The `re` modifier and its `i`, `m`, `s` flags: unanchored search, case-sensitive by
//! default.

use regex::{Regex, RegexBuilder};

use crate::error::LocalError;

/// Regex flags from `re|i|m|s`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReFlags {
    /// ignore case
    pub i: bool,
    /// `^`/`$` at line boundaries
    pub m: bool,
    /// `.` matches newline
    pub s: bool,
}

/// Compile a rule's regular expression.
pub fn compile(pattern: &str, flags: ReFlags) -> Result<Regex, LocalError> {
    RegexBuilder::new(pattern)
        .case_insensitive(flags.i)
        .multi_line(flags.m)
        .dot_matches_new_line(flags.s)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            LocalError::new(format!(
                "invalid regular expression '{pattern}': {}",
                first_line(&e.to_string())
            ))
        })
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_change_meaning() {
        let d = compile("BEGIN.*END", ReFlags::default()).unwrap();
        assert!(!d.is_match("BEGIN\nEND"));
        assert!(compile(
            "BEGIN.*END",
            ReFlags {
                s: true,
                ..Default::default()
            }
        )
        .unwrap()
        .is_match("BEGIN\nEND"));
        assert!(!compile("^ERROR", ReFlags::default())
            .unwrap()
            .is_match("ok\nERROR"));
        assert!(compile(
            "^ERROR",
            ReFlags {
                m: true,
                ..Default::default()
            }
        )
        .unwrap()
        .is_match("ok\nERROR"));
        assert!(compile("patch", ReFlags::default())
            .unwrap()
            .is_match("apply_patch"));
        assert!(!compile("Patch", ReFlags::default())
            .unwrap()
            .is_match("apply_patch"));
        assert!(compile("(", ReFlags::default()).is_err());
    }
}
