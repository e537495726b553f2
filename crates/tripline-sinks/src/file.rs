//! The `file` sink (not built yet).

use crate::sink::{BuildContext, BuildError, Sink};

pub fn build(ctx: &BuildContext, _options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    Err(BuildError { sink: ctx.name.clone(), kind: "file", message: "this sink type is not built yet".into() })
}
