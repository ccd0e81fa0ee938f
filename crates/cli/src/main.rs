//! `latchkey`: the passkey server's command line.

mod inspect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "A passkey (WebAuthn / FIDO2) server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify a WebAuthn payload offline and print what it contains as JSON.
    Inspect {
        #[command(subcommand)]
        what: inspect::Inspect,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { what } => inspect::run(what),
    }
}
