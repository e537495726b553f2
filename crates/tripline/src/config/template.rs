//! The annotated default config printed by `tripline config default`.

/// Every field with its default, what it does and its environment variable. Tests keep it
/// equal to `Config::default()` and complete.
pub const DEFAULT_TOML: &str = include_str!("default.toml");
