//! Metric data points → events (`signal = metric`), one per data point.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point, Metric,
};
use prost::Message;
use tripline_event::id::RecordDigest;
use tripline_event::{names, Event, Signal, Value};

use super::agent;
use super::builder::Builder;
use super::context::{add_shared, ResourceCtx, ScopeCtx};
use super::time;
use super::values::{self, check_str, LimitError};
use super::Batch;

pub(crate) fn normalize(req: &mut ExportMetricsServiceRequest, batch: &mut Batch) {
    for (ri, rm) in req.resource_metrics.iter_mut().enumerate() {
        let count = || {
            rm.scope_metrics
                .iter()
                .flat_map(|s| &s.metrics)
                .map(point_count)
                .sum()
        };
        let res = match ResourceCtx::new(rm.resource.as_mut(), batch.limits) {
            Ok(r) => r,
            Err(e) => {
                batch.reject(format_args!("resource #{ri}"), &e, count());
                continue;
            }
        };
        for (si, sm) in rm.scope_metrics.iter_mut().enumerate() {
            let scope = match ScopeCtx::new(sm.scope.as_mut(), batch.limits) {
                Ok(s) => s,
                Err(e) => {
                    let n = sm.metrics.iter().map(point_count).sum();
                    batch.reject(format_args!("scope #{si} of resource #{ri}"), &e, n);
                    continue;
                }
            };
            for metric in &mut sm.metrics {
                metric_points(metric, &res, &scope, batch);
            }
        }
    }
}

fn point_count(m: &Metric) -> u64 {
    let n = match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    };
    n as u64
}

/// The fields every data point of one metric shares.
struct MetricInfo<'a> {
    metric: &'a Metric,
    kind: &'static str,
    temporality: Option<&'static str>,
    monotonic: Option<bool>,
}

/// What differs between data-point kinds. `encoded` is the point as sent, taken before its
/// attributes were moved out.
struct Point {
    encoded: Vec<u8>,
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    fields: Vec<(&'static str, Value)>,
}

/// One event per data point of `metric`; takes the points' attributes.
fn metric_points(metric: &mut Metric, res: &ResourceCtx, scope: &ScopeCtx, batch: &mut Batch) {
    let Some(data) = &mut metric.data else { return };
    let (kind, temporality, monotonic, points): (_, _, _, Vec<Point>) = match data {
        Data::Gauge(g) => (
            "gauge",
            None,
            None,
            g.data_points.iter_mut().map(number).collect(),
        ),
        Data::Sum(s) => (
            "sum",
            temporality_name(s.aggregation_temporality),
            Some(s.is_monotonic),
            s.data_points.iter_mut().map(number).collect(),
        ),
        Data::Histogram(h) => (
            "histogram",
            temporality_name(h.aggregation_temporality),
            None,
            h.data_points
                .iter_mut()
                .map(|p| Point {
                    encoded: p.encode_to_vec(),
                    attributes: std::mem::take(&mut p.attributes),
                    start: p.start_time_unix_nano,
                    time: p.time_unix_nano,
                    fields: histogram_fields(p.count, p.sum, p.min, p.max)
                        .chain([
                            ("bucket_counts", u64_array(&p.bucket_counts)),
                            (
                                "explicit_bounds",
                                Value::Array(
                                    p.explicit_bounds.iter().map(|b| Value::Float(*b)).collect(),
                                ),
                            ),
                        ])
                        .collect(),
                })
                .collect(),
        ),
        Data::ExponentialHistogram(h) => (
            "exponential_histogram",
            temporality_name(h.aggregation_temporality),
            None,
            h.data_points
                .iter_mut()
                .map(|p| Point {
                    encoded: p.encode_to_vec(),
                    attributes: std::mem::take(&mut p.attributes),
                    start: p.start_time_unix_nano,
                    time: p.time_unix_nano,
                    fields: histogram_fields(p.count, p.sum, p.min, p.max)
                        .chain([
                            ("scale", Value::Int(i64::from(p.scale))),
                            ("zero_count", Value::Int(sat(p.zero_count))),
                            ("positive", buckets(p.positive.as_ref())),
                            ("negative", buckets(p.negative.as_ref())),
                        ])
                        .collect(),
                })
                .collect(),
        ),
        Data::Summary(s) => (
            "summary",
            None,
            None,
            s.data_points
                .iter_mut()
                .map(|p| Point {
                    encoded: p.encode_to_vec(),
                    attributes: std::mem::take(&mut p.attributes),
                    start: p.start_time_unix_nano,
                    time: p.time_unix_nano,
                    fields: vec![
                        ("count", Value::Int(sat(p.count))),
                        ("sum", Value::Float(p.sum)),
                        (
                            "quantile_values",
                            Value::Array(
                                p.quantile_values
                                    .iter()
                                    .map(|q| {
                                        Value::Object(
                                            [
                                                ("quantile".to_owned(), Value::Float(q.quantile)),
                                                ("value".to_owned(), Value::Float(q.value)),
                                            ]
                                            .into(),
                                        )
                                    })
                                    .collect(),
                            ),
                        ),
                    ],
                })
                .collect(),
        ),
    };
    let info = MetricInfo {
        metric: &*metric,
        kind,
        temporality,
        monotonic,
    };
    for (pi, point) in points.into_iter().enumerate() {
        match point_event(&info, point, res, scope, batch) {
            Ok(ev) => batch.events.push(ev),
            Err(e) => batch.reject(
                format_args!("data point #{pi} of metric `{}`", truncate(&metric.name)),
                &e,
                1,
            ),
        }
    }
}

fn number(p: &mut opentelemetry_proto::tonic::metrics::v1::NumberDataPoint) -> Point {
    let value = match p.value {
        Some(number_data_point::Value::AsInt(i)) => Value::Int(i),
        Some(number_data_point::Value::AsDouble(d)) => Value::Float(d),
        None => Value::Null,
    };
    Point {
        encoded: p.encode_to_vec(),
        attributes: std::mem::take(&mut p.attributes),
        start: p.start_time_unix_nano,
        time: p.time_unix_nano,
        fields: vec![(names::VALUE, value)],
    }
}

fn histogram_fields(
    count: u64,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
) -> impl Iterator<Item = (&'static str, Value)> {
    [
        Some(("count", Value::Int(sat(count)))),
        sum.map(|v| ("sum", Value::Float(v))),
        min.map(|v| ("min", Value::Float(v))),
        max.map(|v| ("max", Value::Float(v))),
    ]
    .into_iter()
    .flatten()
}

fn buckets(b: Option<&Buckets>) -> Value {
    match b {
        None => Value::Null,
        Some(b) => Value::Object(
            [
                ("offset".to_owned(), Value::Int(i64::from(b.offset))),
                ("bucket_counts".to_owned(), u64_array(&b.bucket_counts)),
            ]
            .into(),
        ),
    }
}

fn u64_array(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|c| Value::Int(sat(*c))).collect())
}

/// u64 counts as i64, saturating (counts above 2^63 do not occur in practice).
fn sat(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn temporality_name(t: i32) -> Option<&'static str> {
    match t {
        1 => Some("delta"),
        2 => Some("cumulative"),
        _ => None,
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn point_event(
    info: &MetricInfo,
    mut point: Point,
    res: &ResourceCtx,
    scope: &ScopeCtx,
    batch: &mut Batch,
) -> Result<Event, LimitError> {
    let limits = batch.limits;
    let m = info.metric;
    check_str("metric name", &m.name, limits)?;
    check_str("metric unit", &m.unit, limits)?;
    let attrs = values::attributes(&mut point.attributes, limits)?;
    let len = point
        .fields
        .iter()
        .map(|(_, v)| array_len(v))
        .max()
        .unwrap_or(0);
    if len > limits.max_array_len {
        return Err(LimitError::ArrayTooLong {
            key: "bucket_counts".into(),
            len,
            limit: limits.max_array_len,
        });
    }
    let agent = agent::infer(Some(&m.name), &scope.name, res.service_name.as_deref());
    let id = batch.ids.assign(RecordDigest::of_parts([
        &b"metric"[..],
        &res.digest,
        &scope.digest,
        m.name.as_bytes(),
        m.unit.as_bytes(),
        info.kind.as_bytes(),
        info.temporality.unwrap_or("").as_bytes(),
        &point.encoded,
    ]));

    let mut b = Builder::default();
    b.set(names::SIGNAL, Signal::Metric.as_str());
    b.set(names::AGENT, agent.as_str());
    b.set(names::ID, id);
    b.set_opt(names::TIME, time::from_unix_nanos(point.time));
    b.set_opt(names::START_TIME, time::from_unix_nanos(point.start));
    b.set(names::EVENT_NAME, m.name.as_str());
    b.set(names::METRIC_NAME, m.name.as_str());
    b.set(names::METRIC_KIND, info.kind);
    if !m.unit.is_empty() {
        b.set(names::METRIC_UNIT, m.unit.as_str());
    }
    b.set_opt(names::TEMPORALITY, info.temporality);
    b.set_opt("monotonic", info.monotonic);
    for (k, v) in point.fields {
        if !v.is_null() {
            b.set(k, v);
        }
    }
    add_shared(&mut b, attrs, res, scope);
    Ok(b.finish())
}

fn array_len(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.values().map(array_len).max().unwrap_or(0),
        _ => 0,
    }
}
