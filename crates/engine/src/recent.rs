//! Values as recently read, so that a request does not read rows that change rarely (its tenant
//! and configuration, the API key or 1Kosmos license it presents, a community) on every call.
//!
//! Such rows change only through administration. This process forgets an entry the moment it
//! changes the row; a change made by another process sharing the store (a second server on the
//! same PostgreSQL, the CLI beside a running server) is seen once the entry is older than
//! [`CACHE_TTL`]. That bound is the whole staleness there is: what a request trusts from these
//! rows is at most that old: a key revoked through another server is still accepted here for up
//! to that long. What must never be stale is not cached here (signing keys, credentials and
//! ceremonies are read from the store on every request).
//!
//! Only what was found is remembered: a row created anywhere is seen by the next request.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};

use time::{Duration, OffsetDateTime};

use crate::Result;

/// How long an entry is trusted without reading the store again: a change made by another
/// process reaches this one within it.
pub const CACHE_TTL: Duration = Duration::seconds(1);

/// Entries kept before a cache starts over; the largest values (a tenant's configuration) are
/// a few kilobytes.
const CAPACITY: usize = 4_096;

/// Values of type `V` by key, each trusted for [`CACHE_TTL`] after it was read.
pub(crate) struct Recent<K, V> {
    inner: RwLock<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Counts forgets, so that a read that overlapped one is not remembered: it may have read
    /// the row as it was before the change.
    generation: u64,
}

struct Entry<V> {
    value: V,
    read_at: OffsetDateTime,
}

/// A store read about to start: taken before it, handed to [`Recent::put`] with its result.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: OffsetDateTime,
    generation: u64,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self {
            inner: RwLock::new(Inner {
                entries: HashMap::new(),
                generation: 0,
            }),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Recent<K, V> {
    /// The value of `key` as read at most [`CACHE_TTL`] before `now`.
    fn get<Q>(&self, key: &Q, now: OffsetDateTime) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // A panic elsewhere cannot leave an entry half written, so a poisoned lock is usable.
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let entry = inner.entries.get(key)?;
        // A clock that went back does not make an entry fresh for longer.
        let age = now - entry.read_at;
        (age >= Duration::ZERO && age < CACHE_TTL).then(|| entry.value.clone())
    }

    /// The value of `key` as read at most [`CACHE_TTL`] before `now`, or as `read` (run only
    /// then) reads it from the store; what `read` finds is remembered, a failure is not.
    pub(crate) async fn get_or_read<Q>(
        &self,
        key: &Q,
        now: OffsetDateTime,
        read: impl Future<Output = Result<V>>,
    ) -> Result<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(value) = self.get(key, now) {
            return Ok(value);
        }
        let reading = self.reading(now);
        let value = read.await?;
        self.put(key.to_owned(), value.clone(), reading);
        Ok(value)
    }

    /// Notes that a read of the store starts at `now`.
    fn reading(&self, now: OffsetDateTime) -> Reading {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Reading {
            at: now,
            generation: inner.generation,
        }
    }

    /// Remembers `value` as `reading` found it, unless something was forgotten since.
    fn put(&self, key: K, value: V, reading: Reading) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if inner.generation != reading.generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(
            key,
            Entry {
                value,
                read_at: reading.at,
            },
        );
    }

    /// Forgets `key`, after this process changed its row.
    pub(crate) fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.entries.remove(key);
        inner.generation += 1;
    }

    /// Forgets every value `changed` picks, for a change known by something other than the key.
    pub(crate) fn forget_where(&self, changed: impl Fn(&V) -> bool) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.entries.retain(|_, entry| !changed(&entry.value));
        inner.generation += 1;
    }

    /// Forgets everything: after a deletion whose cascade reaches rows of other keys.
    pub(crate) fn forget_all(&self) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.entries.clear();
        inner.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn read_at(
        cache: &Recent<u32, &'static str>,
        key: u32,
        value: &'static str,
        at: OffsetDateTime,
    ) {
        cache.put(key, value, cache.reading(at));
    }

    #[test]
    fn an_entry_is_trusted_for_the_ttl_and_no_longer() {
        let cache = Recent::default();
        read_at(&cache, 1, "one", T0);
        assert_eq!(cache.get(&1, T0), Some("one"));
        assert_eq!(
            cache.get(&1, T0 + CACHE_TTL - Duration::nanoseconds(1)),
            Some("one")
        );
        assert_eq!(cache.get(&1, T0 + CACHE_TTL), None);
        assert_eq!(cache.get(&2, T0), None);
    }

    #[test]
    fn a_clock_that_went_back_finds_nothing() {
        let cache = Recent::default();
        read_at(&cache, 1, "one", T0);
        assert_eq!(cache.get(&1, T0 - Duration::nanoseconds(1)), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = Recent::default();
        for key in 0..CAPACITY as u32 {
            read_at(&cache, key, "old", T0);
        }
        assert_eq!(cache.get(&0, T0), Some("old"));
        read_at(&cache, u32::MAX, "new", T0);
        assert_eq!(cache.get(&0, T0), None);
        assert_eq!(cache.get(&u32::MAX, T0), Some("new"));
    }

    #[test]
    fn forgotten_entries_are_read_again() {
        let cache = Recent::default();
        read_at(&cache, 1, "one", T0);
        read_at(&cache, 2, "two", T0);
        read_at(&cache, 3, "three", T0);
        cache.forget(&1);
        assert_eq!(cache.get(&1, T0), None);
        assert_eq!(cache.get(&2, T0), Some("two"));
        cache.forget_where(|value| value.starts_with('t'));
        assert_eq!(cache.get(&2, T0), None);
        assert_eq!(cache.get(&3, T0), None);
        read_at(&cache, 4, "four", T0);
        cache.forget_all();
        assert_eq!(cache.get(&4, T0), None);
    }

    #[test]
    fn a_read_that_overlapped_a_forget_is_not_remembered() {
        let cache = Recent::default();
        let reading = cache.reading(T0);
        cache.forget(&1);
        cache.put(1, "as before the change", reading);
        assert_eq!(cache.get(&1, T0), None);
        read_at(&cache, 1, "as changed", T0);
        assert_eq!(cache.get(&1, T0), Some("as changed"));
    }

    #[tokio::test]
    async fn the_store_is_read_on_a_miss_only_and_a_failure_is_not_remembered() {
        use crate::{Entity, Error};

        let cache: Recent<String, u8> = Recent::default();
        let missing = cache
            .get_or_read("community", T0, async {
                Err(Error::NotFound(Entity::Community))
            })
            .await;
        assert!(matches!(missing, Err(Error::NotFound(Entity::Community))));
        let read = cache.get_or_read("community", T0, async { Ok(7) }).await;
        assert_eq!(read.unwrap(), 7);
        let remembered = cache
            .get_or_read("community", T0, async { panic!("read again") })
            .await;
        assert_eq!(remembered.unwrap(), 7);
    }

    #[test]
    fn keys_are_looked_up_borrowed() {
        let cache: Recent<String, u8> = Recent::default();
        cache.put("community".to_owned(), 7, cache.reading(T0));
        assert_eq!(cache.get("community", T0), Some(7));
        cache.forget("community");
        assert_eq!(cache.get("community", T0), None);
    }
}
