//! OTLP/JSON metrics → prost.

use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, ExponentialHistogram, ExponentialHistogramDataPoint,
    Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    Sum, Summary, SummaryDataPoint,
};
use serde::Deserialize;

use super::common::{attributes, JKeyValue, JResource, JScope};
use super::fields;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct JResourceMetrics {
    resource: Option<JResource>,
    #[serde(deserialize_with = "fields::list")]
    scope_metrics: Vec<JScopeMetrics>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JScopeMetrics {
    scope: Option<JScope>,
    #[serde(deserialize_with = "fields::list")]
    metrics: Vec<JMetric>,
    #[serde(deserialize_with = "fields::string")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JMetric {
    #[serde(deserialize_with = "fields::string")]
    name: String,
    #[serde(deserialize_with = "fields::string")]
    description: String,
    #[serde(deserialize_with = "fields::string")]
    unit: String,
    #[serde(deserialize_with = "fields::list")]
    metadata: Vec<JKeyValue>,
    gauge: Option<JPoints<JNumberPoint>>,
    sum: Option<JPoints<JNumberPoint>>,
    histogram: Option<JPoints<JHistogramPoint>>,
    exponential_histogram: Option<JPoints<JExpHistogramPoint>>,
    summary: Option<JPoints<JSummaryPoint>>,
}

/// The body of `gauge`, `sum`, `histogram`, ... : data points plus the aggregation fields
/// (ignored where the kind has none).
#[derive(Deserialize)]
#[serde(
    default,
    rename_all = "camelCase",
    bound(deserialize = "P: Deserialize<'de>")
)]
struct JPoints<P> {
    #[serde(deserialize_with = "fields::list")]
    data_points: Vec<P>,
    #[serde(deserialize_with = "fields::temporality")]
    aggregation_temporality: i32,
    is_monotonic: Option<bool>,
}

impl<P> Default for JPoints<P> {
    fn default() -> Self {
        Self {
            data_points: Vec::new(),
            aggregation_temporality: 0,
            is_monotonic: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JNumberPoint {
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::opt_f64")]
    as_double: Option<f64>,
    #[serde(deserialize_with = "fields::opt_i64")]
    as_int: Option<i64>,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JHistogramPoint {
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    count: u64,
    #[serde(deserialize_with = "fields::opt_f64")]
    sum: Option<f64>,
    #[serde(deserialize_with = "fields::vec_u64")]
    bucket_counts: Vec<u64>,
    #[serde(deserialize_with = "fields::vec_f64")]
    explicit_bounds: Vec<f64>,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
    #[serde(deserialize_with = "fields::opt_f64")]
    min: Option<f64>,
    #[serde(deserialize_with = "fields::opt_f64")]
    max: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JBuckets {
    #[serde(deserialize_with = "fields::i32")]
    offset: i32,
    #[serde(deserialize_with = "fields::vec_u64")]
    bucket_counts: Vec<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JExpHistogramPoint {
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    count: u64,
    #[serde(deserialize_with = "fields::opt_f64")]
    sum: Option<f64>,
    #[serde(deserialize_with = "fields::i32")]
    scale: i32,
    #[serde(deserialize_with = "fields::u64")]
    zero_count: u64,
    positive: Option<JBuckets>,
    negative: Option<JBuckets>,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
    #[serde(deserialize_with = "fields::opt_f64")]
    min: Option<f64>,
    #[serde(deserialize_with = "fields::opt_f64")]
    max: Option<f64>,
    #[serde(deserialize_with = "fields::f64")]
    zero_threshold: f64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JQuantile {
    #[serde(deserialize_with = "fields::f64")]
    quantile: f64,
    #[serde(deserialize_with = "fields::f64")]
    value: f64,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JSummaryPoint {
    #[serde(deserialize_with = "fields::list")]
    attributes: Vec<JKeyValue>,
    #[serde(deserialize_with = "fields::u64")]
    start_time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    time_unix_nano: u64,
    #[serde(deserialize_with = "fields::u64")]
    count: u64,
    #[serde(deserialize_with = "fields::f64")]
    sum: f64,
    #[serde(deserialize_with = "fields::list")]
    quantile_values: Vec<JQuantile>,
    #[serde(deserialize_with = "fields::u32")]
    flags: u32,
}

impl From<JResourceMetrics> for ResourceMetrics {
    fn from(r: JResourceMetrics) -> Self {
        ResourceMetrics {
            resource: r.resource.map(Into::into),
            scope_metrics: r.scope_metrics.into_iter().map(Into::into).collect(),
            schema_url: r.schema_url,
        }
    }
}

impl From<JScopeMetrics> for ScopeMetrics {
    fn from(s: JScopeMetrics) -> Self {
        ScopeMetrics {
            scope: s.scope.map(Into::into),
            metrics: s.metrics.into_iter().map(Into::into).collect(),
            schema_url: s.schema_url,
        }
    }
}

fn points<P, Q: From<P>>(p: Vec<P>) -> Vec<Q> {
    p.into_iter().map(Q::from).collect()
}

impl From<JMetric> for Metric {
    fn from(m: JMetric) -> Self {
        let data = if let Some(g) = m.gauge {
            Some(Data::Gauge(Gauge {
                data_points: points(g.data_points),
            }))
        } else if let Some(s) = m.sum {
            Some(Data::Sum(Sum {
                data_points: points(s.data_points),
                aggregation_temporality: s.aggregation_temporality,
                is_monotonic: s.is_monotonic.unwrap_or(false),
            }))
        } else if let Some(h) = m.histogram {
            Some(Data::Histogram(Histogram {
                data_points: points(h.data_points),
                aggregation_temporality: h.aggregation_temporality,
            }))
        } else if let Some(h) = m.exponential_histogram {
            Some(Data::ExponentialHistogram(ExponentialHistogram {
                data_points: points(h.data_points),
                aggregation_temporality: h.aggregation_temporality,
            }))
        } else {
            m.summary.map(|s| {
                Data::Summary(Summary {
                    data_points: points(s.data_points),
                })
            })
        };
        Metric {
            name: m.name,
            description: m.description,
            unit: m.unit,
            metadata: attributes(m.metadata),
            data,
        }
    }
}

impl From<JNumberPoint> for NumberDataPoint {
    fn from(p: JNumberPoint) -> Self {
        let value = match (p.as_int, p.as_double) {
            (Some(i), _) => Some(number_data_point::Value::AsInt(i)),
            (None, Some(d)) => Some(number_data_point::Value::AsDouble(d)),
            (None, None) => None,
        };
        NumberDataPoint {
            attributes: attributes(p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            exemplars: Vec::new(),
            flags: p.flags,
            value,
        }
    }
}

impl From<JHistogramPoint> for HistogramDataPoint {
    fn from(p: JHistogramPoint) -> Self {
        HistogramDataPoint {
            attributes: attributes(p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            count: p.count,
            sum: p.sum,
            bucket_counts: p.bucket_counts,
            explicit_bounds: p.explicit_bounds,
            exemplars: Vec::new(),
            flags: p.flags,
            min: p.min,
            max: p.max,
        }
    }
}

impl From<JBuckets> for Buckets {
    fn from(b: JBuckets) -> Self {
        Buckets {
            offset: b.offset,
            bucket_counts: b.bucket_counts,
        }
    }
}

impl From<JExpHistogramPoint> for ExponentialHistogramDataPoint {
    fn from(p: JExpHistogramPoint) -> Self {
        ExponentialHistogramDataPoint {
            attributes: attributes(p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            count: p.count,
            sum: p.sum,
            scale: p.scale,
            zero_count: p.zero_count,
            positive: p.positive.map(Into::into),
            negative: p.negative.map(Into::into),
            flags: p.flags,
            exemplars: Vec::new(),
            min: p.min,
            max: p.max,
            zero_threshold: p.zero_threshold,
        }
    }
}

impl From<JSummaryPoint> for SummaryDataPoint {
    fn from(p: JSummaryPoint) -> Self {
        SummaryDataPoint {
            attributes: attributes(p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            count: p.count,
            sum: p.sum,
            quantile_values: p
                .quantile_values
                .into_iter()
                .map(|q| ValueAtQuantile {
                    quantile: q.quantile,
                    value: q.value,
                })
                .collect(),
            flags: p.flags,
        }
    }
}
