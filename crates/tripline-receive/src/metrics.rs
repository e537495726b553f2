//! `GET /metrics`: the caller supplies the Prometheus text; the receiver adds its own
//! counters (authentication failures).

/// Renders metrics in the Prometheus text exposition format.
pub trait MetricsSource: Send + Sync + 'static {
    /// The whole metrics page (without the receiver's own lines).
    fn render(&self) -> String;
}
