//! The `--config` and `--data` flags of every command that reads settings or the store, and
//! the one loader behind them: `serve`, `query`, `baseline`, `retention run`, `wal check`,
//! `sinks` and `config check` find the data directory the same way ([`Config::load`]).

use std::path::PathBuf;

use crate::config::{Config, Overrides};

/// Where a command finds its settings and the data directory.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SettingsArgs {
    /// TOML config file (see `tripline config default`)
    #[arg(long, short = 'c', value_name = "FILE", env = "TRIPLINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory [default: TRIPLINE_DATA, else the config's [store] data_dir, else
    /// ./tripline-data]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl SettingsArgs {
    /// The effective config (file, `TRIPLINE_*` environment, then these flags and
    /// `overrides`), without reporting deprecated spellings: for `serve`, which logs them
    /// once its log is set up.
    pub fn load_silently(&self, overrides: Overrides) -> anyhow::Result<Config> {
        let overrides = Overrides {
            data: self.data.clone(),
            ..overrides
        };
        Config::load(
            self.config.as_deref(),
            &|k| std::env::var(k).ok(),
            &overrides,
        )
    }

    /// The effective config; deprecated spellings found are reported on stderr.
    pub fn load(&self) -> anyhow::Result<Config> {
        let cfg = self.load_silently(Overrides::default())?;
        for note in &cfg.deprecated {
            eprintln!("tripline: warning: {note}");
        }
        Ok(cfg)
    }
}
