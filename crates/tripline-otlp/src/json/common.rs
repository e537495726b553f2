//! OTLP/JSON shapes shared by all signals: values, attributes, resource and scope.

use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde::Deserialize;

use super::fields;

/// `AnyValue`: an object with one of the `*Value` keys; `{}` is an empty value.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JAnyValue {
    string_value: Option<String>,
    bool_value: Option<bool>,
    #[serde(deserialize_with = "fields::opt_i64")]
    int_value: Option<i64>,
    #[serde(deserialize_with = "fields::opt_f64")]
    double_value: Option<f64>,
    array_value: Option<JArrayValue>,
    kvlist_value: Option<JKeyValueList>,
    #[serde(deserialize_with = "fields::opt_bytes")]
    bytes_value: Option<Vec<u8>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct JArrayValue {
    #[serde(deserialize_with = "fields::list")]
    values: Vec<JAnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct JKeyValueList {
    #[serde(deserialize_with = "fields::list")]
    values: Vec<JKeyValue>,
}

/// One attribute.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct JKeyValue {
    #[serde(deserialize_with = "fields::string")]
    key: String,
    value: Option<JAnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JResource {
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JScope {
    #[serde(deserialize_with = "fields::string")]
    name: String,
    #[serde(deserialize_with = "fields::string")]
    version: String,
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u32")]
    dropped_attributes_count: u32,
}

impl From<JAnyValue> for AnyValue {
    fn from(v: JAnyValue) -> Self {
        use any_value::Value as V;
        let value = if let Some(s) = v.string_value {
            Some(V::StringValue(s))
        } else if let Some(b) = v.bool_value {
            Some(V::BoolValue(b))
        } else if let Some(i) = v.int_value {
            Some(V::IntValue(i))
        } else if let Some(d) = v.double_value {
            Some(V::DoubleValue(d))
        } else if let Some(a) = v.array_value {
            Some(V::ArrayValue(ArrayValue {
                values: a.values.into_iter().map(AnyValue::from).collect(),
            }))
        } else if let Some(kv) = v.kvlist_value {
            Some(V::KvlistValue(KeyValueList {
                values: attributes(kv.values),
            }))
        } else {
            v.bytes_value.map(V::BytesValue)
        };
        AnyValue { value }
    }
}

impl From<JKeyValue> for KeyValue {
    fn from(kv: JKeyValue) -> Self {
        KeyValue {
            key: kv.key,
            value: kv.value.map(AnyValue::from),
            ..Default::default()
        }
    }
}

/// Convert a JSON attribute list.
pub(crate) fn attributes(list: Vec<JKeyValue>) -> Vec<KeyValue> {
    list.into_iter().map(KeyValue::from).collect()
}

impl From<JResource> for Resource {
    fn from(r: JResource) -> Self {
        Resource {
            attributes: attributes(r.attributes),
            dropped_attributes_count: r.dropped_attributes_count,
            ..Default::default()
        }
    }
}

impl From<JScope> for InstrumentationScope {
    fn from(s: JScope) -> Self {
        InstrumentationScope {
            name: s.name,
            version: s.version,
            attributes: attributes(s.attributes),
            dropped_attributes_count: s.dropped_attributes_count,
        }
    }
}
