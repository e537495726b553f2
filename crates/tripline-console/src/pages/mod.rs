//! One module per page. Every value is escaped by `maud` (its `(expr)` splices escape);
//! nothing from the store or the request is ever spliced with `PreEscaped`.

pub(crate) mod admin;
pub(crate) mod alerts;
pub(crate) mod health;
pub(crate) mod inventory;
pub(crate) mod layout;
pub(crate) mod login;
pub(crate) mod rules;
pub(crate) mod sessions;
