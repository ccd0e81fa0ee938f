//! `latchkey import ...`: takes tenants, users, credentials, passwords and signing keys over from
//! a PostgreSQL database of one of the original servers, so nobody enrols again and issued
//! tokens keep verifying. The source is only read; every tenant is written by the engine in one
//! transaction.

mod hanko;
mod passkey_server;
mod source;

use std::path::PathBuf;

use clap::Subcommand;
use latchkey_engine::import::{ImportBatch, ImportReport, OriginalSecret};
use latchkey_engine::{Engine, Store};
use serde::Serialize;
use uuid::Uuid;

use crate::config::Config;
use crate::database::with_store;
use crate::tenants::{engine, open, print_json};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import every tenant (or those named) of a Hanko passkey-server database, keeping the
    /// tenant ids, API keys and signing keys; prints a report as JSON.
    HankoPasskeyServer {
        /// The original's database: postgres://user:password@host/database.
        #[arg(long)]
        from: String,
        /// Only this tenant (repeatable); all tenants when not given.
        #[arg(long = "tenant")]
        tenants: Vec<Uuid>,
        /// Report what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import the users, emails, passwords, passkeys, identities and signing keys of a Hanko
    /// backend v0.12 database into a latchkey tenant that serves the Hanko Public API; prints a
    /// report as JSON.
    Hanko {
        /// The original's database: postgres://user:password@host/database.
        #[arg(long)]
        from: String,
        /// The latchkey tenant to import into; it must exist and serve the Hanko Public API.
        #[arg(long)]
        tenant: Uuid,
        /// One of the original's `secrets.keys`, which encrypt its signing keys (repeatable;
        /// any order). Visible to other users of this machine while the command runs: prefer
        /// --secrets-file.
        #[arg(long = "secret")]
        secrets: Vec<String>,
        /// A file with the original's `secrets.keys`, one per line.
        #[arg(long)]
        secrets_file: Option<PathBuf>,
        /// Report what would be imported, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The report the command prints: per tenant, how many rows of each kind were new (written, or
/// to be written by a dry run) and how many an earlier import had already stored.
#[derive(Debug, Serialize)]
struct Report {
    dry_run: bool,
    tenants: Vec<TenantReport>,
}

#[derive(Debug, Serialize)]
struct TenantReport {
    id: Uuid,
    #[serde(flatten)]
    counts: ImportReport,
}

pub async fn run(config: Config, command: ImportCommand) -> Result<(), String> {
    let (from, dry_run) = match &command {
        ImportCommand::HankoPasskeyServer { from, dry_run, .. }
        | ImportCommand::Hanko { from, dry_run, .. } => (from.clone(), *dry_run),
    };
    let mut source = source::Source::connect(&from).await?;
    let batches = match command {
        ImportCommand::HankoPasskeyServer { tenants, .. } => {
            passkey_server::read(&mut source, &tenants).await?
        }
        ImportCommand::Hanko {
            tenant,
            secrets,
            secrets_file,
            ..
        } => {
            let secrets = collect_secrets(secrets, secrets_file.as_deref())?;
            vec![hanko::read(&mut source, tenant, &secrets).await?]
        }
    };
    source.close().await;
    let (database, master) = open(&config).await?;
    let tenants =
        with_store!(database, store => import_all(&engine(store, master), batches, dry_run).await)?;
    print_json(&Report { dry_run, tenants })
}

async fn import_all<S: Store>(
    engine: &Engine<S>,
    batches: Vec<(Uuid, ImportBatch)>,
    dry_run: bool,
) -> Result<Vec<TenantReport>, String> {
    let mut reports = Vec::with_capacity(batches.len());
    for (id, batch) in batches {
        let counts = engine
            .import(batch, dry_run)
            .await
            .map_err(|e| format!("tenant {id}: {e} (nothing of this tenant was written)"))?;
        reports.push(TenantReport { id, counts });
    }
    Ok(reports)
}

fn collect_secrets(
    given: Vec<String>,
    file: Option<&std::path::Path>,
) -> Result<Vec<OriginalSecret>, String> {
    let mut texts = given;
    if let Some(file) = file {
        let content = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        texts.extend(
            content
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(texts.into_iter().map(OriginalSecret::new).collect())
}
