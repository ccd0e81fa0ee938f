//! Tenants as recently read, so that a ceremony does not read its tenant's row and parse its
//! configuration on every request.
//!
//! A tenant changes rarely and only through administration. This process forgets a tenant the
//! moment it changes one; a change made by another process sharing the store (a second server
//! on the same PostgreSQL, the CLI beside a running server) is seen once the entry is older than
//! [`TENANT_CACHE_TTL`]. That bound is the whole staleness there is: what a login trusts from
//! the tenant (relying party, origins, policies) is at most that old, and what must never be
//! stale is not cached here (API keys, signing keys, credentials and ceremonies are read from
//! the store on every request).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use time::{Duration, OffsetDateTime};

use crate::model::{Tenant, TenantId};

/// How long an entry is trusted without reading the store again: a change made by another
/// process reaches this one within it.
pub const TENANT_CACHE_TTL: Duration = Duration::seconds(1);

/// Entries kept before the cache starts over; a tenant's configuration is a few kilobytes.
const CAPACITY: usize = 4_096;

#[derive(Default)]
pub(crate) struct TenantCache {
    entries: RwLock<HashMap<TenantId, Entry>>,
}

struct Entry {
    tenant: Arc<Tenant>,
    read_at: OffsetDateTime,
}

impl TenantCache {
    /// The tenant as read at most [`TENANT_CACHE_TTL`] before `now`.
    pub(crate) fn get(&self, id: TenantId, now: OffsetDateTime) -> Option<Arc<Tenant>> {
        // A panic elsewhere cannot leave an entry half written, so a poisoned lock is usable.
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&id)?;
        // A clock that went back does not make an entry fresh for longer.
        let age = now - entry.read_at;
        (age >= Duration::ZERO && age < TENANT_CACHE_TTL).then(|| Arc::clone(&entry.tenant))
    }

    /// Remembers `tenant` as read from the store at `now`.
    pub(crate) fn put(&self, tenant: Arc<Tenant>, now: OffsetDateTime) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            tenant.id,
            Entry {
                tenant,
                read_at: now,
            },
        );
    }

    /// Forgets every tenant: after a deletion, whose cascade may take realms along.
    pub(crate) fn forget_all(&self) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Forgets one tenant, after this process changed it.
    pub(crate) fn forget(&self, id: TenantId) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}
