//! Output formats and sinks for tripline alerts and events.
//!
//! * [`ocsf`]: OCSF Detection Finding (class_uid 2004) for alerts.
//!
//! Everything handed to this crate is already redacted.

pub mod ocsf;
