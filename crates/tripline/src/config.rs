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
    AuthSection, InputSection, LimitsSection, LogSection, PipelineSection, RawSection,
    RetentionSection, RulesSection, ServerSection, StoreSection, TlsSection,
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
    /// `[log]`.
    pub log: LogSection,
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
    /// Deprecated spellings found while loading, as messages for the user (not config).
    #[serde(skip)]
    pub deprecated: Vec<String>,
}

/// The key under `[redaction]` naming the keyed-hash key file (not part of the policy).
pub const KEY_FILE_FIELD: &str = "key_file";

/// The short environment variable for `[store] data_dir` (`TRIPLINE_STORE_DATA_DIR`).
pub const DATA_DIR_ENV: &str = "TRIPLINE_DATA";

/// The generic override of `[store] data_dir`.
const STORE_DATA_DIR_ENV: &str = "TRIPLINE_STORE_DATA_DIR";

/// The override of the deprecated `[server] data_dir`, still honoured.
const DEPRECATED_DATA_DIR_ENV: &str = "TRIPLINE_SERVER_DATA_DIR";

/// Command-line flags that beat every other layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--http ADDR` → `server.http_addr`.
    pub http: Option<SocketAddr>,
    /// `--grpc ADDR` → `server.grpc_addr`.
    pub grpc: Option<SocketAddr>,
    /// `--data DIR` → `store.data_dir`.
    pub data: Option<PathBuf>,
}

impl Config {
    /// Build the effective config: defaults, then `file` (if any), then the environment as
    /// seen through `env` (pass `&|k| std::env::var(k).ok()` in production), then
    /// `overrides`. Errors name the file, line and key, or the environment variable.
    ///
    /// This is the one place the data directory is decided, for every command: `--data`,
    /// else `TRIPLINE_DATA` (or `TRIPLINE_STORE_DATA_DIR`), else the file's
    /// `[store] data_dir`, else `./tripline-data`. The deprecated `[server] data_dir` and
    /// `TRIPLINE_SERVER_DATA_DIR` still count, each with a note in [`Config::deprecated`].
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> anyhow::Result<Config> {
        let mut deprecated = Vec::new();
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                let origin = path.display().to_string();
                let mut config = Config::parse(&text, &origin)?;
                if let Some(note) = config.move_server_data_dir(&text, &origin)? {
                    deprecated.push(note);
                }
                config
            }
            None => Config::default(),
        };
        let data_env = data_dir_env(env)?;
        if let Some((DEPRECATED_DATA_DIR_ENV, _)) = &data_env {
            deprecated.push(format!(
                "{DEPRECATED_DATA_DIR_ENV} is deprecated: use {DATA_DIR_ENV} \
                 (or {STORE_DATA_DIR_ENV})"
            ));
        }
        let env_with_data = |k: &str| match (&data_env, k) {
            (Some((_, dir)), STORE_DATA_DIR_ENV) => Some(dir.clone()),
            _ => env(k),
        };
        let mut table = toml::Table::try_from(&from_file).context("cannot serialize the config")?;
        env::apply(&mut table, &env_with_data, &|t| {
            t.clone()
                .try_into::<Config>()
                .map(drop)
                .map_err(|e| e.message().to_string())
        })?;
        let mut config: Config = table
            .try_into()
            .context("environment overrides produced an invalid config")?;
        config.apply(overrides);
        config.deprecated = deprecated;
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
            self.store.data_dir = dir.clone();
        }
    }

    /// Move the deprecated `[server] data_dir` of a config file (`text`) to
    /// `[store] data_dir`, returning the note for the user. Setting both is an error.
    fn move_server_data_dir(&mut self, text: &str, origin: &str) -> anyhow::Result<Option<String>> {
        let Some(dir) = self.server.data_dir.take() else {
            return Ok(None);
        };
        let store_set = toml::from_str::<toml::Table>(text)
            .ok()
            .and_then(|t| t.get("store")?.get("data_dir").cloned())
            .is_some();
        if store_set {
            bail!(
                "config file {origin}: both [store] data_dir and [server] data_dir are set; \
                 keep [store] data_dir ([server] data_dir is its deprecated spelling)"
            );
        }
        self.store.data_dir = dir;
        Ok(Some(format!(
            "config file {origin}: [server] data_dir is deprecated: move it to [store] data_dir"
        )))
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
            input
                .validate()
                .map_err(|e| anyhow::anyhow!("inputs[{i}]: {e}"))?;
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

    /// The data directory: the store, the raw tier, intake positions and file sinks.
    pub fn data_dir(&self) -> &Path {
        &self.store.data_dir
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

/// The data directory set in the environment, as (variable, value): `TRIPLINE_DATA`,
/// `TRIPLINE_STORE_DATA_DIR` or the deprecated `TRIPLINE_SERVER_DATA_DIR`. Two of them set
/// to different directories is an error.
fn data_dir_env(
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<(&'static str, String)>> {
    let set: Vec<(&'static str, String)> =
        [DATA_DIR_ENV, STORE_DATA_DIR_ENV, DEPRECATED_DATA_DIR_ENV]
            .into_iter()
            .filter_map(|name| env(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
            .collect();
    if let Some(((a, x), (b, y))) = set.first().zip(set.iter().find(|(_, v)| *v != set[0].1)) {
        bail!("environment variables {a}={x:?} and {b}={y:?} name different data directories; set one");
    }
    Ok(set.into_iter().next())
}

#[cfg(test)]
mod tests;
