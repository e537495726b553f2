//! Send a [`GenSpec`]'s batches with C concurrent clients, retrying like an OTLP exporter.
//!
//! Retry policy (the OTLP specification's, as the OpenTelemetry SDKs and Collector
//! implement it): HTTP 429, 502, 503, 504, gRPC UNAVAILABLE, RESOURCE_EXHAUSTED,
//! DEADLINE_EXCEEDED, ABORTED, CANCELLED, and connection errors or timeouts are retried.
//! A `Retry-After` header (or gRPC `RetryInfo`) is honoured; otherwise the delay is
//! exponential backoff with jitter. Any other answer (400, 413, 401, ...) is final: the
//! batch is counted as rejected and not retried. A batch is given up after
//! [`RetryPolicy::max_elapsed`] (the exporters' `max_elapsed_time`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use prost::Message;

use crate::corpus::{CorpusRequest, Signal};
use crate::gen::{mix, GenSpec};

/// Which OTLP transport to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP, `POST /v1/logs`, `application/x-protobuf`.
    Http,
    /// OTLP/gRPC, `LogsService/Export`.
    Grpc,
}

/// Where to send: `127.0.0.1:PORT`, changeable while a run goes on (a restarted server
/// may listen elsewhere). `None` = nobody is listening now (attempts fail as connection
/// errors and are retried).
#[derive(Clone, Debug, Default)]
pub struct Target(Arc<RwLock<Option<String>>>);

impl Target {
    /// A fixed address.
    pub fn fixed(addr: impl Into<String>) -> Target {
        Target(Arc::new(RwLock::new(Some(addr.into()))))
    }
    /// Nobody listening yet.
    pub fn none() -> Target {
        Target::default()
    }
    /// Point at a new address (or none).
    pub fn set(&self, addr: Option<String>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = addr;
    }
    /// The current address.
    pub fn get(&self) -> Option<String> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Exporter retry settings.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// First backoff delay (OTel SDK default 5 s; smaller here for tests).
    pub initial_backoff: Duration,
    /// Largest backoff delay.
    pub max_backoff: Duration,
    /// Growth factor per attempt.
    pub multiplier: f64,
    /// Longest `Retry-After` honoured as given (longer ones are capped).
    pub max_retry_after: Duration,
    /// Give a batch up after this long (first attempt to last).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            max_retry_after: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

/// One load run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// What to send (unless `corpus` is set).
    pub gen: GenSpec,
    /// Send these captured requests instead of `gen`'s batches.
    pub corpus: Option<Arc<Vec<CorpusRequest>>>,
    /// Concurrent clients (each has its own connection).
    pub concurrency: usize,
    /// Transport.
    pub protocol: Protocol,
    /// Where to send.
    pub target: Target,
    /// Timeout of one attempt.
    pub request_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// The whole run stops (unfinished batches unacknowledged) after this long.
    pub deadline: Duration,
    /// Incremented on every acknowledged batch (for watching a run from outside).
    pub progress: Arc<AtomicU64>,
}

impl RunConfig {
    /// Defaults for `gen`, sent to `target` over OTLP/HTTP by 1 client.
    pub fn new(gen: GenSpec, target: Target) -> RunConfig {
        RunConfig {
            gen,
            corpus: None,
            concurrency: 1,
            protocol: Protocol::Http,
            target,
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            deadline: Duration::from_secs(600),
            progress: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl RunConfig {
    /// Export requests in the run.
    pub fn batches(&self) -> u64 {
        match &self.corpus {
            Some(c) => c.len() as u64,
            None => self.gen.batches(),
        }
    }

    /// Records (events) in request `b`.
    pub fn records_in(&self, b: u64) -> u64 {
        match &self.corpus {
            Some(c) => c[b as usize].events,
            None => self.gen.batch_range(b).count() as u64,
        }
    }

    /// Records in the whole run.
    pub fn records(&self) -> u64 {
        match &self.corpus {
            Some(c) => c.iter().map(|r| r.events).sum(),
            None => self.gen.records,
        }
    }

    /// Request `b`: its OTLP/HTTP path and body.
    fn request(&self, b: u64) -> (&'static str, Vec<u8>) {
        match &self.corpus {
            Some(c) => (c[b as usize].signal.path(), c[b as usize].body.clone()),
            None => (Signal::Logs.path(), self.gen.batch_body(b)),
        }
    }
}

/// What happened to one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchFate {
    /// Never finished (run deadline).
    Unsent,
    /// Acknowledged (HTTP 200 / gRPC OK).
    Acked,
    /// Refused with a non-retryable answer.
    Rejected,
    /// Retryable failures until `max_elapsed`.
    GaveUp,
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// Batches in the spec.
    pub batches: u64,
    /// Fate of each batch, by index.
    pub fates: Vec<BatchFate>,
    /// Records in acknowledged batches.
    pub records_acked: u64,
    /// Requests sent (first attempts and retries).
    pub attempts: u64,
    /// Retries (attempts after the first).
    pub retries: u64,
    /// Answers by kind: `200`, `429`, `503`, `grpc:Unavailable`, `connect`, `timeout`, ...
    pub outcomes: BTreeMap<String, u64>,
    /// Answers that carried `Retry-After` / `RetryInfo`.
    pub retry_after_seen: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Successful attempts: request sent → acknowledgement.
    pub ack_latencies: Vec<Duration>,
    /// Acknowledged batches: first attempt → acknowledgement (retries included).
    pub batch_latencies: Vec<Duration>,
    /// Records of the spec.
    pub records: u64,
}

impl Report {
    /// Acknowledged batches.
    pub fn acked_batches(&self) -> Vec<u64> {
        (0..self.batches)
            .filter(|&b| self.fates[b as usize] == BatchFate::Acked)
            .collect()
    }
    /// Batches with the given fate.
    pub fn count(&self, fate: BatchFate) -> u64 {
        self.fates.iter().filter(|f| **f == fate).count() as u64
    }
    /// Acknowledged records per second.
    pub fn throughput(&self) -> f64 {
        self.records_acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// Percentile (0..=100) of successful-attempt latency.
    pub fn ack_percentile(&self, p: f64) -> Duration {
        percentile(&self.ack_latencies, p)
    }
    /// Percentile of per-batch latency including retries.
    pub fn batch_percentile(&self, p: f64) -> Duration {
        percentile(&self.batch_latencies, p)
    }
    /// A one-line JSON summary.
    pub fn summary_json(&self) -> serde_json::Value {
        serde_json::json!({
            "records": self.records,
            "batches": self.batches,
            "acked_batches": self.count(BatchFate::Acked),
            "records_acked": self.records_acked,
            "rejected_batches": self.count(BatchFate::Rejected),
            "gave_up_batches": self.count(BatchFate::GaveUp),
            "unsent_batches": self.count(BatchFate::Unsent),
            "attempts": self.attempts,
            "retries": self.retries,
            "retry_after_seen": self.retry_after_seen,
            "outcomes": self.outcomes,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "records_per_s": self.throughput(),
            "ack_p50_ms": ms(self.ack_percentile(50.0)),
            "ack_p99_ms": ms(self.ack_percentile(99.0)),
            "batch_p50_ms": ms(self.batch_percentile(50.0)),
            "batch_p99_ms": ms(self.batch_percentile(99.0)),
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile; zero for no samples.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut v = samples.to_vec();
    v.sort();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// The answer to one attempt.
enum Attempt {
    Ok,
    Retry {
        kind: String,
        after: Option<Duration>,
    },
    Final {
        kind: String,
    },
}

#[derive(Default)]
struct Shared {
    attempts: AtomicU64,
    retries: AtomicU64,
    retry_after_seen: AtomicU64,
    outcomes: Mutex<BTreeMap<String, u64>>,
}

impl Shared {
    fn outcome(&self, kind: &str) {
        *self
            .outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind.to_string())
            .or_default() += 1;
    }
}

/// Run the load. Needs a tokio runtime (multi-threaded for real concurrency).
pub async fn run(cfg: RunConfig) -> Report {
    let batches = cfg.batches();
    let next = Arc::new(AtomicU64::new(0));
    let shared = Arc::new(Shared::default());
    let started = Instant::now();
    let deadline = started + cfg.deadline;
    let cfg = Arc::new(cfg);
    let mut tasks = Vec::new();
    for w in 0..cfg.concurrency.max(1) {
        let (cfg, next, shared) = (Arc::clone(&cfg), Arc::clone(&next), Arc::clone(&shared));
        tasks.push(tokio::spawn(async move {
            worker(w as u64, &cfg, &next, &shared, deadline).await
        }));
    }
    let mut fates = vec![BatchFate::Unsent; batches as usize];
    let mut ack_latencies = Vec::new();
    let mut batch_latencies = Vec::new();
    for t in tasks {
        let out = t.await.expect("load generator worker panicked");
        for (b, fate, lat) in out.fates {
            fates[b as usize] = fate;
            if let Some(l) = lat {
                batch_latencies.push(l);
            }
        }
        ack_latencies.extend(out.ack_latencies);
    }
    let records_acked = (0..batches)
        .filter(|&b| fates[b as usize] == BatchFate::Acked)
        .map(|b| cfg.records_in(b))
        .sum();
    let outcomes = shared
        .outcomes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Report {
        batches,
        fates,
        records_acked,
        attempts: shared.attempts.load(Ordering::Relaxed),
        retries: shared.retries.load(Ordering::Relaxed),
        outcomes,
        retry_after_seen: shared.retry_after_seen.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        ack_latencies,
        batch_latencies,
        records: cfg.records(),
    }
}

struct WorkerOut {
    fates: Vec<(u64, BatchFate, Option<Duration>)>,
    ack_latencies: Vec<Duration>,
}

/// One exporter connection.
enum Conn {
    Http(reqwest::Client),
    Grpc(Option<(String, LogsServiceClient<tonic::transport::Channel>)>),
}

async fn worker(
    w: u64,
    cfg: &RunConfig,
    next: &AtomicU64,
    shared: &Shared,
    deadline: Instant,
) -> WorkerOut {
    let mut out = WorkerOut {
        fates: Vec::new(),
        ack_latencies: Vec::new(),
    };
    let mut conn = match cfg.protocol {
        Protocol::Http => Conn::Http(
            reqwest::Client::builder()
                .timeout(cfg.request_timeout)
                .pool_max_idle_per_host(1)
                .build()
                .expect("building the HTTP client"),
        ),
        Protocol::Grpc => Conn::Grpc(None),
    };
    let mut jitter_state = mix(cfg.gen.seed ^ 0x5EED, w);
    loop {
        let b = next.fetch_add(1, Ordering::Relaxed);
        if b >= cfg.batches() || Instant::now() >= deadline {
            break;
        }
        let (path, body) = cfg.request(b);
        let first = Instant::now();
        let mut tries: u32 = 0;
        let fate = loop {
            if Instant::now() >= deadline {
                break BatchFate::Unsent;
            }
            shared.attempts.fetch_add(1, Ordering::Relaxed);
            if tries > 0 {
                shared.retries.fetch_add(1, Ordering::Relaxed);
            }
            let sent = Instant::now();
            let answer = attempt(&mut conn, cfg, path, &body).await;
            match answer {
                Attempt::Ok => {
                    shared.outcome("200");
                    out.ack_latencies.push(sent.elapsed());
                    cfg.progress.fetch_add(1, Ordering::Relaxed);
                    break BatchFate::Acked;
                }
                Attempt::Final { kind } => {
                    shared.outcome(&kind);
                    break BatchFate::Rejected;
                }
                Attempt::Retry { kind, after } => {
                    shared.outcome(&kind);
                    let delay = match after {
                        Some(d) => {
                            shared.retry_after_seen.fetch_add(1, Ordering::Relaxed);
                            d.min(cfg.retry.max_retry_after)
                        }
                        None => {
                            jitter_state = mix(jitter_state, tries as u64);
                            backoff(&cfg.retry, tries, jitter_state)
                        }
                    };
                    tries += 1;
                    if first.elapsed() + delay > cfg.retry.max_elapsed {
                        break BatchFate::GaveUp;
                    }
                    let wake = Instant::now() + delay;
                    if wake >= deadline {
                        break BatchFate::Unsent;
                    }
                    tokio::time::sleep(delay).await;
                }
            }
        };
        let lat = (fate == BatchFate::Acked).then(|| first.elapsed());
        out.fates.push((b, fate, lat));
    }
    out
}

/// `initial * multiplier^tries`, capped, times a jitter factor in [0.5, 1.5).
pub fn backoff(p: &RetryPolicy, tries: u32, random: u64) -> Duration {
    let base = p.initial_backoff.as_secs_f64() * p.multiplier.powi(tries.min(30) as i32);
    let capped = base.min(p.max_backoff.as_secs_f64());
    let jitter = 0.5 + (random >> 11) as f64 / (1u64 << 53) as f64;
    Duration::from_secs_f64(capped * jitter)
}

async fn attempt(conn: &mut Conn, cfg: &RunConfig, path: &str, body: &[u8]) -> Attempt {
    let Some(addr) = cfg.target.get() else {
        return Attempt::Retry {
            kind: "no-target".into(),
            after: None,
        };
    };
    match conn {
        Conn::Http(client) => {
            let res = client
                .post(format!("http://{addr}{path}"))
                .header("content-type", "application/x-protobuf")
                .body(body.to_vec())
                .send()
                .await;
            let resp = match res {
                Ok(r) => r,
                Err(e) => {
                    let kind = if e.is_timeout() { "timeout" } else { "connect" };
                    return Attempt::Retry {
                        kind: kind.into(),
                        after: None,
                    };
                }
            };
            let status = resp.status().as_u16();
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // Read the body so the connection can be reused.
            let read = resp.bytes().await;
            match status {
                200 if read.is_ok() => Attempt::Ok,
                200 => Attempt::Retry {
                    kind: "body-error".into(),
                    after: None,
                },
                429 | 502 | 503 | 504 => Attempt::Retry {
                    kind: status.to_string(),
                    after,
                },
                _ => Attempt::Final {
                    kind: status.to_string(),
                },
            }
        }
        Conn::Grpc(slot) => {
            if slot.as_ref().is_none_or(|(a, _)| *a != addr) {
                let ep = match tonic::transport::Endpoint::from_shared(format!("http://{addr}")) {
                    Ok(ep) => ep
                        .timeout(cfg.request_timeout)
                        .connect_timeout(cfg.request_timeout),
                    Err(_) => {
                        return Attempt::Final {
                            kind: "bad-address".into(),
                        }
                    }
                };
                match ep.connect().await {
                    Ok(ch) => *slot = Some((addr.clone(), LogsServiceClient::new(ch))),
                    Err(_) => {
                        return Attempt::Retry {
                            kind: "connect".into(),
                            after: None,
                        }
                    }
                }
            }
            let client = &mut slot.as_mut().expect("connected above").1;
            let req =
                opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest::decode(
                    body,
                )
                .expect("the generator's own encoding");
            match client.export(req).await {
                Ok(_) => Attempt::Ok,
                Err(status) => {
                    use tonic::Code;
                    let kind = format!("grpc:{:?}", status.code());
                    let after = retry_info(status.details());
                    match status.code() {
                        Code::Unavailable
                        | Code::ResourceExhausted
                        | Code::DeadlineExceeded
                        | Code::Aborted
                        | Code::Cancelled
                        | Code::OutOfRange
                        | Code::DataLoss => {
                            if status.code() == Code::Unavailable
                                || status.code() == Code::Cancelled
                            {
                                // The connection may be gone (server restarted): reconnect next time.
                                *slot = None;
                            }
                            Attempt::Retry { kind, after }
                        }
                        _ => Attempt::Final { kind },
                    }
                }
            }
        }
    }
}

/// `google.rpc.Status` with `google.rpc.RetryInfo` details, decoded minimally.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<ProtoAny>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoAny {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

fn retry_info(details: &[u8]) -> Option<Duration> {
    let st = RpcStatus::decode(details).ok()?;
    st.details
        .iter()
        .find(|d| d.type_url.ends_with("google.rpc.RetryInfo"))
        .and_then(|d| {
            let d = RetryInfo::decode(d.value.as_slice()).ok()?.retry_delay?;
            Some(
                Duration::from_secs(d.seconds.max(0) as u64)
                    + Duration::from_nanos(d.nanos.max(0) as u64),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy::default();
        let d0 = backoff(&p, 0, 0);
        assert_eq!(d0, Duration::from_millis(50));
        let big = backoff(&p, 20, u64::MAX);
        assert!(big <= p.max_backoff.mul_f64(1.5) && big >= p.max_backoff);
    }

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn retry_info_roundtrip() {
        let ri = RetryInfo {
            retry_delay: Some(ProtoDuration {
                seconds: 2,
                nanos: 500_000_000,
            }),
        };
        let st = RpcStatus {
            code: 8,
            message: "busy".into(),
            details: vec![ProtoAny {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                value: ri.encode_to_vec(),
            }],
        };
        assert_eq!(
            retry_info(&st.encode_to_vec()),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(retry_info(b"\xff"), None);
    }
}
