//! Numeric comparison modifiers: `lt`, `lte`, `gt`, `gte`.

use tripline_event::Value;

use crate::source::as_number;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

impl CmpOp {
    /// `a op b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Lte => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Gte => a >= b,
        }
    }
}

/// Whether the event value is a number (or numeric string) that compares as asked.
pub fn compare(v: &Value, op: CmpOp, reference: f64) -> bool {
    as_number(v).is_some_and(|n| op.holds(n, reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_numeric_strings_compare() {
        assert!(compare(&Value::from("1500"), CmpOp::Gt, 1000.0));
        assert!(compare(&Value::Int(1000), CmpOp::Gte, 1000.0));
        assert!(!compare(&Value::Int(1000), CmpOp::Gt, 1000.0));
        assert!(!compare(&Value::from("n/a"), CmpOp::Lt, 1e9));
        assert!(compare(&Value::Float(0.5), CmpOp::Lte, 1.0));
    }
}
