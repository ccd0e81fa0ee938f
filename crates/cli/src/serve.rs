//! `latchkey serve`: checks the configuration, binds the public and admin listeners, in
//! development mode finds or makes the demo tenant, and hands it all to the server's front
//! door, which runs until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use latchkey_engine::Store;
use latchkey_engine::model::TenantId;
use latchkey_engine::secrets::MasterKey;
use latchkey_server::{AdminOptions, ListenerLimits, Listeners, Options, Server, TrustedProxies};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::database::{Database, master_key, with_store};
use crate::first_run;
use crate::tenants::engine;

/// Descriptors beyond the two listeners' connections: database pool, files, log.
const SPARE_DESCRIPTORS: u64 = 64;

pub async fn run(config: Config) -> Result<(), String> {
    if config.admin_token.is_none() && !config.admin_listen.ip().is_loopback() {
        return Err(format!(
            "the admin API would listen on {} without a token: set LATCHKEY_ADMIN_TOKEN \
             (or admin_token) or keep admin_listen on a loopback address",
            config.admin_listen
        ));
    }
    raise_descriptor_limit(&config);
    let master = master_key(&config)?;
    let database = Database::open(&config).await?;
    with_store!(database, store => serve(store, master, &config).await)
}

async fn serve<S: Store>(store: S, master: MasterKey, config: &Config) -> Result<(), String> {
    // Bound before the server starts: once started, it owns the store and closes it on every
    // way out.
    let listeners = Listeners {
        public: bind(config.listen).await?,
        admin: bind(config.admin_listen).await?,
    };
    let public = local_address(&listeners.public)?;
    let admin = local_address(&listeners.admin)?;
    // The demo tenant's origin names the port this start listens on, known only now. Its
    // engine needs a master key of its own: in development mode that is the key file beside
    // the database, read again.
    let demo = if config.development {
        let prepared = match master_key(config) {
            Ok(master) => first_run::prepare(&engine(store.clone(), master), public, admin).await,
            Err(error) => Err(error),
        };
        match prepared {
            Ok(demo) => demo,
            Err(error) => {
                store.close().await;
                return Err(error);
            }
        }
    } else {
        None
    };
    // The command line is where the clock is read; the server and engine only take a clock.
    #[allow(clippy::disallowed_methods)]
    let options = Options {
        admin: AdminOptions {
            token: config.admin_token.clone(),
        },
        trusted_proxies: TrustedProxies::new(config.trusted_proxies.iter().copied()),
        limits: config.limits,
        admin_limits: ListenerLimits {
            max_connections: config.admin_max_connections,
            ..config.limits
        },
        rate_limits: config.rate_limits,
        rate_limit_redis_url: config.rate_limit_redis_url.clone(),
        audit_retention: (config.audit_retention_days > 0)
            .then(|| Duration::from_secs(u64::from(config.audit_retention_days) * 86_400)),
        cleanup_interval: config.cleanup_interval,
        smtp: config.smtp.clone(),
        default_tenant: config.default_tenant.map(TenantId),
        demo: demo.as_ref().map(|demo| demo.options.clone()),
        clock: OffsetDateTime::now_utc,
    };
    let server = Server::start(store, master, options)
        .await
        .map_err(|e| e.to_string())?;
    // Printed, not logged: scripts and tests read the addresses (port 0 picks a free one).
    for (name, address) in [("public", public), ("admin", admin)] {
        eprintln!("latchkey: {name} API listening on http://{address}");
    }
    if let Some(demo) = &demo {
        demo.announce();
    }
    server.serve(listeners, shutdown_signal()).await;
    Ok(())
}

fn local_address(listener: &TcpListener) -> Result<SocketAddr, String> {
    listener.local_addr().map_err(|e| e.to_string())
}

/// Raises the soft limit on open descriptors to the hard limit: the default soft limit (often
/// 1024, sometimes 256) is below what the connection caps allow.
fn raise_descriptor_limit(config: &Config) {
    let needed =
        (config.limits.max_connections + config.admin_max_connections) as u64 + SPARE_DESCRIPTORS;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < needed => tracing::warn!(
            limit,
            needed,
            "the open-file limit is below the connection caps; lower max_connections or raise \
             the hard limit (ulimit -Hn)"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}

async fn bind(address: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
