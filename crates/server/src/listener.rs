//! Serving one listener: HTTP/1.1 with bounded headers, header and body read deadlines, an idle
//! deadline between requests, and a cap on open connections, so that slow or idle clients
//! cannot hold the process's descriptors. Each listener has its own cap: a saturated public
//! listener leaves the admin listener (health, metrics) answering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Layer as _;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// What one listener allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Time a client has to send a request's header, counted from the end of the previous
    /// response on a kept-alive connection: the idle deadline and the header deadline are one
    /// (hyper starts the header clock when it waits for a request).
    pub header_timeout: Duration,
    /// Time between two pieces of a request body before the request fails.
    pub body_timeout: Duration,
    /// Connections served at once; further clients wait in the kernel's accept queue, which
    /// costs the process no descriptor.
    pub max_connections: usize,
    /// Bytes of request line and headers; hyper answers 431 beyond. Browsers and SDKs send a
    /// few hundred bytes; 16 KiB leaves room for long cookies or tokens of an ingress.
    pub max_header_bytes: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// How long open requests may take to finish after a stop before their connections are cut.
const DRAIN: Duration = Duration::from_secs(10);
/// Pause after an accept error (out of descriptors, mostly), rather than spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `stopped` turns true, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ListenerLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let app = RequestBodyTimeoutLayer::new(limits.body_timeout).layer(router);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // hyper refuses less than 8 KiB.
        .max_buf_size(limits.max_header_bytes.max(8 * 1024));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else {
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            continue;
        };
        let service =
            TowerToHyperService::new(axum::Extension(ConnectInfo(peer)).layer(app.clone()));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections cut after {} s", DRAIN.as_secs());
    }
}

/// Waits for a free slot, then for a client; `None` after an accept error.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(error) => {
            tracing::warn!(%error, "cannot accept a connection");
            None
        }
    }
}
