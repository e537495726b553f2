//! tripline-sinks (under construction).
