//! `google.rpc.Status` and `google.rpc.RetryInfo`: the error bodies of OTLP/HTTP and the
//! error details of OTLP/gRPC. Hand-written prost messages (three small types do not
//! justify another dependency).

use std::time::Duration;

use prost::Message;
use serde_json::json;

use crate::ingest::IngestError;

/// `type_url` of [`RetryInfo`] inside an [`Any`].
pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    /// A `google.rpc.Code` (gRPC code) value.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Developer-facing English message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Typed details.
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
pub struct Any {
    /// The type of `value`, e.g. [`RETRY_INFO_TYPE_URL`].
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The encoded message.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, Message)]
pub struct ProtoDuration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds past `seconds`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `google.rpc.RetryInfo`: how long a client should wait before retrying.
#[derive(Clone, PartialEq, Message)]
pub struct RetryInfo {
    /// The delay.
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

impl RetryInfo {
    /// A `RetryInfo` for `delay`.
    pub fn new(delay: Duration) -> RetryInfo {
        RetryInfo {
            retry_delay: Some(ProtoDuration {
                seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(delay.subsec_nanos()).unwrap_or(0),
            }),
        }
    }

    /// The delay, if set.
    pub fn delay(&self) -> Option<Duration> {
        let d = self.retry_delay.as_ref()?;
        Some(Duration::new(
            u64::try_from(d.seconds).ok()?,
            u32::try_from(d.nanos).ok()?,
        ))
    }
}

impl RpcStatus {
    /// A status with no details.
    pub fn new(code: tonic::Code, message: impl Into<String>) -> RpcStatus {
        RpcStatus {
            code: code as i32,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The status for an [`IngestError`], with a `RetryInfo` detail for retryable errors.
    pub fn from_ingest_error(err: &IngestError) -> RpcStatus {
        let mut status = RpcStatus::new(err.grpc_code(), err.to_string());
        if let Some(delay) = err.retry_after() {
            status.details.push(Any {
                type_url: RETRY_INFO_TYPE_URL.to_string(),
                value: RetryInfo::new(delay).encode_to_vec(),
            });
        }
        status
    }

    /// The first `RetryInfo` detail, if any.
    pub fn retry_info(&self) -> Option<RetryInfo> {
        self.details
            .iter()
            .filter(|d| d.type_url == RETRY_INFO_TYPE_URL)
            .find_map(|d| RetryInfo::decode(d.value.as_slice()).ok())
    }

    /// The proto3 JSON form: `{"code":3,"message":"...","details":[...]}`. `RetryInfo`
    /// details are rendered as `{"@type":...,"retryDelay":"5s"}`; other details are dropped.
    pub fn to_json(&self) -> Vec<u8> {
        let details: Vec<serde_json::Value> = self
            .details
            .iter()
            .filter(|d| d.type_url == RETRY_INFO_TYPE_URL)
            .filter_map(|d| RetryInfo::decode(d.value.as_slice()).ok())
            .filter_map(|r| r.delay())
            .map(|d| json!({"@type": RETRY_INFO_TYPE_URL, "retryDelay": json_duration(d)}))
            .collect();
        let mut obj = json!({"code": self.code, "message": self.message});
        if !details.is_empty() {
            obj["details"] = serde_json::Value::Array(details);
        }
        obj.to_string().into_bytes()
    }
}

/// A proto3 JSON duration: `"5s"`, `"1.500s"`.
fn json_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}.{:09}s", d.as_secs(), d.subsec_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_round_trips_through_status() {
        let err = IngestError::Overloaded {
            retry_after: Duration::from_millis(2500),
        };
        let status = RpcStatus::from_ingest_error(&err);
        assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
        let bytes = status.encode_to_vec();
        let back = RpcStatus::decode(bytes.as_slice()).unwrap();
        assert_eq!(
            back.retry_info().and_then(|r| r.delay()),
            Some(Duration::from_millis(2500))
        );
    }

    #[test]
    fn non_retryable_errors_carry_no_retry_info() {
        let status = RpcStatus::from_ingest_error(&IngestError::TooLarge("big".into()));
        assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
        assert!(status.retry_info().is_none());
    }

    #[test]
    fn json_form_follows_proto3_mapping() {
        let err = IngestError::Unavailable {
            retry_after: Duration::from_secs(7),
            reason: "disk".into(),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&RpcStatus::from_ingest_error(&err).to_json()).unwrap();
        assert_eq!(v["code"], 14);
        assert!(v["message"].as_str().unwrap().contains("disk"));
        assert_eq!(v["details"][0]["retryDelay"], "7s");
    }
}
