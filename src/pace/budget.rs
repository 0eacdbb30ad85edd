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

/// What the budget says to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Go after this wait (zero: at once). The slot is reserved.
    After(Duration),
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
    /// 429s in a row, for the back-off when the service names no wait.
    strikes: u32,
}

/// The per-process budget: one GCRA schedule per resource.
#[derive(Debug, Default)]
pub(crate) struct LocalBudget {
    resources: Mutex<HashMap<String, Resource>>,
}

impl LocalBudget {
    /// Runs `f` on the state of `resource` (made fresh if new); `None` if
    /// the lock is poisoned, so that the budget never blocks a request.
    fn with<T>(&self, resource: &str, f: impl FnOnce(&mut Resource, Instant) -> T) -> Option<T> {
        let mut resources = self.resources.lock().ok()?;
        let now = Instant::now();
        let state = resources
            .entry(resource.to_owned())
            .or_insert_with(|| Resource {
                next_free: now,
                paused_until: now,
                strikes: 0,
            });
        Some(f(state, now))
    }

    /// Reserves the first free slot of `resource` at `interval`, if the
    /// policy allows its wait.
    pub(crate) fn reserve(&self, resource: &str, interval: Duration, policy: WaitPolicy) -> Slot {
        self.with(resource, |state, now| {
            let start = state.next_free.max(state.paused_until).max(now);
            let wait = start - now;
            if !policy.allows(wait) {
                return Slot::Over(wait);
            }
            state.next_free = start + interval;
            Slot::After(wait)
        })
        .unwrap_or(Slot::After(Duration::ZERO))
    }

    /// Pauses `resource` until `until` (a later pause wins).
    pub(crate) fn pause_until(&self, resource: &str, until: Instant) {
        self.with(resource, |state, _| {
            state.paused_until = state.paused_until.max(until);
        });
    }

    /// A 429 without a stated wait: the exponential back-off for the
    /// `strikes`th one in a row (1 s, 2 s, 4 s, … 64 s).
    pub(crate) fn strike(&self, resource: &str) -> Duration {
        self.with(resource, |state, _| {
            let back_off = BACK_OFF_BASE * 2u32.pow(state.strikes.min(6));
            state.strikes = state.strikes.saturating_add(1);
            back_off
        })
        .unwrap_or(BACK_OFF_BASE)
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
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
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
    digits.parse::<u64>().ok().map(Duration::from_secs)
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
