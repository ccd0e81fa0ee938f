//! `latchkey`: the passkey server's command line.

mod config;
mod database;
mod first_run;
mod import;
mod inspect;
mod kosmos;
mod mds;
mod serve;
mod tenants;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "A passkey (WebAuthn / FIDO2) server"
)]
struct Cli {
    /// A TOML configuration file; LATCHKEY_* environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the public and admin APIs (with no configuration: SQLite file ./latchkey.db,
    /// public API on 127.0.0.1:8000, admin API on 127.0.0.1:8001, and a demo page at
    /// http://localhost:8000/demo over a tenant `default` made on the first run).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: tenants::TenantCommand,
    },
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: tenants::ApiKeyCommand,
    },
    /// Manage the 1Kosmos dialect's communities and licenses.
    Kosmos {
        #[command(subcommand)]
        command: kosmos::KosmosCommand,
    },
    /// Import FIDO metadata (MDS3) as authenticator policy.
    Mds {
        #[command(subcommand)]
        command: mds::MdsCommand,
    },
    /// Take tenants, users, passkeys, passwords and signing keys over from a database of Hanko
    /// passkey-server or Hanko backend v0.12 (see docs/import.md).
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Verify a WebAuthn payload offline and print what it contains as JSON.
    Inspect {
        #[command(subcommand)]
        what: inspect::Inspect,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Inspect { what } = cli.command {
        return inspect::run(what);
    }
    init_logging();
    let config = match Config::load(cli.config.as_deref(), |name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    // No #[global_allocator]: glibc's stays, as mimalloc and jemalloc, measured under the login
    // benchmark (issue 13), gave no resident-memory win worth a dependency.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the runtime: {error}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::run(config).await,
            Command::Migrate => database::Database::open(&config)
                .await
                .map(|_| eprintln!("latchkey: database is up to date")),
            Command::Tenant { command } => tenants::tenant(config, command).await,
            Command::Apikey { command } => tenants::apikey(config, command).await,
            Command::Kosmos { command } => kosmos::run(config, command).await,
            Command::Mds { command } => mds::run(config, command).await,
            Command::Import { command } => import::run(config, command).await,
            Command::Inspect { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &str) -> ExitCode {
    eprintln!("latchkey: {error}");
    ExitCode::FAILURE
}

/// Logs go to stderr; `LATCHKEY_LOG` sets the filter (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}
