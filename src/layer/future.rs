//! [`ResponseFuture`]: reads the body a rule needs, then answers or calls
//! the inner service.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::service::rejected;
use super::ResponseBody;
use crate::config::{BoxError, Config};
use crate::error::{FaceApiError, LocalRejection};
use crate::report::Pending;
use crate::rules::BodyPlan;

/// The body read so far. A body that arrives in one chunk stays that chunk,
/// so the forwarded request shares the caller's allocation; several chunks
/// are joined in a buffer that never grows past the limit plus one chunk.
#[derive(Default)]
pub(super) enum Buffer {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<u8>),
}

impl Buffer {
    fn len(&self) -> usize {
        match self {
            Buffer::Empty => 0,
            Buffer::One(bytes) => bytes.len(),
            Buffer::Many(bytes) => bytes.len(),
        }
    }

    fn push(&mut self, chunk: Bytes, limit: usize) {
        if chunk.is_empty() {
            return;
        }
        *self = match mem::take(self) {
            Buffer::Empty => Buffer::One(chunk),
            Buffer::One(first) => {
                let mut many = Vec::new();
                Self::extend(&mut many, &first, limit);
                Self::extend(&mut many, &chunk, limit);
                Buffer::Many(many)
            }
            Buffer::Many(mut many) => {
                Self::extend(&mut many, &chunk, limit);
                Buffer::Many(many)
            }
        };
    }

    /// Doubles the capacity as `Vec` would, but never past what the limit
    /// can need: one chunk beyond it is where reading stops.
    fn extend(buffer: &mut Vec<u8>, chunk: &[u8], limit: usize) {
        let needed = buffer.len() + chunk.len();
        if needed > buffer.capacity() {
            let capped = (limit + 1).max(needed);
            let capacity = needed.max(buffer.capacity() * 2).min(capped);
            buffer.reserve_exact(capacity - buffer.len());
        }
        buffer.extend_from_slice(chunk);
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Buffer::Empty => Bytes::new(),
            Buffer::One(bytes) => bytes,
            Buffer::Many(bytes) => Bytes::from(bytes),
        }
    }
}

pin_project! {
    /// The future of [`Preflight`]: reads the body if a rule needs it, then
    /// either calls the inner service or answers with the rejection.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        pub(super) state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    pub(super) enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Rejected {
            error: Option<FaceApiError>,
            reject_with_error: bool,
        },
        Reading {
            #[pin]
            body: B,
            parts: Option<Parts>,
            buffer: Buffer,
            plan: BodyPlan,
            inner: Option<S>,
            config: Arc<Config>,
        },
        Calling {
            #[pin]
            future: S::Future,
            // Report-only: the local verdict, to compare with the answer.
            pending: Option<Pending>,
        },
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    B: Body + From<Bytes>,
    B::Error: Into<BoxError>,
    ResBody: Body,
{
    type Output = Result<Response<ResponseBody<ResBody>>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            let next = match this.state.as_mut().project() {
                StateProj::Calling { future, pending } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into)?;
                    let tap = pending
                        .take()
                        .and_then(|p| p.settle(response.status(), &response.body().size_hint()));
                    return Poll::Ready(Ok(response.map(|body| ResponseBody::with_tap(body, tap))));
                }
                StateProj::Rejected {
                    error,
                    reject_with_error,
                } => {
                    let error = error
                        .take()
                        .ok_or("ResponseFuture polled after completion")?;
                    if *reject_with_error {
                        return Poll::Ready(Err(Box::new(error)));
                    }
                    let mut response = error.to_response::<Full<Bytes>>();
                    response.extensions_mut().insert(LocalRejection(error));
                    return Poll::Ready(Ok(response.map(ResponseBody::rejection)));
                }
                StateProj::Reading {
                    mut body,
                    parts,
                    buffer,
                    plan,
                    inner,
                    config,
                } => match ready!(body.as_mut().poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        if let Ok(mut data) = frame.into_data() {
                            let len = data.remaining();
                            buffer.push(data.copy_to_bytes(len), plan.limit());
                        }
                        if buffer.len() <= plan.limit() {
                            continue;
                        }
                        // Stop reading: nothing this long is legal, and what
                        // was read cannot be put back (even in report-only mode).
                        let parts = parts
                            .take()
                            .ok_or("ResponseFuture polled after completion")?;
                        rejected(config, plan.too_large(), &parts)
                    }
                    Some(Err(error)) => return Poll::Ready(Err(error.into())),
                    None => {
                        let bytes = mem::take(buffer).into_bytes();
                        let parts = parts
                            .take()
                            .ok_or("ResponseFuture polled after completion")?;
                        match config.decide_body(plan, &parts.headers, &bytes) {
                            Err(error) if !config.report_only => rejected(config, error, &parts),
                            verdict => {
                                let pending = config.report_only.then(|| {
                                    Pending::new(
                                        config,
                                        &parts.method,
                                        parts.uri.path(),
                                        verdict.err(),
                                    )
                                });
                                let mut inner = inner
                                    .take()
                                    .ok_or("ResponseFuture polled after completion")?;
                                let request = Request::from_parts(parts, B::from(bytes));
                                State::Calling {
                                    future: inner.call(request),
                                    pending,
                                }
                            }
                        }
                    }
                },
            };
            this.state.set(next);
        }
    }
}
