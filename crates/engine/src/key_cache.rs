//! Parsed credential public keys, so that a login costs a signature check and not a key parse.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use latchkey_webauthn::CredentialPublicKey;

use crate::Result;
use crate::model::TenantId;

/// Entries kept before the cache starts over. An entry takes about 1.35 KiB, most of it the
/// crypto library's key object. After logins over 100,000 credentials a server peaked at
/// 155 MiB with 65,536 entries and at 80 MiB with 8,192 (sqlx store, `bench/loadgen`), and at
/// 19 MiB with 1,024 (rusqlite store, `scripts/bench --memory`, both 2026-12-03), to which
/// 8,192 entries would add up to 9.5 MiB. The keys a burst of logins reuses fit in 1,024, and a
/// miss costs one parse, a small fraction of the signature check that follows, so the cache
/// holds the busy credentials, not all of them.
const CAPACITY: usize = 1_024;

/// Keys by tenant, then by credential id, so a lookup borrows the id instead of copying it. A
/// parsed key keeps the COSE bytes it was parsed from: a credential deleted and registered
/// again under the same id must not find the old key.
#[derive(Default)]
pub(crate) struct KeyCache {
    keys: RwLock<Keys>,
}

#[derive(Default)]
struct Keys {
    by_tenant: HashMap<TenantId, HashMap<Vec<u8>, Arc<CredentialPublicKey>>>,
    len: usize,
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
            if let Some(parsed) = keys.by_tenant.get(tenant).and_then(|keys| keys.get(id))
                && parsed.cose() == cose
            {
                return Ok(Arc::clone(parsed));
            }
        }
        let parsed = Arc::new(CredentialPublicKey::from_cose(cose)?);
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.len >= CAPACITY {
            *keys = Keys::default();
        }
        let replaced = keys
            .by_tenant
            .entry(*tenant)
            .or_default()
            .insert(id.to_vec(), Arc::clone(&parsed));
        if replaced.is_none() {
            keys.len += 1;
        }
        Ok(parsed)
    }
}
