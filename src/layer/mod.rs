//! [`PreflightLayer`] and [`Preflight`]: the checks as tower middleware,
//! laid out as tower-http's middleware are: the layer and its settings here,
//! the service in `service.rs`, its future in `future.rs`, the response body
//! in `body.rs`.

mod body;
#[cfg(feature = "budget")]
mod budget;
mod future;
mod request_body;
mod service;

use std::sync::Arc;

use http::Request;
use tower_layer::Layer;

pub use self::body::ResponseBody;
#[cfg(feature = "budget")]
pub use self::budget::{BodyBudget, BodyBudgetExhausted};
pub use self::future::ResponseFuture;
pub use self::request_body::{BodyRoom, ForwardBody, RequestBody};
pub use self::service::Preflight;
use crate::catalogue::Entry;
use crate::error::FaceApiError;
use crate::pipeline::Pipeline;
use crate::report::{Stats, Verdict};

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
/// is a [`ForwardBody`]: one that can be rebuilt from [`Bytes`](bytes::Bytes)
/// (`Full<Bytes>`, `reqwest::Body`, …), or a [`RequestBody`] around any
/// other. A checked body is read into one `Bytes` (never more than the
/// largest legal body, [`MAX_IMAGE_BYTES`](crate::MAX_IMAGE_BYTES)) and
/// forwarded as `B::from(bytes)`, without a copy; a [`RequestBody`] image
/// with a declared `Content-Length` is judged on its first 64 KiB and the
/// rest streamed on. Requests with nothing to check (unknown paths, GET,
/// DELETE) are forwarded with their original body, unread.
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
    pub(crate) pipeline: Arc<Pipeline>,
}

impl PreflightLayer {
    /// A layer with the default settings: reject with a response, no
    /// credential check, paths start at `/face/{version}/`, limited-access
    /// attributes refused.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(mut self, change: impl FnOnce(&mut Pipeline)) -> Self {
        change(Arc::make_mut(&mut self.pipeline));
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

    /// Sends this layer's counters (feature `metrics`) to `recorder`
    /// instead of the process's global one: two layers in one process then
    /// count apart, as the proxy's `/metrics` needs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use face_preflight::PreflightLayer;
    ///
    /// // Any `metrics::Recorder`: a Prometheus exporter's, or this one in tests.
    /// let recorder = Arc::new(metrics_util::debugging::DebuggingRecorder::new());
    /// let snapshotter = recorder.snapshotter();
    /// let layer = PreflightLayer::new().metrics_recorder(recorder);
    /// // … requests through `layer.layer(service)` are counted in `snapshotter`.
    /// # let _ = (layer, snapshotter);
    /// ```
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn metrics_recorder(self, recorder: Arc<dyn metrics::Recorder + Send + Sync>) -> Self {
        self.update(|config| config.recorder = Some(recorder))
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

    /// Adds the learned facts as a judge (feature `facts`): expired faceIds
    /// and recognition-model mismatches this process (or, with Redis, its
    /// fleet) is certain of are answered locally, after the stateless rules.
    ///
    /// ```
    /// use face_preflight::facts::Facts;
    /// use face_preflight::PreflightLayer;
    ///
    /// let facts = Facts::new();
    /// let layer = PreflightLayer::new().facts(facts.clone());
    /// assert_eq!(facts.faces_held(), 0);
    /// # let _ = layer;
    /// ```
    #[cfg(feature = "facts")]
    #[cfg_attr(docsrs, doc(cfg(feature = "facts")))]
    #[must_use]
    pub fn facts(self, facts: crate::facts::Facts) -> Self {
        self.update(|pipeline| pipeline.facts = Some(facts))
    }

    /// Adds the pacing as the last judge (feature `pace`): requests wait for
    /// their slot under the resource's rate, and one past its longest wait is
    /// answered locally with the service's 429.
    ///
    /// ```
    /// use std::time::Duration;
    /// use face_preflight::pace::{Pacing, Tier};
    /// use face_preflight::PreflightLayer;
    ///
    /// let layer = PreflightLayer::new().pacing(Pacing::tier(Tier::S0).max_wait(Duration::from_secs(5)));
    /// # let _ = layer;
    /// ```
    #[cfg(feature = "pace")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pace")))]
    #[must_use]
    pub fn pacing(self, pacing: crate::pace::Pacing) -> Self {
        self.update(|pipeline| pipeline.pacing = Some(pacing))
    }

    /// Bounds the bytes of bodies held whole while they are judged, across
    /// every request of this layer (feature `budget`): see [`BodyBudget`].
    /// Without one, each request holds at most the largest legal body.
    #[cfg(feature = "budget")]
    #[cfg_attr(docsrs, doc(cfg(feature = "budget")))]
    #[must_use]
    pub fn body_budget(self, budget: BodyBudget) -> Self {
        self.update(|pipeline| pipeline.body_budget = Some(budget))
    }

    /// The counters of this layer and every service made from it: the local
    /// answers of every judge, and report-only comparisons.
    pub fn stats(&self) -> Stats {
        self.pipeline.stats.clone()
    }

    /// Checks one request with this layer's settings, like [`check`](crate::check).
    pub fn check<B: AsRef<[u8]>>(&self, request: &Request<B>) -> Result<(), FaceApiError> {
        crate::check::check_with(&self.pipeline, request)
    }
}

impl<S> Layer<S> for PreflightLayer {
    type Service = Preflight<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Preflight {
            inner,
            pipeline: self.pipeline.clone(),
        }
    }
}
