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

use super::budget::{WaitPolicy, MAX_PAUSE};
use super::{Decision, Reserved};
use crate::redis_link::Link;

/// Reserves the first free slot: `KEYS[1]` holds the next free instant,
/// `KEYS[2]` the pause, `KEYS[3]` the slots given back (a sorted set), all
/// in microseconds of the server's clock. `ARGV[1]` is the interval,
/// `ARGV[2]` the longest wait (`-1`: none), `ARGV[3]` the furthest a
/// stored instant may lie ahead: anything else is nonsense (written by
/// hand, by another program) and is repaired, never obeyed. `ARGV[4]` is
/// how far ahead this process's local schedule is still taken (after Redis
/// was away): no slot before it is given out, so the return causes no
/// burst. `ARGV[5]` is how many consecutive slots to reserve (a lease,
/// `lease.rs`); a slot given back is handed out alone. Returns whether the
/// first slot is admitted, its wait, its start and how many slots were
/// reserved.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local horizon = now + tonumber(ARGV[3])
local function instant(key)
  local raw = redis.pcall('GET', key)
  if type(raw) == 'table' then raw = 'wrong type' end
  local v = tonumber(raw or '0')
  if v == nil or v ~= v or v > horizon then
    redis.call('DEL', key)
    return 0
  end
  if v > now and redis.call('PTTL', key) == -1 then
    redis.call('PEXPIRE', key, math.floor((v - now) / 1000) + 1000)
  end
  return v
end
local next_free = instant(KEYS[1])
local paused = instant(KEYS[2])
local floor = math.max(paused, now + math.max(0, tonumber(ARGV[4]) or 0))
local function allows(wait)
  return not ((max_wait < 0 and wait > 0) or (max_wait >= 0 and wait > max_wait))
end
if type(redis.pcall('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%d', now))) == 'table' then
  redis.call('DEL', KEYS[3])
end
local hole = redis.call('ZRANGEBYSCORE', KEYS[3], string.format('%d', floor), string.format('%d', horizon), 'LIMIT', 0, 1)[1]
if hole then
  local start = tonumber(hole)
  if start and allows(start - now) then
    redis.call('ZREM', KEYS[3], hole)
    return {1, start - now, start, 1}
  end
end
local start = math.max(next_free, floor)
local wait = start - now
if not allows(wait) then
  return {0, wait, 0, 0}
end
local count = math.max(1, math.floor(tonumber(ARGV[5]) or 1))
local reach = interval * count
redis.call('SET', KEYS[1], string.format('%d', start + reach), 'PX', math.floor((wait + reach) / 1000) + 1000)
return {1, wait, start, count}
";

/// Gives back the slot at `ARGV[1]` (µs) of the interval `ARGV[2]`: the
/// end of the schedule moves back over it and any slots given back before
/// it, or it waits in `KEYS[2]` for the next request (at most `ARGV[3]`
/// of them, kept for `ARGV[4]` ms).
const RELEASE: &str = r"
local start = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local raw = redis.pcall('GET', KEYS[1])
if type(raw) == 'table' then return 0 end
local next_free = tonumber(raw or '')
if next_free and next_free == start + interval then
  local back = start
  while redis.call('ZREM', KEYS[2], string.format('%d', back - interval)) == 1 do
    back = back - interval
  end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('SET', KEYS[1], string.format('%d', back), 'PX', ttl)
  end
  return 1
end
local held = redis.pcall('ZCARD', KEYS[2])
if type(held) == 'table' then
  redis.call('DEL', KEYS[2])
  held = 0
end
if held < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], start, string.format('%d', start))
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 0
";

/// Pauses `KEYS[1]` for `ARGV[1]` microseconds from the server's now,
/// unless a longer pause stands (one beyond `ARGV[2]` µs ahead is
/// nonsense and is replaced).
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(ARGV[1])
local raw = redis.pcall('GET', KEYS[1])
if type(raw) == 'table' then
  redis.call('DEL', KEYS[1])
  raw = false
end
local current = tonumber(raw or '0')
if current == nil or current ~= current or current > now + tonumber(ARGV[2]) then
  current = 0
end
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
    release: Script,
    pause: Script,
}

impl std::fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBudget")
            .field("server", &self.link.server())
            .field("timeout", &self.link.timeout)
            .field("cool_down", &self.link.cool_down)
            .field("fleet_size", &self.fleet_size)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisBudget {
    /// A budget in the Redis server at `url` (`redis://host:port/db`). No
    /// connection is made until the first request. With the `redis-tls`
    /// feature a `rediss://` URL speaks TLS and trusts the system's root
    /// certificates (or those `SSL_CERT_FILE` names).
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self::on(Link::open(url)?))
    }

    /// A budget in the Redis server at a `rediss://` URL whose certificate
    /// chains to one in `ca` (PEM): a Redis behind a private CA.
    ///
    /// ```no_run
    /// use face_preflight::pace::RedisBudget;
    ///
    /// let ca = std::fs::read("/etc/redis/ca.pem")?;
    /// let budget = RedisBudget::open_with_ca("rediss://:password@redis.internal:6380", &ca)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "redis-tls")]
    pub fn open_with_ca(url: &str, ca: &[u8]) -> Result<Self, redis::RedisError> {
        Ok(Self::on(Link::open_with_ca(url, ca)?))
    }

    fn on(link: Link) -> Self {
        Self {
            link,
            fleet_size: 1,
            prefix: "face-preflight:pace".to_owned(),
            reserve: Script::new(RESERVE),
            release: Script::new(RELEASE),
            pause: Script::new(PAUSE),
        }
    }

    /// How long a Redis call may take before the local budget decides
    /// (50 ms by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.link.timeout = timeout;
        self
    }

    /// How long Redis is left alone after a call failed or timed out (1 s
    /// by default): the reconnect back-off. The first request after it
    /// tries one fresh connection, so sharing resumes at most this long
    /// (and one timeout) after Redis is back.
    #[must_use]
    pub fn cool_down(mut self, cool_down: Duration) -> Self {
        self.link.cool_down = cool_down;
        self
    }

    /// How many processes share the resource: without Redis each paces
    /// itself at the rate divided by this, and to at most the limit divided
    /// by this (rounded down) in each period of the rate, however the
    /// processes' schedules align (1 by default).
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

    /// Whether Redis has just come back (see `Link::rejoining`).
    pub(crate) fn rejoining(&self) -> bool {
        self.link.rejoining()
    }

    fn keys(&self, resource: &str) -> [String; 3] {
        ["next", "paused", "returned"].map(|kind| format!("{}:{resource}:{kind}", self.prefix))
    }

    /// How far ahead a stored instant may lie: the longest wait and the
    /// longest pause (µs).
    fn horizon(policy: WaitPolicy) -> i64 {
        let most = policy.max_wait.min(Duration::from_secs(86_400)) + MAX_PAUSE;
        i64::try_from(most.as_micros()).unwrap_or(i64::MAX)
    }

    /// Reserves `count` consecutive slots in the fleet's schedule (fewer
    /// when a slot given back is handed out): the decision on the first and
    /// how many were reserved; `None` when Redis could not decide (the
    /// caller falls back to the local budget).
    pub(crate) async fn reserve(
        &self,
        resource: &str,
        interval: Duration,
        policy: WaitPolicy,
        carry: Duration,
        count: u32,
    ) -> Option<(Decision, u32)> {
        let [next, paused, returned] = self.keys(resource);
        let max_wait: i64 = if policy.reject_when_over {
            -1
        } else {
            i64::try_from(policy.max_wait.as_micros()).unwrap_or(i64::MAX)
        };
        let interval_us = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.reserve.key(next);
        invocation
            .key(paused)
            .key(returned)
            .arg(interval_us)
            .arg(max_wait)
            .arg(Self::horizon(policy))
            .arg(i64::try_from(carry.as_micros()).unwrap_or(i64::MAX))
            .arg(count);
        let (admitted, wait, start, granted): (i64, i64, i64, i64) = self
            .link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(0));
        // Never more than asked for, whatever the server said.
        let granted = u32::try_from(granted).unwrap_or(1).clamp(1, count.max(1));
        Some(if admitted == 1 {
            let reserved = Reserved::Shared {
                start,
                interval: interval_us,
            };
            (Decision::Go { wait, reserved }, granted)
        } else {
            (Decision::Over(wait), 0)
        })
    }

    /// Gives back a slot of the fleet's schedule that was not used.
    pub(crate) async fn release(&self, resource: &str, start: i64, interval: i64) {
        let [next, _, returned] = self.keys(resource);
        let mut invocation = self.release.key(next);
        invocation
            .key(returned)
            .arg(start)
            .arg(interval)
            .arg(MAX_RETURNED)
            .arg(u64::try_from(MAX_PAUSE.as_millis()).unwrap_or(u64::MAX) * 2);
        let _ =
            self.link
                .run(|mut connection| async move {
                    invocation.invoke_async::<i64>(&mut connection).await
                })
                .await;
    }

    /// Pauses the resource for the whole fleet; `false` if Redis could not
    /// be told.
    pub(crate) async fn pause(&self, resource: &str, pause: Duration) -> bool {
        let [_, paused, _] = self.keys(resource);
        let pause_us = i64::try_from(pause.min(MAX_PAUSE).as_micros()).unwrap_or(i64::MAX);
        let horizon = i64::try_from(MAX_PAUSE.as_micros()).unwrap_or(i64::MAX);
        let mut invocation = self.pause.key(paused);
        invocation.arg(pause_us).arg(horizon);
        self.link
            .run(|mut connection| async move {
                invocation.invoke_async::<i64>(&mut connection).await
            })
            .await
            .is_some()
    }
}

/// Slots given back kept in the shared schedule at most.
const MAX_RETURNED: u64 = 1024;
