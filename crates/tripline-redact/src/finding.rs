//! Scanner results and how overlapping matches are resolved.

use std::sync::Arc;

use crate::detector::Confidence;

/// One secret found in a text: the byte range of the secret itself (without context
/// such as `password=`), the detector that named it, and how sure it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Detector id, e.g. `aws_access_key`.
    pub detector: Arc<str>,
    /// Byte offset of the first secret byte (always on a char boundary).
    pub start: usize,
    /// Byte offset one past the last secret byte (always on a char boundary).
    pub end: usize,
    /// The naming detector's confidence.
    pub confidence: Confidence,
}

impl Finding {
    /// The secret's text within the scanned string.
    pub fn secret<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    fn beats(&self, other: &Finding) -> bool {
        (self.confidence, self.end - self.start) > (other.confidence, other.end - other.start)
    }
}

/// Merge overlapping candidates into non-overlapping findings sorted by start.
///
/// Overlapping candidates form one cluster whose range is their union (so nothing any
/// detector flagged is left partly visible); the cluster is named after its strongest
/// member: higher confidence first, then the longer match, then the earlier detector.
pub(crate) fn merge_overlapping(mut candidates: Vec<Finding>) -> Vec<Finding> {
    candidates.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(candidates.len());
    let mut best: Option<Finding> = None;
    for cand in candidates {
        match out.last_mut() {
            Some(cluster) if cand.start < cluster.end => {
                if best.as_ref().is_none_or(|b| cand.beats(b)) {
                    cluster.detector = cand.detector.clone();
                    cluster.confidence = cand.confidence;
                    best = Some(cand.clone());
                }
                cluster.end = cluster.end.max(cand.end);
            }
            _ => {
                best = Some(cand.clone());
                out.push(cand);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, start: usize, end: usize, c: Confidence) -> Finding {
        Finding {
            detector: Arc::from(id),
            start,
            end,
            confidence: c,
        }
    }

    #[test]
    fn disjoint_candidates_stay_apart() {
        let got = merge_overlapping(vec![
            f("b", 10, 12, Confidence::Low),
            f("a", 0, 4, Confidence::High),
        ]);
        assert_eq!(
            got,
            vec![
                f("a", 0, 4, Confidence::High),
                f("b", 10, 12, Confidence::Low)
            ]
        );
    }

    #[test]
    fn overlap_takes_union_and_strongest_name() {
        let got = merge_overlapping(vec![
            f("generic", 0, 30, Confidence::Low),
            f("specific", 5, 25, Confidence::High),
            f("tail", 28, 40, Confidence::Low),
        ]);
        assert_eq!(got, vec![f("specific", 0, 40, Confidence::High)]);
    }

    #[test]
    fn same_confidence_prefers_longer() {
        let got = merge_overlapping(vec![
            f("short", 0, 10, Confidence::High),
            f("long", 2, 20, Confidence::High),
        ]);
        assert_eq!(got, vec![f("long", 0, 20, Confidence::High)]);
    }

    #[test]
    fn touching_ranges_do_not_merge() {
        let got = merge_overlapping(vec![
            f("a", 0, 5, Confidence::High),
            f("b", 5, 9, Confidence::High),
        ]);
        assert_eq!(got.len(), 2);
    }
}
