//! Process-wide secrets kept sealed under the master key, such as the 1Kosmos envelope key
//! pair. The engine seals and stores bytes; what they mean is the caller's business.

use crate::Engine;
use crate::model::ServiceSecret;
use crate::{Entity, Error, ReadTx, Result, Store, WriteTx};

/// A secret and its public half.
pub struct OpenedSecret {
    /// The secret half, unsealed.
    pub secret: Vec<u8>,
    /// The public half, stored in clear beside the sealed secret.
    pub public: Vec<u8>,
}

impl std::fmt::Debug for OpenedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSecret").finish_non_exhaustive()
    }
}

impl<S: Store> Engine<S> {
    /// The secret stored as `name`, created with `generate` (secret, public) if there is none.
    /// Of several processes starting at once, the first to store its secret wins and the
    /// others read that one.
    pub async fn service_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> Result<(Vec<u8>, Vec<u8>)>,
    ) -> Result<OpenedSecret> {
        if let Some(stored) = self.store.read().await?.service_secret(name).await? {
            return self.open_service_secret(&stored);
        }
        let (secret, public) = generate()?;
        let stored = ServiceSecret {
            name: name.to_owned(),
            sealed: self.master.seal(&secret, &aad(name))?,
            public,
            created_at: self.now(),
        };
        let mut tx = self.store.write().await?;
        match tx.insert_service_secret(&stored).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(OpenedSecret {
                    secret,
                    public: stored.public,
                })
            }
            Err(Error::Conflict(_)) => {
                drop(tx);
                let stored = self
                    .store
                    .read()
                    .await?
                    .service_secret(name)
                    .await?
                    .ok_or(Error::NotFound(Entity::ServiceSecret))?;
                self.open_service_secret(&stored)
            }
            Err(error) => Err(error),
        }
    }

    fn open_service_secret(&self, stored: &ServiceSecret) -> Result<OpenedSecret> {
        Ok(OpenedSecret {
            secret: self.master.open(&stored.sealed, &aad(&stored.name))?,
            public: stored.public.clone(),
        })
    }
}

/// Binds a sealed secret to its name, so that it cannot be moved to another.
fn aad(name: &str) -> Vec<u8> {
    let mut aad = b"latchkey service secret ".to_vec();
    aad.extend_from_slice(name.as_bytes());
    aad
}
