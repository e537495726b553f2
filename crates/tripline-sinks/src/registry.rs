//! Sink types by config name. Each type lives in its own module with a
//! `build(&BuildContext, &toml::Table) -> Result<Box<dyn Sink>, BuildError>`.

use crate::sink::{BuildContext, BuildError, Sink};

/// Every sink type name accepted in `[[sinks]] type = "..."`.
pub const TYPES: &[&str] = &[
    "file",
    "stdout",
    "archive",
    "webhook",
    "splunk_hec",
    "elasticsearch",
    "otlp",
    "syslog",
    "parquet",
];

/// Build the sink of type `kind` from its type-specific `options`.
pub fn build(
    kind: &str,
    ctx: &BuildContext,
    options: &toml::Table,
) -> Result<Box<dyn Sink>, BuildError> {
    match kind {
        "file" => crate::file::build(ctx, options),
        "stdout" => crate::stdout::build(ctx, options),
        "archive" => crate::archive::build(ctx, options),
        "webhook" => crate::webhook::build(ctx, options),
        "splunk_hec" => crate::splunk_hec::build(ctx, options),
        "elasticsearch" => crate::elasticsearch::build(ctx, options),
        "otlp" => crate::otlp::build(ctx, options),
        "syslog" => crate::syslog::build(ctx, options),
        "parquet" => crate::parquet::build(ctx, options),
        other => Err(BuildError {
            sink: ctx.name.clone(),
            kind: "unknown",
            message: format!(
                "unknown sink type {other:?}; expected one of {}",
                TYPES.join(", ")
            ),
        }),
    }
}
