//! What every record of a resource / scope block shares: converted attributes, names and
//! digests for ids.

use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tripline_event::id::part_digest;
use tripline_event::names;

use super::builder::Builder;
use super::values::{self, check_str, Attr, LimitError};
use crate::limits::Limits;

/// A resource block, converted once.
pub(crate) struct ResourceCtx {
    /// Attributes under their canonical names.
    pub(crate) attrs: Vec<Attr>,
    pub(crate) service_name: Option<String>,
    pub(crate) digest: [u8; 32],
}

impl ResourceCtx {
    /// Takes the resource's attribute values (digested first).
    pub(crate) fn new(res: Option<&mut Resource>, limits: &Limits) -> Result<Self, LimitError> {
        let mut empty = Resource::default();
        let res = res.unwrap_or(&mut empty);
        let digest = part_digest(&res.encode_to_vec());
        let attrs = values::attributes(&mut res.attributes, limits)?;
        let service_name = attrs
            .iter()
            .find(|(k, _)| k == "service.name")
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned);
        Ok(Self {
            attrs: attrs
                .into_iter()
                .map(|(k, v)| (names::canonical(&k), v))
                .collect(),
            service_name,
            digest,
        })
    }
}

/// An instrumentation-scope block, converted once.
pub(crate) struct ScopeCtx {
    pub(crate) name: String,
    pub(crate) version: String,
    /// Attributes under their final names, `scope.<canonical name>`.
    pub(crate) attrs: Vec<Attr>,
    pub(crate) digest: [u8; 32],
}

impl ScopeCtx {
    /// Takes the scope's attribute values (digested first).
    pub(crate) fn new(
        scope: Option<&mut InstrumentationScope>,
        limits: &Limits,
    ) -> Result<Self, LimitError> {
        let mut empty = InstrumentationScope::default();
        let scope = scope.unwrap_or(&mut empty);
        let digest = part_digest(&scope.encode_to_vec());
        check_str("scope name", &scope.name, limits)?;
        check_str("scope version", &scope.version, limits)?;
        Ok(Self {
            name: scope.name.clone(),
            version: scope.version.clone(),
            attrs: values::attributes(&mut scope.attributes, limits)?
                .into_iter()
                .map(|(k, v)| {
                    (
                        format!("{}{}", names::SCOPE_PREFIX, names::canonical(&k)),
                        v,
                    )
                })
                .collect(),
            digest,
        })
    }
}

/// Set the scope identity fields, then add the record's attributes and the shared
/// resource and scope attributes (in that precedence order).
pub(crate) fn add_shared(
    b: &mut Builder,
    record_attrs: Vec<Attr>,
    res: &ResourceCtx,
    scope: &ScopeCtx,
) {
    if !scope.name.is_empty() {
        b.set(names::SCOPE_NAME, scope.name.as_str());
    }
    if !scope.version.is_empty() {
        b.set(names::SCOPE_VERSION, scope.version.as_str());
    }
    b.record_attributes(record_attrs);
    b.resource_attributes(&res.attrs);
    b.scope_attributes(&scope.attrs);
}

/// Lowercase hex of a trace or span id; `None` when empty or all zero (unset).
pub(crate) fn hex_id(id: &[u8]) -> Option<String> {
    if id.iter().all(|b| *b == 0) {
        None
    } else {
        let mut out = vec![0u8; id.len() * 2];
        hex::encode_to_slice(id, &mut out).expect("two digits per byte");
        String::from_utf8(out).ok()
    }
}

/// The string value of a raw attribute key among converted attributes.
pub(crate) fn attr_str<'a>(attrs: &'a [Attr], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
}
