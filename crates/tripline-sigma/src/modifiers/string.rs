//! String-shape modifiers: `contains`, `startswith`, `endswith` (in [`crate::pattern`]) and
//! `windash`.

use crate::error::LocalError;
use crate::pattern::{SigmaStr, Tok};

/// The characters `windash` substitutes for a dash or slash.
pub const WINDASH_CHARS: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

const MAX_VARIANTS: usize = 3125;

fn is_word(t: Option<&Tok>) -> bool {
    matches!(t, Some(Tok::Lit(c)) if c.is_alphanumeric() || *c == '_')
}

/// Every variant of `s` with each parameter dash/slash (a `-` or `/` not preceded by a
/// word character and followed by one, as pySigma's `\B[-/]\b`) replaced by each of
/// [`WINDASH_CHARS`].
pub fn windash(s: &SigmaStr) -> Result<Vec<SigmaStr>, LocalError> {
    let toks = &s.0;
    let positions: Vec<usize> = (0..toks.len())
        .filter(|&i| {
            matches!(toks[i], Tok::Lit('-' | '/'))
                && !is_word(i.checked_sub(1).and_then(|p| toks.get(p)))
                && is_word(toks.get(i + 1))
        })
        .collect();
    let count = WINDASH_CHARS
        .len()
        .checked_pow(positions.len() as u32)
        .unwrap_or(usize::MAX);
    if count > MAX_VARIANTS {
        return Err(LocalError::new(format!(
            "unsupported: windash on {} dashes gives more than {MAX_VARIANTS} variants",
            positions.len()
        )));
    }
    let mut out = vec![s.clone()];
    for &p in &positions {
        let mut next = Vec::with_capacity(out.len() * WINDASH_CHARS.len());
        for v in &out {
            for c in WINDASH_CHARS {
                let mut w = v.clone();
                w.0[p] = Tok::Lit(c);
                next.push(w);
            }
        }
        out = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windash_only_touches_parameter_dashes() {
        let v = windash(&SigmaStr::literal("-ExecutionPolicy")).unwrap();
        assert_eq!(v.len(), 5);
        assert!(v.contains(&SigmaStr::literal("/ExecutionPolicy")));
        assert!(v.contains(&SigmaStr::literal("\u{2014}ExecutionPolicy")));
        assert_eq!(windash(&SigmaStr::literal("foo-bar")).unwrap().len(), 1);
        assert_eq!(windash(&SigmaStr::literal("a -b -c")).unwrap().len(), 25);
    }
}
