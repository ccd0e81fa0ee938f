//! The server's front door: the whole public app in one router, and one call that serves it
//! and the admin API on given listeners until shutdown. The CLI parses flags and configuration
//! and binds; everything from the engine's set-up to closing the store happens here, so tests
//! that bind `127.0.0.1:0` run the same start, background work and stop as a deployment.

use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Router};
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::model::TenantId;
use latchkey_engine::rate_limit::{Counter, MemoryCounter, RateLimits};
use latchkey_engine::secrets::MasterKey;
use latchkey_federation::Federation;
use latchkey_saml::MetadataCache;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admin::{AdminOptions, admin_router};
use crate::demo::{DemoOptions, with_demo};
use crate::hanko_passkey::public_router;
use crate::http::meta::TrustedProxies;
use crate::kosmos::{ensure_envelope_key, kosmos_router};
use crate::listener::{self, ListenerLimits};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::rate_limit::RedisCounter;
use crate::related_origins::related_origins_router;
use crate::webhooks::spawn_delivery;

/// How often audit events past their retention are removed (and once at start).
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// Everything a server is configured with besides its store, master key and listeners.
#[derive(Debug, Clone)]
pub struct Options {
    pub admin: AdminOptions,
    pub trusted_proxies: TrustedProxies,
    pub limits: ListenerLimits,
    pub admin_limits: ListenerLimits,
    pub rate_limits: RateLimits,
    /// Counts rate limits in this Redis, shared by every server of a deployment; in memory
    /// when unset.
    pub rate_limit_redis_url: Option<String>,
    /// Audit events older than this are removed; kept for ever when unset.
    pub audit_retention: Option<Duration>,
    /// How often expired ceremonies, sessions, passcodes and one-time tokens are removed; never
    /// zero.
    pub cleanup_interval: Duration,
    /// The mail server for passcode mails of tenants that have none of their own; without it
    /// such tenants cannot send passcodes.
    pub smtp: Option<latchkey_engine::model::hanko_public::SmtpSettings>,
    /// The tenant whose Hanko Public API is also served at the root, for single-tenant
    /// deployments.
    pub default_tenant: Option<TenantId>,
    /// The demo page of a development instance; the command line decides whether there is one.
    pub demo: Option<DemoOptions>,
    /// The engine's only source of time.
    pub clock: fn() -> OffsetDateTime,
}

/// The two sockets a server answers on.
#[derive(Debug)]
pub struct Listeners {
    pub public: TcpListener,
    pub admin: TcpListener,
}

/// Why a server did not start. The store is closed again before it is returned.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot reach Redis for the rate limits: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot load or create the 1Kosmos envelope key: {0}")]
    EnvelopeKey(#[from] latchkey_engine::Error),
}

/// The whole public app over `engine`, on one listener: the 1Kosmos dialect under `/webauthn`,
/// the Hanko dialects under `/{tenant_id}` with their fallback at the root (`kosmos_router`
/// says how the two merge without either taking the other's paths), the related-origins
/// document at `/.well-known/webauthn` and `/{tenant_id}/.well-known/webauthn`, and the
/// default tenant's Hanko Public API at the root when there is one. Passcode mails go out through `mailer`.
pub fn public_app<S: Store>(
    engine: Arc<Engine<S>>,
    metrics: Metrics,
    proxies: TrustedProxies,
    mailer: Mailer,
    default_tenant: Option<TenantId>,
) -> Router {
    public_router(Arc::clone(&engine), metrics.clone(), default_tenant)
        .merge(related_origins_router(Arc::clone(&engine), metrics.clone()))
        .merge(kosmos_router(engine, metrics))
        .layer(Extension(proxies))
        .layer(Extension(mailer))
        .layer(Extension(Arc::new(Federation::default())))
        .layer(Extension(Arc::new(MetadataCache::default())))
}

/// A started server: its engine is set up, its envelope key exists, nothing is served yet.
pub struct Server<S: Store> {
    engine: Arc<Engine<S>>,
    metrics: Metrics,
    options: Options,
}

impl<S: Store> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Server<S> {
    /// Builds the engine over `store` with its rate limits and audit console and makes sure the
    /// 1Kosmos envelope key exists, so that `/publickeys` never races its generation.
    pub async fn start(store: S, master: MasterKey, options: Options) -> Result<Self, StartError> {
        let counter: Arc<dyn Counter> = match &options.rate_limit_redis_url {
            Some(url) => match RedisCounter::connect(url).await {
                Ok(counter) => Arc::new(counter),
                Err(error) => {
                    store.close().await;
                    return Err(error.into());
                }
            },
            None => Arc::new(MemoryCounter::default()),
        };
        let engine = Arc::new(
            Engine::new(store, master, options.clock)
                .with_rate_limits(options.rate_limits, counter)
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
        if let Err(error) = ensure_envelope_key(&engine).await {
            engine.store().close().await;
            return Err(error.into());
        }
        Ok(Self {
            engine,
            metrics: Metrics::default(),
            options,
        })
    }

    /// Serves the public app and the admin API on `listeners`, with the background cleanup and
    /// webhook delivery, until `shutdown` completes; then lets open requests finish, stops the background work
    /// and closes the store, so that a stopped SQLite database is whole in its main file.
    pub async fn serve(self, listeners: Listeners, shutdown: impl Future<Output = ()>) {
        let Self {
            engine,
            metrics,
            options,
        } = self;
        let public = public_app(
            Arc::clone(&engine),
            metrics.clone(),
            options.trusted_proxies.clone(),
            Mailer::new(options.smtp.clone()),
            options.default_tenant,
        );
        let public = match options.demo {
            Some(demo) => with_demo(public, demo),
            None => public,
        };
        let admin = admin_router(Arc::clone(&engine), options.admin, metrics)
            .layer(Extension(options.trusted_proxies));

        let (stop, stopped) = watch::channel(false);
        let mut background = vec![
            spawn_periodically(
                options.cleanup_interval,
                stopped.clone(),
                Arc::clone(&engine),
                remove_expired_ceremonies,
            ),
            spawn_delivery(Arc::clone(&engine), stopped.clone()),
        ];
        if let Some(retention) = options.audit_retention {
            background.push(spawn_periodically(
                RETENTION_INTERVAL,
                stopped.clone(),
                Arc::clone(&engine),
                move |engine| remove_old_audit_events(engine, retention),
            ));
        }
        let servers = async {
            tokio::join!(
                listener::serve(listeners.public, public, options.limits, stopped.clone()),
                listener::serve(listeners.admin, admin, options.admin_limits, stopped),
            )
        };
        let signal = async {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stop.send(true);
        };
        tokio::join!(servers, signal);
        for task in background {
            if let Err(error) = task.await {
                tracing::warn!(%error, "a background task failed");
            }
        }
        engine.store().close().await;
        tracing::info!("store closed");
    }
}

/// Runs `job` at start and then every `period` until `stopped` turns true.
fn spawn_periodically<S: Store, F: Future<Output = ()> + Send>(
    period: Duration,
    mut stopped: watch::Receiver<bool>,
    engine: Arc<Engine<S>>,
    job: impl Fn(Arc<Engine<S>>) -> F + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
            job(Arc::clone(&engine)).await;
        }
    })
}

/// Audit events past their retention.
async fn remove_old_audit_events<S: Store>(engine: Arc<Engine<S>>, retention: Duration) {
    match engine.delete_old_audit_events(retention).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed audit events past their retention"),
        Err(error) => tracing::warn!(%error, "could not remove old audit events"),
    }
}

/// Expired ceremonies, sessions and passcodes cannot be used anyway; removing them keeps the
/// tables small.
async fn remove_expired_ceremonies<S: Store>(engine: Arc<Engine<S>>) {
    match engine.delete_expired_ceremonies().await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "removed expired ceremonies"),
        Err(error) => tracing::warn!(%error, "could not remove expired ceremonies"),
    }
    match engine.delete_expired_account_records().await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "removed expired sessions and passcodes"),
        Err(error) => tracing::warn!(%error, "could not remove expired sessions and passcodes"),
    }
}
