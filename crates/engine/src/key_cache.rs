//! Parsed credential public keys, so that a login costs a signature check and not a key parse.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use latchkey_webauthn::CredentialPublicKey;

use crate::Result;
use crate::model::TenantId;

/// Entries kept before the cache starts over; a few hundred bytes each.
const CAPACITY: usize = 65_536;

#[derive(Default)]
pub(crate) struct KeyCache {
    keys: RwLock<HashMap<(TenantId, Vec<u8>), Entry>>,
}

struct Entry {
    /// The COSE key the entry was parsed from: a credential deleted and registered again under
    /// the same id must not find the old key.
    cose: Vec<u8>,
    parsed: Arc<CredentialPublicKey>,
}

impl KeyCache {
    /// The parsed form of the credential `id`'s COSE key `cose`.
    pub(crate) fn get_or_parse(
        &self,
        tenant: &TenantId,
        id: &[u8],
        cose: &[u8],
    ) -> Result<Arc<CredentialPublicKey>> {
        {
            // A panic elsewhere cannot leave an entry half written, so a poisoned lock is usable.
            let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = keys.get(&(*tenant, id.to_vec()))
                && entry.cose == cose
            {
                return Ok(Arc::clone(&entry.parsed));
            }
        }
        let parsed = Arc::new(CredentialPublicKey::from_cose(cose)?);
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= CAPACITY {
            keys.clear();
        }
        keys.insert(
            (*tenant, id.to_vec()),
            Entry {
                cose: cose.to_vec(),
                parsed: Arc::clone(&parsed),
            },
        );
        Ok(parsed)
    }
}
