//! tripline-redact (under construction).
