//! [`Pacing`]: keep a process — or, with the `redis` feature, a whole
//! fleet — under a Face resource's rate limit (feature `pace`).
//!
//! A Face resource allows 20 transactions a minute on the free tier (F0)
//! and 10 a second on S0, shared by every process that uses its key, and it
//! refuses bursts well below the nominal rate. The pacing spaces requests
//! evenly per resource (scheme, host and gateway prefix): a request waits
//! for its slot, up to [`max_wait`](Pacing::max_wait); past it (or at once,
//! with [`reject_when_over`](Pacing::reject_when_over)) it is answered
//! locally with the service's 429 "Rate limit is exceeded." and a
//! `Retry-After` header. A 429 from the service pauses the resource until
//! its `Retry-After`, the seconds in its message, or an exponential
//! back-off. Adds and deletes of faces on one person or one face list go one
//! at a time (the service answers concurrent ones with 409). Nothing is
//! retried here: that stays the retry layer's job.
//!
//! The pacing is the last judge of a [`PreflightLayer`](crate::PreflightLayer):
//! a request that the rules or the facts answer never takes a slot.
//!
//! ```
//! use std::time::Duration;
//! use face_preflight::pace::{Pacing, Tier};
//! use face_preflight::PreflightLayer;
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let client = reqwest::Client::new();
//! let face = ServiceBuilder::new()
//!     .layer(PreflightLayer::new().pacing(Pacing::tier(Tier::S0).max_wait(Duration::from_secs(5))))
//!     .service(client);
//! # let _ = face;
//! # }
//! ```

mod budget;
mod queue;
#[cfg(feature = "redis")]
mod redis;

mod judge;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use crate::tap::Tap;

use self::budget::{LocalBudget, Slot, WaitPolicy};
use self::queue::Targets;
#[cfg(feature = "redis")]
pub use self::redis::RedisBudget;

/// How much of a 429 body is kept to read its seconds.
const TAP_LIMIT: usize = 4 * 1024;

/// A Face resource's pricing tier and its documented rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tier {
    /// Free: 20 transactions per minute.
    F0,
    /// Standard: 10 transactions per second (raisable on request: use
    /// [`Rate`] for a raised limit).
    S0,
}

impl Tier {
    /// The tier's rate.
    pub fn rate(self) -> Rate {
        match self {
            Tier::F0 => Rate::per_minute(20),
            Tier::S0 => Rate::per_second(10),
        }
    }
}

/// Requests per period, spaced evenly: `per / requests` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    requests: u32,
    per: Duration,
}

impl Rate {
    /// `requests` per `per` (a zero count is read as one).
    pub fn new(requests: u32, per: Duration) -> Self {
        Self {
            requests: requests.max(1),
            per,
        }
    }

    /// `requests` per second.
    pub fn per_second(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(1))
    }

    /// `requests` per minute.
    pub fn per_minute(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(60))
    }

    /// The spacing between two requests.
    pub fn interval(self) -> Duration {
        self.per / self.requests
    }
}

/// Counters of a pacing layer and every service made from it.
#[derive(Clone, Debug, Default)]
pub struct PaceStats {
    inner: Arc<PaceCounters>,
}

#[derive(Debug, Default)]
struct PaceCounters {
    sent: AtomicU64,
    waited: AtomicU64,
    waited_micros: AtomicU64,
    local_429: AtomicU64,
    remote_429: AtomicU64,
    redis_fallbacks: AtomicU64,
}

/// A copy of [`PaceStats`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaceSnapshot {
    /// Requests let through (after their wait).
    pub sent: u64,
    /// Of those, how many had to wait.
    pub waited: u64,
    /// Their waits, added up.
    pub waited_total: Duration,
    /// Requests answered locally with 429.
    pub local_429: u64,
    /// 429s received from the service.
    pub remote_429: u64,
    /// Decisions made by the local budget because Redis was unavailable.
    pub redis_fallbacks: u64,
}

impl PaceStats {
    /// The counters now.
    pub fn snapshot(&self) -> PaceSnapshot {
        let c = &self.inner;
        PaceSnapshot {
            sent: c.sent.load(Ordering::Relaxed),
            waited: c.waited.load(Ordering::Relaxed),
            waited_total: Duration::from_micros(c.waited_micros.load(Ordering::Relaxed)),
            local_429: c.local_429.load(Ordering::Relaxed),
            remote_429: c.remote_429.load(Ordering::Relaxed),
            redis_fallbacks: c.redis_fallbacks.load(Ordering::Relaxed),
        }
    }
}

/// The settings and the shared state of a pacing layer.
struct Pacer {
    interval: Duration,
    policy: WaitPolicy,
    local: LocalBudget,
    targets: Targets,
    stats: PaceStats,
    #[cfg(feature = "redis")]
    redis: Option<Arc<RedisBudget>>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("interval", &self.interval)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A request that may go: it holds its target's turn, if it has one.
struct Admitted {
    _turn: Option<OwnedSemaphorePermit>,
}

impl Pacer {
    /// Waits for the request's turn and slot; `Err` with the wait when the
    /// slot is further than the policy allows.
    async fn admit(
        self: Arc<Self>,
        resource: Arc<str>,
        target: Option<String>,
    ) -> Result<Admitted, Duration> {
        let turn = match target {
            Some(target) => self.targets.turn(target).await,
            None => None,
        };
        match self.reserve(&resource).await {
            Slot::After(wait) => {
                let counters = &self.stats.inner;
                if !wait.is_zero() {
                    counters.waited.fetch_add(1, Ordering::Relaxed);
                    let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
                    counters.waited_micros.fetch_add(micros, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                counters.sent.fetch_add(1, Ordering::Relaxed);
                Ok(Admitted { _turn: turn })
            }
            Slot::Over(wait) => Err(wait),
        }
    }

    #[cfg(feature = "redis")]
    async fn reserve(&self, resource: &str) -> Slot {
        let Some(redis) = &self.redis else {
            return self.local.reserve(resource, self.interval, self.policy);
        };
        match redis.reserve(resource, self.interval, self.policy).await {
            Some(slot) => slot,
            None => {
                self.stats
                    .inner
                    .redis_fallbacks
                    .fetch_add(1, Ordering::Relaxed);
                let share = self.interval.saturating_mul(redis.fleet_size_value());
                self.local.reserve(resource, share, self.policy)
            }
        }
    }

    #[cfg(not(feature = "redis"))]
    async fn reserve(&self, resource: &str) -> Slot {
        self.local.reserve(resource, self.interval, self.policy)
    }

    /// Learns from an answer: a 429 pauses the resource. Returns the tap
    /// that reads the wait from the 429's message when no header gave it.
    fn learn(
        self: &Arc<Self>,
        resource: &str,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Option<Tap> {
        if status != StatusCode::TOO_MANY_REQUESTS {
            self.local.clear_strikes(resource);
            return None;
        }
        self.stats.inner.remote_429.fetch_add(1, Ordering::Relaxed);
        if let Some(wait) = budget::retry_after(headers) {
            self.pause(resource, wait);
            return None;
        }
        // Until the message is read, back off; its seconds then replace it.
        let back_off = self.local.strike(resource);
        self.pause(resource, back_off);
        let pacer = Arc::clone(self);
        let resource = resource.to_owned();
        let received = Instant::now();
        Some(Tap::new(TAP_LIMIT, move |body| {
            if let Some(wait) = body.and_then(budget::seconds_in_message) {
                let already = Instant::now().saturating_duration_since(received);
                pacer.pause(&resource, wait.saturating_sub(already));
            }
        }))
    }

    fn pause(self: &Arc<Self>, resource: &str, wait: Duration) {
        self.local.pause_until(resource, Instant::now() + wait);
        #[cfg(feature = "redis")]
        if let (Some(redis), Ok(runtime)) = (&self.redis, tokio::runtime::Handle::try_current()) {
            let redis = Arc::clone(redis);
            let resource = resource.to_owned();
            runtime.spawn(async move { redis.pause(&resource, wait).await });
        }
    }
}

/// The pacing of Face requests under a rate (see the [module docs](self)):
/// one judge of a [`PreflightLayer`](crate::PreflightLayer), given with
/// [`PreflightLayer::pacing`](crate::PreflightLayer::pacing).
#[derive(Clone, Debug)]
pub struct Pacing {
    pacer: Arc<Pacer>,
}

impl Pacing {
    /// Paces at `rate`, waiting up to 30 s for a slot.
    pub fn new(rate: Rate) -> Self {
        Self {
            pacer: Arc::new(Pacer {
                interval: rate.interval(),
                policy: WaitPolicy {
                    max_wait: Duration::from_secs(30),
                    reject_when_over: false,
                },
                local: LocalBudget::default(),
                targets: Targets::default(),
                stats: PaceStats::default(),
                #[cfg(feature = "redis")]
                redis: None,
            }),
        }
    }

    /// Paces at a tier's documented rate.
    pub fn tier(tier: Tier) -> Self {
        Self::new(tier.rate())
    }

    fn update(self, change: impl FnOnce(&mut Pacer)) -> Self {
        let mut pacer = match Arc::try_unwrap(self.pacer) {
            Ok(pacer) => pacer,
            // Shared already: the new settings start with fresh state.
            Err(shared) => Pacer {
                interval: shared.interval,
                policy: shared.policy,
                local: LocalBudget::default(),
                targets: Targets::default(),
                stats: PaceStats::default(),
                #[cfg(feature = "redis")]
                redis: shared.redis.clone(),
            },
        };
        change(&mut pacer);
        Self {
            pacer: Arc::new(pacer),
        }
    }

    /// The longest a request waits for its slot (30 s by default); a
    /// request whose slot is further away is answered locally with 429.
    #[must_use]
    pub fn max_wait(self, max_wait: Duration) -> Self {
        self.update(|pacer| pacer.policy.max_wait = max_wait)
    }

    /// Never wait: a request without a free slot is answered locally with
    /// 429 and a `Retry-After` at once. Off by default.
    #[must_use]
    pub fn reject_when_over(self, enabled: bool) -> Self {
        self.update(|pacer| pacer.policy.reject_when_over = enabled)
    }

    /// Share the budget and the 429 pauses with every process that uses the
    /// same Redis server (feature `redis`).
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, budget: RedisBudget) -> Self {
        let budget = Arc::new(budget);
        self.update(|pacer| pacer.redis = Some(budget))
    }

    /// The counters of this layer and every service made from it.
    pub fn stats(&self) -> PaceStats {
        self.pacer.stats.clone()
    }
}
