//! `latchkey serve`: the public and admin listeners over one engine.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use latchkey_engine::Store;
use latchkey_engine::ceremonies::Engine;
use latchkey_engine::rate_limit::{Counter, MemoryCounter};
use latchkey_engine::secrets::MasterKey;
use latchkey_server::{
    AdminOptions, ListenerLimits, Metrics, RedisCounter, TrustedProxies, admin_router,
    ensure_envelope_key, kosmos_router, public_router,
};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::database::{Database, master_key, with_store};

/// How often expired ceremonies are removed from the store.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);
/// How often audit events past their retention are removed (and once at start).
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);
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
    let database = Database::open(&config.database_url).await?;
    with_store!(database, store => serve(store, master, &config).await)
}

async fn serve<S: Store>(store: S, master: MasterKey, config: &Config) -> Result<(), String> {
    let counter: Arc<dyn Counter> = match &config.rate_limit_redis_url {
        Some(url) => Arc::new(
            RedisCounter::connect(url)
                .await
                .map_err(|e| format!("cannot reach Redis for the rate limits: {e}"))?,
        ),
        None => Arc::new(MemoryCounter::default()),
    };
    // The server is where the clock is read; the engine only takes a clock.
    #[allow(clippy::disallowed_methods)]
    let engine = Arc::new(
        Engine::new(store, master, OffsetDateTime::now_utc)
            .with_rate_limits(config.rate_limits, counter)
            .with_audit_console(|event| {
                tracing::info!(
                    target: "audit",
                    audience = "audit",
                    tenant_id = %event.tenant.0,
                    r#type = %event.kind,
                    error = event.error.as_deref(),
                    actor_user_id = event.actor_user_id.as_deref(),
                    transaction_id = event.transaction_id.as_deref(),
                    http_request_id = %event.request_id,
                    source_ip = %event.source_ip,
                    "audit event"
                );
            }),
    );
    ensure_envelope_key(&engine)
        .await
        .map_err(|e| format!("cannot load or create the 1Kosmos envelope key: {e}"))?;
    let metrics = Metrics::default();
    // One listener serves both dialects: 1Kosmos under /webauthn, Hanko under /{tenant_id}.
    let proxies = TrustedProxies::new(config.trusted_proxies.iter().copied());
    let public = public_router(Arc::clone(&engine), metrics.clone())
        .merge(kosmos_router(Arc::clone(&engine), metrics.clone()))
        .layer(Extension(proxies.clone()));
    let admin = admin_router(
        Arc::clone(&engine),
        AdminOptions {
            token: config.admin_token.clone(),
        },
        metrics,
    )
    .layer(Extension(proxies));
    let public_listener = bind(config.listen).await?;
    let admin_listener = bind(config.admin_listen).await?;
    // Printed, not logged: scripts and tests read the addresses (port 0 picks a free one).
    for (name, listener) in [("public", &public_listener), ("admin", &admin_listener)] {
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("latchkey: {name} API listening on http://{address}");
    }

    let (stop, stopped) = watch::channel(false);
    let cleanup = Arc::clone(&engine);
    tokio::spawn(periodically(CLEANUP_INTERVAL, stopped.clone(), move || {
        remove_expired_ceremonies(Arc::clone(&cleanup))
    }));
    if config.audit_retention_days > 0 {
        let retention = Duration::from_secs(u64::from(config.audit_retention_days) * 86_400);
        let retain = Arc::clone(&engine);
        tokio::spawn(periodically(
            RETENTION_INTERVAL,
            stopped.clone(),
            move || remove_old_audit_events(Arc::clone(&retain), retention),
        ));
    }
    let admin_limits = ListenerLimits {
        max_connections: config.admin_max_connections,
        ..config.limits
    };
    let servers = async {
        tokio::join!(
            latchkey_server::serve(public_listener, public, config.limits, stopped.clone()),
            latchkey_server::serve(admin_listener, admin, admin_limits, stopped),
        )
    };
    let signal = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    };
    tokio::join!(servers, signal);
    Ok(())
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

async fn bind(address: std::net::SocketAddr) -> Result<TcpListener, String> {
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

/// Runs `job` at start and then every `period` until the server stops.
async fn periodically<F: Future<Output = ()>>(
    period: Duration,
    mut stopped: watch::Receiver<bool>,
    mut job: impl FnMut() -> F,
) {
    let mut interval = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        job().await;
    }
}

/// Audit events past their retention.
async fn remove_old_audit_events<S: Store>(engine: Arc<Engine<S>>, retention: Duration) {
    match engine.delete_old_audit_events(retention).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed audit events past their retention"),
        Err(error) => tracing::warn!(%error, "could not remove old audit events"),
    }
}

/// Expired ceremonies cannot finish anyway; removing them keeps the table small.
async fn remove_expired_ceremonies<S: Store>(engine: Arc<Engine<S>>) {
    match engine.delete_expired_ceremonies().await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "removed expired ceremonies"),
        Err(error) => tracing::warn!(%error, "could not remove expired ceremonies"),
    }
}
