//! OTLP `AnyValue` / attribute lists → [`Value`]s, enforcing [`Limits`].
//!
//! Conversion takes the strings out of the decoded message instead of copying them (the
//! message is not read again after its record is flattened), so a record must be hashed for
//! its id before its values are converted.

use std::fmt;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use tripline_event::Value;

use crate::limits::Limits;

/// Why one record was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LimitError {
    TooDeep {
        key: String,
        limit: usize,
    },
    TooManyAttributes {
        count: usize,
        limit: usize,
    },
    StringTooLong {
        key: String,
        len: usize,
        limit: usize,
    },
    ArrayTooLong {
        key: String,
        len: usize,
        limit: usize,
    },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::TooDeep { key, limit } => {
                write!(
                    f,
                    "attribute `{key}` is nested deeper than max_depth ({limit})"
                )
            }
            LimitError::TooManyAttributes { count, limit } => {
                write!(f, "{count} attributes exceed max_attributes ({limit})")
            }
            LimitError::StringTooLong { key, len, limit } => write!(
                f,
                "`{key}` holds a string of {len} bytes, over max_string_len ({limit})"
            ),
            LimitError::ArrayTooLong { key, len, limit } => write!(
                f,
                "`{key}` holds {len} elements, over max_array_len ({limit})"
            ),
        }
    }
}

/// Check a free-standing string (a name, a key) against the string limit.
pub(crate) fn check_str(key: &str, s: &str, limits: &Limits) -> Result<(), LimitError> {
    if s.len() > limits.max_string_len {
        return Err(LimitError::StringTooLong {
            key: key.to_owned(),
            len: s.len(),
            limit: limits.max_string_len,
        });
    }
    Ok(())
}

/// Convert one value, taking its strings out of `v`; `key` names it in errors. Depth 1 is a
/// scalar at the top.
pub(crate) fn convert(key: &str, v: &mut AnyValue, limits: &Limits) -> Result<Value, LimitError> {
    convert_at(key, v, 1, limits)
}

fn convert_at(
    key: &str,
    v: &mut AnyValue,
    depth: usize,
    limits: &Limits,
) -> Result<Value, LimitError> {
    use any_value::Value as V;
    if depth > limits.max_depth {
        return Err(LimitError::TooDeep {
            key: key.to_owned(),
            limit: limits.max_depth,
        });
    }
    Ok(match &mut v.value {
        None => Value::Null,
        Some(V::StringValue(s)) => {
            check_str(key, s, limits)?;
            Value::Str(std::mem::take(s))
        }
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::Int(*i),
        Some(V::DoubleValue(d)) => Value::Float(*d),
        Some(V::BytesValue(b)) => {
            if b.len() * 2 > limits.max_string_len {
                return Err(LimitError::StringTooLong {
                    key: key.to_owned(),
                    len: b.len() * 2,
                    limit: limits.max_string_len,
                });
            }
            Value::Str(hex::encode(b))
        }
        Some(V::StringValueStrindex(i)) => Value::Int(i64::from(*i)),
        Some(V::ArrayValue(a)) => {
            check_len(key, a.values.len(), limits)?;
            let mut out = Vec::with_capacity(a.values.len());
            for item in &mut a.values {
                out.push(convert_at(key, item, depth + 1, limits)?);
            }
            Value::Array(out)
        }
        Some(V::KvlistValue(kv)) => {
            check_len(key, kv.values.len(), limits)?;
            let mut out = std::collections::BTreeMap::new();
            for item in &mut kv.values {
                check_str(key, &item.key, limits)?;
                let inner = match &mut item.value {
                    Some(val) => convert_at(key, val, depth + 1, limits)?,
                    None => Value::Null,
                };
                out.insert(std::mem::take(&mut item.key), inner);
            }
            Value::Object(out)
        }
    })
}

fn check_len(key: &str, len: usize, limits: &Limits) -> Result<(), LimitError> {
    if len > limits.max_array_len {
        return Err(LimitError::ArrayTooLong {
            key: key.to_owned(),
            len,
            limit: limits.max_array_len,
        });
    }
    Ok(())
}

/// One converted attribute: its raw key and value.
pub(crate) type Attr = (String, Value);

/// Convert an attribute list, taking its keys and strings, enforcing the count limit first.
pub(crate) fn attributes(list: &mut [KeyValue], limits: &Limits) -> Result<Vec<Attr>, LimitError> {
    if list.len() > limits.max_attributes {
        return Err(LimitError::TooManyAttributes {
            count: list.len(),
            limit: limits.max_attributes,
        });
    }
    let mut out = Vec::with_capacity(list.len());
    for kv in list {
        check_str("attribute key", &kv.key, limits)?;
        let v = match &mut kv.value {
            Some(v) => convert(&kv.key, v, limits)?,
            None => Value::Null,
        };
        out.push((std::mem::take(&mut kv.key), v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};

    fn s(v: &str) -> AnyValue {
        AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }
    }

    fn nest(depth: usize) -> AnyValue {
        let mut v = s("leaf");
        for _ in 1..depth {
            v = AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: vec![KeyValue {
                        key: "k".into(),
                        value: Some(v),
                        ..Default::default()
                    }],
                })),
            };
        }
        v
    }

    #[test]
    fn depth_limit_is_exact() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(convert("a", &mut nest(3), &limits).is_ok());
        assert!(matches!(
            convert("a", &mut nest(4), &limits),
            Err(LimitError::TooDeep { .. })
        ));
    }

    #[test]
    fn bytes_become_hex_and_arrays_keep_types() {
        let mut v = AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue {
                        value: Some(any_value::Value::BytesValue(vec![0xde, 0xad])),
                    },
                    AnyValue {
                        value: Some(any_value::Value::IntValue(7)),
                    },
                ],
            })),
        };
        assert_eq!(
            convert("a", &mut v, &Limits::default()).unwrap(),
            Value::Array(vec![Value::from("dead"), Value::Int(7)])
        );
    }

    #[test]
    fn long_strings_are_rejected() {
        let limits = Limits {
            max_string_len: 4,
            ..Limits::default()
        };
        assert!(convert("a", &mut s("abcd"), &limits).is_ok());
        let err = convert("a", &mut s("abcde"), &limits).unwrap_err();
        assert!(err.to_string().contains("5 bytes"), "{err}");
    }
}
