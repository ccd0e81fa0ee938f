//! Engines over a fresh in-memory store, and tenants built from one constructor with the
//! tweaks tests vary.

use latchkey_engine::Engine;
use latchkey_engine::admin::{IssuedApiKey, NewTenant};
use latchkey_engine::model::{
    AuthenticatorSettings, CounterRule, SigningAlgorithm, Tenant, TenantConfig, TenantId,
    TenantKind,
};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::{Store, WriteTx as _};
use latchkey_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// A migrated SQLite store in memory, gone with its last connection.
pub async fn memory_store() -> SqliteStore {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// An engine over a fresh in-memory store, reading the time from `clock`.
pub async fn engine_at(
    clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
) -> Engine<SqliteStore> {
    Engine::new(memory_store().await, MasterKey::generate().unwrap(), clock)
}

/// An engine over a fresh in-memory store on the real clock, as it runs when served.
// The engine under test runs on the real clock, as it does when served.
#[allow(clippy::disallowed_methods)]
pub async fn engine() -> Engine<SqliteStore> {
    engine_at(OffsetDateTime::now_utc).await
}

/// A tenant being described: [`tenant`] starts one, the methods change what a test varies.
#[derive(Debug, Clone)]
pub struct TenantFixture {
    display_name: String,
    config: TenantConfig,
}

/// A tenant for the relying party `rp_id`, named "Example" and served from `https://{rp_id}`,
/// with the configuration a tenant created without options gets.
pub fn tenant(rp_id: &str) -> TenantFixture {
    TenantFixture {
        display_name: "Example".to_owned(),
        config: TenantConfig::new(rp_id, "Example", vec![format!("https://{rp_id}")]),
    }
}

impl TenantFixture {
    /// Names the tenant and its relying party `name`.
    pub fn named(mut self, name: &str) -> Self {
        name.clone_into(&mut self.display_name);
        name.clone_into(&mut self.config.relying_party.display_name);
        self
    }

    /// Names the tenant `name`, leaving its relying party's name.
    pub fn display_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.display_name);
        self
    }

    /// Serves the relying party from `origins` instead, and lets CORS allow the web origins
    /// among them, as a new tenant does.
    pub fn origins(mut self, origins: &[&str]) -> Self {
        let rp = &self.config.relying_party;
        let fresh = TenantConfig::new(
            &rp.id,
            &rp.display_name,
            origins.iter().map(|&origin| origin.to_owned()).collect(),
        );
        self.config.relying_party = fresh.relying_party;
        self.config.cors = fresh.cors;
        self
    }

    /// The same `settings` for passkey and MFA ceremonies.
    pub fn authenticators(mut self, settings: AuthenticatorSettings) -> Self {
        self.config.mfa = settings.clone();
        self.config.passkey = settings;
        self
    }

    /// The ceremony timeout of passkey ceremonies.
    pub fn timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.config.passkey.timeout_ms = timeout_ms;
        self
    }

    pub fn counter(mut self, counter: CounterRule) -> Self {
        self.config.counter = counter;
        self
    }

    pub fn signing(mut self, algorithm: SigningAlgorithm) -> Self {
        self.config.signing_algorithm = algorithm;
        self
    }

    /// Any other change to the configuration.
    pub fn tweak(mut self, change: impl FnOnce(&mut TenantConfig)) -> Self {
        change(&mut self.config);
        self
    }

    pub fn config(self) -> TenantConfig {
        self.config
    }

    /// What the engine's `create_tenant` takes.
    pub fn new_tenant(self) -> NewTenant {
        NewTenant {
            display_name: self.display_name,
            config: self.config,
        }
    }

    /// The tenant as a store holds it, with a fresh id.
    pub fn build(self, created_at: OffsetDateTime) -> Tenant {
        Tenant {
            id: TenantId(Uuid::new_v4()),
            display_name: self.display_name,
            kind: TenantKind::Organisation,
            config: self.config,
            created_at,
        }
    }

    /// Creates the tenant through `engine`, with an API key named `api_key` if given.
    pub async fn create<S: Store>(
        self,
        engine: &Engine<S>,
        api_key: Option<&str>,
    ) -> (Tenant, Option<IssuedApiKey>) {
        engine
            .create_tenant(self.new_tenant(), api_key)
            .await
            .unwrap()
    }

    /// Writes the tenant straight into `store`, as the engine's checks would not let it.
    pub async fn insert<S: Store>(self, store: &S, created_at: OffsetDateTime) -> Tenant {
        let tenant = self.build(created_at);
        let mut tx = store.write().await.unwrap();
        tx.insert_tenant(&tenant).await.unwrap();
        tx.commit().await.unwrap();
        tenant
    }

    /// The body of the admin API's `POST /tenants` for this tenant.
    pub fn admin_body(&self, create_api_key: bool) -> Value {
        let config = &self.config;
        json!({
            "display_name": self.display_name,
            "create_api_key": create_api_key,
            "config": {
                "cors": {
                    "allowed_origins": config.cors.allowed_origins,
                    "allow_unsafe_wildcard": config.cors.allow_unsafe_wildcard,
                },
                "webauthn": {
                    "relying_party": {
                        "id": config.relying_party.id,
                        "display_name": config.relying_party.display_name,
                        "origins": config.relying_party.origins,
                    },
                    "timeout": config.passkey.timeout_ms,
                }
            }
        })
    }
}
