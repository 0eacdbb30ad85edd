//! The budget of a fleet, in Redis: the GCRA reservation of `budget.rs` as
//! one atomic Lua script on the server's clock, so that every process of
//! the fleet draws from one schedule per resource, and a 429 seen by one
//! pauses all.
//!
//! Redis is an aid, never a dependency of a request (`redis_link.rs`): a
//! call that fails or takes longer than the timeout (50 ms by default) falls
//! back to the local budget at the rate divided by the expected fleet size.

use std::time::Duration;

use redis::Script;

use super::budget::{Slot, WaitPolicy};
use crate::redis_link::Link;

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

/// A fleet-wide pacing budget in a Redis server.
///
/// ```no_run
/// use face_preflight::pace::{Pacing, RedisBudget, Tier};
/// use face_preflight::PreflightLayer;
///
/// let budget = RedisBudget::open("redis://127.0.0.1:6379")?
///     // Each process falls back to a quarter of the rate without Redis.
///     .fleet_size(4);
/// let layer = PreflightLayer::new().pacing(Pacing::tier(Tier::S0).redis(budget));
/// # Ok::<(), redis::RedisError>(())
/// ```
pub struct RedisBudget {
    link: Link,
    fleet_size: u32,
    prefix: String,
    reserve: Script,
    pause: Script,
}

impl std::fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBudget")
            .field("server", &self.link.server())
            .field("timeout", &self.link.timeout)
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
            link: Link::open(url)?,
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
        self.link.timeout = timeout;
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

    /// Reserves a slot in the fleet's schedule; `None` when Redis could not
    /// decide (the caller falls back to the local budget).
    pub(crate) async fn reserve(
        &self,
        resource: &str,
        interval: Duration,
        policy: WaitPolicy,
    ) -> Option<Slot> {
        let (next, paused) = self.keys(resource);
        let max_wait: i64 = if policy.reject_when_over {
            -1
        } else {
            i64::try_from(policy.max_wait.as_micros()).unwrap_or(i64::MAX)
        };
        let interval_us = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.reserve.key(next);
        invocation.key(paused).arg(interval_us).arg(max_wait);
        let (admitted, wait): (i64, i64) = self
            .link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
        Some(if admitted == 1 {
            Slot::After(wait)
        } else {
            Slot::Over(wait)
        })
    }

    /// Pauses the resource for the whole fleet; `false` if Redis could not
    /// be told.
    pub(crate) async fn pause(&self, resource: &str, pause: Duration) -> bool {
        let (_, paused) = self.keys(resource);
        let pause_us = i64::try_from(pause.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.pause.key(paused);
        invocation.arg(pause_us);
        self.link
            .run(|mut connection| async move {
                invocation.invoke_async::<i64>(&mut connection).await
            })
            .await
            .is_some()
    }
}
