//! Building a [`Pipeline`] from the config: shared by `serve` and `replay`.

use std::path::PathBuf;

use anyhow::Context;
use tripline_redact::{Redactor, SecretScanner};
use tripline_sigma::EngineOptions;
use tripline_store::StoreOptions;

use super::analyze::{Analyzer, RuleSet};
use super::seal::Sealer;
use super::{key, Pipeline, PipelineOptions};
use crate::config::{Config, KEY_FILE_FIELD};

/// What a command adds on top of the config.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    /// `--rules` paths.
    pub rules: Vec<PathBuf>,
    /// `--lists` paths.
    pub lists: Vec<PathBuf>,
    /// `--time-field`: an extra event-time field tried after `time` and `timestamp`.
    pub time_field: Option<String>,
}

/// The rule set the config and the command's flags describe.
pub fn rule_set(cfg: &Config, extra: &Extra) -> RuleSet {
    let mut dirs = cfg.rules.dirs.clone();
    dirs.extend(extra.rules.iter().cloned());
    let mut lists: Vec<PathBuf> = cfg
        .rules
        .lists_dir()
        .map(|p| p.to_path_buf())
        .into_iter()
        .collect();
    lists.extend(extra.lists.iter().cloned());
    RuleSet {
        builtin: cfg.rules.builtin,
        dirs,
        lists,
    }
}

/// Engine options for the config and flags.
/// The per-record decode limits of `[limits]`: `serve` and `replay` apply the same ones, so
/// a backtest refuses what production refuses.
pub fn record_limits(cfg: &Config) -> tripline_otlp::Limits {
    tripline_otlp::Limits {
        max_depth: cfg.limits.max_depth as usize,
        max_attributes: cfg.limits.max_attributes as usize,
        max_string_len: cfg.limits.max_string_len as usize,
        ..tripline_otlp::Limits::default()
    }
}

pub fn engine_options(cfg: &Config, extra: &Extra) -> EngineOptions {
    let mut opts = EngineOptions {
        allowed_lateness_ns: i64::try_from(cfg.rules.allowed_lateness.get().as_nanos())
            .unwrap_or(i64::MAX),
        max_groups_per_rule: cfg.rules.max_groups_per_rule,
        max_values_per_scope: cfg.rules.max_values_per_scope,
        ..EngineOptions::default()
    };
    if let Some(f) = &extra.time_field {
        opts.time_fields.push(f.clone());
    }
    opts.secret_check = Some(secret_check());
    opts
}

/// The engine's secret predicate (`tripline.secret_fields`): the redaction crate's
/// built-in detectors, so rules and the redactor agree on what a secret is.
pub fn secret_check() -> tripline_sigma::SecretCheck {
    let scanner = SecretScanner::shared_builtin();
    tripline_sigma::SecretCheck::new(move |text, min| {
        let min = match min {
            tripline_sigma::SecretConfidence::Low => tripline_redact::Confidence::Low,
            tripline_sigma::SecretConfidence::High => tripline_redact::Confidence::High,
        };
        scanner.contains_secret_at_least(text, min)
    })
}

/// The redactor the `[redaction]` section describes and the state sealer, both keyed from
/// the key file (`[redaction] key_file`, default outside the data dir).
pub fn keyed(cfg: &Config) -> anyhow::Result<(Redactor, Sealer)> {
    let key = redaction_key(cfg)?;
    let policy = cfg.redaction_policy()?;
    Ok((
        Redactor::new(policy, SecretScanner::shared_builtin(), &key),
        Sealer::new(&key),
    ))
}

/// The keyed-hash key (`[redaction] key_file`, created when missing).
pub fn redaction_key(cfg: &Config) -> anyhow::Result<Vec<u8>> {
    let key_path = match cfg.redaction.get(KEY_FILE_FIELD) {
        Some(toml::Value::String(p)) => Some(PathBuf::from(p)),
        Some(other) => {
            anyhow::bail!("[redaction] {KEY_FILE_FIELD} must be a path string, not {other}")
        }
        None => key::default_key_path(),
    };
    let key_path = key_path
        .context("no HOME or XDG_CONFIG_HOME to keep the key file in: set [redaction] key_file")?;
    key::load_or_create(&key_path)
}

/// The redactor a sink re-applies on top of the global redaction (its stricter policy), or
/// `None` when the sink's policy adds nothing.
pub fn sink_redactor(
    cfg: &Config,
    spec: &tripline_sinks::SinkSpec,
) -> anyhow::Result<Option<Redactor>> {
    let Some(policy) = spec.extra_policy(&cfg.redaction_policy()?) else {
        return Ok(None);
    };
    let key = redaction_key(cfg)?;
    Ok(Some(Redactor::new(
        policy,
        SecretScanner::shared_builtin(),
        &key,
    )))
}

/// How the store is opened: `[store]` settings on top of the store's defaults.
pub fn store_options(cfg: &Config) -> StoreOptions {
    StoreOptions {
        synchronous: cfg.store.synchronous,
        ..StoreOptions::default()
    }
}

/// A full pipeline: analyzer, redactor and (when `data_dir` is given) the store.
pub fn pipeline(
    cfg: &Config,
    extra: &Extra,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<Pipeline> {
    let analyzer = Analyzer::load(&rule_set(cfg, extra), engine_options(cfg, extra))?;
    let (redactor, sealer) = keyed(cfg)?;
    Pipeline::open(PipelineOptions {
        analyzer,
        data_dir,
        store: store_options(cfg),
        redactor,
        sealer,
    })
}
