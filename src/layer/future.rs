//! [`ResponseFuture`]: drives one request through the pipeline — reads the
//! body a judge needs, awaits the judges that decide last — then answers or
//! calls the inner service.

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

use super::{BodyRoom, ForwardBody, ResponseBody};
use crate::pipeline::{take_ready, BoxError, LocalAnswer, Next, Pipeline, Sent, Settled, Ticket};

/// The body read so far. A body that arrives in one chunk stays that chunk,
/// so the forwarded request shares the caller's allocation; several chunks
/// are joined in a buffer that never grows past the limit plus one chunk.
#[derive(Default)]
enum Buffer {
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

    fn as_slice(&self) -> &[u8] {
        match self {
            Buffer::Empty => &[],
            Buffer::One(bytes) => bytes,
            Buffer::Many(bytes) => bytes,
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Buffer::Empty => Bytes::new(),
            Buffer::One(bytes) => bytes,
            Buffer::Many(bytes) => Bytes::from(bytes),
        }
    }
}

/// The room a body read whole holds in the [`BodyBudget`](crate::BodyBudget),
/// from before its first byte until the request is sent or answered.
#[derive(Default)]
struct Room(#[cfg(feature = "budget")] Option<super::budget::Reserving>);

impl Room {
    /// The room, for the forwarded body to hold until it has been sent.
    #[cfg(feature = "budget")]
    fn into_body_room(self) -> BodyRoom {
        BodyRoom {
            _reservation: self.0.and_then(super::budget::Reserving::into_held),
        }
    }

    #[cfg(not(feature = "budget"))]
    fn into_body_room(self) -> BodyRoom {
        BodyRoom::default()
    }
}

/// Reserves room for a body about to be read whole: its declared length,
/// or `limit` if it declares none (or more).
#[cfg(feature = "budget")]
fn reserve(pipeline: &Pipeline, headers: &http::HeaderMap, limit: usize) -> Room {
    let Some(budget) = pipeline.body_budget.as_ref() else {
        return Room::default();
    };
    let declared = crate::rules::declared_length(headers)
        .and_then(|length| usize::try_from(length).ok())
        .filter(|length| *length <= limit);
    Room(Some(budget.reserve(declared.unwrap_or(limit))))
}

#[cfg(not(feature = "budget"))]
fn reserve(_: &Pipeline, _: &http::HeaderMap, _: usize) -> Room {
    Room::default()
}

/// Ready once the room is held; an error if none came within the wait.
#[cfg(feature = "budget")]
fn poll_room(room: &mut Room, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
    match &mut room.0 {
        Some(reserving) => reserving.poll_held(cx).map_err(Into::into),
        None => Poll::Ready(Ok(())),
    }
}

#[cfg(not(feature = "budget"))]
fn poll_room(_: &mut Room, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
    Poll::Ready(Ok(()))
}

pin_project! {
    /// The future of [`Preflight`](super::Preflight): reads the body if a
    /// judge needs it, waits for the judges that decide last, then either
    /// calls the inner service or answers locally.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

/// The judges that decide last (facts asking Redis, pacing waiting for a
/// slot), boxed: only requests that meet them pay for it.
type Decision = Pin<Box<dyn Future<Output = Ticket> + Send>>;

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Answered {
            answer: Option<LocalAnswer>,
            reject_with_error: bool,
        },
        Reading {
            #[pin]
            body: B,
            parts: Option<Parts>,
            buffer: Buffer,
            limit: usize,
            // Bytes after which the judges look, if the rest of the body
            // can be forwarded unread.
            head: Option<usize>,
            room: Room,
            ticket: Option<Ticket>,
            inner: Option<S>,
            pipeline: Arc<Pipeline>,
        },
        Deciding {
            decision: Decision,
            room: Room,
            request: Option<Request<B>>,
            inner: Option<S>,
            pipeline: Arc<Pipeline>,
        },
        Calling {
            #[pin]
            future: S::Future,
            sent: Option<Sent>,
        },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>> + Clone,
    B: ForwardBody,
{
    /// Starts `request` on its way; `inner` is the service `poll_ready` made
    /// ready.
    pub(super) fn start(pipeline: &Arc<Pipeline>, request: Request<B>, inner: &mut S) -> Self {
        let ticket = pipeline.start(crate::pipeline::Head::of(&request));
        Self {
            state: advance(pipeline, ticket, request, inner, Room::default()),
        }
    }
}

/// The next state of a request, as the pipeline says.
fn advance<S, B>(
    pipeline: &Arc<Pipeline>,
    ticket: Ticket,
    request: Request<B>,
    inner: &mut S,
    room: Room,
) -> State<S, B>
where
    S: Service<Request<B>> + Clone,
    B: ForwardBody,
{
    let (limit, head) = match pipeline.next(&ticket) {
        Next::Read(limit) => (limit, None),
        Next::ReadHead { head, limit } => (limit, request.body().can_resume().then_some(head)),
        Next::Decide => {
            return State::Deciding {
                decision: Box::pin(Arc::clone(pipeline).decide(ticket)),
                room,
                request: Some(request),
                inner: Some(take_ready(inner)),
                pipeline: Arc::clone(pipeline),
            }
        }
        Next::Answer | Next::Send => {
            return match pipeline.settle(ticket) {
                Settled::Answer(answer) => State::Answered {
                    answer: Some(answer),
                    reject_with_error: pipeline.reject_with_error,
                },
                Settled::Send(sent) => {
                    let mut request = request;
                    request.body_mut().hold(room.into_body_room());
                    State::Calling {
                        future: inner.call(request),
                        sent,
                    }
                }
            }
        }
    };
    let (parts, body) = request.into_parts();
    // A body streamed on after its head holds no room; one read whole does.
    let room = match head {
        Some(_) => Room::default(),
        None => reserve(pipeline, &parts.headers, limit),
    };
    State::Reading {
        body,
        parts: Some(parts),
        buffer: Buffer::default(),
        limit,
        head,
        room,
        ticket: Some(ticket),
        inner: Some(take_ready(inner)),
        pipeline: Arc::clone(pipeline),
    }
}

/// The first bytes of the body are in `buffer`. If they decide, the next
/// state, with the rest of `body` to be forwarded unread; `None`: read on.
fn judge_head<S, B>(
    body: Pin<&mut B>,
    parts: &mut Option<Parts>,
    buffer: &mut Buffer,
    ticket: &mut Option<Ticket>,
    inner: &mut Option<S>,
    pipeline: &Arc<Pipeline>,
) -> Result<Option<State<S, B>>, BoxError>
where
    S: Service<Request<B>> + Clone,
    B: ForwardBody,
{
    let (Some(head), Some(open)) = (parts.as_ref(), ticket.as_mut()) else {
        return Err(POLLED_AFTER_COMPLETION.into());
    };
    if !pipeline.read_head(open, &head.headers, buffer.as_slice()) {
        return Ok(None);
    }
    let rest = match body.resume(mem::take(buffer).into_bytes()) {
        Ok(rest) => rest,
        // Judged, yet not resumable after all: read on and forward it whole.
        Err(read) => {
            *buffer = Buffer::One(read);
            return Ok(None);
        }
    };
    let (Some(parts), Some(ticket), Some(inner)) = (parts.take(), ticket.take(), inner.as_mut())
    else {
        return Err(POLLED_AFTER_COMPLETION.into());
    };
    let request = Request::from_parts(parts, rest);
    Ok(Some(advance(
        pipeline,
        ticket,
        request,
        inner,
        Room::default(),
    )))
}

const POLLED_AFTER_COMPLETION: &str = "ResponseFuture polled after completion";

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    B: ForwardBody,
    B::Error: Into<BoxError>,
    ResBody: Body,
{
    type Output = Result<Response<ResponseBody<ResBody>>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            let next = match this.state.as_mut().project() {
                StateProj::Calling { future, sent } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into)?;
                    let tap = sent.take().and_then(|sent| {
                        sent.observe(
                            response.status(),
                            response.headers(),
                            &response.body().size_hint(),
                        )
                    });
                    return Poll::Ready(Ok(response.map(|body| ResponseBody::with_tap(body, tap))));
                }
                StateProj::Answered {
                    answer,
                    reject_with_error,
                } => {
                    let answer = answer.take().ok_or(POLLED_AFTER_COMPLETION)?;
                    if *reject_with_error {
                        return Poll::Ready(Err(Box::new(answer.into_error())));
                    }
                    let response = answer.into_response::<Full<Bytes>>();
                    return Poll::Ready(Ok(response.map(ResponseBody::rejection)));
                }
                StateProj::Deciding {
                    decision,
                    room,
                    request,
                    inner,
                    pipeline,
                } => {
                    let ticket = ready!(decision.as_mut().poll(cx));
                    let (Some(request), Some(inner)) = (request.take(), inner.as_mut()) else {
                        return Poll::Ready(Err(POLLED_AFTER_COMPLETION.into()));
                    };
                    advance(pipeline, ticket, request, inner, mem::take(room))
                }
                StateProj::Reading {
                    mut body,
                    parts,
                    buffer,
                    limit,
                    head,
                    room,
                    ticket,
                    inner,
                    pipeline,
                } => {
                    ready!(poll_room(room, cx))?;
                    match ready!(body.as_mut().poll_frame(cx)) {
                        Some(Ok(frame)) => {
                            if let Ok(mut data) = frame.into_data() {
                                let len = data.remaining();
                                // A head is read into no more room than it needs.
                                buffer.push(data.copy_to_bytes(len), head.unwrap_or(*limit));
                            }
                            if head.is_some_and(|head| buffer.len() >= head) {
                                *head = None;
                                let next =
                                    judge_head(body, parts, buffer, ticket, inner, pipeline)?;
                                if let Some(next) = next {
                                    this.state.set(next);
                                    continue;
                                }
                                // Read on, whole: from now on the body holds room.
                                if let Some(parts) = parts.as_ref() {
                                    *room = reserve(pipeline, &parts.headers, *limit);
                                }
                            }
                            if buffer.len() <= *limit {
                                continue;
                            }
                            // Stop reading: nothing this long is legal, and what
                            // was read cannot be put back (even in report-only mode).
                            let ticket = ticket.take().ok_or(POLLED_AFTER_COMPLETION)?;
                            State::Answered {
                                answer: Some(pipeline.too_large(&ticket)),
                                reject_with_error: pipeline.reject_with_error,
                            }
                        }
                        Some(Err(error)) => return Poll::Ready(Err(error.into())),
                        None => {
                            let bytes = mem::take(buffer).into_bytes();
                            let (Some(parts), Some(mut ticket), Some(inner)) =
                                (parts.take(), ticket.take(), inner.as_mut())
                            else {
                                return Poll::Ready(Err(POLLED_AFTER_COMPLETION.into()));
                            };
                            pipeline.read(&mut ticket, &parts.headers, &bytes);
                            let request = Request::from_parts(parts, B::from_read(bytes));
                            advance(pipeline, ticket, request, inner, mem::take(room))
                        }
                    }
                }
            };
            this.state.set(next);
        }
    }
}
