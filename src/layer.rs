//! [`PreflightLayer`] and [`Preflight`]: the checks as tower middleware.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use http::request::Parts;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::catalogue::Entry;
use crate::config::{BoxError, Config, Decision};
use crate::error::{FaceApiError, LocalRejection};
use crate::report::{Pending, Stats, Verdict};
use crate::rules::BodyPlan;
use crate::tap::{Tap, TappedBody};

/// A [`tower_layer::Layer`] that checks each outgoing Face API request and
/// answers the ones the service would reject with the service's documented
/// error, without calling the inner service.
///
/// ```
/// use bytes::Bytes;
/// use face_preflight::PreflightLayer;
/// use http_body_util::{BodyExt, Full};
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Stands in for a real client, e.g. hyper-util's `Client<_, Full<Bytes>>`.
/// let client = service_fn(|_request: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from("[]"))))
/// });
/// let service = ServiceBuilder::new().layer(PreflightLayer::new()).service(client);
///
/// let request = http::Request::post("https://x.cognitiveservices.azure.com/face/v1.2/identify")
///     .header("content-type", "application/json")
///     .body(Full::new(Bytes::from(r#"{"faceIds":[],"personGroupId":"staff"}"#)))
///     .unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 400);
/// let body = response.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(
///     &body[..],
///     br#"{"error":{"code":"BadArgument","message":"The length of faceIds is not in a valid range."}}"#
/// );
/// # }
/// ```
///
/// # Request and response types
///
/// The layer wraps any `Service<http::Request<B>>` whose request body `B`
/// can be rebuilt from [`Bytes`] (`Full<Bytes>`, `reqwest::Body`, …): a
/// checked body is read into one `Bytes` (never more than the largest legal
/// body, [`MAX_IMAGE_BYTES`](crate::MAX_IMAGE_BYTES)) and forwarded as
/// `B::from(bytes)`, without a copy. Requests with nothing to check (unknown
/// paths, GET, DELETE) are forwarded with their original body, unread.
///
/// Responses are `http::Response<ResponseBody<ResBody>>`: the inner service's
/// body, or the JSON of a rejection. That lets it wrap a hyper-util client,
/// whose `Incoming` body cannot be built by anyone else. The error type is a
/// boxed error, as with tower's own middleware.
///
/// The inner service must be `Clone`: the request is sent once its body has
/// been read, by the clone that `poll_ready` made ready (as tower-http's
/// async middleware does). Put non-`Clone` services, such as tower's
/// `RateLimit`, behind `ServiceBuilder::buffer`.
///
/// Place the layer outside a retry layer, so that a rejection never enters
/// the retry loop.
///
/// With the `reqwest` feature, [`Preflight`] is also a
/// `Service<reqwest::Request>` around a `reqwest::Client`.
#[derive(Clone, Debug, Default)]
pub struct PreflightLayer {
    pub(crate) config: Arc<Config>,
}

impl PreflightLayer {
    /// A layer with the default settings: reject with a response, no
    /// credential check, paths start at `/face/{version}/`, limited-access
    /// attributes refused.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// Reject by returning the [`FaceApiError`] as the service's `Err`
    /// (boxed; downcast it) instead of answering with a response. Off by
    /// default.
    ///
    /// ```
    /// let layer = face_preflight::PreflightLayer::new().reject_with_error(true);
    /// ```
    #[must_use]
    pub fn reject_with_error(self, enabled: bool) -> Self {
        self.update(|config| config.reject_with_error = enabled)
    }

    /// Answer 401 to a request with neither `Ocp-Apim-Subscription-Key` nor
    /// `Authorization`. Off by default, since a layer further down the stack
    /// often adds the credentials.
    #[must_use]
    pub fn require_credentials(self, enabled: bool) -> Self {
        self.update(|config| config.options.require_credentials = enabled)
    }

    /// A path prefix before `/face/{version}/`, for endpoints served behind a
    /// gateway (e.g. `"/cognitive"` for `/cognitive/face/v1.2/detect`).
    /// Paths without the prefix are not checked.
    #[must_use]
    pub fn path_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        let prefix = prefix.trim_end_matches('/').to_owned();
        self.update(|config| config.options.path_prefix = Some(prefix).filter(|p| !p.is_empty()))
    }

    /// Let the limited-access detect attributes (age, smile, facialHair,
    /// hair, makeup) through, for resources Microsoft approved for them.
    /// Off by default. Retired attributes (emotion, gender) stay refused.
    #[must_use]
    pub fn allow_limited_attributes(self, enabled: bool) -> Self {
        self.update(|config| config.options.allow_limited_attributes = enabled)
    }

    /// Judge requests to API versions newer than every version this crate
    /// knows (`v1.3-preview.2`, `v1.4`, …) by the rules of the newest known
    /// one, [`ApiVersion::NEWEST`](crate::router::ApiVersion::NEWEST), for
    /// users who move to a new version before the crate does. Off by
    /// default: such requests pass unchecked. A rule that the new version
    /// relaxed would then refuse what the service takes, so turn this on
    /// knowingly.
    ///
    /// ```
    /// use face_preflight::PreflightLayer;
    ///
    /// let request = http::Request::post("https://x.cognitiveservices.azure.com/face/v1.4/group")
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"faceIds":[]}"#)
    ///     .unwrap();
    /// assert!(PreflightLayer::new().check(&request).is_ok());
    /// let error = PreflightLayer::new().judge_newer_versions(true).check(&request).unwrap_err();
    /// assert_eq!(error.message(), "The length of faceIds is not in a valid range.");
    /// ```
    #[must_use]
    pub fn judge_newer_versions(self, enabled: bool) -> Self {
        self.update(|config| config.options.judge_newer_versions = enabled)
    }

    /// Report-only mode: reject nothing, forward every request, and
    /// compare what this crate would have answered with what the service
    /// answers ([`Outcome`](crate::report::Outcome)), into [`stats`](Self::stats),
    /// a `tracing` warning per disagreement (feature `tracing`), the
    /// [`on_verdict`](Self::on_verdict) callback and `metrics` counters
    /// (feature `metrics`). Off by default.
    ///
    /// The service's error bodies are read along as the caller reads them
    /// (the same bytes, not delayed); a 2xx answer is judged from its
    /// status. One request is still answered locally: a streamed body
    /// without `Content-Length` that grows past the largest legal body, which
    /// could only be forwarded by holding all of it.
    ///
    /// ```
    /// use face_preflight::PreflightLayer;
    ///
    /// let layer = PreflightLayer::new()
    ///     .report_only(true)
    ///     .on_verdict(|verdict| {
    ///         if verdict.outcome != face_preflight::report::Outcome::Agreed {
    ///             eprintln!("{:?}: local {:?}, service {:?}", verdict.operation, verdict.local, verdict.remote);
    ///         }
    ///     });
    /// let stats = layer.stats();
    /// # let _ = stats;
    /// ```
    #[must_use]
    pub fn report_only(self, enabled: bool) -> Self {
        self.update(|config| config.report_only = enabled)
    }

    /// Let through every request that would get `entry`, for when the
    /// service relaxes a rule before this crate is updated. Checks after the
    /// allowed one are not run for that request. Can be called once per entry.
    ///
    /// ```
    /// use face_preflight::{catalogue, PreflightLayer};
    ///
    /// // Suppose the service began to accept 2,000 face IDs in a group call.
    /// let layer = PreflightLayer::new().allow(&catalogue::FACE_IDS_LENGTH_INVALID);
    /// let request = http::Request::post("https://x.cognitiveservices.azure.com/face/v1.2/group")
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"faceIds":[]}"#)
    ///     .unwrap();
    /// assert!(layer.check(&request).is_ok());
    /// assert!(PreflightLayer::new().check(&request).is_err());
    /// ```
    #[must_use]
    pub fn allow(self, entry: &Entry) -> Self {
        let entry = *entry;
        self.update(|config| {
            if !config.allowed.contains(&entry) {
                config.allowed.push(entry);
            }
        })
    }

    /// Calls `callback` with every report-only comparison (see
    /// [`report_only`](Self::report_only)), for users who export elsewhere.
    /// It runs on the task that reads the response: keep it short.
    #[must_use]
    pub fn on_verdict<F>(self, callback: F) -> Self
    where
        F: Fn(&Verdict<'_>) + Send + Sync + 'static,
    {
        let callback = Arc::new(callback);
        self.update(|config| config.on_verdict = Some(callback))
    }

    /// The counters of this layer and every service made from it.
    pub fn stats(&self) -> Stats {
        self.config.stats.clone()
    }

    /// Checks one request with this layer's settings, like [`check`](crate::check).
    pub fn check<B: AsRef<[u8]>>(&self, request: &Request<B>) -> Result<(), FaceApiError> {
        crate::check::check_with(&self.config, request)
    }
}

impl<S> Layer<S> for PreflightLayer {
    type Service = Preflight<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Preflight {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The middleware made by [`PreflightLayer`].
#[derive(Clone, Debug)]
pub struct Preflight<S> {
    pub(crate) inner: S,
    pub(crate) config: Arc<Config>,
}

impl<S> Preflight<S> {
    /// Wraps `inner` with the default settings.
    pub fn new(inner: S) -> Self {
        PreflightLayer::new().layer(inner)
    }

    /// A [`PreflightLayer`] with the default settings.
    pub fn layer() -> PreflightLayer {
        PreflightLayer::new()
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Preflight<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    ReqBody: Body + From<Bytes>,
    ReqBody::Error: Into<BoxError>,
    ResBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = BoxError;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let config = &self.config;
        let (parts, body) = request.into_parts();
        let decision = config.decide_head(
            &parts.method,
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
        );
        let state = match decision {
            Decision::Pass => {
                let pending = config
                    .report_only
                    .then(|| Pending::new(config, &parts.method, parts.uri.path(), None));
                State::Calling {
                    future: self.inner.call(Request::from_parts(parts, body)),
                    pending,
                }
            }
            Decision::Reject(error) if config.report_only => {
                let pending = Pending::new(config, &parts.method, parts.uri.path(), Some(error));
                State::Calling {
                    future: self.inner.call(Request::from_parts(parts, body)),
                    pending: Some(pending),
                }
            }
            Decision::Reject(error) => rejected(config, error, &parts),
            Decision::Read(plan) => {
                let config = config.clone();
                State::Reading {
                    body,
                    parts: Some(parts),
                    buffer: Buffer::default(),
                    plan,
                    inner: Some(crate::config::take_ready(&mut self.inner)),
                    config,
                }
            }
        };
        ResponseFuture { state }
    }
}

fn rejected<S, B>(config: &Config, error: FaceApiError, parts: &Parts) -> State<S, B>
where
    S: Service<Request<B>>,
{
    config.note_rejection(&parts.method, parts.uri.path(), &error);
    State::Rejected {
        error: Some(error),
        reject_with_error: config.reject_with_error,
    }
}

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
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
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
                    return Poll::Ready(Ok(match tap {
                        Some(tap) => response.map(|body| ResponseBody::tapped(body, tap)),
                        None => response.map(ResponseBody::inner),
                    }));
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

pin_project! {
    /// The response body of [`Preflight`]: the inner service's body, or the
    /// JSON error envelope of a local rejection.
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Tapped { #[pin] body: TappedBody<B> },
        Rejection { #[pin] body: Full<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn tapped(body: B, tap: Tap) -> Self {
        Self {
            kind: Kind::Tapped {
                body: TappedBody::new(body, tap),
            },
        }
    }

    pub(crate) fn rejection(body: Full<Bytes>) -> Self {
        Self {
            kind: Kind::Rejection { body },
        }
    }

    /// Whether this is the body of a local rejection.
    pub fn is_rejection(&self) -> bool {
        matches!(self.kind, Kind::Rejection { .. })
    }
}

impl<B: fmt::Debug> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Inner { body } => f.debug_tuple("ResponseBody::Inner").field(body).finish(),
            Kind::Tapped { .. } => f.write_str("ResponseBody::Tapped"),
            Kind::Rejection { body } => f
                .debug_tuple("ResponseBody::Rejection")
                .field(body)
                .finish(),
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Tapped { body } => body.poll_frame(cx),
            KindProj::Rejection { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|frame| frame.map_err(|never| match never {}))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Tapped { body } => body.is_end_stream(),
            Kind::Rejection { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Tapped { body } => body.size_hint(),
            Kind::Rejection { body } => body.size_hint(),
        }
    }
}
