//! `latchkey serve`: the public and admin listeners over one engine.

use std::sync::Arc;
use std::time::Duration;

use latchkey_engine::Store;
use latchkey_engine::ceremonies::Engine;
use latchkey_engine::secrets::MasterKey;
use latchkey_server::{
    AdminOptions, Metrics, admin_router, ensure_envelope_key, kosmos_router, public_router,
};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::database::{Database, master_key, with_store};

/// How often expired ceremonies are removed from the store.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

pub async fn run(config: Config) -> Result<(), String> {
    if config.admin_token.is_none() && !config.admin_listen.ip().is_loopback() {
        return Err(format!(
            "the admin API would listen on {} without a token: set LATCHKEY_ADMIN_TOKEN \
             (or admin_token) or keep admin_listen on a loopback address",
            config.admin_listen
        ));
    }
    let master = master_key(&config)?;
    let database = Database::open(&config.database_url).await?;
    with_store!(database, store => serve(store, master, &config).await)
}

async fn serve<S: Store>(store: S, master: MasterKey, config: &Config) -> Result<(), String> {
    let engine = Arc::new(
        Engine::new(store, master, OffsetDateTime::now_utc).with_audit_console(|event| {
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
    let public = public_router(Arc::clone(&engine), metrics.clone())
        .merge(kosmos_router(Arc::clone(&engine), metrics.clone()));
    let admin = admin_router(
        Arc::clone(&engine),
        AdminOptions {
            token: config.admin_token.clone(),
        },
        metrics,
    );
    let public_listener = bind(config.listen).await?;
    let admin_listener = bind(config.admin_listen).await?;
    // Printed, not logged: scripts and tests read the addresses (port 0 picks a free one).
    for (name, listener) in [("public", &public_listener), ("admin", &admin_listener)] {
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("latchkey: {name} API listening on http://{address}");
    }

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(remove_expired_ceremonies(
        Arc::clone(&engine),
        stopped.clone(),
    ));
    let public = axum::serve(
        public_listener,
        public.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(until_stopped(stopped.clone()));
    let admin = axum::serve(
        admin_listener,
        admin.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(until_stopped(stopped));
    let servers = async {
        tokio::try_join!(public.into_future(), admin.into_future())
            .map_err(|e| format!("server failed: {e}"))
    };
    let signal = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    };
    let (result, ()) = tokio::join!(servers, signal);
    result.map(|_| ())
}

async fn bind(address: std::net::SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
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

/// Expired ceremonies cannot finish anyway; removing them keeps the table small.
async fn remove_expired_ceremonies<S: Store>(
    engine: Arc<Engine<S>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(CLEANUP_INTERVAL);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        match engine.delete_expired_ceremonies().await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "removed expired ceremonies"),
            Err(error) => tracing::warn!(%error, "could not remove expired ceremonies"),
        }
    }
}
