//! [`RequestBody`]: any request body type, for an inner service whose body
//! cannot be built from `Bytes`.

use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A request body as the caller made it, or the bytes a layer read to
/// judge it, or those bytes followed by the rest of the caller's body.
///
/// [`PreflightLayer`](crate::PreflightLayer) forwards a body it had to
/// read as `B::from(bytes)`. `Full<Bytes>` and `reqwest::Body`
/// can be built that way; `BoxBody`, `UnsyncBoxBody`, `StreamBody` and
/// hyper's `Incoming` cannot. Wrap such a body in `RequestBody` before
/// the layer ([`RequestBody::new`]) and let the inner service take
/// `RequestBody<B>`: a body the layer did not read reaches it untouched,
/// frame by frame; a body it read arrives as the same bytes in one frame;
/// an image body whose `Content-Length` is declared is judged on its
/// first 64 KiB, which arrive in one frame, and the rest follows frame
/// by frame as the caller sends it — never held whole.
///
/// ```
/// use std::convert::Infallible;
///
/// use bytes::Bytes;
/// use face_preflight::{PreflightLayer, RequestBody};
/// use http::{Request, Response};
/// use http_body_util::combinators::BoxBody;
/// use http_body_util::{BodyExt, Full};
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// type Boxed = BoxBody<Bytes, Infallible>;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // Stands in for a hyper-util `Client<_, RequestBody<Boxed>>`.
/// let client = service_fn(|request: Request<RequestBody<Boxed>>| async move {
///     let body = request.into_body().collect().await?.to_bytes();
///     Ok::<_, Infallible>(Response::new(Full::new(body)))
/// });
/// let service = ServiceBuilder::new()
///     .map_request(|request: Request<Boxed>| request.map(RequestBody::new))
///     .layer(PreflightLayer::new())
///     .service(client);
///
/// let body = Full::new(Bytes::from_static(br#"{"faceIds":["x"]}"#)).boxed();
/// let request = Request::post("https://example.com/face/v1.2/group").body(body)?;
/// let response = service.oneshot(request).await?;
/// assert_eq!(response.status(), 400); // one face ID, not a GUID: never sent
/// # Ok(())
/// # }
/// ```
pub struct RequestBody<B> {
    /// Bytes a layer read, to be yielded first.
    read: Option<Bytes>,
    /// The caller's body, or what a layer left of it. Boxed so that a body
    /// the layer began to read can still be moved into the forwarded
    /// request, whatever its type.
    rest: Option<Pin<Box<B>>>,
    /// The budget's room for `read`, given back once the body has been
    /// read to its end (or dropped).
    room: Option<BodyRoom>,
}

/// The room a body read whole holds in a
/// [`BodyBudget`](crate::BodyBudget) (feature `budget`), handed to the
/// forwarded body by [`ForwardBody::hold`]: the bytes stay counted until
/// they have been sent.
#[derive(Default)]
pub struct BodyRoom {
    #[cfg(feature = "budget")]
    pub(crate) _reservation: Option<super::budget::Reservation>,
}

impl BodyRoom {
    /// Whether it holds no room at all.
    fn is_empty(&self) -> bool {
        #[cfg(feature = "budget")]
        {
            self._reservation.is_none()
        }
        #[cfg(not(feature = "budget"))]
        {
            true
        }
    }
}

impl fmt::Debug for BodyRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodyRoom")
    }
}

impl<B> RequestBody<B> {
    /// The caller's body, to be forwarded untouched unless a layer reads it.
    pub fn new(body: B) -> Self {
        Self {
            read: None,
            rest: Some(Box::pin(body)),
            room: None,
        }
    }

    /// The caller's body, if no layer read any of it.
    pub fn into_original(self) -> Option<Pin<Box<B>>> {
        match self.read {
            None => self.rest,
            Some(_) => None,
        }
    }
}

/// A request body that [`Preflight`](crate::Preflight) can forward after
/// reading it.
///
/// Every body that can be built from `Bytes` is one (`Full<Bytes>`,
/// `reqwest::Body`, …): a body the layer read is forwarded as
/// `B::from(bytes)`, and is read whole. [`RequestBody`] can also be forwarded
/// after the layer read only its first bytes: the bytes read, then the rest
/// of the caller's stream.
pub trait ForwardBody: Body + Sized {
    /// A body of the bytes the layer read.
    fn from_read(bytes: Bytes) -> Self;

    /// Whether [`resume`](Self::resume) can forward this body after part
    /// of it was read.
    fn can_resume(&self) -> bool {
        false
    }

    /// `read`, the bytes the layer read from this body, followed by what
    /// the body has not yielded yet; `Err(read)` if this body cannot be
    /// resumed (the layer then reads the rest).
    fn resume(self: Pin<&mut Self>, read: Bytes) -> Result<Self, Bytes> {
        Err(read)
    }

    /// Keeps `room` until the body has been read to its end or dropped.
    /// Bodies built from bytes drop it at once: their bytes are counted
    /// until the request is sent.
    fn hold(&mut self, _room: BodyRoom) {}
}

impl<T: Body + From<Bytes>> ForwardBody for T {
    fn from_read(bytes: Bytes) -> Self {
        T::from(bytes)
    }
}

impl<B> ForwardBody for RequestBody<B>
where
    B: Body,
    B::Data: Into<Bytes>,
{
    fn from_read(bytes: Bytes) -> Self {
        Self {
            read: (!bytes.is_empty()).then_some(bytes),
            rest: None,
            room: None,
        }
    }

    fn can_resume(&self) -> bool {
        self.read.is_none()
    }

    fn resume(self: Pin<&mut Self>, read: Bytes) -> Result<Self, Bytes> {
        let this = self.get_mut();
        if this.read.is_some() {
            return Err(read);
        }
        Ok(Self {
            read: (!read.is_empty()).then_some(read),
            rest: this.rest.take(),
            room: this.room.take(),
        })
    }

    fn hold(&mut self, room: BodyRoom) {
        // An empty room must not keep an ended body open: hyper would then
        // send `Content-Length: 0` on a GET.
        if !room.is_empty() {
            self.room = Some(room);
        }
    }
}

impl<B> Body for RequestBody<B>
where
    B: Body,
    B::Data: Into<Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if let Some(read) = this.read.take() {
            return Poll::Ready(Some(Ok(Frame::data(read))));
        }
        let frame = match &mut this.rest {
            Some(rest) => ready!(rest.as_mut().poll_frame(cx)),
            None => None,
        };
        if frame.is_none() {
            this.room = None;
        }
        Poll::Ready(frame.map(|frame| frame.map(|frame| frame.map_data(Into::into))))
    }

    fn is_end_stream(&self) -> bool {
        // Not while room is held: the room goes back when the sender polls
        // past the end, once it has sent (or buffered all but a little of)
        // the bytes — not when it has merely taken them.
        self.read.is_none()
            && self.room.is_none()
            && self.rest.as_ref().is_none_or(|rest| rest.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let read = self.read.as_ref().map_or(0, |read| read.len() as u64);
        let Some(rest) = &self.rest else {
            return SizeHint::with_exact(read);
        };
        let rest = rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(read));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(read));
        }
        hint
    }
}

impl<B> fmt::Debug for RequestBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBody")
            .field("read", &self.read.as_ref().map_or(0, Bytes::len))
            .field("rest", &self.rest.is_some())
            .finish()
    }
}
