//! Correlation rules: parsed specs ([`spec`]), the sliding-window state per group
//! ([`window`]) and its running aggregates ([`aggregate`]).

pub(crate) mod aggregate;
pub mod spec;
pub mod window;
