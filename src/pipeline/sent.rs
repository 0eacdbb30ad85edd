//! [`Sent`]: what watches the service's answer to a request that was sent —
//! the judges that learn from it, and the report-only comparison.

use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use http_body::SizeHint;

use super::{Pipeline, Ticket};
use crate::error::FaceApiError;
#[cfg(any(feature = "facts", feature = "pace"))]
use crate::judge::Judge;
use crate::report::{Outcome, Verdict, INSPECT_LIMIT};
use crate::tap::Tap;

/// A request on its way to the service, with what watches its answer.
#[derive(Debug)]
pub(crate) struct Sent {
    pipeline: Arc<Pipeline>,
    ticket: Ticket,
}

impl Sent {
    pub(super) fn new(pipeline: &Arc<Pipeline>, ticket: Ticket) -> Self {
        Self {
            pipeline: Arc::clone(pipeline),
            ticket,
        }
    }

    /// The answer's head arrived: the judges learn from it, report-only
    /// compares it. Returns the tap that reads along the body for those that
    /// need it.
    #[allow(unused_mut, unused_variables)]
    pub(crate) fn observe(
        self,
        status: StatusCode,
        headers: &HeaderMap,
        size: &SizeHint,
    ) -> Option<Tap> {
        let Sent {
            pipeline,
            mut ticket,
        } = self;
        let mut tap = None;
        #[cfg(feature = "facts")]
        if let (Some(facts), Some(case)) = (&pipeline.facts, ticket.facts.take()) {
            tap = Tap::join(tap, facts.learn(case, status, headers));
        }
        #[cfg(feature = "pace")]
        if let (Some(pacing), Some(case)) = (&pipeline.pacing, ticket.pacing.take()) {
            tap = Tap::join(tap, pacing.learn(case, status, headers));
        }
        if pipeline.report_only && ticket.operation.is_some() {
            let comparison = Comparison {
                pipeline: Arc::clone(&pipeline),
                ticket,
            };
            tap = Tap::join(tap, comparison.settle(status, size));
        }
        tap
    }
}

/// Report-only: the local verdict, to compare with the service's answer.
struct Comparison {
    pipeline: Arc<Pipeline>,
    ticket: Ticket,
}

impl Comparison {
    /// Records the comparison now if the status settles it (a success), or
    /// returns the tap that settles it from the error body.
    fn settle(self, status: StatusCode, size: &SizeHint) -> Option<Tap> {
        let worth_reading = !status.is_success()
            && size.lower() <= INSPECT_LIMIT as u64
            && size.upper().is_none_or(|upper| upper > 0);
        if !worth_reading {
            self.record(status, None);
            return None;
        }
        Some(Tap::new(INSPECT_LIMIT, move |body| {
            let remote = body.and_then(|body| FaceApiError::from_json(status.as_u16(), body));
            self.record(status, remote);
        }))
    }

    fn record(self, status: StatusCode, remote: Option<FaceApiError>) {
        let local = self.ticket.answer.as_ref();
        let error = local.map(|local| local.error());
        let verdict = Verdict {
            operation: self.ticket.operation,
            source: local.map(|local| local.source),
            local: error,
            status,
            remote: remote.as_ref(),
            outcome: Outcome::of(error, status, remote.as_ref()),
        };
        let pipeline = &self.pipeline;
        pipeline.stats.count_verdict(&verdict);
        #[cfg(feature = "tracing")]
        if verdict.outcome != Outcome::Agreed {
            tracing::warn!(
                operation = ?verdict.operation,
                source = verdict.source.map(|s| s.as_str()),
                outcome = verdict.outcome.as_str(),
                local = ?verdict.local.map(ToString::to_string),
                status = status.as_u16(),
                remote = ?verdict.remote.map(ToString::to_string),
                "face-preflight verdict disagrees with the service",
            );
        }
        #[cfg(feature = "metrics")]
        pipeline.count(|| {
            metrics::counter!(
                "face_preflight_verdicts_total",
                "outcome" => verdict.outcome.as_str(),
                "operation" => crate::report::operation_label(verdict.operation),
                "source" => verdict.source.map_or("", |s| s.as_str()),
                "code" => verdict.local.or(verdict.remote).map_or("", |e| crate::report::code_label(e.code())),
            )
            .increment(1);
        });
        if let Some(on_verdict) = &pipeline.on_verdict {
            on_verdict(&verdict);
        }
    }
}
