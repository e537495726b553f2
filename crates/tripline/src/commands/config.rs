//! `tripline config`: print the annotated defaults, or check a config file.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, Overrides, DEFAULT_TOML};

/// Inspect the configuration.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the default configuration as annotated TOML: every field, what it does and its
    /// TRIPLINE_<SECTION>_<FIELD> environment variable. A good start for a config file.
    Default,
    /// Validate a config file together with the TRIPLINE_* environment variables, and print
    /// the effective configuration. Exits 2 on any error.
    Check(CheckArgs),
}

/// Arguments of `tripline config check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The config file (TOML). Without it, only defaults and environment are checked.
    #[arg(long, short = 'c', value_name = "FILE", env = "TRIPLINE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Build every sink against a scratch data directory, so type-specific options are checked
/// too (a sink given an explicit output path may create that directory).
fn check_sink_options(config: &Config) -> anyhow::Result<()> {
    let specs = config.sink_specs()?;
    if specs.is_empty() {
        return Ok(());
    }
    let scratch =
        std::env::temp_dir().join(format!("tripline-config-check-{}", std::process::id()));
    let result = specs
        .iter()
        .try_for_each(|spec| tripline_sinks::delivery::build_sink(spec, &scratch).map(drop));
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(result?)
}

/// Run a `tripline config` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Default => {
            print!("{DEFAULT_TOML}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let config = Config::load(
                args.config.as_deref(),
                &|k| std::env::var(k).ok(),
                &Overrides::default(),
            )?;
            check_sink_options(&config)?;
            print!("{}", config.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
