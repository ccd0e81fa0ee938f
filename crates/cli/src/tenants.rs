//! `latchkey tenant ...` (tenants and their authenticator policy) and `latchkey apikey ...`: administration from the command line,
//! straight on the database (no server needs to run).

use clap::Subcommand;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::admin::NewTenant;
use latchkey_engine::authenticator_policy::{MetadataChange, RecordScope};
use latchkey_engine::model::{AuthenticatorPolicy, CertificationLevel, TenantConfig, TenantId};
use latchkey_engine::secrets::MasterKey;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::Config;
use crate::database::{Database, master_key, with_store};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with its first API key; prints {"id", "api_key"} as JSON.
    Create {
        /// Display name of the tenant, also used as the relying party's name.
        #[arg(long)]
        name: String,
        /// The relying party ID: the domain passkeys are bound to.
        #[arg(long)]
        rp_id: String,
        /// An origin allowed to run ceremonies (repeatable), e.g. https://login.example.com or
        /// android:apk-key-hash:...; web origins are also allowed by CORS.
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
        /// Serve the Hanko Public API (v0.12) for this tenant, with the original's defaults;
        /// it lets anyone sign up, so it is off unless asked for.
        #[arg(long)]
        hanko_public: bool,
    },
    /// List tenants as JSON: id, display name, and whether they serve the Hanko Public API.
    List,
    /// Print a tenant's authenticator policy as JSON, or change it with the flags given.
    Policy {
        tenant: Uuid,
        /// The lowest FIDO certification level (from `latchkey mds import`) a model must hold
        /// to register: L1, L1plus, L2, L2plus, L3 or L3plus; `none` for no minimum. With a
        /// minimum, `none` and self attestation are refused: only a chain to the model's
        /// metadata roots proves the model.
        #[arg(long, value_parser = minimum_level)]
        minimum_certification: Option<Minimum>,
    },
    /// A tenant's own authenticator records, which decide over the imported (global) ones.
    Authenticators {
        #[command(subcommand)]
        command: AuthenticatorCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuthenticatorCommand {
    /// List the records in effect for the tenant as JSON: its own (`scope: "tenant"`) and the
    /// global ones it does not override (`scope: "global"`).
    List { tenant: Uuid },
    /// Refuse registrations of a model (by AAGUID) in the tenant; prints the record.
    Deny { tenant: Uuid, aaguid: Uuid },
    /// Let a model register in the tenant although the global record disables it; prints the
    /// record. A minimum certification still applies.
    Allow { tenant: Uuid, aaguid: Uuid },
    /// Delete the tenant's own record of a model: the global record applies again.
    Reset { tenant: Uuid, aaguid: Uuid },
}

/// A `--minimum-certification` value: a level, or none.
#[derive(Debug, Clone, Copy)]
pub struct Minimum(Option<CertificationLevel>);

fn minimum_level(text: &str) -> Result<Minimum, String> {
    if text == "none" {
        return Ok(Minimum(None));
    }
    CertificationLevel::parse(text)
        .map(|level| Minimum(Some(level)))
        .ok_or_else(|| "expected L1, L1plus, L2, L2plus, L3, L3plus or none".to_owned())
}

/// Recorded as `updatedBy` of the records these commands write.
const UPDATED_BY: &str = "latchkey tenant authenticators";

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for a tenant; prints {"id", "api_key"} as JSON. The key is shown once.
    Create {
        #[arg(long)]
        tenant: Uuid,
        #[arg(long, default_value = "API Key")]
        name: String,
    },
}

pub async fn tenant(config: Config, command: TenantCommand) -> Result<(), String> {
    let (database, master) = open(&config).await?;
    with_store!(database, store => tenant_in(engine(store, master), command).await)
}

pub async fn apikey(config: Config, command: ApiKeyCommand) -> Result<(), String> {
    let (database, master) = open(&config).await?;
    with_store!(database, store => apikey_in(engine(store, master), command).await)
}

pub(crate) async fn open(config: &Config) -> Result<(Database, MasterKey), String> {
    let master = master_key(config)?;
    Ok((Database::open(config).await?, master))
}

// The command line is where the clock is read; the engine only takes a clock.
#[allow(clippy::disallowed_methods)]
pub(crate) fn engine<S: Store>(store: S, master: MasterKey) -> Engine<S> {
    Engine::new(store, master, OffsetDateTime::now_utc)
}

async fn tenant_in<S: Store>(engine: Engine<S>, command: TenantCommand) -> Result<(), String> {
    match command {
        TenantCommand::Create {
            name,
            rp_id,
            origins,
            hanko_public,
        } => {
            let mut config = TenantConfig::new(&rp_id, &name, origins);
            config.hanko_public.enabled = hanko_public;
            let (tenant, key) = engine
                .create_tenant(
                    NewTenant {
                        display_name: name,
                        config,
                    },
                    Some("Initial API Key"),
                )
                .await
                .map_err(|e| e.to_string())?;
            let key = key.ok_or("no API key was created")?;
            print_json(&Created {
                id: tenant.id.0,
                api_key: &key.secret,
            })
        }
        TenantCommand::List => {
            let tenants = engine.tenants().await.map_err(|e| e.to_string())?;
            let listed: Vec<_> = tenants
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id.0,
                        "display_name": t.display_name,
                        "hanko_public": t.config.hanko_public.enabled,
                    })
                })
                .collect();
            print_json(&json!(listed))
        }
        TenantCommand::Policy {
            tenant,
            minimum_certification,
        } => {
            let id = TenantId(tenant);
            if let Some(Minimum(minimum)) = minimum_certification {
                engine
                    .update_tenant_config(id, |current| {
                        let mut config = current.clone();
                        config.authenticator_policy.minimum_certification = minimum;
                        Ok(config)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let tenant = engine.tenant(id).await.map_err(|e| e.to_string())?;
            // As the admin API shows the block: no minimum, no key.
            let shown = match tenant.config.authenticator_policy.minimum_certification {
                Some(level) => json!({ "minimum_certification": level }),
                None => json!({}),
            };
            print_json(&shown)
        }
        TenantCommand::Authenticators { command } => authenticators(engine, command).await,
    }
}

async fn authenticators<S: Store>(
    engine: Engine<S>,
    command: AuthenticatorCommand,
) -> Result<(), String> {
    let decide = |disabled| MetadataChange {
        name: None,
        metadata: None,
        disabled: Some(disabled),
        updated_by: UPDATED_BY.to_owned(),
    };
    let (tenant, aaguid, disabled) = match command {
        AuthenticatorCommand::List { tenant } => {
            let records = engine
                .organisation_policies(TenantId(tenant))
                .await
                .map_err(|e| e.to_string())?;
            let listed: Vec<_> = records
                .iter()
                .map(|(scope, record)| record_json(*scope, record))
                .collect();
            return print_json(&listed);
        }
        AuthenticatorCommand::Reset { tenant, aaguid } => {
            engine
                .delete_organisation_policy(TenantId(tenant), aaguid)
                .await
                .map_err(|e| e.to_string())?;
            return print_json(&json!({ "aaguid": aaguid, "reset": true }));
        }
        AuthenticatorCommand::Deny { tenant, aaguid } => (tenant, aaguid, true),
        AuthenticatorCommand::Allow { tenant, aaguid } => (tenant, aaguid, false),
    };
    let record = engine
        .put_organisation_policy(TenantId(tenant), aaguid, decide(disabled))
        .await
        .map_err(|e| e.to_string())?;
    print_json(&record_json(RecordScope::Own, &record))
}

/// A record as the commands print it: the fields of the admin API's listing.
fn record_json(scope: RecordScope, record: &AuthenticatorPolicy) -> serde_json::Value {
    json!({
        "aaguid": record.aaguid,
        "name": record.name,
        "disabled": record.disabled,
        "certification": record.certification,
        "scope": match scope {
            RecordScope::Own => "tenant",
            RecordScope::Global => "global",
        },
        "updated_by": record.updated_by,
    })
}

async fn apikey_in<S: Store>(engine: Engine<S>, command: ApiKeyCommand) -> Result<(), String> {
    match command {
        ApiKeyCommand::Create { tenant, name } => {
            let issued = engine
                .create_api_key(TenantId(tenant), &name)
                .await
                .map_err(|e| e.to_string())?;
            print_json(&Created {
                id: issued.key.id,
                api_key: &issued.secret,
            })
        }
    }
}

/// A new secret as the commands print it: the id first, as documented.
#[derive(Serialize)]
struct Created<'a> {
    id: Uuid,
    api_key: &'a str,
}

pub(crate) fn print_json(value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
