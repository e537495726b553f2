//! The canonical data model shared by every tripline stage.
//!
//! * [`Value`]: a typed field value (OTLP types plus arrays and objects).
//! * [`Event`]: one flattened, normalized unit of telemetry (a log record, a metric data
//!   point, a span, or a span event), keyed by canonical field name.
//! * [`Alert`]: what the detection stage emits.
//! * [`names`]: the canonical field names, so no stage spells them twice.
//! * [`id`]: content-derived event ids, the one place an event id is made.
//!
//! This crate has no I/O and no knowledge of OTLP, Sigma or storage.

pub mod alert;
pub mod event;
pub mod id;
pub mod names;
pub mod value;

pub use alert::{Alert, Resolution, RuleRef, Triage, TriageStatus, PATTERN_TAG_PREFIX};
pub use event::{Agent, Event, Signal};
pub use value::Value;
