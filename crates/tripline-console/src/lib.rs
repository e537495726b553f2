//! tripline's web console, served by `tripline serve` under `/ui/`.
//!
//! Server-rendered HTML ([`maud`]), one small embedded script and stylesheet, charts drawn
//! as inline SVG on the server: every asset is in the binary and nothing loads from
//! elsewhere. Pages read the store through read-only connections with bound parameters
//! and `LIMIT`s; the one write, a triage change, goes through
//! [`tripline_store::Store::record_triage`] (a new alert revision, routed to sinks like
//! any other, plus an audit row).
//!
//! * [`auth`]: console users (Argon2 hashes in the store), sessions in memory behind a
//!   `Secure; HttpOnly; SameSite=Strict` cookie, a CSRF token per session checked on every
//!   `POST`, and the two roles.
//! * [`query`]: the read queries behind each page.
//! * `pages/`: one module per page; [`chart`]: the SVG charts.
//! * [`rules`]: what the console knows of the loaded rules (their YAML sources).
//! * [`health`]: samples of the serve metrics, for the pipeline-health charts.

pub mod auth;
pub mod chart;
pub mod health;
mod limits;
mod pages;
pub mod query;
mod reader;
mod routes;
pub mod rules;

use std::path::PathBuf;
use std::sync::Arc;

pub use auth::{hash_password, Role};
pub use health::MetricsText;
pub use routes::router;
pub use rules::RuleDoc;

/// Everything the console needs from `serve`.
pub struct ConsoleOptions {
    /// The data directory of the store.
    pub data_dir: PathBuf,
    /// Whether sinks are configured (a triage revision then goes to the outbox).
    pub sinks: bool,
    /// The loaded rules.
    pub rules: Vec<RuleDoc>,
    /// The serve metrics (Prometheus text), when available in-process.
    pub metrics: Option<MetricsText>,
    /// The effective configuration as TOML, shown to admins (secrets masked by the caller).
    pub config_text: String,
    /// Retention settings, one line each (`events: 30d`), shown on the health page.
    pub retention: Vec<(String, String)>,
    /// Whether the listener serves HTTPS (shown; cookies are `Secure` either way).
    pub tls: bool,
}

/// The console's shared state (one per serve).
pub struct Console {
    opts: ConsoleOptions,
    reader: reader::Readers,
    writer: std::sync::Mutex<Option<tripline_store::Store>>,
    sessions: auth::Sessions,
    samples: health::Samples,
}

impl Console {
    /// A console over the store in `opts.data_dir`.
    pub fn new(opts: ConsoleOptions) -> Arc<Console> {
        let rules = opts.rules.len();
        tracing::debug!(rules, "console ready");
        Arc::new(Console {
            reader: reader::Readers::new(opts.data_dir.clone()),
            writer: std::sync::Mutex::new(None),
            sessions: auth::Sessions::default(),
            samples: health::Samples::default(),
            opts,
        })
    }

    /// Sample the serve metrics every `every` until `stop` resolves (the health charts'
    /// refusals and ack latency over time).
    pub async fn sample_metrics(
        self: Arc<Console>,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let Some(metrics) = self.opts.metrics.clone() else {
            return;
        };
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => self.samples.take(&metrics()),
            }
        }
    }
}
