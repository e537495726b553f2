//! The layered configuration: one TOML file, every field with a default and an environment
//! override. Precedence: flags > environment (`TRIPLINE_<SECTION>_<FIELD>`) > file > defaults.
//!
//! `default.toml` (printed by `tripline config default`) documents every field; a test keeps
//! it equal to [`Config::default`].

pub mod duration;
mod env;
mod listeners;
pub mod sections;
mod template;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

pub use sections::{
    AuthSection, InputSection, LimitsSection, PipelineSection, RawSection, RetentionSection,
    RulesSection, ServerSection, StoreSection, TlsSection,
};
pub use template::DEFAULT_TOML;

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[[inputs]]`: JSON Lines files `serve` tails (network and process telemetry).
    pub inputs: Vec<InputSection>,
    /// `[server]`.
    pub server: ServerSection,
    /// `[limits]`.
    pub limits: LimitsSection,
    /// `[pipeline]`.
    pub pipeline: PipelineSection,
    /// `[rules]`.
    pub rules: RulesSection,
    /// `[retention]`.
    pub retention: RetentionSection,
    /// `[raw]`.
    pub raw: RawSection,
    /// `[store]`.
    pub store: StoreSection,
    /// `[auth]`.
    pub auth: AuthSection,
    /// `[tls]`.
    pub tls: TlsSection,
    /// `[redaction]`: the redaction policy, kept opaque here and interpreted by the redaction
    /// crate.
    pub redaction: toml::Table,
    /// `[[sinks]]`: where alerts, events and raw payloads are delivered; each entry is
    /// interpreted by the sinks crate ([`tripline_sinks::SinkSpec`]).
    pub sinks: Vec<toml::Table>,
}

/// The key under `[redaction]` naming the keyed-hash key file (not part of the policy).
pub const KEY_FILE_FIELD: &str = "key_file";

/// Command-line flags of `tripline serve` that beat every other layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--http ADDR` → `server.http_addr`.
    pub http: Option<SocketAddr>,
    /// `--grpc ADDR` → `server.grpc_addr`.
    pub grpc: Option<SocketAddr>,
    /// `--data DIR` → `server.data_dir`.
    pub data: Option<PathBuf>,
}

impl Config {
    /// Build the effective config: defaults, then `file` (if any), then the environment as
    /// seen through `env` (pass `&|k| std::env::var(k).ok()` in production), then
    /// `overrides`. Errors name the file, line and key, or the environment variable.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> anyhow::Result<Config> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                Config::parse(&text, &path.display().to_string())?
            }
            None => Config::default(),
        };
        let mut table = toml::Table::try_from(&from_file).context("cannot serialize the config")?;
        env::apply(&mut table, env, &|t| {
            t.clone()
                .try_into::<Config>()
                .map(drop)
                .map_err(|e| e.message().to_string())
        })?;
        let mut config: Config = table
            .try_into()
            .context("environment overrides produced an invalid config")?;
        config.apply(overrides);
        config.validate()?;
        Ok(config)
    }

    /// Parse config file text strictly: unknown keys and bad values are errors that name
    /// `origin` (the file), the line and the key.
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Config> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("config file {origin}: {e}"))
    }

    /// Apply command-line overrides.
    pub fn apply(&mut self, overrides: &Overrides) {
        if let Some(addr) = overrides.http {
            self.server.http_addr = addr;
        }
        if let Some(addr) = overrides.grpc {
            self.server.grpc_addr = addr;
        }
        if let Some(dir) = &overrides.data {
            self.server.data_dir = dir.clone();
        }
    }

    /// Checks serde cannot express.
    fn validate(&self) -> anyhow::Result<()> {
        if self.limits.max_body_bytes == 0 {
            bail!("limits.max_body_bytes must be greater than 0");
        }
        if self.pipeline.max_inflight_batches == 0 {
            bail!("pipeline.max_inflight_batches must be greater than 0");
        }
        if self.rules.max_groups_per_rule == 0 {
            bail!("rules.max_groups_per_rule must be greater than 0");
        }
        if self.rules.max_values_per_scope == 0 {
            bail!("rules.max_values_per_scope must be greater than 0");
        }
        if self.retention.interval.get().is_zero() {
            bail!("retention.interval must be greater than 0");
        }
        self.auth.pairs().map_err(anyhow::Error::msg)?;
        for (i, input) in self.inputs.iter().enumerate() {
            crate::intake::validate(input).map_err(|e| anyhow::anyhow!("inputs[{i}]: {e}"))?;
        }
        if self.auth.header.trim().is_empty() {
            bail!("auth.header must name a header (e.g. \"authorization\")");
        }
        self.tls.receive_config().map_err(anyhow::Error::msg)?;
        self.sink_specs()?;
        Ok(())
    }

    /// The global redaction policy of `[redaction]` (without `key_file`).
    pub fn redaction_policy(&self) -> anyhow::Result<tripline_redact::RedactionPolicy> {
        let mut table = self.redaction.clone();
        table.remove(KEY_FILE_FIELD);
        toml::Value::Table(table)
            .try_into()
            .context("invalid [redaction] section")
    }

    /// The `[[sinks]]` entries, parsed and checked against `[raw]` and `[redaction]`. The
    /// type-specific options are checked when the sink is built.
    pub fn sink_specs(&self) -> anyhow::Result<Vec<tripline_sinks::SinkSpec>> {
        if self.sinks.is_empty() {
            return Ok(Vec::new());
        }
        let global = self.redaction_policy()?;
        Ok(tripline_sinks::SinkSpec::parse_all(
            &self.sinks,
            self.raw.enabled,
            &global,
        )?)
    }

    /// The config as TOML (no comments), e.g. for `tripline config check`. Token secrets
    /// are printed as `<redacted>`.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        let printable = Config {
            auth: self.auth.redacted(),
            ..self.clone()
        };
        toml::to_string(&printable).context("cannot serialize the config")
    }
}

#[cfg(test)]
mod tests;
