//! Development mode's demo tenant. On the first start of an unconfigured instance (an empty
//! store), the tenant `default` for `localhost` with an API key shown once; on every start of
//! such an instance whose tenant `default` for `localhost` exists, the demo page over it, with an
//! origin for the port of this start and a fresh key that only the page's backend holds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use latchkey_engine::admin::NewTenant;
use latchkey_engine::model::{Tenant, TenantConfig};
use latchkey_engine::{Engine, Store};
use latchkey_server::DemoOptions;

/// The tenant's display name, and its first API key's name.
const NAME: &str = "default";
/// The relying party: the name a browser on this machine reaches the server by.
const RP_ID: &str = "localhost";
/// The API key of the page's backend: replaced at every start and never shown, so a key lives
/// no longer than the process that holds it.
const DEMO_KEY_NAME: &str = "demo page";

/// The demo of this start.
#[derive(Debug)]
pub struct Demo {
    /// What the server is given.
    pub options: DemoOptions,
    /// The page's address.
    page: String,
    /// The tenant's first API key when this start created the tenant.
    created_key: Option<String>,
}

/// Finds or makes the demo tenant of a development instance whose public API listens on
/// `public` and admin API on `admin`. `None` when the store has tenants but not that one: the
/// operator has made it their own.
pub async fn prepare<S: Store>(
    engine: &Engine<S>,
    public: SocketAddr,
    admin: SocketAddr,
) -> Result<Option<Demo>, String> {
    let origin = format!("http://{RP_ID}:{}", public.port());
    let tenants = engine.tenants().await.map_err(|e| e.to_string())?;
    let (tenant, created_key) = if tenants.is_empty() {
        let (tenant, key) = engine
            .create_tenant(
                NewTenant {
                    display_name: NAME.to_owned(),
                    config: TenantConfig::new(RP_ID, NAME, vec![origin]),
                },
                Some(NAME),
            )
            .await
            .map_err(|e| format!("cannot create the tenant {NAME:?}: {e}"))?;
        (tenant, key.map(|key| key.secret))
    } else {
        let Some(tenant) = demo_tenant(tenants) else {
            return Ok(None);
        };
        engine
            .update_tenant_config(tenant.id, |config| Ok(with_origin(config, &origin)))
            .await
            .map_err(|e| format!("cannot add {origin} to the tenant {NAME:?}: {e}"))?;
        (tenant, None)
    };
    let api_key = replace_demo_key(engine, &tenant).await?;
    Ok(Some(Demo {
        options: DemoOptions {
            tenant: tenant.id,
            api_key,
            console_url: format!("http://{}/console", reachable(admin)),
        },
        page: format!("http://{RP_ID}:{}/demo", public.port()),
        created_key,
    }))
}

impl Demo {
    /// Tells the person at the terminal where the page is and, on the first run, the tenant and
    /// its key. Printed, not logged: the key must reach the person once and no log ever.
    pub fn announce(&self) {
        if let Some(key) = &self.created_key {
            eprintln!(
                "latchkey: first run in development mode: created the tenant {NAME:?} for {RP_ID}\n\
                 latchkey:   tenant id: {tenant}\n\
                 latchkey:   API key:   {key}\n\
                 latchkey:   (the API key is shown once; latchkey keeps only its hash)",
                tenant = self.options.tenant.0,
            );
        }
        eprintln!(
            "latchkey: demo page at {} (development mode: no configuration file, database URL \
             or master key)",
            self.page
        );
    }
}

/// The oldest tenant named `default` for `localhost`.
fn demo_tenant(tenants: Vec<Tenant>) -> Option<Tenant> {
    tenants
        .into_iter()
        .filter(|tenant| tenant.display_name == NAME && tenant.config.relying_party.id == RP_ID)
        .min_by_key(|tenant| tenant.created_at)
}

/// `config` with `origin` allowed for ceremonies and CORS; origins of earlier ports stay, as
/// the operator may have added their own.
fn with_origin(config: &TenantConfig, origin: &str) -> TenantConfig {
    let mut config = config.clone();
    for origins in [
        &mut config.relying_party.origins,
        &mut config.cors.allowed_origins,
    ] {
        if !origins.iter().any(|known| known == origin) {
            origins.push(origin.to_owned());
        }
    }
    config
}

/// Revokes the page's keys of earlier starts and issues this start's.
async fn replace_demo_key<S: Store>(engine: &Engine<S>, tenant: &Tenant) -> Result<String, String> {
    let failed = |e: latchkey_engine::Error| format!("cannot renew the demo page's API key: {e}");
    for key in engine.api_keys(tenant.id).await.map_err(failed)? {
        if key.name == DEMO_KEY_NAME {
            engine
                .delete_api_key(tenant.id, key.id)
                .await
                .map_err(failed)?;
        }
    }
    let issued = engine
        .create_api_key(tenant.id, DEMO_KEY_NAME)
        .await
        .map_err(failed)?;
    Ok(issued.secret)
}

/// An address a browser on this machine reaches a listener bound to `address` at.
fn reachable(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    }
}

#[cfg(test)]
mod tests {
    use latchkey_engine::secrets::MasterKey;
    use latchkey_store_sqlite::SqliteStore;

    use super::*;

    const PUBLIC: ([u8; 4], u16) = ([127, 0, 0, 1], 8000);
    const ADMIN: ([u8; 4], u16) = ([127, 0, 0, 1], 8001);

    async fn engine() -> Engine<SqliteStore> {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        crate::tenants::engine(store, MasterKey::generate().unwrap())
    }

    async fn start(engine: &Engine<SqliteStore>, public_port: u16) -> Option<Demo> {
        prepare(
            engine,
            SocketAddr::new([127, 0, 0, 1].into(), public_port),
            SocketAddr::from(ADMIN),
        )
        .await
        .unwrap()
    }

    fn key_names(keys: &[latchkey_engine::model::ApiKey]) -> Vec<&str> {
        let mut names: Vec<&str> = keys.iter().map(|key| key.name.as_str()).collect();
        names.sort_unstable();
        names
    }

    #[tokio::test]
    async fn the_first_start_creates_the_default_tenant_with_a_key_shown_once() {
        let engine = engine().await;
        let demo = prepare(&engine, PUBLIC.into(), ADMIN.into())
            .await
            .unwrap()
            .unwrap();
        let tenant = engine.tenant(demo.options.tenant).await.unwrap();
        assert_eq!(tenant.display_name, "default");
        assert_eq!(tenant.config.relying_party.id, "localhost");
        assert_eq!(
            tenant.config.relying_party.origins,
            ["http://localhost:8000"]
        );
        assert_eq!(demo.page, "http://localhost:8000/demo");
        assert_eq!(demo.options.console_url, "http://127.0.0.1:8001/console");

        let created = demo.created_key.as_deref().unwrap();
        engine.check_api_key(tenant.id, created).await.unwrap();
        engine
            .check_api_key(tenant.id, &demo.options.api_key)
            .await
            .unwrap();
        assert_ne!(created, demo.options.api_key);
        let keys = engine.api_keys(tenant.id).await.unwrap();
        assert_eq!(key_names(&keys), ["default", "demo page"]);
    }

    #[tokio::test]
    async fn a_later_start_shows_no_key_adds_its_origin_and_renews_the_pages_key() {
        let engine = engine().await;
        let first = start(&engine, 8000).await.unwrap();
        let later = start(&engine, 9000).await.unwrap();
        assert_eq!(later.options.tenant, first.options.tenant);
        assert_eq!(later.created_key, None);
        assert_eq!(later.page, "http://localhost:9000/demo");

        let tenant = engine.tenant(later.options.tenant).await.unwrap();
        assert_eq!(
            tenant.config.relying_party.origins,
            ["http://localhost:8000", "http://localhost:9000"]
        );
        assert_eq!(
            tenant.config.cors.allowed_origins,
            tenant.config.relying_party.origins
        );
        let again = start(&engine, 9000).await.unwrap();
        let tenant = engine.tenant(again.options.tenant).await.unwrap();
        assert_eq!(tenant.config.relying_party.origins.len(), 2);

        let keys = engine.api_keys(tenant.id).await.unwrap();
        assert_eq!(key_names(&keys), ["default", "demo page"]);
        engine
            .check_api_key(tenant.id, &again.options.api_key)
            .await
            .unwrap();
        assert!(
            engine
                .check_api_key(tenant.id, &first.options.api_key)
                .await
                .is_err()
        );
        assert!(
            engine
                .check_api_key(tenant.id, first.created_key.as_deref().unwrap())
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_store_whose_tenants_are_all_the_operators_has_no_demo() {
        let engine = engine().await;
        engine
            .create_tenant(
                NewTenant {
                    display_name: "Example".to_owned(),
                    config: TenantConfig::new(
                        "example.com",
                        "Example",
                        vec!["https://example.com".to_owned()],
                    ),
                },
                None,
            )
            .await
            .unwrap();
        assert!(start(&engine, 8000).await.is_none());
        let tenants = engine.tenants().await.unwrap();
        assert_eq!(tenants.len(), 1);
        assert!(engine.api_keys(tenants[0].id).await.unwrap().is_empty());
    }

    #[test]
    fn a_listener_on_every_address_is_reached_on_loopback() {
        assert_eq!(
            reachable("0.0.0.0:8001".parse().unwrap()),
            "127.0.0.1:8001".parse().unwrap()
        );
        assert_eq!(
            reachable("[::1]:8001".parse().unwrap()),
            "[::1]:8001".parse().unwrap()
        );
    }
}
