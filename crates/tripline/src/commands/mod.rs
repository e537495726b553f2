//! One module per subcommand.

pub mod baseline;
pub mod config;
pub mod console;
pub mod lists;
pub mod query;
pub mod replay;
pub mod retention;
pub mod rules;
pub mod serve;
pub mod settings;
pub mod sinks;
pub mod validate;
pub mod wal;
