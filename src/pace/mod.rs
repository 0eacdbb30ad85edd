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
#[cfg(feature = "redis")]
mod lease;
mod queue;
#[cfg(feature = "redis")]
mod redis;

mod judge;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

/// The margin [`Pacing::tier`] leaves under a tier's documented rate, in
/// per cent: the service counts requests in sliding windows and refuses a
/// burst at the exact rate, so a fleet paced at exactly 10/s still drew
/// 429s; at 9.5/s it drew none.
pub const TIER_MARGIN_PERCENT: u32 = 5;

impl Tier {
    /// The tier's documented rate (the service's limit, without the
    /// margin [`Pacing::tier`] keeps).
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

    /// This rate less `percent` per cent (at most 50): `Rate::per_second(10)
    /// .with_margin(5)` is 9.5 a second.
    ///
    /// ```
    /// use std::time::Duration;
    /// use face_preflight::pace::Rate;
    ///
    /// let paced = Rate::per_second(10).with_margin(5);
    /// assert_eq!(paced.interval(), Duration::from_secs(100) / 950);
    /// assert_eq!(Rate::per_second(10).with_margin(0), Rate::per_second(10));
    /// ```
    #[must_use]
    pub fn with_margin(self, percent: u32) -> Self {
        if percent == 0 {
            return self;
        }
        let keep = 100 - percent.min(50);
        Self::new(
            self.requests.saturating_mul(keep),
            self.per.saturating_mul(100),
        )
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

/// The settings and the shared state of a pacing layer. The settings
/// sit behind locks so that a change made through any clone reaches every
/// clone: a layer is never forked into a second budget.
struct Pacer {
    settings: Mutex<Settings>,
    local: LocalBudget,
    targets: Targets,
    stats: PaceStats,
    #[cfg(feature = "redis")]
    redis: Mutex<Option<Arc<RedisBudget>>>,
    #[cfg(feature = "redis")]
    leases: lease::Leases,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("settings", &self.settings())
            .finish_non_exhaustive()
    }
}

/// A request that may go: it holds its target's turn, if it has one.
struct Admitted {
    _turn: Option<OwnedSemaphorePermit>,
    /// When it was let go, to tell a 429's episode.
    sent: Instant,
}

/// A slot reserved and not yet used, in the schedule it was taken from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reserved {
    Local {
        start: Instant,
        interval: Duration,
    },
    /// In the fleet's schedule, on the Redis server's clock (µs).
    #[cfg(feature = "redis")]
    Shared {
        start: i64,
        interval: i64,
    },
}

/// What the schedule says to one request.
pub(crate) enum Decision {
    Go { wait: Duration, reserved: Reserved },
    Over(Duration),
}

/// A reservation that is given back unless it is used: a request that is
/// cancelled while it waits (a timeout above the layer, a dropped future)
/// or that is sent back to the queue leaves its slot to the next one.
struct Held {
    pacer: Arc<Pacer>,
    resource: Arc<str>,
    reserved: Option<Reserved>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(reserved) = self.reserved.take() {
            self.pacer.release(&self.resource, reserved);
        }
    }
}

/// A process's spacing when `processes` share `rate` (paced at
/// `interval`) without a common schedule. Each keeps to a whole share of
/// the requests of each window of the rate's period: schedules of several
/// processes align as they may, so shares of 9.5 a second, 3.17 each for
/// three processes, could put 4 + 4 + 4 requests into one second of a
/// limit of 10; at 3 a second each they put at most 9.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
fn local_share(rate: Rate, interval: Duration, processes: u32) -> Duration {
    let even = interval.saturating_mul(processes);
    match rate.requests / processes.max(1) {
        0 => even,
        whole => even.max(rate.per / whole),
    }
}

/// What a pacing's builder methods set.
#[derive(Clone, Copy, Debug)]
struct Settings {
    rate: Rate,
    margin_percent: u32,
    wait: WaitPolicy,
}

impl Pacer {
    fn settings(&self) -> Settings {
        match self.settings.lock() {
            Ok(settings) => *settings,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    #[cfg(feature = "redis")]
    fn redis(&self) -> Option<Arc<RedisBudget>> {
        self.redis.lock().ok()?.clone()
    }

    /// Waits for the request's turn and slot, both within the longest
    /// wait; `Err` with the wait when the slot is further than that.
    async fn admit(
        self: Arc<Self>,
        resource: Arc<str>,
        target: Option<String>,
    ) -> Result<Admitted, Duration> {
        let settings = self.settings();
        let (policy, interval) = (
            settings.wait,
            settings
                .rate
                .with_margin(settings.margin_percent)
                .interval(),
        );
        let arrived = Instant::now();
        let deadline = arrived.checked_add(policy.max_wait);
        // A turn held by a request that never ends is waited for no longer
        // than the longest wait; then the request goes without it (the
        // service may answer 409, its own answer).
        let turn = match (target, deadline) {
            (None, _) => None,
            (Some(target), Some(deadline)) => {
                tokio::time::timeout_at(deadline, self.targets.turn(target))
                    .await
                    .ok()
                    .flatten()
            }
            (Some(target), None) => self.targets.turn(target).await,
        };
        loop {
            let mut left = policy;
            if let Some(deadline) = deadline {
                left.max_wait = deadline.saturating_duration_since(Instant::now());
            }
            let (wait, reserved) =
                match self.reserve(&resource, settings.rate, interval, left).await {
                    Decision::Go { wait, reserved } => (wait, reserved),
                    Decision::Over(wait) => return Err(wait),
                };
            let mut held = Held {
                pacer: Arc::clone(&self),
                resource: Arc::clone(&resource),
                reserved: Some(reserved),
            };
            if !wait.is_zero() {
                self.wait_for_slot(&mut held, wait).await;
            }
            // A 429 that arrived while this request waited paused the
            // resource: its slot falls inside the pause, so it is given
            // back and the request queues again after the pause.
            if let Some(until) = self.local.paused_until(&resource) {
                drop(held);
                if deadline.is_some_and(|deadline| until > deadline) || left.reject_when_over {
                    return Err(until.saturating_duration_since(Instant::now()));
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            held.reserved = None;
            let sent = Instant::now();
            let counters = &self.stats.inner;
            let waited = sent.saturating_duration_since(arrived);
            if !waited.is_zero() {
                counters.waited.fetch_add(1, Ordering::Relaxed);
                let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
                counters.waited_micros.fetch_add(micros, Ordering::Relaxed);
            }
            counters.sent.fetch_add(1, Ordering::Relaxed);
            return Ok(Admitted { _turn: turn, sent });
        }
    }

    /// Sleeps until the held slot; the request holding the last slot
    /// moves up into a slot given back meanwhile.
    async fn wait_for_slot(&self, held: &mut Held, wait: Duration) {
        let Some(mut until) = Instant::now().checked_add(wait) else {
            return tokio::time::sleep(wait).await;
        };
        loop {
            let given_back = self.local.given_back.notified();
            let mut given_back = std::pin::pin!(given_back);
            given_back.as_mut().enable();
            if let Some(Reserved::Local { start, interval }) = held.reserved {
                if let Some(earlier) = self.local.move_last_up(&held.resource, start, interval) {
                    held.reserved = Some(Reserved::Local {
                        start: earlier,
                        interval,
                    });
                    until = earlier;
                }
            }
            if Instant::now() >= until {
                return;
            }
            if tokio::time::timeout_at(until, given_back).await.is_err() {
                return;
            }
        }
    }

    fn reserve_locally(&self, resource: &str, interval: Duration, policy: WaitPolicy) -> Decision {
        match self.local.reserve(resource, interval, policy) {
            Slot::After { wait, start } => Decision::Go {
                wait,
                reserved: Reserved::Local { start, interval },
            },
            Slot::Over(wait) => Decision::Over(wait),
        }
    }

    #[cfg(feature = "redis")]
    async fn reserve(
        &self,
        resource: &str,
        rate: Rate,
        interval: Duration,
        policy: WaitPolicy,
    ) -> Decision {
        let Some(redis) = self.redis() else {
            return self.reserve_locally(resource, interval, policy);
        };
        // A switch between the schedules hands the horizon over: slots
        // reserved in one are not given out again by the other.
        let carry = self
            .local
            .horizon(resource)
            .map_or(Duration::ZERO, |horizon| {
                horizon.saturating_duration_since(Instant::now())
            });
        // This process's share of the rate: its pace on the local budget,
        // and in the fleet's schedule just after Redis came back, while the
        // others may still be on their local budgets.
        let share = local_share(rate, interval, redis.fleet_size_value());
        let rejoining = redis.rejoining();
        let shared_interval = if rejoining { share } else { interval };
        // A slot leased by an earlier call, while the demand is high.
        if let Some(decision) = self.leases.take(resource, shared_interval, policy) {
            return decision;
        }
        let count = if rejoining {
            1
        } else {
            self.leases.size(resource, shared_interval, policy)
        };
        match redis
            .reserve(resource, shared_interval, policy, carry, count)
            .await
        {
            Some((decision, granted)) => {
                if let Decision::Go {
                    wait,
                    reserved:
                        Reserved::Shared {
                            start,
                            interval: us,
                        },
                } = decision
                {
                    self.leases.keep(
                        resource,
                        count,
                        (start, wait),
                        (us, shared_interval),
                        granted,
                    );
                    // Should Redis fail, the local schedule goes on a
                    // share after these slots, as if they had been local:
                    // the fleet's slots in between may belong to others.
                    let leased = shared_interval.saturating_mul(granted.saturating_sub(1));
                    let reach = wait.saturating_add(leased);
                    if let Some(local_end) = Instant::now().checked_add(reach.saturating_add(share))
                    {
                        self.local.note_shared(
                            resource,
                            start.saturating_add(us.saturating_mul(i64::from(granted))),
                            local_end,
                            reach.saturating_add(shared_interval),
                        );
                    }
                }
                if !matches!(decision, Decision::Go { .. }) {
                    self.leases.keep(
                        resource,
                        count,
                        (0, Duration::ZERO),
                        (0, shared_interval),
                        0,
                    );
                }
                decision
            }
            None => {
                self.leases.drop_lease(resource);
                self.stats
                    .inner
                    .redis_fallbacks
                    .fetch_add(1, Ordering::Relaxed);
                self.local.take_over_shared(resource);
                self.reserve_locally(resource, share, policy)
            }
        }
    }

    #[cfg(not(feature = "redis"))]
    async fn reserve(
        &self,
        resource: &str,
        _rate: Rate,
        interval: Duration,
        policy: WaitPolicy,
    ) -> Decision {
        self.reserve_locally(resource, interval, policy)
    }

    /// Gives a slot that was not used back to its schedule.
    fn release(&self, resource: &Arc<str>, reserved: Reserved) {
        match reserved {
            Reserved::Local { start, interval } => self.local.release(resource, start, interval),
            #[cfg(feature = "redis")]
            Reserved::Shared { start, interval } => {
                self.local.shared_given_back(resource, start, interval);
                if let (Some(redis), Ok(runtime)) =
                    (self.redis(), tokio::runtime::Handle::try_current())
                {
                    let resource = Arc::clone(resource);
                    runtime.spawn(async move { redis.release(&resource, start, interval).await });
                }
            }
        }
    }

    /// Learns from an answer to a request sent at `sent`: a 429 pauses the
    /// resource. Returns the tap that reads the wait from the 429's message
    /// when no header gave it.
    fn learn(
        self: &Arc<Self>,
        resource: &str,
        sent: Instant,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Option<Tap> {
        if status != StatusCode::TOO_MANY_REQUESTS {
            self.local.clear_strikes(resource);
            return None;
        }
        self.stats.inner.remote_429.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "redis")]
        self.leases.drop_lease(resource);
        if let Some(wait) = budget::retry_after(headers) {
            self.pause(resource, wait);
            return None;
        }
        // Until the message is read, back off (once per episode); its
        // seconds then replace the back-off.
        let back_off = self.local.strike(resource, sent);
        if let Some((wait, _)) = back_off {
            self.share_pause(resource, wait);
        }
        let pacer = Arc::clone(self);
        let resource = resource.to_owned();
        let received = Instant::now();
        Some(Tap::new(TAP_LIMIT, move |body| {
            let Some(wait) = body.and_then(budget::seconds_in_message) else {
                return;
            };
            let until = received + wait;
            match back_off {
                Some((_, back_off_until)) => {
                    pacer
                        .local
                        .replace_back_off(&resource, back_off_until, until);
                }
                None => pacer.local.pause_until(&resource, until),
            }
            let left = until.saturating_duration_since(Instant::now());
            pacer.share_pause(&resource, left);
        }))
    }

    /// Pauses the resource for `wait` (at most [`budget::MAX_PAUSE`]).
    fn pause(self: &Arc<Self>, resource: &str, wait: Duration) {
        let wait = wait.min(budget::MAX_PAUSE);
        #[cfg(feature = "redis")]
        self.leases.drop_lease(resource);
        self.local.pause_until(resource, Instant::now() + wait);
        self.share_pause(resource, wait);
    }

    /// Tells the fleet, when there is one.
    fn share_pause(&self, resource: &str, wait: Duration) {
        #[cfg(feature = "redis")]
        if let (Some(redis), Ok(runtime)) = (self.redis(), tokio::runtime::Handle::try_current()) {
            let wait = wait.min(budget::MAX_PAUSE);
            let resource = resource.to_owned();
            runtime.spawn(async move { redis.pause(&resource, wait).await });
        }
        #[cfg(not(feature = "redis"))]
        let _ = (resource, wait);
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
    /// Paces at exactly `rate`, waiting up to 30 s for a slot.
    pub fn new(rate: Rate) -> Self {
        Self {
            pacer: Arc::new(Pacer {
                settings: Mutex::new(Settings {
                    rate,
                    margin_percent: 0,
                    wait: WaitPolicy {
                        max_wait: Duration::from_secs(30),
                        reject_when_over: false,
                    },
                }),
                local: LocalBudget::default(),
                targets: Targets::default(),
                stats: PaceStats::default(),
                #[cfg(feature = "redis")]
                redis: Mutex::new(None),
                #[cfg(feature = "redis")]
                leases: lease::Leases::default(),
            }),
        }
    }

    /// Paces a [`TIER_MARGIN_PERCENT`] (5 %) margin under a tier's
    /// documented rate: 9.5 a second on S0, 19 a minute on F0.
    pub fn tier(tier: Tier) -> Self {
        Self::new(tier.rate()).margin(TIER_MARGIN_PERCENT)
    }

    fn change(self, change: impl FnOnce(&mut Settings)) -> Self {
        match self.pacer.settings.lock() {
            Ok(mut settings) => change(&mut settings),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
        self
    }

    fn change_policy(self, change: impl FnOnce(&mut WaitPolicy)) -> Self {
        self.change(|settings| change(&mut settings.wait))
    }

    /// Paces `percent` per cent (at most 50) under the rate: 5 for
    /// [`Pacing::tier`], 0 for [`Pacing::new`]. Every clone of this pacing
    /// uses it from now on.
    ///
    /// ```
    /// use face_preflight::pace::{Pacing, Rate};
    ///
    /// // A limit raised to 50 a second, paced at 45.
    /// let pacing = Pacing::new(Rate::per_second(50)).margin(10);
    /// # let _ = pacing;
    /// ```
    #[must_use]
    pub fn margin(self, percent: u32) -> Self {
        self.change(|settings| settings.margin_percent = percent.min(50))
    }

    /// The longest a request waits for its slot and for its target's turn
    /// (30 s by default); a request whose slot is further away is answered
    /// locally with 429. Every clone of this pacing uses it from now on.
    #[must_use]
    pub fn max_wait(self, max_wait: Duration) -> Self {
        self.change_policy(|policy| policy.max_wait = max_wait)
    }

    /// Never wait: a request without a free slot is answered locally with
    /// 429 and a `Retry-After` at once. Off by default. Every clone of this
    /// pacing uses it from now on.
    #[must_use]
    pub fn reject_when_over(self, enabled: bool) -> Self {
        self.change_policy(|policy| policy.reject_when_over = enabled)
    }

    /// Share the budget and the 429 pauses with every process that uses the
    /// same Redis server (feature `redis`). Every clone of this pacing uses
    /// it from now on.
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, budget: RedisBudget) -> Self {
        if let Ok(mut redis) = self.pacer.redis.lock() {
            *redis = Some(Arc::new(budget));
        }
        self
    }

    /// The counters of this layer and every service made from it.
    pub fn stats(&self) -> PaceStats {
        self.pacer.stats.clone()
    }
}
