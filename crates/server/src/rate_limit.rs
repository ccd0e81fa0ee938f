//! The engine's rate-limit counts in Redis, shared by every server of a deployment, so that a
//! client meets one budget whichever server it reaches.

use std::time::Duration;

use latchkey_engine::rate_limit::{Count, Counter, IntervalCount};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long a ceremony waits for Redis (to connect, or to answer) before its limits are skipped:
/// an unreachable Redis must not make every login wait.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// Counts in Redis: one key per budget key and window, `INCR`ed and given a time to live, so
/// Redis forgets old windows by itself.
#[derive(Clone)]
pub struct RedisCounter {
    connection: ConnectionManager,
}

impl std::fmt::Debug for RedisCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounter").finish_non_exhaustive()
    }
}

impl RedisCounter {
    /// Connects to `url` (`redis://host:port/db`); fails now when Redis cannot be reached, since
    /// a deployment that configured it expects shared limits.
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(REDIS_TIMEOUT)
            .set_response_timeout(REDIS_TIMEOUT)
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self { connection })
    }

    async fn add(&self, key: &str, window: u64, ttl: Duration) -> redis::RedisResult<u64> {
        let key = redis_key(key, window);
        let mut connection = self.connection.clone();
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl.as_secs().max(1))
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(count)
    }

    /// The key's interval starts with `SET NX EX` and `INCR` keeps its expiry, so Redis ends
    /// the interval by itself; `TTL` is the time left in it.
    async fn add_in_interval(&self, key: &str, length: Duration) -> redis::RedisResult<(u64, u64)> {
        let key = format!("latchkey:rate:interval:{key}");
        let seconds = length.as_secs().max(1);
        let mut connection = self.connection.clone();
        let (count, left): (u64, i64) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("EX")
            .arg(seconds)
            .arg("NX")
            .ignore()
            .cmd("INCR")
            .arg(&key)
            .cmd("TTL")
            .arg(&key)
            .query_async(&mut connection)
            .await?;
        Ok((count, u64::try_from(left).unwrap_or(seconds)))
    }

    async fn count(&self, key: &str, window: u64) -> redis::RedisResult<u64> {
        let mut connection = self.connection.clone();
        let count: Option<u64> = redis::cmd("GET")
            .arg(redis_key(key, window))
            .query_async(&mut connection)
            .await?;
        Ok(count.unwrap_or_default())
    }
}

/// Without Redis the limits are not enforced rather than every ceremony failing: availability
/// outranks the budget, and the log says so.
fn or_unlimited(result: redis::RedisResult<u64>) -> u64 {
    result.unwrap_or_else(|error| {
        tracing::warn!(%error, "rate limits not enforced: Redis does not answer");
        0
    })
}

impl Counter for RedisCounter {
    fn add_in_interval<'a>(
        &'a self,
        key: &'a str,
        _now: u64,
        length: Duration,
    ) -> IntervalCount<'a> {
        Box::pin(async move {
            self.add_in_interval(key, length)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "rate limits not enforced: Redis does not answer");
                    (0, length.as_secs())
                })
        })
    }

    fn add<'a>(&'a self, key: &'a str, window: u64, ttl: Duration) -> Count<'a> {
        Box::pin(async move { or_unlimited(self.add(key, window, ttl).await) })
    }

    fn count<'a>(&'a self, key: &'a str, window: u64) -> Count<'a> {
        Box::pin(async move { or_unlimited(self.count(key, window).await) })
    }
}

fn redis_key(key: &str, window: u64) -> String {
    format!("latchkey:rate:{window}:{key}")
}
