//! `latchkey mds import`: FIDO MDS3 metadata into the global vendor metadata (community `any`),
//! where registration applies it as policy.

use std::path::PathBuf;

use clap::Subcommand;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::authenticator_policy::ImportedStatement;
use latchkey_engine::model::CertificationLevel;
use latchkey_webauthn::{BlobTrust, Metadata, TrustAnchors, UnixTime};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::config::Config;
use crate::database::with_store;
use crate::inspect::FIDO_MDS_ROOT;
use crate::tenants::{engine, open, print_json};

/// Recorded as `updatedBy` of imported records.
const IMPORTER: &str = "latchkey mds import";

#[derive(Debug, Subcommand)]
pub enum MdsCommand {
    /// Import a FIDO MDS3 BLOB (a JWT, its signature chain verified) or, with --unsigned, a
    /// decoded payload ({"entries": [...]}); prints {"imported": N, ...}. Each model's FIDO
    /// certification level is kept for the tenants' minimum-certification policy.
    Import {
        file: PathBuf,
        /// Accept a decoded payload whose signature cannot be checked.
        #[arg(long)]
        unsigned: bool,
        /// A PEM root the BLOB may chain to instead of the FIDO root built in (repeatable).
        #[arg(long = "root")]
        roots: Vec<PathBuf>,
        /// Verify the chain, and read which status reports are in effect, at this time
        /// (RFC 3339) instead of now, for archived BLOBs.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Serialize)]
struct Imported {
    imported: usize,
    /// Entries without an AAGUID (U2F and UAF authenticators), which no policy here can use.
    skipped: usize,
    /// Imported models the metadata service reports compromised: imported disabled.
    disabled: usize,
    /// Imported models with a FIDO certification level in effect.
    certified: usize,
}

pub async fn run(config: Config, command: MdsCommand) -> Result<(), String> {
    let MdsCommand::Import {
        file,
        unsigned,
        roots,
        at,
    } = command;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let now = match at.as_deref() {
        Some(at) => OffsetDateTime::parse(at, &Rfc3339)
            .map_err(|_| format!("--at: not an RFC 3339 time: {at}"))?,
        None => now(),
    };
    let now = UnixTime(now.unix_timestamp());
    let metadata =
        load(text.trim(), unsigned, &roots, now).map_err(|e| format!("{}: {e}", file.display()))?;
    let (database, master) = open(&config).await?;
    with_store!(database, store => import(engine(store, master), &metadata, now).await)
}

fn load(text: &str, unsigned: bool, roots: &[PathBuf], now: UnixTime) -> Result<Metadata, String> {
    let looks_signed = !text.starts_with('{');
    if !looks_signed {
        if !unsigned {
            return Err(
                "this is a decoded payload, not a signed BLOB: its origin cannot be checked; \
                 pass --unsigned to import it anyway"
                    .to_owned(),
            );
        }
        return Metadata::from_unsigned_payload_json(text.as_bytes()).map_err(|e| e.to_string());
    }
    let mut anchors = TrustAnchors::none();
    if roots.is_empty() {
        anchors.add_pem(FIDO_MDS_ROOT).map_err(|e| e.to_string())?;
    }
    for root in roots {
        let pem = std::fs::read_to_string(root)
            .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
        anchors
            .add_pem(&pem)
            .map_err(|e| format!("{}: {e}", root.display()))?;
    }
    Metadata::from_blob(text, &BlobTrust::fido(anchors.roots()), now)
        .map_err(|e| format!("the BLOB does not verify: {e}"))
}

// The command line is where the clock is read; verification only takes the time.
#[allow(clippy::disallowed_methods)]
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Imports the entries with an AAGUID, their certification level as of `now` (the BLOB's
/// `--at` time, if given).
async fn import<S: Store>(
    engine: Engine<S>,
    metadata: &Metadata,
    now: UnixTime,
) -> Result<(), String> {
    let mut records = Vec::new();
    let mut skipped = 0;
    let mut disabled = 0;
    let mut certified = 0;
    for entry in metadata.entries() {
        let (Some(aaguid), Some(statement)) = (entry.aaguid(), entry.statement()) else {
            skipped += 1;
            continue;
        };
        let json = serde_json::to_string(statement.raw()).map_err(|e| e.to_string())?;
        let certification = entry.certification_level(now).map(CertificationLevel::from);
        records.push(ImportedStatement {
            aaguid: Uuid::from_bytes(aaguid.0),
            name: statement.description.clone(),
            metadata: json,
            compromised: entry.compromised_status().is_some(),
            certification,
        });
        disabled += usize::from(entry.compromised_status().is_some());
        certified += usize::from(certification.is_some());
    }
    let imported = engine
        .import_policies(records, IMPORTER)
        .await
        .map_err(|e| e.to_string())?;
    print_json(&Imported {
        imported,
        skipped,
        disabled,
        certified,
    })
}
