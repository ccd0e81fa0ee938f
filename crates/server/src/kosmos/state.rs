//! What every 1Kosmos handler shares: the engine and the service's envelope key pair.

use std::sync::Arc;

use latchkey_engine::Engine;
use latchkey_engine::Store;
use tokio::sync::OnceCell;

use super::envelope::ServiceKey;
use super::error::Failure;

/// Name of the envelope key pair among the engine's service secrets.
const ENVELOPE_SECRET: &str = "kosmos-envelope";

/// Creates the envelope key pair if the store has none yet, so that a deployment has its key
/// from its first start (and `/publickeys` never races a generation).
pub async fn ensure_envelope_key<S: Store>(engine: &Engine<S>) -> latchkey_engine::Result<()> {
    engine
        .service_secret(ENVELOPE_SECRET, ServiceKey::generate)
        .await
        .map(drop)
}

/// The dialect's state.
pub struct Kosmos<S: Store> {
    pub engine: Arc<Engine<S>>,
    /// Loaded (or generated) on first use: routers are built synchronously, before the store is
    /// asked anything.
    key: OnceCell<Arc<ServiceKey>>,
}

impl<S: Store> std::fmt::Debug for Kosmos<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kosmos").finish_non_exhaustive()
    }
}

impl<S: Store> Kosmos<S> {
    pub fn new(engine: Arc<Engine<S>>) -> Self {
        Self {
            engine,
            key: OnceCell::new(),
        }
    }

    /// The service's envelope key pair, the same in every process sharing the store.
    pub async fn service_key(&self) -> Result<Arc<ServiceKey>, Failure> {
        self.key
            .get_or_try_init(|| async {
                let opened = self
                    .engine
                    .service_secret(ENVELOPE_SECRET, ServiceKey::generate)
                    .await?;
                Ok(Arc::new(ServiceKey::from_secret(&opened.secret)?))
            })
            .await
            .map(Arc::clone)
            .map_err(|error: latchkey_engine::Error| Failure::from(error))
    }
}
