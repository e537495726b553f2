//! The `expand` modifier: `%name%` placeholders resolved from the lists map.

use crate::error::LocalError;
use crate::lists::Lists;

const MAX_EXPANSIONS: usize = 10_000;

/// Every raw value obtained by replacing each `%name%` in `raw` with each value of list
/// `name`. `\%` is a literal percent. An unknown name is an error (the spec requires
/// rejecting rules whose placeholders cannot be resolved).
pub fn expand(raw: &str, lists: &Lists) -> Result<Vec<String>, LocalError> {
    let mut out = vec![String::new()];
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\%") {
            out.iter_mut().for_each(|s| s.push('%'));
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('%') {
            if let Some(end) = after.find('%') {
                let name = &after[..end];
                let values = lists.get(name).ok_or_else(|| {
                    LocalError::new(format!("unknown placeholder %{name}% (no such list)"))
                })?;
                if out.len().saturating_mul(values.len()) > MAX_EXPANSIONS {
                    return Err(LocalError::new(format!(
                        "unsupported: %{name}% expands to more than {MAX_EXPANSIONS} values"
                    )));
                }
                out = out
                    .iter()
                    .flat_map(|p| values.iter().map(move |v| format!("{p}{v}")))
                    .collect();
                rest = &after[end + 1..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or('%');
        out.iter_mut().for_each(|s| s.push(c));
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_to_each_value() {
        let mut l = Lists::default();
        l.insert("Admins", vec!["a".into(), "b".into()]);
        assert_eq!(expand("%Admins%", &l).unwrap(), vec!["a", "b"]);
        assert_eq!(expand("x-%Admins%-y", &l).unwrap(), vec!["x-a-y", "x-b-y"]);
        assert_eq!(expand("100\\%", &l).unwrap(), vec!["100%"]);
        assert!(expand("%Nope%", &l).is_err());
        let empty = Lists::default();
        assert_eq!(expand("50% off", &empty).unwrap(), vec!["50% off"]);
    }
}
