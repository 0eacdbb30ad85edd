//! [`FactsLayer`]: answer locally the stateful errors this process can be
//! certain of (feature `facts`).
//!
//! The layer learns from the answers it sees: the faceIds of a detect
//! answer with their lifetime (`faceIdTimeToLive`, counted from when the
//! answer was received, so the local deadline is always later than the
//! service's) and recognition model; the recognition model of person
//! groups, large person groups, face lists and large face lists from their
//! creation, or from a get or list with `returnRecognitionModel=true`,
//! forgotten when they are deleted or answered "…NotFound". It then answers:
//!
//! - identify and find similar with an expired faceId: 400 FaceNotFound
//!   "Face is not found."; verify: 404 FaceNotFound "Face is not found."
//!   (group has no documented answer and is let through);
//! - two known recognition models that differ in one request (faceIds with
//!   each other, or with the collection searched): 400 BadArgument
//!   "'recognitionModel' is incompatible.".
//!
//! A faceId or collection this process has not seen is never a reason to
//! reject. Facts are kept per resource (scheme, host and the path before
//! `/face/`), so two Face resources never mix, and shared by a fleet through
//! Redis with the `redis` feature.
//!
//! ```
//! use face_preflight::facts::FactsLayer;
//! use face_preflight::PreflightLayer;
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let face = ServiceBuilder::new()
//!     .layer(PreflightLayer::new())
//!     .layer(FactsLayer::new())
//!     .service(reqwest::Client::new());
//! # let _ = face;
//! # }
//! ```

#[cfg(feature = "redis")]
mod redis;
mod store;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::BoxError;
use crate::error::{FaceApiError, LocalRejection};
use crate::router::{self, Collection, Operation};
use crate::rules::query::Query;
use crate::tap::Tap;
use crate::ResponseBody;

#[cfg(feature = "redis")]
pub use self::redis::RedisFacts;
use self::store::{face_key, field, FaceFact, Model, References, Store, SCOPES};

/// The most of a request body read to find its faceIds and collections
/// (legal recognition bodies are under 50 KB); a larger or unsized body is
/// passed on without a verdict.
const BODY_LIMIT: u64 = 1024 * 1024;
/// The most of an answer read to learn from it (a detect answer of 100
/// faces with landmarks and attributes is under 300 KB).
const ANSWER_LIMIT: usize = 1024 * 1024;
/// The default and largest `faceIdTimeToLive`.
const DEFAULT_FACE_ID_LIFETIME: Duration = Duration::from_secs(86_400);

/// Counters of a facts layer and every service made from it.
#[derive(Clone, Debug, Default)]
pub struct FactsStats {
    inner: Arc<FactsCounters>,
}

#[derive(Debug, Default)]
struct FactsCounters {
    face_not_found: AtomicU64,
    incompatible: AtomicU64,
    faces_learned: AtomicU64,
    collections_learned: AtomicU64,
}

/// A copy of [`FactsStats`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactsSnapshot {
    /// Requests answered locally with "Face is not found.".
    pub face_not_found: u64,
    /// Requests answered locally with "'recognitionModel' is incompatible.".
    pub incompatible: u64,
    /// faceIds learned from detect answers.
    pub faces_learned: u64,
    /// Collection models learned.
    pub collections_learned: u64,
}

impl FactsStats {
    /// The counters now.
    pub fn snapshot(&self) -> FactsSnapshot {
        let c = &self.inner;
        FactsSnapshot {
            face_not_found: c.face_not_found.load(Ordering::Relaxed),
            incompatible: c.incompatible.load(Ordering::Relaxed),
            faces_learned: c.faces_learned.load(Ordering::Relaxed),
            collections_learned: c.collections_learned.load(Ordering::Relaxed),
        }
    }
}

/// The shared state of a facts layer.
struct Knowledge {
    store: Store,
    stats: FactsStats,
    #[cfg(feature = "redis")]
    redis: Option<Arc<RedisFacts>>,
}

impl fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Knowledge").finish_non_exhaustive()
    }
}

/// A [`tower_layer::Layer`] that learns facts from the Face answers it sees
/// and answers the certain stateful errors locally (see the
/// [module docs](self)).
#[derive(Clone, Debug)]
pub struct FactsLayer {
    knowledge: Arc<Knowledge>,
}

impl Default for FactsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl FactsLayer {
    /// A layer that keeps up to a million faceIds.
    pub fn new() -> Self {
        Self::with_capacity(1_000_000)
    }

    /// A layer that keeps up to `faces` faceIds (the least recently used
    /// go first; a forgotten faceId is unknown, never rejected).
    pub fn with_capacity(faces: u64) -> Self {
        Self {
            knowledge: Arc::new(Knowledge {
                store: Store::new(faces),
                stats: FactsStats::default(),
                #[cfg(feature = "redis")]
                redis: None,
            }),
        }
    }

    /// Share the facts with every process that uses the same Redis server
    /// (feature `redis`). Without Redis, the local facts decide.
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, facts: RedisFacts) -> Self {
        let redis = Some(Arc::new(facts));
        match Arc::try_unwrap(self.knowledge) {
            Ok(mut knowledge) => {
                knowledge.redis = redis;
                Self {
                    knowledge: Arc::new(knowledge),
                }
            }
            Err(shared) => Self {
                knowledge: Arc::new(Knowledge {
                    store: Store::new(1_000_000),
                    stats: shared.stats.clone(),
                    redis,
                }),
            },
        }
    }

    /// The counters of this layer and every service made from it.
    pub fn stats(&self) -> FactsStats {
        self.knowledge.stats.clone()
    }

    /// How many faceIds are held now.
    pub fn faces_held(&self) -> u64 {
        self.knowledge.store.face_count()
    }
}

impl<S> Layer<S> for FactsLayer {
    type Service = Facts<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Facts {
            inner,
            knowledge: Arc::clone(&self.knowledge),
        }
    }
}

/// The middleware made by [`FactsLayer`].
#[derive(Clone, Debug)]
pub struct Facts<S> {
    inner: S,
    knowledge: Arc<Knowledge>,
}

impl<S> Facts<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// One request as far as facts go.
struct Exchange {
    resource: Arc<str>,
    operation: Operation,
    /// The collection in the path, for the four kinds with models.
    path_collection: Option<(Collection, String)>,
    /// Detect: the model and lifetime of the faceIds it will return.
    detect: Option<(Model, Duration)>,
    /// `returnRecognitionModel=true`.
    returns_model: bool,
    /// What the body refers to (recognition operations).
    references: References,
    /// A create body's model.
    created_model: Option<Model>,
}

fn has_model(kind: Collection) -> bool {
    kind != Collection::DynamicPersonGroup
}

impl Exchange {
    /// The exchange of a request, if its operation is one facts concern.
    fn of(method: &Method, uri: &Uri, host: Option<&str>) -> Option<Self> {
        let path = uri.path();
        let start = path
            .as_bytes()
            .windows(6)
            .position(|w| w.eq_ignore_ascii_case(b"/face/"))?;
        let (prefix, face_path) = path.split_at(start);
        let route = router::route_versions(method, face_path, true)?.route;
        use Operation::*;
        let relevant = matches!(
            route.operation,
            Detect
                | Identify
                | Verify
                | FindSimilar
                | Group
                | CreateCollection(_)
                | GetCollection(_)
                | ListCollections(_)
                | DeleteCollection(_)
        ) || route.collection_id.is_some();
        if !relevant {
            return None;
        }
        let authority = uri.authority().map(|a| a.as_str()).or(host)?;
        let resource: Arc<str> = format!(
            "{}://{}{}",
            uri.scheme_str().unwrap_or("https"),
            authority.to_ascii_lowercase(),
            prefix
        )
        .into();
        let query = Query::parse(uri.query());
        let path_collection = route.collection_id.and_then(|id| {
            let kind = collection_of_path(face_path)?;
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            Some((kind, id.into_owned()))
        });
        let detect = (route.operation == Detect).then(|| {
            let model = query
                .get("recognitionModel")
                .and_then(|m| Model::parse(&m))
                .unwrap_or(Model::DEFAULT);
            let lifetime = query
                .get("faceIdTimeToLive")
                .and_then(|t| crate::lexical::parse_int(&t))
                .and_then(|t| u64::try_from(t).ok())
                .map_or(DEFAULT_FACE_ID_LIFETIME, Duration::from_secs);
            (model, lifetime)
        });
        Some(Self {
            resource,
            operation: route.operation,
            path_collection,
            detect,
            returns_model: query.flag("returnRecognitionModel") == Some(true),
            references: References::default(),
            created_model: None,
        })
    }

    fn needs_body(&self) -> bool {
        use Operation::*;
        matches!(self.operation, Identify | Verify | FindSimilar | Group)
            || matches!(self.operation, CreateCollection(kind) if has_model(kind))
    }

    /// Reads what the body says.
    fn read_body(&mut self, body: &[u8]) {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        if let Operation::CreateCollection(_) = self.operation {
            self.created_model = match field(&value, "recognitionModel") {
                None => Some(Model::DEFAULT),
                Some(model) => model.as_str().and_then(Model::parse),
            };
        } else {
            self.references = store::references(self.operation, &value);
        }
    }
}

/// The collection kind of a path below a collection (`/persongroups/…`).
fn collection_of_path(face_path: &str) -> Option<Collection> {
    let segment = face_path.split('/').nth(3)?;
    [
        ("facelists", Collection::FaceList),
        ("largefacelists", Collection::LargeFaceList),
        ("persongroups", Collection::PersonGroup),
        ("largepersongroups", Collection::LargePersonGroup),
    ]
    .into_iter()
    .find(|(name, _)| segment.eq_ignore_ascii_case(name))
    .map(|(_, kind)| kind)
}

impl Knowledge {
    /// The certain local answer to a request, if any.
    async fn judge(&self, exchange: &Exchange) -> Option<FaceApiError> {
        let references = &exchange.references;
        if references.faces.is_empty() {
            return None;
        }
        let resource = &exchange.resource;
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            redis.fill(&self.store, resource, references).await;
        }
        let verdict = store::judge(
            exchange.operation,
            references,
            |id| self.store.face(resource, id),
            |kind, id| self.store.collection(resource, kind, id),
            Instant::now(),
        )?;
        let counter = if verdict.code() == "FaceNotFound" {
            &self.stats.inner.face_not_found
        } else {
            &self.stats.inner.incompatible
        };
        counter.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "tracing")]
        tracing::debug!(
            operation = ?exchange.operation,
            status = verdict.status().as_u16(),
            code = verdict.code(),
            message = verdict.message(),
            "Face request answered from learned facts",
        );
        Some(verdict)
    }

    /// Learns from an answer's head; returns the tap that learns from its
    /// body when the body holds the facts.
    fn learn(self: &Arc<Self>, exchange: Exchange, status: StatusCode) -> Option<Tap> {
        use Operation::*;
        let received = Instant::now();
        if status.is_success() {
            match (exchange.operation, &exchange.path_collection) {
                (Detect, _) => {
                    let (model, lifetime) = exchange.detect?;
                    let knowledge = Arc::clone(self);
                    let resource = exchange.resource;
                    return Some(Tap::new(ANSWER_LIMIT, move |body| {
                        if let Some(body) = body {
                            knowledge.learn_faces(&resource, body, model, received + lifetime);
                        }
                    }));
                }
                (CreateCollection(_), Some((kind, id))) => {
                    if let Some(model) = exchange.created_model {
                        self.learn_collection(&exchange.resource, *kind, id, model);
                    }
                }
                (DeleteCollection(_), Some((kind, id))) => {
                    self.forget_collection(&exchange.resource, *kind, id);
                }
                (GetCollection(_) | ListCollections(_), _) if exchange.returns_model => {
                    let knowledge = Arc::clone(self);
                    return Some(Tap::new(ANSWER_LIMIT, move |body| {
                        if let Some(body) = body {
                            knowledge.learn_listing(&exchange, body);
                        }
                    }));
                }
                _ => {}
            }
            return None;
        }
        // A collection answered "…NotFound": forget it.
        let knowledge = Arc::clone(self);
        Some(Tap::new(16 * 1024, move |body| {
            let Some(error) = body.and_then(|b| FaceApiError::from_json(status.as_u16(), b)) else {
                return;
            };
            let gone = match error.code() {
                "PersonGroupNotFound" => Collection::PersonGroup,
                "LargePersonGroupNotFound" => Collection::LargePersonGroup,
                "FaceListNotFound" => Collection::FaceList,
                "LargeFaceListNotFound" => Collection::LargeFaceList,
                _ => return,
            };
            let named = exchange
                .path_collection
                .iter()
                .chain(&exchange.references.collections)
                .filter(|(kind, _)| *kind == gone);
            for (kind, id) in named {
                knowledge.forget_collection(&exchange.resource, *kind, id);
            }
        }))
    }

    fn learn_faces(&self, resource: &Arc<str>, body: &[u8], model: Model, expires_at: Instant) {
        let Ok(Value::Array(faces)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        for face in &faces {
            let Some(id) = face
                .get("faceId")
                .and_then(Value::as_str)
                .and_then(face_key)
            else {
                continue;
            };
            let model = face
                .get("recognitionModel")
                .and_then(Value::as_str)
                .and_then(Model::parse)
                .unwrap_or(model);
            let fact = FaceFact { expires_at, model };
            self.store.learn_face(resource, id, fact);
            self.stats
                .inner
                .faces_learned
                .fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "redis")]
            if let Some(redis) = &self.redis {
                redis.share_face(resource, id, fact);
            }
        }
    }

    fn learn_listing(&self, exchange: &Exchange, body: &[u8]) {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let one = |object: &Value, kind: Collection, id: &str| {
            if let Some(model) = object
                .get("recognitionModel")
                .and_then(Value::as_str)
                .and_then(Model::parse)
            {
                self.learn_collection(&exchange.resource, kind, id, model);
            }
        };
        match (&value, exchange.operation, &exchange.path_collection) {
            (Value::Object(_), Operation::GetCollection(_), Some((kind, id))) => {
                one(&value, *kind, id)
            }
            (Value::Array(items), Operation::ListCollections(kind), _) if has_model(kind) => {
                let id_field = SCOPES
                    .iter()
                    .find(|(_, k)| *k == kind)
                    .map(|(name, _)| *name);
                for item in items {
                    if let Some(id) = id_field
                        .and_then(|name| item.get(name))
                        .and_then(Value::as_str)
                    {
                        one(item, kind, id);
                    }
                }
            }
            _ => {}
        }
    }

    fn learn_collection(&self, resource: &Arc<str>, kind: Collection, id: &str, model: Model) {
        self.store.learn_collection(resource, kind, id, model);
        self.stats
            .inner
            .collections_learned
            .fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            redis.share_collection(resource, kind, id, Some(model));
        }
    }

    fn forget_collection(&self, resource: &Arc<str>, kind: Collection, id: &str) {
        self.store.forget_collection(resource, kind, id);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            redis.share_collection(resource, kind, id, None);
        }
    }
}

fn local_answer<B: From<Bytes>>(error: FaceApiError) -> Response<B> {
    let mut response = error.to_response::<B>();
    response.extensions_mut().insert(LocalRejection(error));
    response
}

/// The future of [`Facts`].
pub type FactsFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Facts<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ReqBody: Body + From<Bytes> + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: Body + Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = BoxError;
    type Future = FactsFuture<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let exchange = Exchange::of(request.method(), request.uri(), host.as_deref());
        let mut inner = crate::config::take_ready(&mut self.inner);
        let knowledge = Arc::clone(&self.knowledge);
        Box::pin(async move {
            let Some(mut exchange) = exchange else {
                let response = inner.call(request).await.map_err(Into::into)?;
                return Ok(response.map(ResponseBody::inner));
            };
            let request = if exchange.needs_body()
                && request
                    .body()
                    .size_hint()
                    .upper()
                    .is_some_and(|n| n <= BODY_LIMIT)
            {
                let (parts, body) = request.into_parts();
                let bytes = body.collect().await.map_err(Into::into)?.to_bytes();
                exchange.read_body(&bytes);
                Request::from_parts(parts, ReqBody::from(bytes))
            } else {
                request
            };
            if let Some(error) = knowledge.judge(&exchange).await {
                return Ok(local_answer::<Full<Bytes>>(error).map(ResponseBody::rejection));
            }
            let response = inner.call(request).await.map_err(Into::into)?;
            let tap = knowledge.learn(exchange, response.status());
            Ok(response.map(|body| ResponseBody::with_tap(body, tap)))
        })
    }
}

#[cfg(feature = "reqwest")]
mod reqwest_service {
    //! [`Facts`] around a `reqwest::Client`, and [`FactsMiddleware`].

    use super::*;
    use crate::integrations::reqwest::{tap_response, with_url};

    impl Knowledge {
        /// Judges, sends with `send`, and learns, for one reqwest request.
        pub(crate) async fn send<F, E>(
            self: Arc<Self>,
            request: reqwest::Request,
            send: impl FnOnce(reqwest::Request) -> F,
        ) -> Result<reqwest::Response, E>
        where
            F: Future<Output = Result<reqwest::Response, E>>,
        {
            let uri: Uri = request.url().as_str().parse().unwrap_or_default();
            let Some(mut exchange) = Exchange::of(request.method(), &uri, None) else {
                return send(request).await;
            };
            if exchange.needs_body() {
                if let Some(bytes) = request.body().and_then(reqwest::Body::as_bytes) {
                    exchange.read_body(bytes);
                }
            }
            if let Some(error) = self.judge(&exchange).await {
                return Ok(with_url(local_answer::<Bytes>(error), request.url()));
            }
            let response = send(request).await?;
            Ok(match self.learn(exchange, response.status()) {
                Some(tap) => tap_response(response, tap),
                None => response,
            })
        }
    }

    impl<S> Service<reqwest::Request> for Facts<S>
    where
        S: Service<reqwest::Request, Response = reqwest::Response> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
    {
        type Response = reqwest::Response;
        type Error = BoxError;
        type Future = FactsFuture<reqwest::Response>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx).map_err(Into::into)
        }

        fn call(&mut self, request: reqwest::Request) -> Self::Future {
            let knowledge = Arc::clone(&self.knowledge);
            let mut inner = crate::config::take_ready(&mut self.inner);
            Box::pin(async move {
                knowledge
                    .send(request, move |request| inner.call(request))
                    .await
                    .map_err(Into::into)
            })
        }
    }

    /// [`FactsLayer`] as a `reqwest_middleware::Middleware` (feature
    /// `reqwest-middleware`).
    #[cfg(feature = "reqwest-middleware")]
    #[derive(Clone, Debug)]
    pub struct FactsMiddleware {
        knowledge: Arc<Knowledge>,
    }

    #[cfg(feature = "reqwest-middleware")]
    impl FactsMiddleware {
        /// The middleware with the facts of `layer` (shared with it).
        pub fn new(layer: &FactsLayer) -> Self {
            Self {
                knowledge: Arc::clone(&layer.knowledge),
            }
        }
    }

    #[cfg(feature = "reqwest-middleware")]
    #[async_trait::async_trait]
    impl reqwest_middleware::Middleware for FactsMiddleware {
        async fn handle(
            &self,
            request: reqwest::Request,
            extensions: &mut http::Extensions,
            next: reqwest_middleware::Next<'_>,
        ) -> reqwest_middleware::Result<reqwest::Response> {
            Arc::clone(&self.knowledge)
                .send(request, |request| next.run(request, extensions))
                .await
        }
    }
}

#[cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]
pub use self::reqwest_service::FactsMiddleware;
