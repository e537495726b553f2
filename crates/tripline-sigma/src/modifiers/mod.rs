//! Value modifiers: parsing the `field|mod|mod` chain and turning rule values into
//! compiled [`crate::matcher::ValueMatcher`]s. One file per modifier family.

pub mod cidr;
pub mod encoding;
pub mod expand;
pub mod numeric;
pub mod regex;
pub mod string;
pub mod time;

use crate::error::LocalError;

/// One Sigma value modifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modifier {
    /// `*value*`
    Contains,
    /// `value*`
    StartsWith,
    /// `*value`
    EndsWith,
    /// values are AND-linked
    All,
    /// field presence
    Exists,
    /// case-sensitive strings
    Cased,
    /// field differs from the values
    Neq,
    /// dash/slash permutations
    Windash,
    /// regular expression
    Re,
    /// regex flag: ignore case
    ReI,
    /// regex flag: multi-line
    ReM,
    /// regex flag: dot matches newline
    ReS,
    /// base64 of the value
    Base64,
    /// base64 at byte offsets 0, 1, 2
    Base64Offset,
    /// UTF-16LE (`utf16le`, `wide`)
    Utf16Le,
    /// UTF-16BE
    Utf16Be,
    /// BOM + UTF-16LE
    Utf16,
    /// numeric comparison
    Compare(numeric::CmpOp),
    /// part of a timestamp
    TimePart(time::TimePart),
    /// IP network membership
    Cidr,
    /// `%placeholder%` resolution
    Expand,
    /// compare with another field
    FieldRef,
}

impl Modifier {
    /// Parse one modifier name (as written after `|`).
    pub fn parse(name: &str) -> Result<Modifier, LocalError> {
        use Modifier::*;
        Ok(match name {
            "contains" => Contains,
            "startswith" => StartsWith,
            "endswith" => EndsWith,
            "all" => All,
            "exists" => Exists,
            "cased" => Cased,
            "neq" => Neq,
            "windash" => Windash,
            "re" => Re,
            "i" => ReI,
            "m" => ReM,
            "s" => ReS,
            "base64" => Base64,
            "base64offset" => Base64Offset,
            "utf16le" | "wide" => Utf16Le,
            "utf16be" => Utf16Be,
            "utf16" => Utf16,
            "lt" => Compare(numeric::CmpOp::Lt),
            "lte" => Compare(numeric::CmpOp::Lte),
            "gt" => Compare(numeric::CmpOp::Gt),
            "gte" => Compare(numeric::CmpOp::Gte),
            "minute" => TimePart(time::TimePart::Minute),
            "hour" => TimePart(time::TimePart::Hour),
            "day" => TimePart(time::TimePart::Day),
            "week" => TimePart(time::TimePart::Week),
            "month" => TimePart(time::TimePart::Month),
            "year" => TimePart(time::TimePart::Year),
            "cidr" => Cidr,
            "expand" => Expand,
            "fieldref" => FieldRef,
            other => {
                return Err(LocalError::new(format!(
                    "unsupported: unknown modifier '{other}'"
                )))
            }
        })
    }
}
