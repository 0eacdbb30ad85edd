//! [`Judging`]: the pipeline for hosts that hold a request themselves and
//! send it with their own client — a Python `azure-core` policy, a blocking
//! client, a test harness. No tower, no runtime.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body::SizeHint;

use crate::error::FaceApiError;
use crate::pipeline::{Head, LocalAnswer, Next, Pipeline, Sent, Settled, Ticket};
use crate::PreflightLayer;

impl PreflightLayer {
    /// Starts judging one request outside tower, with this layer's settings
    /// and counters (see [`Judging`]): the adapter for hosts that send the
    /// request with a client of their own.
    ///
    /// ```
    /// use face_preflight::{Decision, PreflightLayer};
    ///
    /// let layer = PreflightLayer::new();
    /// let (parts, body) = http::Request::post("https://x.cognitiveservices.azure.com/face/v1.2/group")
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"faceIds":[]}"#)
    ///     .unwrap()
    ///     .into_parts();
    /// let mut judging = layer.judge(&parts);
    /// if judging.wants_body() {
    ///     judging.read_body(&parts.headers, body.as_bytes());
    /// }
    /// match judging.decide() {
    ///     Decision::Answer(response) => assert_eq!(response.status(), 400),
    ///     Decision::Send(watch) => {
    ///         // … send the request, then let the pipeline see the answer:
    ///         watch.observe(http::StatusCode::OK, &http::HeaderMap::new(), Some(b"[]"));
    ///     }
    /// }
    /// ```
    pub fn judge(&self, head: &http::request::Parts) -> Judging {
        let pipeline = Arc::clone(&self.pipeline);
        let ticket = pipeline.start(Head::from_parts(&head.method, &head.uri, &head.headers));
        Judging {
            pipeline,
            state: State::Open(ticket),
        }
    }
}

/// One request on its way through the pipeline, held by its host: ask
/// [`wants_body`](Self::wants_body), hand over the body if so, then
/// [`decide`](Self::decide).
///
/// The judges that wait (shared facts that ask Redis, pacing) need an async
/// adapter ([`Preflight`](crate::Preflight)); here they do not decide, and
/// the request goes on as if they had let it through.
pub struct Judging {
    pipeline: Arc<Pipeline>,
    state: State,
}

// Held for one request and matched at once: boxing the ticket would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
enum State {
    Open(Ticket),
    /// The body grew past every legal length: refused, whatever follows.
    TooLarge(LocalAnswer),
}

impl fmt::Debug for Judging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Judging");
        match &self.state {
            State::Open(ticket) => debug.field("ticket", ticket),
            State::TooLarge(answer) => debug.field("answer", answer),
        };
        debug.finish_non_exhaustive()
    }
}

impl Judging {
    /// Whether a judge still needs the body. When it is `false`, a host
    /// whose body is a stream need not read it.
    pub fn wants_body(&self) -> bool {
        self.body_limit().is_some()
    }

    /// The most body bytes a judge reads, if one wants the body: no legal
    /// request of this kind is longer, so a host reading a stream may stop
    /// one byte past it.
    pub fn body_limit(&self) -> Option<usize> {
        match &self.state {
            State::Open(ticket) => match self.pipeline.next(ticket) {
                // The host hands the whole body: read as a whole.
                Next::Read(limit) | Next::ReadHead { limit, .. } => Some(limit),
                _ => None,
            },
            State::TooLarge(_) => None,
        }
    }

    /// Hands the whole body (or, past [`body_limit`](Self::body_limit), its
    /// first bytes) to the judges that asked for it. A body past the limit
    /// is refused with the documented "too large" error, as the tower layer
    /// refuses it — even in report-only mode, as there.
    pub fn read_body(&mut self, headers: &HeaderMap, body: &[u8]) {
        let Some(limit) = self.body_limit() else {
            return;
        };
        if let State::Open(ticket) = &mut self.state {
            if body.len() > limit {
                self.state = State::TooLarge(self.pipeline.too_large(ticket));
            } else {
                self.pipeline.read(ticket, headers, body);
            }
        }
    }

    /// The verdict: a local answer, or send the request as it is.
    pub fn decide(self) -> Decision {
        let mut ticket = match self.state {
            State::Open(ticket) => ticket,
            State::TooLarge(answer) => return Decision::Answer(answer.into_response()),
        };
        loop {
            match self.pipeline.next(&ticket) {
                // Asked for the body and not given it: the judges that
                // wanted it pass, as they do for a reqwest stream.
                Next::Read(_) | Next::ReadHead { .. } => self.pipeline.skip_body(&mut ticket),
                Next::Decide => self.pipeline.skip_decide(&mut ticket),
                Next::Answer | Next::Send => break,
            }
        }
        match self.pipeline.settle(ticket) {
            Settled::Answer(answer) => Decision::Answer(answer.into_response()),
            Settled::Send(sent) => Decision::Send(Watch {
                sent: sent.map(Box::new),
            }),
        }
    }
}

/// What the pipeline decided for a held request.
#[derive(Debug)]
pub enum Decision {
    /// Answer this instead of sending: the service's status, JSON error
    /// envelope and `x-ms-error-code` (and `Retry-After` for a 429), marked
    /// with a [`LocalRejection`](crate::LocalRejection) extension.
    Answer(Response<Bytes>),
    /// Send the request unchanged; show the answer to the [`Watch`].
    Send(Watch),
}

impl Decision {
    /// The local answer as an error, if there is one.
    pub fn error(&self) -> Option<&FaceApiError> {
        match self {
            Decision::Answer(response) => response
                .extensions()
                .get::<crate::LocalRejection>()
                .map(|rejection| &rejection.error),
            Decision::Send(_) => None,
        }
    }
}

/// What watches the service's answer to a sent request: report-only
/// comparison and the judges that learn. Dropping it unobserved is fine.
pub struct Watch {
    // Boxed: only a watched request (report-only, learning) pays for it.
    sent: Option<Box<Sent>>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("watching", &self.sent.is_some())
            .finish()
    }
}

impl Watch {
    /// Whether anything watches the answer (report-only, learning judges):
    /// when `false`, [`observe`](Self::observe) does nothing and the host
    /// need not keep the body.
    pub fn is_watching(&self) -> bool {
        self.sent.is_some()
    }

    /// The service's answer: its status, headers and body (`None` if the
    /// host did not read it).
    pub fn observe(self, status: StatusCode, headers: &HeaderMap, body: Option<&[u8]>) {
        let Some(sent) = self.sent else {
            return;
        };
        let size = body.map_or_else(SizeHint::default, |body| {
            SizeHint::with_exact(body.len() as u64)
        });
        if let Some(tap) = (*sent).observe(status, headers, &size) {
            tap.end_with(body);
        }
    }
}
