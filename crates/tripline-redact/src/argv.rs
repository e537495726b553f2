//! Secret masking of an argv array: each element is masked on its own, then the elements
//! are scanned joined by spaces, so a flag and its value in separate elements
//! (`["--password", "hunter2"]`) are seen together.

use std::ops::Range;

use tripline_event::Value;

use crate::mask::Masker;
use crate::report::RedactionReport;

/// Mask secrets across the string elements of `items`. Returns whether anything changed.
pub(crate) fn mask_argv(
    masker: &Masker<'_>,
    items: &mut [Value],
    report: &mut RedactionReport,
) -> bool {
    // Each element alone first (this unpacks JSON carried in an element), then the
    // joined command line for secrets split across elements.
    let mut changed_any = false;
    for item in items.iter_mut() {
        if let Value::Str(s) = item {
            if let std::borrow::Cow::Owned(new) = masker.mask(s, report) {
                *s = new;
                changed_any = true;
            }
        }
    }
    let mut joined = String::new();
    let mut spans: Vec<Option<Range<usize>>> = Vec::with_capacity(items.len());
    for item in items.iter() {
        match item {
            Value::Str(s) => {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                let start = joined.len();
                joined.push_str(s);
                spans.push(Some(start..joined.len()));
            }
            _ => spans.push(None),
        }
    }
    let findings = masker.findings(&joined);
    if findings.is_empty() {
        return changed_any;
    }
    for (item, span) in items.iter_mut().zip(&spans) {
        let (Value::Str(s), Some(span)) = (item, span) else {
            continue;
        };
        let mut out = String::with_capacity(s.len());
        let mut at = span.start;
        let mut changed = false;
        for f in &findings {
            let (start, end) = (f.start.max(span.start), f.end.min(span.end));
            if start >= end {
                continue;
            }
            out.push_str(&joined[at..start]);
            out.push_str(&masker.token(f, &joined));
            at = end;
            changed = true;
        }
        if changed {
            out.push_str(&joined[at..span.end]);
            *s = out;
        }
    }
    for f in &findings {
        report.secret(&f.detector);
    }
    true
}
