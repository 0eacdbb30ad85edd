//! Slots of the fleet's schedule taken from Redis a few at a time.
//!
//! At a high rate a round trip to Redis per request costs more than the
//! spacing it decides, so a busy process reserves several consecutive
//! slots in one call and hands them to its next requests. The fleet's sum
//! stays within the rate: a leased slot belongs to this process alone, and
//! one not used by its time (plus one interval, or 1 ms where the interval
//! is shorter) is dropped, never sent later as a burst. A lease reaches at
//! most [`LEASE_SPAN`] ahead and grows only with the demand seen in the
//! last span, so at the Face tiers' rates (an interval of 100 ms and more)
//! every request still asks Redis, exactly as without leases. A 429, a
//! pause or a Redis failure drops the lease; another process's 429 is
//! heard at the next call to Redis, after at most the rest of the lease
//! (≤ [`MAX_LEASE`] requests, ≤ [`LEASE_SPAN`] of the schedule).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::WaitPolicy;
use super::{Decision, Reserved};

/// The most slots one call to Redis reserves (at a rate of 1,000 a second
/// the span allows 20).
pub(crate) const MAX_LEASE: u32 = 32;
/// How far ahead of its first slot a lease reaches at most.
pub(crate) const LEASE_SPAN: Duration = Duration::from_millis(20);
/// How long a request fetching a lease is waited for at most.
const FETCH_FORGOTTEN: Duration = Duration::from_secs(1);
/// How late a leased slot may still be used, at least.
const LATENESS: Duration = Duration::from_millis(1);

/// The leases of one pacing, per resource.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    resources: Mutex<HashMap<Box<str>, Lease>>,
}

#[derive(Debug)]
struct Lease {
    /// The leased slots not yet handed out, in runs of consecutive slots,
    /// and their spacing on the server's clock (µs) and on this process's.
    runs: VecDeque<Run>,
    interval_us: i64,
    spacing: Duration,
    /// Since when one request has been asking Redis for a lease: the
    /// others meanwhile ask for one slot each, so that leases never pile
    /// up (a request dropped mid-call is forgotten after a second).
    fetching_since: Option<Instant>,
    /// Requests that asked for a slot in the current span, and in the last.
    demand: u32,
    last_demand: u32,
    span_start: Instant,
}

/// Consecutive leased slots.
#[derive(Debug)]
struct Run {
    /// The next slot, on the server's clock (µs) and on this process's.
    next_start: i64,
    next_at: Instant,
    left: u32,
}

impl Lease {
    fn idle(now: Instant) -> Self {
        Self {
            runs: VecDeque::new(),
            interval_us: 0,
            spacing: Duration::ZERO,
            fetching_since: None,
            demand: 0,
            last_demand: 0,
            span_start: now,
        }
    }

    fn note_demand(&mut self, now: Instant) {
        let since = now.saturating_duration_since(self.span_start);
        if since >= LEASE_SPAN {
            // A span without requests in between counts as none.
            self.last_demand = if since >= 2 * LEASE_SPAN {
                0
            } else {
                self.demand
            };
            self.demand = 0;
            self.span_start = now;
        }
        self.demand = self.demand.saturating_add(1);
    }
}

impl Leases {
    fn with<R>(&self, resource: &str, f: impl FnOnce(&mut Lease, Instant) -> R) -> Option<R> {
        let now = Instant::now();
        let mut resources = self.resources.lock().ok()?;
        let lease = resources
            .entry(resource.into())
            .or_insert_with(|| Lease::idle(now));
        Some(f(lease, now))
    }

    /// A leased slot for the next request of `resource` at `interval`, if
    /// one is left in time; counts the request's demand either way.
    pub(crate) fn take(
        &self,
        resource: &str,
        interval: Duration,
        policy: WaitPolicy,
    ) -> Option<Decision> {
        self.with(resource, |lease, now| {
            lease.note_demand(now);
            if lease.spacing != interval {
                lease.runs.clear();
            }
            let lateness = lease.spacing.max(LATENESS);
            while let Some(run) = lease.runs.front_mut() {
                let (at, start) = (run.next_at, run.next_start);
                let wait = at.saturating_duration_since(now);
                if !policy.allows(wait) {
                    return None;
                }
                run.left = run.left.saturating_sub(1);
                run.next_at = at + lease.spacing;
                run.next_start = start.saturating_add(lease.interval_us);
                if run.left == 0 {
                    lease.runs.pop_front();
                }
                if now <= at + lateness {
                    return Some(Decision::Go {
                        wait,
                        reserved: Reserved::Shared {
                            start,
                            interval: lease.interval_us,
                        },
                    });
                }
                // Past its time: dropped, never sent late.
            }
            None
        })
        .flatten()
    }

    /// How many slots the next call to Redis reserves for `resource`: the
    /// demand of the last span, within [`MAX_LEASE`] and [`LEASE_SPAN`] of
    /// the schedule; one while another request fetches a lease, and for a
    /// policy that never waits (a later slot would be refused).
    pub(crate) fn size(&self, resource: &str, interval: Duration, policy: WaitPolicy) -> u32 {
        if policy.reject_when_over || !policy.allows(LEASE_SPAN) {
            return 1;
        }
        let within_span = match LEASE_SPAN.as_nanos().checked_div(interval.as_nanos()) {
            Some(slots) => u32::try_from(slots).unwrap_or(MAX_LEASE),
            None => MAX_LEASE,
        };
        self.with(resource, |lease, now| {
            let fetching = lease
                .fetching_since
                .is_some_and(|since| now.saturating_duration_since(since) < FETCH_FORGOTTEN);
            let size = lease.last_demand.min(within_span).clamp(1, MAX_LEASE);
            if fetching || size == 1 {
                return 1;
            }
            lease.fetching_since = Some(now);
            size
        })
        .unwrap_or(1)
    }

    /// Keeps the slots after the first of the `granted` that a call asking
    /// for `asked` reserved from `start` (µs, server clock), the first
    /// `wait` from now.
    pub(crate) fn keep(
        &self,
        resource: &str,
        asked: u32,
        first: (i64, Duration),
        interval: (i64, Duration),
        granted: u32,
    ) {
        let ((start, wait), (interval_us, spacing)) = (first, interval);
        self.with(resource, |lease, now| {
            if asked > 1 {
                lease.fetching_since = None;
            }
            if granted <= 1 {
                return;
            }
            if lease.spacing != spacing || lease.interval_us != interval_us {
                lease.runs.clear();
                lease.spacing = spacing;
                lease.interval_us = interval_us;
            }
            lease.runs.push_back(Run {
                next_start: start.saturating_add(interval_us),
                next_at: now + wait + spacing,
                left: granted - 1,
            });
        });
    }

    /// Drops what is left of `resource`'s lease (a 429, a pause, Redis
    /// failing).
    pub(crate) fn drop_lease(&self, resource: &str) {
        self.with(resource, |lease, _| {
            lease.runs.clear();
            lease.fetching_since = None;
        });
    }
}
