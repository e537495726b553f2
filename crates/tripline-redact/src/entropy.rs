//! Shannon entropy, the cheap randomness test for generic detectors.

/// Shannon entropy of `s` in bits per character (over Unicode scalar values).
/// Returns 0.0 for the empty string.
pub fn shannon_bits_per_char(s: &str) -> f64 {
    let mut counts: Vec<(char, u32)> = Vec::new();
    let mut ascii = [0u32; 128];
    let mut total = 0u32;
    for c in s.chars() {
        total += 1;
        if (c as u32) < 128 {
            ascii[c as usize] += 1;
        } else if let Some(slot) = counts.iter_mut().find(|(k, _)| *k == c) {
            slot.1 += 1;
        } else {
            counts.push((c, 1));
        }
    }
    if total == 0 {
        return 0.0;
    }
    let n = f64::from(total);
    ascii
        .iter()
        .copied()
        .chain(counts.iter().map(|(_, k)| *k))
        .filter(|&k| k > 0)
        .map(|k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon_bits_per_char as h;

    #[test]
    fn known_values() {
        assert_eq!(h(""), 0.0);
        assert_eq!(h("aaaa"), 0.0);
        assert!((h("ab") - 1.0).abs() < 1e-9);
        assert!((h("abcd") - 2.0).abs() < 1e-9);
        assert!((h("0123456789abcdef") - 4.0).abs() < 1e-9);
        assert!((h("éa") - 1.0).abs() < 1e-9);
    }
}
