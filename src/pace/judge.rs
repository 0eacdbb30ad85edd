//! The pacing as a judge of the pipeline: every request to a resource takes
//! a slot before it is sent; a slot too far away is the service's 429.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use super::{queue, Admitted, Pacing};
use crate::catalogue;
use crate::error::Source;
use crate::judge::{Answer, Judge, Opened, Routed};
use crate::tap::Tap;

/// One request's way through the pacing.
pub(crate) struct Case {
    resource: Arc<str>,
    /// The owner of the faces an add or delete writes to.
    target: Option<String>,
    /// Its slot (and its target's turn), held until the answer.
    admitted: Option<Admitted>,
}

impl Judge for Pacing {
    type Case = Case;
    const SOURCE: Source = Source::Pacing;

    /// Every request is paced, a Face operation or not: the service counts
    /// them all. A request that names no host shares one budget with the
    /// others like it (waiting longer than needed, never refused sooner).
    fn open(&self, request: &Routed<'_>) -> Opened<Case> {
        let resource = request.resource.cloned().unwrap_or_else(|| Arc::from(""));
        Opened::Case(Case {
            target: request
                .matched
                .and_then(|matched| queue::conflict_target(&resource, matched)),
            resource,
            admitted: None,
        })
    }

    fn decides(&self, _case: &Case) -> bool {
        true
    }

    async fn decide(&self, case: &mut Case) -> Option<Answer> {
        let admission =
            Arc::clone(&self.pacer).admit(Arc::clone(&case.resource), case.target.take());
        match admission.await {
            Ok(admitted) => {
                case.admitted = Some(admitted);
                None
            }
            Err(wait) => Some(over_limit(wait)),
        }
    }

    fn learn(&self, case: Case, status: StatusCode, headers: &HeaderMap) -> Option<Tap> {
        // The target's turn ends with the answer.
        let sent = case
            .admitted
            .map_or_else(tokio::time::Instant::now, |admitted| admitted.sent);
        self.pacer.learn(&case.resource, sent, status, headers)
    }

    fn count_answer(&self, _answer: &Answer) {
        self.pacer
            .stats
            .inner
            .local_429
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// The answer to a request whose slot is too far: the service's 429 with
/// the wait in `Retry-After` (whole seconds, rounded up, at least one).
fn over_limit(wait: Duration) -> Answer {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Answer {
        error: catalogue::RATE_LIMIT_EXCEEDED.into(),
        retry_after: Some(seconds.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(over_limit(Duration::from_millis(1)).retry_after, Some(1));
        assert_eq!(over_limit(Duration::ZERO).retry_after, Some(1));
        assert_eq!(over_limit(Duration::from_millis(2001)).retry_after, Some(3));
        assert_eq!(over_limit(Duration::from_secs(4)).retry_after, Some(4));
        assert_eq!(over_limit(Duration::from_secs(4)).error.code(), "429");
    }
}
