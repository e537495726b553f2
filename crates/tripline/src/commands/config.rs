//! `tripline config`: print the annotated defaults, or check a config file.

use std::process::ExitCode;

use crate::commands::settings::SettingsArgs;
use crate::config::{Config, DEFAULT_TOML};

/// `tripline config ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the default configuration as annotated TOML
    ///
    /// Every field, what it does and its TRIPLINE_<SECTION>_<FIELD> environment variable.
    /// A good start for a config file.
    #[command(after_help = "Examples:
  tripline config default > tripline.toml")]
    Default,
    /// Validate a config file and the environment, and print the effective configuration
    ///
    /// The file is checked together with the TRIPLINE_* environment variables and --data;
    /// every sink is built against a scratch directory so its options are checked too.
    /// Exits 2 on any error.
    #[command(after_help = "Examples:
  tripline config check --config /etc/tripline/tripline.toml
  TRIPLINE_AUTH_TOKENS=laptop=s3cret tripline config check")]
    Check(CheckArgs),
}

/// Arguments of `tripline config check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
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
            let config = args.settings.load()?;
            check_sink_options(&config)?;
            print!("{}", config.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
