//! Input limits: how long a URL, a body, a filter value and a note may be.

/// Requests whose URL (path and query) is longer are refused with 414 before any work
/// (hyper's HTTP/1 parser already refuses a longer request target with 414; this holds the
/// same limit for HTTP/2).
pub(crate) const MAX_URL_BYTES: usize = 64 * 1024;
/// Form bodies longer than this are refused with 413.
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024;
/// A filter value is cut to this many characters before it is used or shown.
pub(crate) const MAX_FILTER_CHARS: usize = 256;
/// A triage note is cut to this many characters.
pub(crate) const MAX_NOTE_CHARS: usize = 4000;
/// Rows on one page of the alert queue.
pub(crate) const PAGE_ROWS: i64 = 100;
/// Events shown in one session timeline.
pub(crate) const TIMELINE_ROWS: i64 = 2000;

/// `s` trimmed and cut to `max` characters (on a character boundary).
pub(crate) fn cut(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}
