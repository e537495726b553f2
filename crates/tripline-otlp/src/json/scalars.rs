//! Lenient scalars of the OTLP/JSON mapping: 64-bit integers as numbers or strings, enums
//! as integers or names, ids as hex, bytes as base64.

use std::fmt;

use base64::Engine;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A JSON scalar that OTLP/JSON may send as a number or a string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Num {
    U(u64),
    I(i64),
    F(f64),
    S(String),
    B(bool),
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a string holding a number")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
        Ok(Num::U(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
        Ok(Num::I(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
        Ok(Num::F(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Num, E> {
        Ok(Num::B(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        Ok(Num::S(v.trim().to_owned()))
    }
}

/// Why a scalar did not fit; becomes a JSON decode error naming the field.
pub(crate) type ScalarResult<T> = Result<T, String>;

impl Num {
    /// As an unsigned 64-bit integer (`*UnixNano`, counts).
    pub(crate) fn to_u64(&self, field: &str) -> ScalarResult<u64> {
        match self {
            Num::U(v) => Ok(*v),
            Num::I(v) => u64::try_from(*v).map_err(|_| format!("`{field}` is negative: {v}")),
            Num::F(v) if v.fract() == 0.0 && *v >= 0.0 && *v < 1.8446744073709552e19 => {
                Ok(*v as u64)
            }
            Num::S(s) => s
                .parse::<u64>()
                .map_err(|_| format!("`{field}` is not an unsigned integer: {s:?}")),
            other => Err(format!("`{field}` is not an unsigned integer: {other:?}")),
        }
    }

    /// As a signed 64-bit integer (`intValue`, `asInt`).
    pub(crate) fn to_i64(&self, field: &str) -> ScalarResult<i64> {
        match self {
            Num::I(v) => Ok(*v),
            Num::U(v) => i64::try_from(*v).map_err(|_| format!("`{field}` overflows int64: {v}")),
            Num::F(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Ok(*v as i64),
            Num::S(s) => s
                .parse::<i64>()
                .map_err(|_| format!("`{field}` is not an integer: {s:?}")),
            other => Err(format!("`{field}` is not an integer: {other:?}")),
        }
    }

    /// As a double (`doubleValue`, `asDouble`, `sum`, bounds). Accepts the proto3 JSON
    /// spellings `NaN`, `Infinity`, `-Infinity`.
    pub(crate) fn to_f64(&self, field: &str) -> ScalarResult<f64> {
        match self {
            Num::F(v) => Ok(*v),
            Num::I(v) => Ok(*v as f64),
            Num::U(v) => Ok(*v as f64),
            Num::S(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => s
                    .parse::<f64>()
                    .map_err(|_| format!("`{field}` is not a number: {s:?}")),
            },
            Num::B(b) => Err(format!("`{field}` is not a number: {b}")),
        }
    }

    /// As an enum: its integer value or its name (`SEVERITY_NUMBER_INFO`, ...), looked up
    /// with `by_name`.
    pub(crate) fn to_enum(
        &self,
        field: &str,
        by_name: fn(&str) -> Option<i32>,
    ) -> ScalarResult<i32> {
        if let Num::S(s) = self {
            if let Some(v) = by_name(s) {
                return Ok(v);
            }
        }
        let v = self.to_i64(field)?;
        i32::try_from(v).map_err(|_| format!("`{field}` is out of range: {v}"))
    }

    /// As a 32-bit unsigned integer (flags, dropped counts).
    pub(crate) fn to_u32(&self, field: &str) -> ScalarResult<u32> {
        let v = self.to_u64(field)?;
        u32::try_from(v).map_err(|_| format!("`{field}` is out of range: {v}"))
    }

    /// As a 32-bit signed integer (exponential histogram scale, bucket offset).
    pub(crate) fn to_i32(&self, field: &str) -> ScalarResult<i32> {
        let v = self.to_i64(field)?;
        i32::try_from(v).map_err(|_| format!("`{field}` is out of range: {v}"))
    }
}

/// A trace or span id: case-insensitive hex (OTLP/JSON), empty allowed.
pub(crate) fn hex_id(s: Option<&str>, field: &str) -> ScalarResult<Vec<u8>> {
    let s = s.unwrap_or("").trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    hex::decode(s).map_err(|_| format!("`{field}` is not a hex id: {s:?}"))
}

/// A bytes value: base64 (standard or URL-safe alphabet, padding optional).
pub(crate) fn base64_bytes(s: &str, field: &str) -> ScalarResult<Vec<u8>> {
    let s = s.trim();
    let trimmed = s.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .map_err(|_| format!("`{field}` is not base64: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_as_string_or_number() {
        let n: Num = serde_json::from_str("\"1795463418920007989\"").unwrap();
        assert_eq!(n.to_u64("t").unwrap(), 1795463418920007989);
        let n: Num = serde_json::from_str("42").unwrap();
        assert_eq!(n.to_i64("x").unwrap(), 42);
        let n: Num = serde_json::from_str("\"-7\"").unwrap();
        assert_eq!(n.to_i64("x").unwrap(), -7);
        assert!(n.to_u64("x").is_err());
    }

    #[test]
    fn enums_by_number_or_name() {
        fn names(s: &str) -> Option<i32> {
            (s == "SPAN_KIND_SERVER").then_some(2)
        }
        let n: Num = serde_json::from_str("2").unwrap();
        assert_eq!(n.to_enum("kind", names).unwrap(), 2);
        let n: Num = serde_json::from_str("\"SPAN_KIND_SERVER\"").unwrap();
        assert_eq!(n.to_enum("kind", names).unwrap(), 2);
        let n: Num = serde_json::from_str("\"nope\"").unwrap();
        assert!(n.to_enum("kind", names).unwrap_err().contains("kind"));
    }

    #[test]
    fn ids_are_case_insensitive_hex() {
        assert_eq!(hex_id(Some("0A0b"), "traceId").unwrap(), vec![0x0a, 0x0b]);
        assert!(hex_id(Some(""), "traceId").unwrap().is_empty());
        assert!(hex_id(Some("zz"), "spanId").unwrap_err().contains("spanId"));
    }

    #[test]
    fn bytes_are_base64() {
        assert_eq!(base64_bytes("AQI=", "bytesValue").unwrap(), vec![1, 2]);
    }
}
