//! Encoding modifiers: `base64`, `base64offset`, `utf16le`/`wide`, `utf16be`, `utf16`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// UTF-16 little endian bytes of `s`.
pub fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// UTF-16 big endian bytes of `s`.
pub fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

/// Byte-order mark `FF FE` followed by UTF-16LE (the spec's `utf16`).
pub fn utf16_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(utf16le(s));
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The three encodings of `bytes` placed at byte offsets 0, 1 and 2 of a longer stream,
/// with the characters that depend on neighbouring bytes dropped at both ends.
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let enc = base64(&padded);
            let trim = END_TRIM[(bytes.len() + i) % 3];
            let end = enc.len().saturating_sub(trim);
            enc.get(START[i].min(end)..end).unwrap_or("").to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_known_values() {
        // Well-known encodings of "Invoke-Expression" at the three offsets.
        let v = base64_offsets(b"Invoke-Expression");
        assert_eq!(v[0], "SW52b2tlLUV4cHJlc3Npb2");
        assert_eq!(v[1], "ludm9rZS1FeHByZXNzaW9u");
        assert_eq!(v[2], "JbnZva2UtRXhwcmVzc2lvb");
        for (i, needle) in v.iter().enumerate() {
            let mut hay = vec![b'x'; i];
            hay.extend_from_slice(b"Invoke-Expression tail");
            assert!(base64(&hay).contains(needle.as_str()), "offset {i}");
        }
    }

    #[test]
    fn utf16_forms() {
        assert_eq!(utf16le("ab"), vec![b'a', 0, b'b', 0]);
        assert_eq!(utf16be("ab"), vec![0, b'a', 0, b'b']);
        assert_eq!(utf16_bom("a"), vec![0xFF, 0xFE, b'a', 0]);
        assert_eq!(base64(b"hi"), "aGk=");
    }
}
