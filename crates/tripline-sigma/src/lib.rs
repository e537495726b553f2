//! tripline's streaming Sigma engine (no I/O).
//!
//! * [`Engine::compile`] parses and compiles Sigma v2.1 rule files (detections,
//!   correlations, filters, plus tripline's `first_seen`, `suppress` and `tripline:`
//!   (dynamic level, secret matching) extensions);
//! * [`Engine::process`] runs one [`tripline_event::Event`] through them and returns
//!   [`Output`]s carrying [`tripline_event::Alert`]s;
//! * [`Engine::snapshot`] / [`Engine::restore`] persist the streaming state.
//!
//! Semantics and every decision on the spec's open points: `docs/sigma.md`.

pub mod alert;
pub mod condition;
pub mod correlation;
pub mod detection;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod extension;
pub mod first_seen;
pub mod lists;
pub mod mapping;
pub mod matcher;
pub mod modifiers;
pub mod pattern;
pub mod profile;
pub mod rule;
pub mod secret;
pub mod source;
pub mod stream;
pub mod suppress;
pub mod time;
pub mod yaml;

pub use alert::{Output, OutputKind};
pub use engine::{
    Detected, Detector, Engine, EngineOptions, EntryKey, RuleInfo, RuleSource, StateDelta,
};
pub use error::CompileError;
pub use evidence::Evidence;
pub use first_seen::BaselineEntry;
pub use lists::Lists;
pub use mapping::FieldMapping;
pub use profile::ProfileEntry;
pub use secret::{SecretCheck, SecretConfidence};
pub use source::FieldSource;
