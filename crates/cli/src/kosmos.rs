//! `latchkey kosmos ...`: communities and licenses of the 1Kosmos dialect.

use clap::{Args, Subcommand};
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::model::{License, LicenseScope, TenantId};
use serde::Serialize;
use uuid::Uuid;

use crate::config::Config;
use crate::database::with_store;
use crate::tenants::{engine, open, print_json};

#[derive(Debug, Subcommand)]
pub enum KosmosCommand {
    /// Manage communities (groups of users with their own relying party).
    Community {
        #[command(subcommand)]
        command: CommunityCommand,
    },
    /// Manage license keys.
    License {
        #[command(subcommand)]
        command: LicenseCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Create a community of a tenant; prints it as JSON (its id is 24 hex digits).
    Create {
        #[arg(long)]
        tenant: Uuid,
        #[arg(long)]
        name: String,
        /// The relying party ID of the community; ceremonies must name it as `dns`.
        #[arg(long)]
        dns: String,
        /// An origin allowed besides https://DNS (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// List the communities of a tenant as JSON.
    List {
        #[arg(long)]
        tenant: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Create a license key; prints {"license_key", "scope", "id"} as JSON. The key is shown
    /// once.
    Create {
        #[arg(long)]
        tenant: Uuid,
        #[command(flatten)]
        scope: ScopeArgs,
    },
    /// List a tenant's licenses as JSON: ids, scopes and dates (keys are not stored).
    List {
        #[arg(long)]
        tenant: Uuid,
    },
    /// Revoke a license. Servers keep a license they read for up to one second, so a running
    /// server refuses the key within a second.
    Revoke {
        #[arg(long)]
        tenant: Uuid,
        #[arg(long)]
        id: Uuid,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// The license reaches this community only.
    #[arg(long)]
    community: Option<String>,
    /// The license reaches every community of the tenant.
    #[arg(long)]
    all_communities: bool,
    /// Every community of the tenant, and the global vendor metadata (community `any`).
    #[arg(long)]
    system: bool,
}

impl ScopeArgs {
    fn scope(self) -> LicenseScope {
        match self.community {
            Some(id) => LicenseScope::Community(id),
            None if self.system => LicenseScope::System,
            None => LicenseScope::AllCommunities,
        }
    }
}

#[derive(Serialize)]
struct CommunityJson<'a> {
    id: &'a str,
    tenant: Uuid,
    realm: Uuid,
    name: &'a str,
    dns: &'a str,
}

#[derive(Serialize)]
struct LicenseJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    license_key: Option<&'a str>,
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    community_id: Option<&'a str>,
    id: Uuid,
    created_at: String,
}

impl<'a> LicenseJson<'a> {
    fn new(license: &'a License, key: Option<&'a str>) -> Self {
        let (scope, community_id) = match &license.scope {
            LicenseScope::Community(id) => ("community", Some(id.as_str())),
            LicenseScope::AllCommunities => ("all_communities", None),
            LicenseScope::System => ("system", None),
        };
        Self {
            license_key: key,
            scope,
            community_id,
            id: license.id,
            created_at: license
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

pub async fn run(config: Config, command: KosmosCommand) -> Result<(), String> {
    let (database, master) = open(&config).await?;
    with_store!(database, store => run_in(engine(store, master), command).await)
}

async fn run_in<S: Store>(engine: Engine<S>, command: KosmosCommand) -> Result<(), String> {
    match command {
        KosmosCommand::Community {
            command:
                CommunityCommand::Create {
                    tenant,
                    name,
                    dns,
                    origins,
                },
        } => {
            let community = engine
                .create_community(TenantId(tenant), &name, &dns, origins)
                .await
                .map_err(|e| e.to_string())?;
            // The RP ID as the engine stored it (lowercased).
            let (_, realm) = engine
                .community(&community.id)
                .await
                .map_err(|e| e.to_string())?;
            print_json(&CommunityJson {
                id: &community.id,
                tenant: community.tenant.0,
                realm: community.realm.0,
                name: &community.name,
                dns: &realm.config.relying_party.id,
            })
        }
        KosmosCommand::Community {
            command: CommunityCommand::List { tenant },
        } => {
            let communities = engine
                .communities(TenantId(tenant))
                .await
                .map_err(|e| e.to_string())?;
            let mut listed = Vec::with_capacity(communities.len());
            for community in &communities {
                let (_, realm) = engine
                    .community(&community.id)
                    .await
                    .map_err(|e| e.to_string())?;
                listed.push((community, realm.config.relying_party.id.clone()));
            }
            let json: Vec<_> = listed
                .iter()
                .map(|(community, dns)| CommunityJson {
                    id: &community.id,
                    tenant: community.tenant.0,
                    realm: community.realm.0,
                    name: &community.name,
                    dns,
                })
                .collect();
            print_json(&json)
        }
        KosmosCommand::License {
            command: LicenseCommand::Create { tenant, scope },
        } => {
            let issued = engine
                .create_license(TenantId(tenant), scope.scope())
                .await
                .map_err(|e| e.to_string())?;
            print_json(&LicenseJson::new(&issued.license, Some(&issued.key)))
        }
        KosmosCommand::License {
            command: LicenseCommand::List { tenant },
        } => {
            let licenses = engine
                .licenses(TenantId(tenant))
                .await
                .map_err(|e| e.to_string())?;
            let listed: Vec<_> = licenses
                .iter()
                .map(|license| LicenseJson::new(license, None))
                .collect();
            print_json(&listed)
        }
        KosmosCommand::License {
            command: LicenseCommand::Revoke { tenant, id },
        } => {
            engine
                .revoke_license(TenantId(tenant), id)
                .await
                .map_err(|e| e.to_string())?;
            print_json(&serde_json::json!({ "revoked": id }))
        }
    }
}
