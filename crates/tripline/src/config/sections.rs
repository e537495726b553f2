//! The config sections and their defaults. Every field has a default; every struct refuses
//! unknown keys. Field docs are repeated as comments in `default.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;

/// `[server]`: where to listen and where to keep data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// OTLP/HTTP listen address.
    pub http_addr: SocketAddr,
    /// OTLP/gRPC listen address.
    pub grpc_addr: SocketAddr,
    /// Directory for the SQLite store and raw captures.
    pub data_dir: PathBuf,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            data_dir: PathBuf::from("./tripline-data"),
        }
    }
}

/// `[limits]`: input limits for the receivers and the decoder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest request body, on the wire and after decompression (bytes).
    pub max_body_bytes: u64,
    /// Deepest nesting of attribute values (arrays / key-value lists) the decoder follows.
    pub max_depth: u32,
    /// Most attributes kept per record, resource or scope.
    pub max_attributes: u32,
    /// Longest string value kept (bytes); longer ones are truncated.
    pub max_string_len: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: 20 * 1024 * 1024,
            max_depth: 32,
            max_attributes: 256,
            max_string_len: 64 * 1024,
        }
    }
}

/// `[pipeline]`: back-pressure between the receivers and storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSection {
    /// Export requests processed at once; more are refused with 429 / RESOURCE_EXHAUSTED.
    pub max_inflight_batches: u32,
    /// Longest a request may wait for durable storage before it is refused with 503.
    pub ingest_timeout: HumanDuration,
    /// The delay suggested to clients (`Retry-After`, `RetryInfo`) when overloaded.
    pub retry_after: HumanDuration,
}

impl Default for PipelineSection {
    fn default() -> Self {
        PipelineSection {
            max_inflight_batches: 64,
            ingest_timeout: HumanDuration::secs(30),
            retry_after: HumanDuration::secs(5),
        }
    }
}

/// `[rules]`: which detections run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesSection {
    /// Extra rule directories, loaded after the built-in pack.
    pub dirs: Vec<PathBuf>,
    /// Whether the built-in rule pack runs.
    pub builtin: bool,
    /// Directory (or file) of value lists loaded on top of the built-in lists; a list name
    /// defined there replaces the built-in list of that name. Empty = built-in lists only.
    pub lists: PathBuf,
    /// How late (in event time, behind the newest event seen) an event may arrive and still
    /// count in correlation windows. Exporters send traces, metrics and logs in separate
    /// batches, so this must cover a batch interval or two.
    pub allowed_lateness: HumanDuration,
    /// At most this many live groups (distinct group-by values) per correlation rule; a new
    /// group beyond it evicts the group whose window ends first.
    pub max_groups_per_rule: usize,
    /// At most this many learned values per first_seen scope; a new value beyond it evicts
    /// the value first seen longest ago (which would alert again if it came back).
    pub max_values_per_scope: usize,
}

impl Default for RulesSection {
    fn default() -> Self {
        RulesSection {
            dirs: Vec::new(),
            builtin: true,
            lists: PathBuf::new(),
            allowed_lateness: HumanDuration::secs(300),
            max_groups_per_rule: tripline_sigma::EngineOptions::DEFAULT_MAX_GROUPS_PER_RULE,
            max_values_per_scope: tripline_sigma::EngineOptions::DEFAULT_MAX_VALUES_PER_SCOPE,
        }
    }
}

impl RulesSection {
    /// The lists directory, or `None` for the built-in lists.
    pub fn lists_dir(&self) -> Option<&std::path::Path> {
        (!self.lists.as_os_str().is_empty()).then_some(self.lists.as_path())
    }
}

/// `[retention]`: how long stored data is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSection {
    /// Age after which normalized events are deleted.
    pub events_ttl: HumanDuration,
    /// Age after which alerts are deleted.
    pub alerts_ttl: HumanDuration,
    /// Age after which raw request bodies are deleted.
    pub raw_ttl: HumanDuration,
    /// How often the retention sweep runs.
    pub interval: HumanDuration,
}

impl Default for RetentionSection {
    fn default() -> Self {
        RetentionSection {
            events_ttl: HumanDuration::days(30),
            alerts_ttl: HumanDuration::days(180),
            raw_ttl: HumanDuration::days(3),
            interval: HumanDuration::hours(1),
        }
    }
}

/// `[raw]`: keeping the raw OTLP request bodies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSection {
    /// Keep each raw request body (unredacted, decompressed) in the separate admin-only raw
    /// tier (`DATA/raw/raw.db`) with its own shorter retention (`[retention] raw_ttl`).
    pub enabled: bool,
}

/// `[auth]`: which senders may export, and under which emitter name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    /// Accepted tokens as `emitter=secret`; empty = authentication off.
    pub tokens: Vec<String>,
    /// Header carrying the token: `authorization` means `Authorization: Bearer <token>`; any
    /// other header carries the bare token.
    pub header: String,
    /// Allow listening on non-loopback addresses without tokens.
    pub insecure: bool,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            tokens: Vec::new(),
            header: "authorization".to_string(),
            insecure: false,
        }
    }
}

impl AuthSection {
    /// The tokens as `(emitter, secret)` pairs. Errors name the offending entry by position
    /// (never the secret).
    pub fn pairs(&self) -> Result<Vec<(String, String)>, String> {
        self.tokens
            .iter()
            .enumerate()
            .map(|(i, entry)| match entry.split_once('=') {
                Some((emitter, secret)) if !emitter.trim().is_empty() && !secret.is_empty() => {
                    Ok((emitter.trim().to_string(), secret.to_string()))
                }
                _ => Err(format!(
                    "auth.tokens[{i}] must be \"emitter=secret\" with both parts non-empty"
                )),
            })
            .collect()
    }

    /// A copy with every secret replaced by `<redacted>`, for printing.
    pub fn redacted(&self) -> AuthSection {
        let tokens = self
            .tokens
            .iter()
            .map(|t| format!("{}=<redacted>", t.split_once('=').map_or("?", |(e, _)| e)))
            .collect();
        AuthSection {
            tokens,
            ..self.clone()
        }
    }
}

/// `[tls]`: TLS for both listeners, and client certificates (mTLS). Empty paths = off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSection {
    /// PEM file with the server certificate chain, leaf first; empty = plaintext.
    pub cert: PathBuf,
    /// PEM file with the server's private key.
    pub key: PathBuf,
    /// PEM file with the CAs client certificates must chain to; empty = no client
    /// certificates asked for.
    pub client_ca: PathBuf,
    /// With `client_ca`: refuse clients without a valid certificate (mTLS). `false` makes
    /// the certificate optional (but checked when sent).
    pub require_client_cert: bool,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            cert: PathBuf::new(),
            key: PathBuf::new(),
            client_ca: PathBuf::new(),
            require_client_cert: true,
        }
    }
}

impl TlsSection {
    /// The receivers' TLS settings, or `None` when TLS is off. Errors on a half-configured
    /// section.
    pub fn receive_config(&self) -> Result<Option<tripline_receive::TlsConfig>, String> {
        let set = |p: &PathBuf| !p.as_os_str().is_empty();
        match (set(&self.cert), set(&self.key)) {
            (false, false) if set(&self.client_ca) => {
                Err("tls.client_ca needs tls.cert and tls.key: client certificates are checked during the TLS handshake".into())
            }
            (false, false) => Ok(None),
            (true, false) => Err("tls.cert is set but tls.key is empty: set both, or neither".into()),
            (false, true) => Err("tls.key is set but tls.cert is empty: set both, or neither".into()),
            (true, true) => {
                let tls = tripline_receive::TlsConfig::new(&self.cert, &self.key);
                Ok(Some(if set(&self.client_ca) {
                    tls.with_client_ca(&self.client_ca, self.require_client_cert)
                } else {
                    tls
                }))
            }
        }
    }
}

/// One `[[inputs]]` entry: a JSON Lines file (or glob) that `tripline serve` tails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    /// A file, or a glob (`/var/log/zeek/current/*.log`); matched again at every poll, so
    /// files that appear later (rotation) are picked up.
    pub path: String,
    /// What each line holds: `generic`, `zeek`, `osquery` or `auditd`.
    pub format: tripline_otlp::files::LineFormat,
    /// How often the files are checked for new lines.
    #[serde(default = "InputSection::default_poll_interval")]
    pub poll_interval: HumanDuration,
}

impl InputSection {
    fn default_poll_interval() -> HumanDuration {
        HumanDuration::secs(1)
    }
}

/// `[store]`: how the SQLite store writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSection {
    /// SQLite `synchronous` for the WAL: `full` (fsync every commit; an acknowledged batch
    /// survives power loss), `normal` (fsync at checkpoints; survives a process crash, the
    /// last commits can be lost on power loss) or `off` (never fsync).
    pub synchronous: tripline_store::Synchronous,
}
