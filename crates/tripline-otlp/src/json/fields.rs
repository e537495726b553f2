//! `deserialize_with` adapters from lenient OTLP/JSON scalars to prost field types. Each
//! treats `null` as the proto3 default, and reports a bad value through serde so that
//! serde_json attaches the line and column.

use serde::de::{Deserializer, Error};
use serde::Deserialize;

use super::scalars::{base64_bytes, hex_id, Num};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};

fn num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Num>, D::Error> {
    Option::<Num>::deserialize(d)
}

pub(crate) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    num(d)?.map_or(Ok(0), |n| {
        n.to_u64("uint64 field").map_err(D::Error::custom)
    })
}

pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    num(d)?.map_or(Ok(0), |n| {
        n.to_u32("uint32 field").map_err(D::Error::custom)
    })
}

pub(crate) fn i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    num(d)?.map_or(Ok(0), |n| n.to_i32("int32 field").map_err(D::Error::custom))
}

pub(crate) fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    num(d)?.map_or(Ok(0.0), |n| {
        n.to_f64("double field").map_err(D::Error::custom)
    })
}

pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    num(d)?
        .map(|n| n.to_i64("intValue").map_err(D::Error::custom))
        .transpose()
}

pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    num(d)?
        .map(|n| n.to_f64("double field").map_err(D::Error::custom))
        .transpose()
}

pub(crate) fn vec_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Option::<Vec<Num>>::deserialize(d)?
        .unwrap_or_default()
        .iter()
        .map(|n| n.to_u64("bucketCounts").map_err(D::Error::custom))
        .collect()
}

pub(crate) fn vec_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Option::<Vec<Num>>::deserialize(d)?
        .unwrap_or_default()
        .iter()
        .map(|n| n.to_f64("explicitBounds").map_err(D::Error::custom))
        .collect()
}

pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    hex_id(s.as_deref(), "trace/span id").map_err(D::Error::custom)
}

pub(crate) fn opt_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| base64_bytes(&s, "bytesValue").map_err(D::Error::custom))
        .transpose()
}

/// A string that may be `null`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A list that may be `null`.
pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn enum_field<'de, D: Deserializer<'de>>(
    d: D,
    field: &str,
    by_name: fn(&str) -> Option<i32>,
) -> Result<i32, D::Error> {
    num(d)?.map_or(Ok(0), |n| {
        n.to_enum(field, by_name).map_err(D::Error::custom)
    })
}

pub(crate) fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    enum_field(d, "severityNumber", |s| {
        SeverityNumber::from_str_name(s).map(|v| v as i32)
    })
}

pub(crate) fn span_kind<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    enum_field(d, "kind", |s| SpanKind::from_str_name(s).map(|v| v as i32))
}

pub(crate) fn status_code<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    enum_field(d, "code", |s| {
        StatusCode::from_str_name(s).map(|v| v as i32)
    })
}

pub(crate) fn temporality<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    enum_field(d, "aggregationTemporality", |s| {
        AggregationTemporality::from_str_name(s).map(|v| v as i32)
    })
}
