//! Decode OTLP (protobuf and JSON) and flatten it into canonical [`tripline_event::Event`]s.

pub mod signal;

pub use signal::{Encoding, OtlpSignal};
