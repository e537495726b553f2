//! Structured logs on stderr. `RUST_LOG` (or `TRIPLINE_LOG`) sets the filter; default `info`.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber once.
pub fn init() {
    let filter = std::env::var("TRIPLINE_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
