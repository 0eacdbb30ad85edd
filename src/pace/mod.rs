//! [`PaceLayer`]: keep a process — or, with the `redis` feature, a whole
//! fleet — under a Face resource's rate limit (feature `pace`).
//!
//! A Face resource allows 20 transactions a minute on the free tier (F0)
//! and 10 a second on S0, shared by every process that uses its key, and it
//! refuses bursts well below the nominal rate. The layer spaces requests
//! evenly per resource (scheme and host): a request waits for its slot, up
//! to [`max_wait`](PaceLayer::max_wait); past it (or at once, with
//! [`reject_when_over`](PaceLayer::reject_when_over)) it is answered
//! locally with the service's 429 "Rate limit is exceeded." and a
//! `Retry-After` header. A 429 from the service pauses the resource until
//! its `Retry-After`, the seconds in its message, or an exponential
//! back-off. Adds and deletes of faces on one person or one face list go one
//! at a time (the service answers concurrent ones with 409). Nothing is
//! retried here: that stays the retry layer's job, and a retry layer inside
//! this one is paced too.
//!
//! ```
//! use std::time::Duration;
//! use face_preflight::pace::{PaceLayer, Tier};
//! use face_preflight::PreflightLayer;
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let client = reqwest::Client::new();
//! let face = ServiceBuilder::new()
//!     // Outside: a request the service would reject never takes a slot.
//!     .layer(PreflightLayer::new())
//!     .layer(PaceLayer::tier(Tier::S0).max_wait(Duration::from_secs(5)))
//!     .service(client);
//! # let _ = face;
//! # }
//! ```

mod budget;
mod queue;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::Full;
use pin_project_lite::pin_project;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use crate::catalogue;
use crate::config::BoxError;
use crate::error::{FaceApiError, LocalRejection};
use crate::tap::Tap;
use crate::ResponseBody;

use self::budget::{LocalBudget, Slot, WaitPolicy};
use self::queue::Targets;
#[cfg(feature = "redis")]
pub use self::redis::RedisBudget;

/// How much of a 429 body is kept to read its seconds.
const TAP_LIMIT: usize = 4 * 1024;

/// A Face resource's pricing tier and its documented rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tier {
    /// Free: 20 transactions per minute.
    F0,
    /// Standard: 10 transactions per second (raisable on request: use
    /// [`Rate`] for a raised limit).
    S0,
}

impl Tier {
    /// The tier's rate.
    pub fn rate(self) -> Rate {
        match self {
            Tier::F0 => Rate::per_minute(20),
            Tier::S0 => Rate::per_second(10),
        }
    }
}

/// Requests per period, spaced evenly: `per / requests` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    requests: u32,
    per: Duration,
}

impl Rate {
    /// `requests` per `per` (a zero count is read as one).
    pub fn new(requests: u32, per: Duration) -> Self {
        Self {
            requests: requests.max(1),
            per,
        }
    }

    /// `requests` per second.
    pub fn per_second(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(1))
    }

    /// `requests` per minute.
    pub fn per_minute(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(60))
    }

    /// The spacing between two requests.
    pub fn interval(self) -> Duration {
        self.per / self.requests
    }
}

/// Counters of a pacing layer and every service made from it.
#[derive(Clone, Debug, Default)]
pub struct PaceStats {
    inner: Arc<PaceCounters>,
}

#[derive(Debug, Default)]
struct PaceCounters {
    sent: AtomicU64,
    waited: AtomicU64,
    waited_micros: AtomicU64,
    local_429: AtomicU64,
    remote_429: AtomicU64,
    redis_fallbacks: AtomicU64,
}

/// A copy of [`PaceStats`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaceSnapshot {
    /// Requests let through (after their wait).
    pub sent: u64,
    /// Of those, how many had to wait.
    pub waited: u64,
    /// Their waits, added up.
    pub waited_total: Duration,
    /// Requests answered locally with 429.
    pub local_429: u64,
    /// 429s received from the service.
    pub remote_429: u64,
    /// Decisions made by the local budget because Redis was unavailable.
    pub redis_fallbacks: u64,
}

impl PaceStats {
    /// The counters now.
    pub fn snapshot(&self) -> PaceSnapshot {
        let c = &self.inner;
        PaceSnapshot {
            sent: c.sent.load(Ordering::Relaxed),
            waited: c.waited.load(Ordering::Relaxed),
            waited_total: Duration::from_micros(c.waited_micros.load(Ordering::Relaxed)),
            local_429: c.local_429.load(Ordering::Relaxed),
            remote_429: c.remote_429.load(Ordering::Relaxed),
            redis_fallbacks: c.redis_fallbacks.load(Ordering::Relaxed),
        }
    }
}

/// The settings and the shared state of a pacing layer.
struct Pacer {
    interval: Duration,
    policy: WaitPolicy,
    local: LocalBudget,
    targets: Targets,
    stats: PaceStats,
    #[cfg(feature = "redis")]
    redis: Option<Arc<RedisBudget>>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("interval", &self.interval)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A request that may go: it holds its target's turn, if it has one.
struct Admitted {
    _turn: Option<OwnedSemaphorePermit>,
}

impl Pacer {
    /// Waits for the request's turn and slot; `Err` with the wait when the
    /// slot is further than the policy allows.
    async fn admit(
        self: Arc<Self>,
        resource: String,
        target: Option<String>,
    ) -> Result<Admitted, Duration> {
        let turn = match target {
            Some(target) => self.targets.turn(target).await,
            None => None,
        };
        match self.reserve(&resource).await {
            Slot::After(wait) => {
                let counters = &self.stats.inner;
                if !wait.is_zero() {
                    counters.waited.fetch_add(1, Ordering::Relaxed);
                    let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
                    counters.waited_micros.fetch_add(micros, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                counters.sent.fetch_add(1, Ordering::Relaxed);
                Ok(Admitted { _turn: turn })
            }
            Slot::Over(wait) => {
                self.stats.inner.local_429.fetch_add(1, Ordering::Relaxed);
                Err(wait)
            }
        }
    }

    #[cfg(feature = "redis")]
    async fn reserve(&self, resource: &str) -> Slot {
        let Some(redis) = &self.redis else {
            return self.local.reserve(resource, self.interval, self.policy);
        };
        match redis.reserve(resource, self.interval, self.policy).await {
            Some(slot) => slot,
            None => {
                self.stats
                    .inner
                    .redis_fallbacks
                    .fetch_add(1, Ordering::Relaxed);
                let share = self.interval.saturating_mul(redis.fleet_size_value());
                self.local.reserve(resource, share, self.policy)
            }
        }
    }

    #[cfg(not(feature = "redis"))]
    async fn reserve(&self, resource: &str) -> Slot {
        self.local.reserve(resource, self.interval, self.policy)
    }

    /// Learns from an answer: a 429 pauses the resource. Returns the tap
    /// that reads the wait from the 429's message when no header gave it.
    fn learn(
        self: &Arc<Self>,
        resource: &str,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Option<Tap> {
        if status != StatusCode::TOO_MANY_REQUESTS {
            self.local.clear_strikes(resource);
            return None;
        }
        self.stats.inner.remote_429.fetch_add(1, Ordering::Relaxed);
        if let Some(wait) = budget::retry_after(headers) {
            self.pause(resource, wait);
            return None;
        }
        // Until the message is read, back off; its seconds then replace it.
        let back_off = self.local.strike(resource);
        self.pause(resource, back_off);
        let pacer = Arc::clone(self);
        let resource = resource.to_owned();
        let received = Instant::now();
        Some(Tap::new(TAP_LIMIT, move |body| {
            if let Some(wait) = body.and_then(budget::seconds_in_message) {
                let already = Instant::now().saturating_duration_since(received);
                pacer.pause(&resource, wait.saturating_sub(already));
            }
        }))
    }

    fn pause(self: &Arc<Self>, resource: &str, wait: Duration) {
        self.local.pause_until(resource, Instant::now() + wait);
        #[cfg(feature = "redis")]
        if let (Some(redis), Ok(runtime)) = (&self.redis, tokio::runtime::Handle::try_current()) {
            let redis = Arc::clone(redis);
            let resource = resource.to_owned();
            runtime.spawn(async move { redis.pause(&resource, wait).await });
        }
    }
}

/// The answer to a request whose slot is too far: the service's 429 with
/// the wait in `Retry-After` (whole seconds, rounded up).
fn over_limit(wait: Duration) -> (FaceApiError, HeaderValue) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    (
        catalogue::RATE_LIMIT_EXCEEDED.into(),
        HeaderValue::from(seconds.max(1)),
    )
}

pub(crate) fn over_limit_response<B: From<Bytes>>(wait: Duration) -> Response<B> {
    let (error, retry_after) = over_limit(wait);
    let mut response = error.to_response::<B>();
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, retry_after);
    response.extensions_mut().insert(LocalRejection(error));
    response
}

/// The resource a request is for: `scheme://host[:port]` of its URI, or of
/// its `Host` header when the URI is relative.
fn resource_of(uri: &Uri, headers: &HeaderMap) -> String {
    match uri.authority() {
        Some(authority) => format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("https"),
            authority.as_str().to_ascii_lowercase()
        ),
        None => headers
            .get(http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .map_or_else(String::new, |host| {
                format!("https://{}", host.to_ascii_lowercase())
            }),
    }
}

/// A [`tower_layer::Layer`] that paces Face requests under a rate (see the
/// [module docs](self)).
#[derive(Clone, Debug)]
pub struct PaceLayer {
    pacer: Arc<Pacer>,
}

impl PaceLayer {
    /// Paces at `rate`, waiting up to 30 s for a slot.
    pub fn new(rate: Rate) -> Self {
        Self {
            pacer: Arc::new(Pacer {
                interval: rate.interval(),
                policy: WaitPolicy {
                    max_wait: Duration::from_secs(30),
                    reject_when_over: false,
                },
                local: LocalBudget::default(),
                targets: Targets::default(),
                stats: PaceStats::default(),
                #[cfg(feature = "redis")]
                redis: None,
            }),
        }
    }

    /// Paces at a tier's documented rate.
    pub fn tier(tier: Tier) -> Self {
        Self::new(tier.rate())
    }

    fn update(self, change: impl FnOnce(&mut Pacer)) -> Self {
        let mut pacer = match Arc::try_unwrap(self.pacer) {
            Ok(pacer) => pacer,
            // Shared already: the new settings start with fresh state.
            Err(shared) => Pacer {
                interval: shared.interval,
                policy: shared.policy,
                local: LocalBudget::default(),
                targets: Targets::default(),
                stats: PaceStats::default(),
                #[cfg(feature = "redis")]
                redis: shared.redis.clone(),
            },
        };
        change(&mut pacer);
        Self {
            pacer: Arc::new(pacer),
        }
    }

    /// The longest a request waits for its slot (30 s by default); a
    /// request whose slot is further away is answered locally with 429.
    #[must_use]
    pub fn max_wait(self, max_wait: Duration) -> Self {
        self.update(|pacer| pacer.policy.max_wait = max_wait)
    }

    /// Never wait: a request without a free slot is answered locally with
    /// 429 and a `Retry-After` at once. Off by default.
    #[must_use]
    pub fn reject_when_over(self, enabled: bool) -> Self {
        self.update(|pacer| pacer.policy.reject_when_over = enabled)
    }

    /// Share the budget and the 429 pauses with every process that uses the
    /// same Redis server (feature `redis`).
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, budget: RedisBudget) -> Self {
        let budget = Arc::new(budget);
        self.update(|pacer| pacer.redis = Some(budget))
    }

    /// The counters of this layer and every service made from it.
    pub fn stats(&self) -> PaceStats {
        self.pacer.stats.clone()
    }
}

impl<S> Layer<S> for PaceLayer {
    type Service = Pace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Pace {
            inner,
            pacer: Arc::clone(&self.pacer),
        }
    }
}

/// The middleware made by [`PaceLayer`].
#[derive(Clone, Debug)]
pub struct Pace<S> {
    inner: S,
    pacer: Arc<Pacer>,
}

impl<S> Pace<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

type Admission = Pin<Box<dyn Future<Output = Result<Admitted, Duration>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Pace<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    ResBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = BoxError;
    type Future = PaceFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let resource = resource_of(request.uri(), request.headers());
        let target = queue::conflict_target(&resource, request.method(), request.uri().path());
        let admission = Box::pin(Arc::clone(&self.pacer).admit(resource.clone(), target));
        PaceFuture {
            state: PaceState::Admitting {
                admission,
                request: Some(request),
                inner: Some(crate::config::take_ready(&mut self.inner)),
                resource: Some(resource),
            },
            pacer: Arc::clone(&self.pacer),
        }
    }
}

pin_project! {
    /// The future of [`Pace`]: waits for the request's slot, then calls the
    /// inner service and learns from its answer.
    pub struct PaceFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: PaceState<S, B>,
        pacer: Arc<Pacer>,
    }
}

pin_project! {
    #[project = PaceStateProj]
    enum PaceState<S, B>
    where
        S: Service<Request<B>>,
    {
        Admitting {
            admission: Admission,
            request: Option<Request<B>>,
            inner: Option<S>,
            resource: Option<String>,
        },
        Calling {
            #[pin]
            future: S::Future,
            admitted: Option<Admitted>,
            resource: String,
        },
    }
}

impl<S, B, ResBody> Future for PaceFuture<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ResBody: Body,
{
    type Output = Result<Response<ResponseBody<ResBody>>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            let next = match this.state.as_mut().project() {
                PaceStateProj::Admitting {
                    admission,
                    request,
                    inner,
                    resource,
                } => match ready!(admission.as_mut().poll(cx)) {
                    Ok(admitted) => {
                        let (Some(request), Some(mut inner), Some(resource)) =
                            (request.take(), inner.take(), resource.take())
                        else {
                            return Poll::Ready(Err("PaceFuture polled after completion".into()));
                        };
                        PaceState::Calling {
                            future: inner.call(request),
                            admitted: Some(admitted),
                            resource,
                        }
                    }
                    Err(wait) => {
                        let response = over_limit_response::<Full<Bytes>>(wait);
                        return Poll::Ready(Ok(response.map(ResponseBody::rejection)));
                    }
                },
                PaceStateProj::Calling {
                    future,
                    admitted,
                    resource,
                } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into)?;
                    // The target's turn ends with the answer.
                    admitted.take();
                    let tap = this
                        .pacer
                        .learn(resource, response.status(), response.headers());
                    return Poll::Ready(Ok(response.map(|body| ResponseBody::with_tap(body, tap))));
                }
            };
            this.state.set(next);
        }
    }
}

#[cfg(feature = "reqwest")]
mod reqwest_service {
    //! [`Pace`] around a `reqwest::Client`.

    use super::*;
    use crate::integrations::reqwest::{tap_response, with_url};

    impl<S> Service<reqwest::Request> for Pace<S>
    where
        S: Service<reqwest::Request, Response = reqwest::Response> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
    {
        type Response = reqwest::Response;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, BoxError>> + Send>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx).map_err(Into::into)
        }

        fn call(&mut self, request: reqwest::Request) -> Self::Future {
            let pacer = Arc::clone(&self.pacer);
            let mut inner = crate::config::take_ready(&mut self.inner);
            Box::pin(async move {
                pacer
                    .send(request, move |request| inner.call(request))
                    .await
                    .map_err(Into::into)
            })
        }
    }

    impl Pacer {
        /// Paces one reqwest request sent by `send`.
        pub(crate) async fn send<F, E>(
            self: Arc<Self>,
            request: reqwest::Request,
            send: impl FnOnce(reqwest::Request) -> F,
        ) -> Result<reqwest::Response, E>
        where
            F: Future<Output = Result<reqwest::Response, E>>,
        {
            let url = request.url().clone();
            let resource = resource_of(
                &url.as_str().parse::<Uri>().unwrap_or_default(),
                request.headers(),
            );
            let target = queue::conflict_target(&resource, request.method(), url.path());
            let admitted = match Arc::clone(&self).admit(resource.clone(), target).await {
                Ok(admitted) => admitted,
                Err(wait) => {
                    return Ok(with_url(over_limit_response::<Bytes>(wait), &url));
                }
            };
            let response = send(request).await?;
            drop(admitted);
            Ok(
                match self.learn(&resource, response.status(), response.headers()) {
                    Some(tap) => tap_response(response, tap),
                    None => response,
                },
            )
        }
    }

    /// [`PaceLayer`] as a `reqwest_middleware::Middleware` (feature
    /// `reqwest-middleware`).
    #[cfg(feature = "reqwest-middleware")]
    #[derive(Clone, Debug)]
    pub struct PaceMiddleware {
        pacer: Arc<Pacer>,
    }

    #[cfg(feature = "reqwest-middleware")]
    impl PaceMiddleware {
        /// The middleware with the settings and state of `layer`.
        pub fn new(layer: &PaceLayer) -> Self {
            Self {
                pacer: Arc::clone(&layer.pacer),
            }
        }
    }

    #[cfg(feature = "reqwest-middleware")]
    #[async_trait::async_trait]
    impl reqwest_middleware::Middleware for PaceMiddleware {
        async fn handle(
            &self,
            request: reqwest::Request,
            extensions: &mut http::Extensions,
            next: reqwest_middleware::Next<'_>,
        ) -> reqwest_middleware::Result<reqwest::Response> {
            Arc::clone(&self.pacer)
                .send(request, |request| next.run(request, extensions))
                .await
        }
    }
}

#[cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]
pub use self::reqwest_service::PaceMiddleware;
