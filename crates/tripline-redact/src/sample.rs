//! Expansion of the `${TEXT*N}` repeat syntax used by detector samples.
//!
//! Samples in `detectors.toml` are written as templates so the file never holds a
//! string that looks like a real leaked credential: `ghp_${a*36}` expands to `ghp_`
//! followed by 36 `a`s, and `${0123456789abcdef*4}` to a 64-character sequential run
//! (useful where an entropy minimum applies).

/// The largest number of characters a single `${TEXT*N}` may expand to.
const MAX_EXPANSION: usize = 65_536;

/// Expand every `${TEXT*N}` in `template`. Malformed templates are kept literally.
pub fn expand(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match parse_repeat(after) {
            Some((text, n, used)) => {
                out.push_str(&text.repeat(n));
                rest = &after[used..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parse `TEXT*N}` at the start of `s`: returns the text, the count and the bytes used.
fn parse_repeat(s: &str) -> Option<(&str, usize, usize)> {
    let close = s.find('}')?;
    let body = &s[..close];
    let star = body.rfind('*')?;
    let (text, count) = (&body[..star], &body[star + 1..]);
    let n: usize = count.parse().ok()?;
    if text.is_empty() || text.len().saturating_mul(n) > MAX_EXPANSION {
        return None;
    }
    Some((text, n, close + 1))
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_repeats_and_keeps_the_rest() {
        assert_eq!(expand("ghp_${a*3}!"), "ghp_aaa!");
        assert_eq!(expand("${ab*2}-${x*1}"), "abab-x");
        assert_eq!(expand("no template"), "no template");
        assert_eq!(expand("${PASSWORD}"), "${PASSWORD}");
        assert_eq!(expand("${a*x}"), "${a*x}");
        assert_eq!(expand("tail ${"), "tail ${");
    }
}
