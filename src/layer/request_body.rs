//! [`RequestBody`]: any request body type, for an inner service whose body
//! cannot be built from `Bytes`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// A request body as the caller made it, or the bytes a layer read to
    /// judge it.
    ///
    /// [`PreflightLayer`](crate::PreflightLayer) forwards a body it had to
    /// read as `B::from(bytes)`. `Full<Bytes>` and `reqwest::Body`
    /// can be built that way; `BoxBody`, `UnsyncBoxBody`, `StreamBody` and
    /// hyper's `Incoming` cannot. Wrap such a body in `RequestBody` before
    /// the layer ([`RequestBody::new`]) and let the inner service take
    /// `RequestBody<B>`: a body the layer did not read reaches it untouched,
    /// frame by frame; a body it read arrives as the same bytes in one frame.
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
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Original { #[pin] body: B },
        Read { data: Option<Bytes> },
    }
}

impl<B> RequestBody<B> {
    /// The caller's body, to be forwarded untouched unless a layer reads it.
    pub fn new(body: B) -> Self {
        Self {
            kind: Kind::Original { body },
        }
    }

    /// The caller's body, if no layer read it.
    pub fn into_original(self) -> Option<B> {
        match self.kind {
            Kind::Original { body } => Some(body),
            Kind::Read { .. } => None,
        }
    }
}

impl<B> From<Bytes> for RequestBody<B> {
    fn from(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Read {
                data: (!bytes.is_empty()).then_some(bytes),
            },
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
        match self.project().kind.project() {
            KindProj::Original { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|frame| frame.map(|frame| frame.map_data(Into::into)))),
            KindProj::Read { data } => Poll::Ready(data.take().map(|data| Ok(Frame::data(data)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Original { body } => body.is_end_stream(),
            Kind::Read { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Original { body } => body.size_hint(),
            Kind::Read { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |data| data.len() as u64))
            }
        }
    }
}

impl<B> fmt::Debug for RequestBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Original { .. } => f.write_str("RequestBody::Original"),
            Kind::Read { data } => f
                .debug_struct("RequestBody::Read")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}
