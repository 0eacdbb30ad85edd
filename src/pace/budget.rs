//! The budget of one process: GCRA with reservations, per resource.
//!
//! Each resource has the earliest instant its next request may leave
//! (`next_free`, GCRA's theoretical arrival time with a burst of one) and
//! the instant a 429 paused it until. A request reserves the first free
//! slot — `max(next_free, paused_until, now)` — and moves `next_free` one
//! interval past it, so waiting requests leave in order, one interval apart,
//! with no thundering retry. The same arithmetic runs in Redis for a fleet
//! (`pace/redis.rs`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The longest pause a 429 can set, and the longest wait any figure read
/// from an answer can cause: a `Retry-After` or a message naming more is
/// read as this, so that no arithmetic overflows and one odd answer cannot
/// stop a resource for long (the Face service names seconds, rarely a
/// minute).
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(120);

/// Resources kept before the idle ones are swept out; past it, once swept,
/// new resources share one schedule (they wait longer, never longer than
/// their limit).
const MAX_RESOURCES: usize = 4096;

/// Slots given back and not yet taken again, per resource.
const MAX_HOLES: usize = 1024;

/// What the budget says to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Go after this wait (zero: at once). The slot starting at `start` is
    /// reserved; it is given back if the request is not sent.
    After { wait: Duration, start: Instant },
    /// The first free slot is further away than allowed: nothing reserved.
    Over(Duration),
}

/// How long a request may wait, and whether it may wait at all.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitPolicy {
    pub max_wait: Duration,
    pub reject_when_over: bool,
}

impl WaitPolicy {
    /// Whether a request whose slot is `wait` away may take it.
    pub(crate) fn allows(&self, wait: Duration) -> bool {
        if self.reject_when_over {
            wait.is_zero()
        } else {
            wait <= self.max_wait
        }
    }
}

#[derive(Debug)]
struct Resource {
    next_free: Instant,
    paused_until: Instant,
    /// The pause a back-off set, which the 429's message may replace.
    back_off_until: Option<Instant>,
    /// 429s in a row, for the back-off when the service names no wait.
    strikes: u32,
    /// When the last counted 429 arrived: one sent before it belongs to the
    /// same episode and counts no more.
    last_strike: Option<Instant>,
    /// Reserved slots given back, ascending, taken again first.
    holes: Vec<Instant>,
    /// The end of the last slot this process holds in the fleet's schedule
    /// (on the Redis server's clock in µs, and on ours): when Redis fails,
    /// the local schedule starts there, so the switch causes no burst.
    shared_end: Option<(i64, Instant)>,
    /// How far ahead of now the fleet's schedule reached at this process's
    /// latest reservation in it: the other processes' reservations since
    /// are unknown here, and assumed to keep that depth (see
    /// [`LocalBudget::take_over_shared`]).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    shared_lookahead: Duration,
}

impl Resource {
    /// The schedule ends at `start` (the last slot was given back), and
    /// before the slots given back just before it.
    fn end_at(&mut self, start: Instant, interval: Duration) {
        self.next_free = start;
        while let Some(last) = self.holes.last() {
            if *last + interval != self.next_free {
                break;
            }
            self.next_free = *last;
            self.holes.pop();
        }
    }

    fn new(now: Instant) -> Self {
        Self {
            next_free: now,
            paused_until: now,
            back_off_until: None,
            strikes: 0,
            last_strike: None,
            holes: Vec::new(),
            shared_end: None,
            shared_lookahead: Duration::ZERO,
        }
    }

    /// Whether it holds nothing a fresh one would not.
    fn idle(&self, now: Instant) -> bool {
        self.next_free <= now
            && self.paused_until <= now
            && self.strikes == 0
            && self.holes.is_empty()
            && self.shared_end.is_none_or(|(_, end)| end <= now)
    }
}

/// The per-process budget: one GCRA schedule per resource.
#[derive(Debug, Default)]
pub(crate) struct LocalBudget {
    resources: Mutex<HashMap<String, Resource>>,
    /// Woken when a slot is given back, for the request holding the last
    /// slot to move into it (see [`LocalBudget::move_last_up`]).
    pub(crate) given_back: tokio::sync::Notify,
}

impl LocalBudget {
    /// Runs `f` on the state of `resource` (made fresh if new); `None` if
    /// the lock is poisoned, so that the budget never blocks a request.
    fn with<T>(&self, resource: &str, f: impl FnOnce(&mut Resource, Instant) -> T) -> Option<T> {
        let mut resources = self.resources.lock().ok()?;
        let now = Instant::now();
        let key = if resources.contains_key(resource) {
            resource
        } else {
            if resources.len() >= MAX_RESOURCES {
                resources.retain(|_, state| !state.idle(now));
            }
            if resources.len() >= MAX_RESOURCES {
                ""
            } else {
                resource
            }
        };
        let state = resources
            .entry(key.to_owned())
            .or_insert_with(|| Resource::new(now));
        Some(f(state, now))
    }

    /// Reserves the first free slot of `resource` at `interval` (a slot
    /// given back first), if the policy allows its wait.
    pub(crate) fn reserve(&self, resource: &str, interval: Duration, policy: WaitPolicy) -> Slot {
        self.with(resource, |state, now| {
            let floor = state.paused_until.max(now);
            state.holes.retain(|hole| *hole >= now);
            let hole = state
                .holes
                .iter()
                .copied()
                .enumerate()
                .find(|(_, hole)| *hole >= floor);
            if let Some((at, start)) = hole {
                let wait = start - now;
                if policy.allows(wait) {
                    state.holes.remove(at);
                    return Slot::After { wait, start };
                }
            }
            let start = state.next_free.max(floor);
            let wait = start - now;
            if !policy.allows(wait) {
                return Slot::Over(wait);
            }
            state.next_free = start + interval;
            Slot::After { wait, start }
        })
        .unwrap_or(Slot::After {
            wait: Duration::ZERO,
            start: Instant::now(),
        })
    }

    /// Gives back the slot at `start` of a request that was not sent: the
    /// end of the schedule moves back, or the slot waits for the next
    /// request.
    pub(crate) fn release(&self, resource: &str, start: Instant, interval: Duration) {
        self.with(resource, |state, now| {
            if start + interval == state.next_free {
                state.end_at(start, interval);
            } else if start >= now && state.holes.len() < MAX_HOLES {
                let at = state.holes.partition_point(|hole| *hole < start);
                state.holes.insert(at, start);
                self.given_back.notify_waiters();
            }
        });
    }

    /// The request holding the last slot of `resource` (at `start`) takes
    /// the first slot given back before it instead, and the schedule ends
    /// one interval earlier: a slot given back is used as soon as it
    /// comes, not only by the next request to arrive. `None` when `start`
    /// is not the last slot or no slot was given back before it.
    pub(crate) fn move_last_up(
        &self,
        resource: &str,
        start: Instant,
        interval: Duration,
    ) -> Option<Instant> {
        self.with(resource, |state, now| {
            if start + interval != state.next_free {
                return None;
            }
            let floor = state.paused_until.max(now);
            state.holes.retain(|hole| *hole >= now);
            let at = state
                .holes
                .iter()
                .position(|hole| *hole >= floor && *hole < start)?;
            let earlier = state.holes.remove(at);
            state.end_at(start, interval);
            Some(earlier)
        })
        .flatten()
    }

    /// When the local schedule of `resource` is next free, if later than
    /// now: the horizon its reservations reach, which the fleet's schedule
    /// takes over when Redis is back.
    #[cfg(feature = "redis")]
    pub(crate) fn horizon(&self, resource: &str) -> Option<Instant> {
        let resources = self.resources.lock().ok()?;
        let next_free = resources.get(resource)?.next_free;
        (next_free > Instant::now()).then_some(next_free)
    }

    /// Notes a slot of the fleet's schedule this process reserved, ending
    /// at `server_end` µs on the server's clock and `local_end` on ours,
    /// when the fleet's schedule reached `lookahead` ahead.
    #[cfg(feature = "redis")]
    pub(crate) fn note_shared(
        &self,
        resource: &str,
        server_end: i64,
        local_end: Instant,
        lookahead: Duration,
    ) {
        self.with(resource, |state, _| {
            state.shared_lookahead = lookahead;
            if state.shared_end.is_none_or(|(_, end)| end < local_end) {
                state.shared_end = Some((server_end, local_end));
            }
        });
    }

    /// A slot of the fleet's schedule given back: the noted end moves back
    /// over it when it was the last (others given back out of order leave
    /// it where it is: the local schedule then starts a little late, never
    /// early).
    #[cfg(feature = "redis")]
    pub(crate) fn shared_given_back(&self, resource: &str, server_start: i64, interval: i64) {
        self.with(resource, |state, _| {
            if let Some((server_end, local_end)) = state.shared_end {
                if server_start.checked_add(interval) == Some(server_end) {
                    let back = Duration::from_micros(u64::try_from(interval).unwrap_or(0));
                    state.shared_end = local_end
                        .checked_sub(back)
                        .map(|local_end| (server_start, local_end));
                }
            }
        });
    }

    /// Redis failed: the local schedule takes over where this process's
    /// slots in the fleet's schedule end, and not before the fleet's slots
    /// reserved by others are likely used: the schedule's depth at the
    /// latest look is assumed to hold (in a steady load it does; a switch
    /// under a deeper queue than that may still add a request).
    #[cfg(feature = "redis")]
    pub(crate) fn take_over_shared(&self, resource: &str) {
        self.with(resource, |state, now| {
            if let Some((_, end)) = state.shared_end.take() {
                let fleet_end = now.checked_add(state.shared_lookahead).unwrap_or(end);
                state.next_free = state.next_free.max(end).max(fleet_end);
            }
        });
    }

    /// Pauses `resource` until `until` (a later pause wins).
    pub(crate) fn pause_until(&self, resource: &str, until: Instant) {
        self.with(resource, |state, _| {
            state.paused_until = state.paused_until.max(until);
        });
    }

    /// When `resource` is paused until, if later than now.
    pub(crate) fn paused_until(&self, resource: &str) -> Option<Instant> {
        let resources = self.resources.lock().ok()?;
        let until = resources.get(resource)?.paused_until;
        (until > Instant::now()).then_some(until)
    }

    /// A 429 without a stated wait, for a request sent at `sent`: the
    /// exponential back-off for the `strikes`th episode in a row (1 s, 2 s,
    /// 4 s, … 64 s), set as the pause and returned with the instant it
    /// ends; `None` when an earlier 429 of the same episode (one that
    /// arrived after this request was sent) already counted.
    pub(crate) fn strike(&self, resource: &str, sent: Instant) -> Option<(Duration, Instant)> {
        self.with(resource, |state, now| {
            if state.last_strike.is_some_and(|last| sent < last) {
                return None;
            }
            let back_off = BACK_OFF_BASE * 2u32.pow(state.strikes.min(6));
            state.strikes = state.strikes.saturating_add(1);
            state.last_strike = Some(now);
            let until = now + back_off;
            state.paused_until = state.paused_until.max(until);
            state.back_off_until = Some(until);
            Some((back_off, until))
        })
        .flatten()
    }

    /// The seconds in a 429's message replace the back-off it set (ending
    /// at `back_off_until`), sooner or later; any other pause stands.
    pub(crate) fn replace_back_off(&self, resource: &str, back_off_until: Instant, until: Instant) {
        self.with(resource, |state, _| {
            if state.back_off_until == Some(back_off_until) && state.paused_until == back_off_until
            {
                state.paused_until = until;
            } else {
                state.paused_until = state.paused_until.max(until);
            }
            state.back_off_until = None;
        });
    }

    /// Any answer but a 429 ends a run of them.
    pub(crate) fn clear_strikes(&self, resource: &str) {
        if let Ok(mut resources) = self.resources.lock() {
            if let Some(state) = resources.get_mut(resource) {
                state.strikes = 0;
            }
        }
    }
}

const BACK_OFF_BASE: Duration = Duration::from_secs(1);

/// The wait a 429 names: a `Retry-After` of delta-seconds (an HTTP date is
/// not used by the Face service and is ignored).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(seconds)
}

/// A count of seconds read from an answer, at most [`MAX_PAUSE`].
fn seconds(count: u64) -> Duration {
    Duration::from_secs(count.min(MAX_PAUSE.as_secs()))
}

/// The seconds in a 429 message: "Try again in 26 seconds.", "Please retry
/// after 1 second.": the number before the word "second".
pub(crate) fn seconds_in_message(body: &[u8]) -> Option<Duration> {
    let message = crate::error::FaceApiError::from_json(429, body)?;
    let message = message.message();
    let at = message.find(" second")?;
    let digits: String = message[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    // More digits than a u64 holds are still a long wait.
    let count = digits.parse::<u64>().unwrap_or(u64::MAX);
    (!digits.is_empty()).then(|| seconds(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_from_the_service_messages() {
        let body = |message: &str| {
            format!(r#"{{"error":{{"code":"429","message":"{message}"}}}}"#).into_bytes()
        };
        for (message, seconds) in [
            ("Rate limit is exceeded. Try again in 26 seconds.", Some(26)),
            (
                "Requests to the Face API have exceeded rate limit. Please retry after 1 second.",
                Some(1),
            ),
            ("Rate limit is exceeded.", None),
            ("Try again in a few seconds.", None),
        ] {
            assert_eq!(
                seconds_in_message(&body(message)),
                seconds.map(Duration::from_secs),
                "{message}"
            );
        }
        assert_eq!(seconds_in_message(b"not json"), None);
    }

    #[test]
    fn retry_after_is_delta_seconds() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(http::header::RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
