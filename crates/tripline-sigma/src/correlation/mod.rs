//! Correlation rules: parsed specs ([`spec`]) and the sliding-window state per group
//! ([`window`]).

pub mod spec;
pub mod window;
