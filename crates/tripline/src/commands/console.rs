//! `tripline console`: manage the users of the web console that `serve` shows under /ui/.

use std::io::{self, BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Context};
use tripline_console::Role;
use tripline_store::{ConsoleUser, Store};

use crate::commands::settings::SettingsArgs;
use crate::pipeline::setup;

/// Environment variable read for the password when stdin is a terminal.
const PASSWORD_ENV: &str = "TRIPLINE_CONSOLE_PASSWORD";
/// Shortest password accepted.
const MIN_PASSWORD_CHARS: usize = 12;

/// `tripline console ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Create console users (separate from ingest tokens)
    #[command(
        subcommand,
        after_help = "Examples:
  printf '%s\\n' \"$PASSWORD\" | tripline console user add --name ana --role analyst"
    )]
    User(UserCommand),
}

/// `tripline console user ...`
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a console user, or replace an existing user's role and password
    ///
    /// The password is read from the first line of stdin, or from the environment variable
    /// TRIPLINE_CONSOLE_PASSWORD when stdin is a terminal; it must have at least 12
    /// characters. Only its Argon2id hash is stored, in the store of the data dir.
    #[command(after_help = "Examples:
  printf '%s\\n' \"$PASSWORD\" | tripline console user add --name ana --role analyst
  TRIPLINE_CONSOLE_PASSWORD=... tripline console user add --name root --role admin --data /var/lib/tripline")]
    Add(AddArgs),
}

/// Arguments of `tripline console user add`.
#[derive(clap::Args)]
pub struct AddArgs {
    /// Login name
    #[arg(long)]
    name: String,
    /// analyst (redacted data, can change alert status) or admin (also raw tier and config)
    #[arg(long, value_parser = ["analyst", "admin"])]
    role: String,
    #[command(flatten)]
    settings: SettingsArgs,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::User(UserCommand::Add(args)) => add(args),
    }
}

fn read_password() -> anyhow::Result<String> {
    let stdin = io::stdin();
    let password = if stdin.is_terminal() {
        std::env::var(PASSWORD_ENV).with_context(|| {
            format!("stdin is a terminal: pipe the password in or set {PASSWORD_ENV}")
        })?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        if line.trim_end_matches(['\r', '\n']).is_empty() {
            std::env::var(PASSWORD_ENV).unwrap_or_default()
        } else {
            line
        }
    };
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let name = args.name.trim();
    if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        bail!("--name must be 1 to 128 characters without control characters");
    }
    let role = Role::parse(&args.role).context("--role must be analyst or admin")?;
    let password = read_password()?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    let cfg = args.settings.load()?;
    let dir = cfg.data_dir();
    let mut store = Store::open(dir, &setup::store_options(&cfg))
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let hash = tripline_console::hash_password(&password)?;
    let user = ConsoleUser {
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        password_hash: hash,
    };
    let created = store.put_console_user(&user, chrono::Utc::now().timestamp_millis())?;
    eprintln!(
        "{} console user {name} ({}) in {}",
        if created { "created" } else { "updated" },
        role.as_str(),
        dir.display()
    );
    Ok(crate::exit::ok())
}
