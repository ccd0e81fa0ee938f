//! Budgets for what anyone may send without a key, so that nobody can fill the audit log or
//! the CPU with them: ceremony starts that name no user, and finishes that fail. Each is
//! counted per client address and per tenant in fixed windows; a request over a budget is
//! refused before it reads the store or writes an audit event.
//!
//! The counts live in a [`Counter`]: [`MemoryCounter`] for one process, or one shared by
//! several servers (the server crate's Redis counter).
//!
//! Hand-written rather than `governor`: a finish is refused when earlier failures used up the
//! budget but charged only when it fails itself, so the limiter must read a count without
//! spending it, which `governor` cannot; and a shared counter needs the same fixed-window
//! arithmetic, which is one `INCR` in Redis.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use crate::model::TenantId;
use crate::{Error, Result};

/// How many requests of each kind a window allows; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// The span each count covers; counts start again when it has passed.
    pub window: Duration,
    /// Ceremony starts that name no user, from one client address.
    pub starts_per_address: u32,
    /// Ceremony starts that name no user, for one tenant from all addresses together.
    pub starts_per_tenant: u32,
    /// Failed finishes from one client address.
    pub failures_per_address: u32,
    /// Failed finishes for one tenant from all addresses together.
    pub failures_per_tenant: u32,
}

impl Default for RateLimits {
    /// Generous enough for a busy tenant behind one NAT address, tight enough that a single
    /// client cannot write more than a few audit events a second.
    fn default() -> Self {
        Self {
            window: Duration::from_secs(60),
            starts_per_address: 120,
            starts_per_tenant: 6_000,
            failures_per_address: 30,
            failures_per_tenant: 1_200,
        }
    }
}

/// A count's future; counters that talk to a server borrow themselves and the key.
pub type Count<'a> = Pin<Box<dyn Future<Output = u64> + Send + 'a>>;

/// A count in a key's own interval, and the seconds left in that interval.
pub type IntervalCount<'a> = Pin<Box<dyn Future<Output = (u64, u64)> + Send + 'a>>;

/// Counts per key and window. A counter that cannot reach its backend answers 0, so that an
/// outage of the shared counter does not take every login down with it; it says so in its log.
pub trait Counter: Send + Sync {
    /// Adds one to `key` in the window starting at `window` (Unix seconds) and answers the new
    /// count; `ttl` is how long the count must be kept (the window's length).
    fn add<'a>(&'a self, key: &'a str, window: u64, ttl: Duration) -> Count<'a>;
    /// The count of `key` in the window starting at `window`.
    fn count<'a>(&'a self, key: &'a str, window: u64) -> Count<'a>;
    /// Adds one to `key` in its own interval, which begins with the first count after the
    /// previous one ended and lasts `length` (as go-limiter, behind the Hanko Public API's
    /// budgets, counts); answers the new count and the seconds left in the interval. `now` is
    /// Unix seconds.
    fn add_in_interval<'a>(&'a self, key: &'a str, now: u64, length: Duration)
    -> IntervalCount<'a>;
}

/// Counts of one process. Windows of budgets with different intervals live side by side;
/// a window is dropped once a window that starts after its end is counted, so memory is bounded
/// by the keys of the windows still running.
#[derive(Debug, Default)]
pub struct MemoryCounter {
    /// Counts by window start: the window's end and the count of each key.
    windows: Mutex<HashMap<u64, WindowCounts>>,
    /// Counts in keys' own intervals.
    intervals: Mutex<Intervals>,
}

/// Each key's count and the end of its interval (Unix seconds). Ended intervals are swept
/// whenever the map has doubled since the last sweep, so memory is bounded by the keys of the
/// intervals still running.
#[derive(Debug, Default)]
struct Intervals {
    counts: HashMap<String, (u64, u64)>,
    swept_at: usize,
}

/// A window's end (Unix seconds) and the count of each key in it.
type WindowCounts = (u64, HashMap<String, u64>);

impl Counter for MemoryCounter {
    fn add<'a>(&'a self, key: &'a str, window: u64, ttl: Duration) -> Count<'a> {
        // A panic cannot leave a count half written, so a poisoned lock is usable.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        windows.retain(|start, (end, _)| *start == window || *end > window);
        let (_, counts) = windows
            .entry(window)
            .or_insert_with(|| (window.saturating_add(ttl.as_secs().max(1)), HashMap::new()));
        let count = counts.entry(key.to_owned()).or_default();
        *count += 1;
        Box::pin(std::future::ready(*count))
    }

    fn add_in_interval<'a>(
        &'a self,
        key: &'a str,
        now: u64,
        length: Duration,
    ) -> IntervalCount<'a> {
        let mut intervals = self
            .intervals
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if intervals.counts.len() >= intervals.swept_at.max(512) * 2 {
            intervals.counts.retain(|_, (_, end)| *end > now);
            intervals.swept_at = intervals.counts.len();
        }
        let (count, end) = intervals.counts.entry(key.to_owned()).or_insert((0, 0));
        if *end <= now {
            *count = 0;
            *end = now.saturating_add(length.as_secs().max(1));
        }
        *count += 1;
        let answer = (*count, *end - now);
        Box::pin(std::future::ready(answer))
    }

    fn count<'a>(&'a self, key: &'a str, window: u64) -> Count<'a> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let count = windows
            .get(&window)
            .and_then(|(_, counts)| counts.get(key).copied())
            .unwrap_or_default();
        Box::pin(std::future::ready(count))
    }
}

/// What a request left of its budget: the `X-RateLimit-*` headers of the Hanko Public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests the window allows.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// Seconds until the window starts again.
    pub reset_secs: u64,
}

/// The limits and where they are counted.
#[derive(Clone)]
pub(crate) struct Limiter {
    limits: RateLimits,
    counter: Arc<dyn Counter>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Start,
    Failure,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, counter: Arc<dyn Counter>) -> Self {
        Self { limits, counter }
    }

    /// Counts a ceremony start; refuses it if it is one too many for its address or tenant.
    pub(crate) async fn start(
        &self,
        tenant: TenantId,
        source_ip: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.admit(Kind::Start, tenant, source_ip, now).await
    }

    /// Refuses a finish when earlier failures from its address or tenant used up the budget.
    pub(crate) async fn finish(
        &self,
        tenant: TenantId,
        source_ip: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.admit(Kind::Failure, tenant, source_ip, now).await
    }

    /// A start is spent when it is admitted; a finish only looks at the failures so far.
    async fn admit(
        &self,
        budget: Kind,
        tenant: TenantId,
        source_ip: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let window = self.window(now);
        for (key, limit) in self.keys(budget, tenant, source_ip) {
            if limit == 0 {
                continue;
            }
            let over = match budget {
                Kind::Start => {
                    self.counter.add(&key, window.0, self.limits.window).await > u64::from(limit)
                }
                Kind::Failure => self.counter.count(&key, window.0).await >= u64::from(limit),
            };
            if over {
                return Err(window.refusal());
            }
        }
        Ok(())
    }

    /// Charges a failed finish to its address and tenant.
    pub(crate) async fn failed(&self, tenant: TenantId, source_ip: &str, now: OffsetDateTime) {
        let window = self.window(now);
        for (key, limit) in self.keys(Kind::Failure, tenant, source_ip) {
            if limit > 0 {
                self.counter.add(&key, window.0, self.limits.window).await;
            }
        }
    }

    fn window(&self, now: OffsetDateTime) -> Window {
        Window::of(self.limits.window.as_secs(), now)
    }

    /// Spends one request of `limit` per `interval_secs` under `key`, in the key's own
    /// interval; refuses it when the interval's budget is used up.
    pub(crate) async fn spend(
        &self,
        key: &str,
        limit: u32,
        interval_secs: u64,
        now: OffsetDateTime,
    ) -> Result<Budget> {
        let now = u64::try_from(now.unix_timestamp()).unwrap_or_default();
        let (count, left) = self
            .counter
            .add_in_interval(key, now, Duration::from_secs(interval_secs.max(1)))
            .await;
        if count > u64::from(limit) {
            return Err(Error::RateLimited {
                retry_after_secs: left,
            });
        }
        Ok(Budget {
            limit,
            remaining: u32::try_from(u64::from(limit) - count).unwrap_or(0),
            reset_secs: left,
        })
    }

    /// The keys a request is counted under and their limits. An IPv6 client is counted by its
    /// /64, the block one host or household gets, so that it cannot step around its budget by
    /// changing its address; a request without a known address is counted by tenant only.
    fn keys(&self, budget: Kind, tenant: TenantId, source_ip: &str) -> Vec<(String, u32)> {
        let (kind, per_address, per_tenant) = match budget {
            Kind::Start => (
                "start",
                self.limits.starts_per_address,
                self.limits.starts_per_tenant,
            ),
            Kind::Failure => (
                "failure",
                self.limits.failures_per_address,
                self.limits.failures_per_tenant,
            ),
        };
        // The address comes first: a request its address may not send is not counted against
        // the tenant, so that one client cannot use up everyone's budget.
        let mut keys = Vec::with_capacity(2);
        if let Ok(address) = source_ip.parse::<IpAddr>() {
            let address = match address.to_canonical() {
                IpAddr::V6(v6) => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    format!("{}/64", std::net::Ipv6Addr::from(prefix))
                }
                v4 => v4.to_string(),
            };
            keys.push((format!("{kind}:address:{address}"), per_address));
        }
        keys.push((format!("{kind}:tenant:{}", tenant.0), per_tenant));
        keys
    }
}

/// The current window's start (Unix seconds) and the seconds left in it.
struct Window(u64, u64);

impl Window {
    fn of(length: u64, now: OffsetDateTime) -> Self {
        let length = length.max(1);
        let now = u64::try_from(now.unix_timestamp()).unwrap_or_default();
        Self(now - now % length, length - now % length)
    }

    fn refusal(&self) -> Error {
        Error::RateLimited {
            retry_after_secs: self.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    fn limiter(limits: RateLimits) -> Limiter {
        Limiter::new(limits, Arc::new(MemoryCounter::default()))
    }

    const LIMITS: RateLimits = RateLimits {
        window: Duration::from_secs(60),
        starts_per_address: 2,
        starts_per_tenant: 3,
        failures_per_address: 1,
        failures_per_tenant: 0,
    };

    #[tokio::test]
    async fn starts_are_counted_per_address_and_per_tenant() {
        let limiter = limiter(LIMITS);
        let tenant = TenantId(Uuid::new_v4());
        let now = datetime!(2026-01-01 00:00:15 UTC);
        limiter.start(tenant, "192.0.2.1", now).await.unwrap();
        limiter.start(tenant, "192.0.2.1", now).await.unwrap();
        let refused = limiter.start(tenant, "192.0.2.1", now).await.unwrap_err();
        assert!(
            matches!(
                refused,
                Error::RateLimited {
                    retry_after_secs: 45
                }
            ),
            "{refused:?}"
        );
        // The refused start was not counted against the tenant: a third fits its 3.
        limiter.start(tenant, "192.0.2.2", now).await.unwrap();
        assert!(limiter.start(tenant, "192.0.2.2", now).await.is_err());
        let other = TenantId(Uuid::new_v4());
        limiter.start(other, "192.0.2.3", now).await.unwrap();
        let next_window = datetime!(2026-01-01 00:01:00 UTC);
        limiter
            .start(tenant, "192.0.2.1", next_window)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_interval_begins_with_a_keys_first_request() {
        let limiter = limiter(LIMITS);
        let start = datetime!(2026-01-01 00:00:59 UTC);
        let first = limiter.spend("k", 2, 60, start).await.unwrap();
        assert_eq!((first.remaining, first.reset_secs), (1, 60));
        // A fixed minute would have ended here; the key's own interval has not.
        let later = datetime!(2026-01-01 00:01:30 UTC);
        let second = limiter.spend("k", 2, 60, later).await.unwrap();
        assert_eq!((second.remaining, second.reset_secs), (0, 29));
        let refused = limiter.spend("k", 2, 60, later).await.unwrap_err();
        assert!(
            matches!(
                refused,
                Error::RateLimited {
                    retry_after_secs: 29
                }
            ),
            "{refused:?}"
        );
        let next = datetime!(2026-01-01 00:01:59 UTC);
        assert_eq!(limiter.spend("k", 2, 60, next).await.unwrap().remaining, 1);
        assert_eq!(
            limiter
                .spend("other", 2, 60, later)
                .await
                .unwrap()
                .remaining,
            1
        );
    }

    #[tokio::test]
    async fn finishes_are_refused_only_after_failures() {
        let limiter = limiter(LIMITS);
        let tenant = TenantId(Uuid::new_v4());
        let now = datetime!(2026-01-01 00:00:00 UTC);
        limiter.finish(tenant, "2001:db8::1", now).await.unwrap();
        limiter.finish(tenant, "2001:db8::1", now).await.unwrap();
        limiter.failed(tenant, "2001:db8::1", now).await;
        // Same /64, same budget.
        assert!(limiter.finish(tenant, "2001:db8::2", now).await.is_err());
        limiter.finish(tenant, "2001:db8:1::1", now).await.unwrap();
        limiter.finish(tenant, "", now).await.unwrap();
    }
}
