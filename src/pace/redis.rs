//! The budget of a fleet, in Redis: the GCRA reservation of `budget.rs` as
//! one atomic Lua script on the server's clock, so that every process of
//! the fleet draws from one schedule per resource, and a 429 seen by one
//! pauses all.
//!
//! Redis is an aid, never a dependency of a request: a call that fails or
//! takes longer than the timeout (50 ms by default) falls back to the local
//! budget at the rate divided by the expected fleet size, and Redis is left
//! alone for a second before it is tried again.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;
use tokio::time::Instant;

use super::budget::{Slot, WaitPolicy};

/// Reserves the first free slot: `KEYS[1]` holds the next free instant,
/// `KEYS[2]` the pause, both in microseconds of the server's clock.
/// `ARGV[1]` is the interval, `ARGV[2]` the longest wait (`-1`: none).
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local start = math.max(next_free, paused, now)
local wait = start - now
if (max_wait < 0 and wait > 0) or (max_wait >= 0 and wait > max_wait) then
  return {0, wait}
end
redis.call('SET', KEYS[1], string.format('%d', start + interval), 'PX', math.floor((wait + interval) / 1000) + 1000)
return {1, wait}
";

/// Pauses `KEYS[1]` for `ARGV[1]` microseconds from the server's now,
/// unless a longer pause stands.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + pause > current then
  redis.call('SET', KEYS[1], string.format('%d', now + pause), 'PX', math.floor(pause / 1000) + 1000)
end
return 1
";

/// How long Redis is left alone after a failure.
const COOL_DOWN: Duration = Duration::from_secs(1);

/// A fleet-wide pacing budget in a Redis server.
///
/// ```no_run
/// use face_preflight::pace::{PaceLayer, RedisBudget, Tier};
///
/// let budget = RedisBudget::open("redis://127.0.0.1:6379")?
///     // Each process falls back to a quarter of the rate without Redis.
///     .fleet_size(4);
/// let layer = PaceLayer::tier(Tier::S0).redis(budget);
/// # Ok::<(), redis::RedisError>(())
/// ```
pub struct RedisBudget {
    client: redis::Client,
    connection: Mutex<Option<ConnectionManager>>,
    down_until: Mutex<Option<Instant>>,
    timeout: Duration,
    fleet_size: u32,
    prefix: String,
    reserve: Script,
    pause: Script,
}

impl std::fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBudget")
            .field(
                "server",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("timeout", &self.timeout)
            .field("fleet_size", &self.fleet_size)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisBudget {
    /// A budget in the Redis server at `url` (`redis://host:port/db`). No
    /// connection is made until the first request.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: Mutex::new(None),
            down_until: Mutex::new(None),
            timeout: Duration::from_millis(50),
            fleet_size: 1,
            prefix: "face-preflight:pace".to_owned(),
            reserve: Script::new(RESERVE),
            pause: Script::new(PAUSE),
        })
    }

    /// How long a Redis call may take before the local budget decides
    /// (50 ms by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many processes share the resource: without Redis each paces
    /// itself at the rate divided by this (1 by default).
    #[must_use]
    pub fn fleet_size(mut self, processes: u32) -> Self {
        self.fleet_size = processes.max(1);
        self
    }

    /// The prefix of the keys (`face-preflight:pace` by default).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    pub(crate) fn fleet_size_value(&self) -> u32 {
        self.fleet_size
    }

    fn keys(&self, resource: &str) -> (String, String) {
        (
            format!("{}:{resource}:next", self.prefix),
            format!("{}:{resource}:paused", self.prefix),
        )
    }

    /// A connection, unless Redis failed less than a second ago or cannot
    /// be reached within the timeout.
    async fn connection(&self) -> Option<ConnectionManager> {
        if let Ok(down) = self.down_until.lock() {
            if down.is_some_and(|until| Instant::now() < until) {
                return None;
            }
        }
        if let Some(connection) = self.connection.lock().ok()?.clone() {
            return Some(connection);
        }
        let connect = ConnectionManager::new(self.client.clone());
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(connection)) => {
                if let Ok(mut slot) = self.connection.lock() {
                    *slot = Some(connection.clone());
                }
                Some(connection)
            }
            _ => {
                self.failed();
                None
            }
        }
    }

    fn failed(&self) {
        if let Ok(mut down) = self.down_until.lock() {
            *down = Some(Instant::now() + COOL_DOWN);
        }
        #[cfg(feature = "tracing")]
        tracing::warn!("face-preflight: Redis unavailable, pacing with the local budget");
    }

    /// Reserves a slot in the fleet's schedule; `None` when Redis could not
    /// decide (the caller falls back to the local budget).
    pub(crate) async fn reserve(
        &self,
        resource: &str,
        interval: Duration,
        policy: WaitPolicy,
    ) -> Option<Slot> {
        let mut connection = self.connection().await?;
        let (next, paused) = self.keys(resource);
        let max_wait: i64 = if policy.reject_when_over {
            -1
        } else {
            i64::try_from(policy.max_wait.as_micros()).unwrap_or(i64::MAX)
        };
        let interval_us = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.reserve.key(next);
        invocation.key(paused).arg(interval_us).arg(max_wait);
        let call = invocation.invoke_async::<(i64, i64)>(&mut connection);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok((admitted, wait))) => {
                let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
                Some(if admitted == 1 {
                    Slot::After(wait)
                } else {
                    Slot::Over(wait)
                })
            }
            _ => {
                self.failed();
                None
            }
        }
    }

    /// Pauses the resource for the whole fleet; `false` if Redis could not
    /// be told.
    pub(crate) async fn pause(&self, resource: &str, pause: Duration) -> bool {
        let Some(mut connection) = self.connection().await else {
            return false;
        };
        let (_, paused) = self.keys(resource);
        let pause_us = i64::try_from(pause.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.pause.key(paused);
        invocation.arg(pause_us);
        let call = invocation.invoke_async::<i64>(&mut connection);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(_)) => true,
            _ => {
                self.failed();
                false
            }
        }
    }
}
