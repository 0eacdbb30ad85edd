//! The one interface of every judge: the stateless rules, the learned
//! facts and the pacing each open a case on a routed request, may read its
//! body, may decide later (waiting, or asking Redis), and may learn from the
//! service's answer.

use std::future::Future;
use std::sync::Arc;

use http::{HeaderMap, StatusCode};

use crate::error::{FaceApiError, Source};
use crate::json::Reading;
use crate::router::Matched;
use crate::tap::Tap;

/// A request as every judge sees it: routed once, by the pipeline.
pub(crate) struct Routed<'a> {
    /// The operation and its path IDs, if the path is a Face operation.
    pub(crate) matched: Option<&'a Matched<'a>>,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    /// The Face resource (see `pipeline::resource_key`); only
    /// made when a stateful judge is in the pipeline.
    #[cfg_attr(not(any(feature = "facts", feature = "pace")), allow(dead_code))]
    pub(crate) resource: Option<&'a Arc<str>>,
}

/// A judge's local answer: the documented error, and for a 429 the
/// seconds of its `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) error: FaceApiError,
    pub(crate) retry_after: Option<u64>,
}

impl From<FaceApiError> for Answer {
    fn from(error: FaceApiError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// A request body as every judge reads it: its bytes and, when a judge
/// reads JSON, the object the pipeline read from them — once for all.
pub(crate) struct Body<'a> {
    pub(crate) bytes: &'a [u8],
    /// `None`: not read as JSON (an image, a form).
    pub(crate) json: Option<Reading<'a>>,
}

impl<'a> Body<'a> {
    /// Hands `judge` the body, read as JSON first when `as_json`.
    pub(crate) fn read<R>(bytes: &'a [u8], as_json: bool, judge: impl FnOnce(&Body<'_>) -> R) -> R {
        if as_json {
            crate::json::read_object(bytes, |reading| {
                judge(&Body {
                    bytes,
                    json: Some(reading),
                })
            })
        } else {
            judge(&Body { bytes, json: None })
        }
    }
}

/// What a judge makes of a request's head.
pub(crate) enum Opened<C> {
    /// Nothing to judge or learn here.
    Pass,
    /// The service would answer this.
    Answer(Answer),
    /// The judge follows the request further.
    Case(C),
}

/// One judge of the pipeline.
// Without `facts` and `pace` only the rules judge, and they never decide
// late or learn.
#[cfg_attr(not(any(feature = "facts", feature = "pace")), allow(dead_code))]
pub(crate) trait Judge {
    /// What the judge keeps of one request between its steps.
    type Case: Send + 'static;
    /// Named in every answer this judge gives.
    const SOURCE: Source;

    /// Judges the head, or opens a case to follow the request.
    fn open(&self, request: &Routed<'_>) -> Opened<Self::Case>;

    /// Judges the body the pipeline read.
    fn read(
        &self,
        _case: &mut Self::Case,
        _headers: &HeaderMap,
        _body: &Body<'_>,
    ) -> Option<Answer> {
        None
    }

    /// Whether [`decide`](Self::decide) has anything to do for the case.
    fn decides(&self, _case: &Self::Case) -> bool {
        false
    }

    /// Decides when a judge must wait or ask elsewhere; runs last, just
    /// before the request is sent.
    fn decide<'a>(
        &'a self,
        _case: &'a mut Self::Case,
    ) -> impl Future<Output = Option<Answer>> + Send + 'a {
        std::future::ready(None)
    }

    /// Learns from the service's answer; returns a tap when the body of
    /// the answer holds what is to be learned.
    fn learn(&self, _case: Self::Case, _status: StatusCode, _headers: &HeaderMap) -> Option<Tap> {
        None
    }

    /// Counts an answer of this judge that was given (not only reported).
    fn count_answer(&self, _answer: &Answer) {}
}
