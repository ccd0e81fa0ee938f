//! `latchkey tenant ...` and `latchkey apikey ...`: administration from the command line,
//! straight on the database (no server needs to run).

use clap::Subcommand;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::admin::NewTenant;
use latchkey_engine::model::{TenantConfig, TenantId};
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
}

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
    }
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
