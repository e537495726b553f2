//! Sink types by config name: one table of (type name, constructor). Each type lives in its
//! own module with a `build(&BuildContext, &toml::Table) -> Result<Box<dyn Sink>, BuildError>`.

use crate::sink::{BuildContext, BuildError, Sink};

/// A sink type's constructor from its type-specific options.
type Build = fn(&BuildContext, &toml::Table) -> Result<Box<dyn Sink>, BuildError>;

/// Every sink type accepted in `[[sinks]] type = "..."`, with its constructor.
const SINK_TYPES: &[(&str, Build)] = &[
    ("file", crate::file::build),
    ("stdout", crate::stdout::build),
    ("archive", crate::archive::build),
    ("webhook", crate::webhook::build),
    ("splunk_hec", crate::splunk_hec::build),
    ("elasticsearch", crate::elasticsearch::build),
    ("otlp", crate::otlp::build),
    ("syslog", crate::syslog::build),
    ("parquet", crate::parquet::build),
];

/// The accepted sink type names, in the table's order.
pub fn types() -> impl Iterator<Item = &'static str> {
    SINK_TYPES.iter().map(|(name, _)| *name)
}

/// Whether `kind` names a sink type.
pub fn is_type(kind: &str) -> bool {
    types().any(|t| t == kind)
}

/// The accepted sink type names as one comma-separated list, for error messages.
pub fn type_list() -> String {
    types().collect::<Vec<_>>().join(", ")
}

/// Build the sink of type `kind` from its type-specific `options`.
pub fn build(
    kind: &str,
    ctx: &BuildContext,
    options: &toml::Table,
) -> Result<Box<dyn Sink>, BuildError> {
    match SINK_TYPES.iter().find(|(name, _)| *name == kind) {
        Some((_, build)) => build(ctx, options),
        None => Err(BuildError {
            sink: ctx.name.clone(),
            kind: "unknown",
            message: format!(
                "unknown sink type {kind:?}; expected one of {}",
                type_list()
            ),
        }),
    }
}
