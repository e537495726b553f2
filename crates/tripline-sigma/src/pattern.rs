//! Sigma string values: wildcard/escape parsing and compiled string matchers.

use std::borrow::Cow;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::error::LocalError;

/// One token of a Sigma string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A literal character.
    Lit(char),
    /// `*`: any sequence of characters (also empty, also newlines).
    Star,
    /// `?`: exactly one character.
    One,
}

/// A parsed Sigma string: literals and wildcards.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SigmaStr(pub Vec<Tok>);

impl SigmaStr {
    /// Parse a rule value: `*` and `?` are wildcards; `\` escapes `*`, `?` and `\`; a `\`
    /// before any other character (or at the end) is a literal backslash.
    pub fn parse(s: &str) -> Self {
        let mut out = Vec::with_capacity(s.len());
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => out.push(Tok::Star),
                '?' => out.push(Tok::One),
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push(Tok::Lit(n));
                    }
                    _ => out.push(Tok::Lit('\\')),
                },
                other => out.push(Tok::Lit(other)),
            }
        }
        SigmaStr(out)
    }

    /// A value made of literal characters only.
    pub fn literal(s: &str) -> Self {
        SigmaStr(s.chars().map(Tok::Lit).collect())
    }

    /// Whether the value has any wildcard.
    pub fn has_wildcards(&self) -> bool {
        self.0.iter().any(|t| !matches!(t, Tok::Lit(_)))
    }

    /// The literal text, or an error naming `what` when the value has wildcards.
    pub fn plain_text(&self, what: &str) -> Result<String, LocalError> {
        let mut s = String::with_capacity(self.0.len());
        for t in &self.0 {
            match t {
                Tok::Lit(c) => s.push(*c),
                _ => {
                    return Err(LocalError::new(format!(
                        "unsupported: wildcards in a value with |{what}"
                    )))
                }
            }
        }
        Ok(s)
    }

    /// `*value*` (no duplicate star when the value already starts/ends with one).
    pub fn contains(mut self) -> Self {
        self = self.startswith();
        self.endswith()
    }

    /// `value*`.
    pub fn startswith(mut self) -> Self {
        if self.0.last() != Some(&Tok::Star) {
            self.0.push(Tok::Star);
        }
        self
    }

    /// `*value`.
    pub fn endswith(mut self) -> Self {
        if self.0.first() != Some(&Tok::Star) {
            self.0.insert(0, Tok::Star);
        }
        self
    }
}

/// A compiled matcher for one Sigma string against a whole field value.
#[derive(Clone, Debug)]
pub struct StrMatcher {
    shape: Shape,
    cased: bool,
}

#[derive(Clone, Debug)]
enum Shape {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(AhoCorasick, String),
    Glob(Regex),
}

impl StrMatcher {
    /// Compile `s`; `cased` selects case-sensitive matching.
    pub fn new(s: &SigmaStr, cased: bool) -> Result<Self, LocalError> {
        let mut toks: Vec<Tok> = Vec::with_capacity(s.0.len());
        for t in &s.0 {
            if *t == Tok::Star && toks.last() == Some(&Tok::Star) {
                continue;
            }
            toks.push(t.clone());
        }
        let fold = |s: String| if cased { s } else { s.to_lowercase() };
        let lits = |ts: &[Tok]| -> Option<String> {
            ts.iter()
                .map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None })
                .collect()
        };
        let n = toks.len();
        let starts = toks.first() == Some(&Tok::Star);
        let ends = n > 0 && toks.last() == Some(&Tok::Star);
        let shape = if n == 1 && starts {
            Shape::Any
        } else if let Some(l) = lits(&toks) {
            Shape::Exact(fold(l))
        } else if let (false, true, Some(l)) = (starts, ends, lits(&toks[..n.saturating_sub(1)])) {
            Shape::Prefix(fold(l))
        } else if let (true, false, Some(l)) = (starts, ends, lits(&toks[1.min(n)..])) {
            Shape::Suffix(fold(l))
        } else if let (true, true, Some(l)) = (
            starts,
            ends,
            lits(&toks[1.min(n)..n.saturating_sub(1).max(1)]),
        ) {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(!cased)
                .build([fold(l.clone())])
                .map_err(|e| LocalError::new(format!("cannot compile value: {e}")))?;
            Shape::Contains(ac, fold(l))
        } else {
            Shape::Glob(glob_regex(&toks, cased)?)
        };
        Ok(StrMatcher { shape, cased })
    }

    /// Whether the whole `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        if let Shape::Any = self.shape {
            return true;
        }
        if let Shape::Glob(re) = &self.shape {
            return re.is_match(text);
        }
        if self.cased || text.is_ascii() {
            self.match_prepared(text, !self.cased)
        } else {
            let lower: Cow<str> = Cow::Owned(text.to_lowercase());
            self.match_prepared(&lower, false)
        }
    }

    fn match_prepared(&self, text: &str, ascii_ci: bool) -> bool {
        let eq = |a: &str, b: &str| {
            if ascii_ci {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(l) => text.len() == l.len() && eq(text, l),
            Shape::Prefix(l) => {
                text.len() >= l.len() && text.is_char_boundary(l.len()) && eq(&text[..l.len()], l)
            }
            Shape::Suffix(l) => {
                let k = text.len().wrapping_sub(l.len());
                text.len() >= l.len() && text.is_char_boundary(k) && eq(&text[k..], l)
            }
            Shape::Contains(ac, _) => ac.is_match(text),
            Shape::Glob(re) => re.is_match(text),
        }
    }

    /// The lowercased needle when this matcher is a plain case-insensitive substring test.
    pub fn contains_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Contains(_, l) if !self.cased => Some(l),
            _ => None,
        }
    }

    /// The lowercased literal when this matcher is a plain case-insensitive equality.
    pub fn exact_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(l) if !self.cased => Some(l),
            _ => None,
        }
    }
}

fn glob_regex(toks: &[Tok], cased: bool) -> Result<Regex, LocalError> {
    let mut re = String::from(if cased { "(?s)^" } else { "(?si)^" });
    let mut buf = [0u8; 4];
    for t in toks {
        match t {
            Tok::Star => re.push_str(".*"),
            Tok::One => re.push('.'),
            Tok::Lit(c) => re.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| LocalError::new(format!("cannot compile wildcard value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rule: &str, text: &str) -> bool {
        StrMatcher::new(&SigmaStr::parse(rule), false)
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(SigmaStr::parse(r"a\*b"), SigmaStr::literal("a*b"));
        assert_eq!(SigmaStr::parse(r"C:\\*").0.last(), Some(&Tok::Star));
        assert_eq!(SigmaStr::parse(r"\\\*"), SigmaStr::literal(r"\*"));
        assert_eq!(SigmaStr::parse(r"C:\Win"), SigmaStr::literal(r"C:\Win"));
        assert_eq!(SigmaStr::parse(r"\\\\"), SigmaStr::literal(r"\\"));
    }

    #[test]
    fn shapes_match_whole_values_case_insensitively() {
        assert!(m("SHELL", "shell"));
        assert!(!m("shell", "shells"));
        assert!(m("admin*", "Admin.ops"));
        assert!(m("*@corp.example", "a@CORP.example"));
        assert!(m("*pass*", "my PASSword"));
        assert!(m("dev-laptop-0?", "dev-laptop-01"));
        assert!(!m("dev-laptop-0?", "dev-laptop-0"));
        assert!(m("delete*files", "delete\nall files"));
        assert!(m("*ärger*", "so ein ÄRGER"));
        assert!(m("*", ""));
        assert!(!m("", "x"));
        assert!(m("", ""));
    }

    #[test]
    fn cased_is_case_sensitive() {
        let c = StrMatcher::new(&SigmaStr::parse("Shell"), true).unwrap();
        assert!(c.is_match("Shell"));
        assert!(!c.is_match("shell"));
    }
}
