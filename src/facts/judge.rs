//! The facts as a judge of the pipeline: what one request says
//! ([`Case`]), the certain answer, and the learning from the service's
//! answers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::store::{self, face_key, FaceFact, Model, References, SCOPES};
use super::{Facts, Knowledge, DEFAULT_FACE_ID_LIFETIME};
use crate::error::{FaceApiError, Source};
use crate::json::{self, Reading};
use crate::judge::{Answer, Body, Judge, Opened, Routed};
use crate::router::{Collection, Operation, Roles};
use crate::rules::query::Query;
use crate::tap::Tap;

/// The most of an answer read to learn from it (a detect answer of 100
/// faces with landmarks and attributes is under 300 KB).
const ANSWER_LIMIT: usize = 1024 * 1024;

/// The documented range of `faceIdTimeToLive`, in seconds.
const FACE_ID_LIFETIMES: std::ops::RangeInclusive<i64> = 60..=86_400;

/// One request as far as facts go: the facts judge's case.
pub(crate) struct Case {
    resource: Arc<str>,
    operation: Operation,
    roles: Roles,
    /// The collection in the path, for the four kinds with models.
    path_collection: Option<(Collection, String)>,
    /// Detect: the model of the faceIds it will return, and their lifetime.
    detect: Option<(Model, Lifetime)>,
    /// `returnRecognitionModel=true`.
    returns_model: bool,
    /// What the body refers to (recognition operations).
    references: References,
    /// A create body's model.
    created_model: Option<Model>,
}

/// How long the service keeps the faceIds of one detect call, counted from
/// when the request was sent.
#[derive(Clone, Copy)]
struct Lifetime {
    sent: Instant,
    /// How long it certainly keeps them.
    least: Duration,
    /// How long it may keep them.
    most: Duration,
}

impl Lifetime {
    /// `faceIdTimeToLive` as the service documents it (60 to 86,400 s, by
    /// default 86,400). Any other value the service may read its own way:
    /// the faces are then never certainly held, and may be held for the
    /// longest it keeps any.
    fn of(parameter: Option<&str>) -> Self {
        let sent = Instant::now();
        let documented = match parameter {
            None => Some(DEFAULT_FACE_ID_LIFETIME),
            Some(text) => crate::lexical::parse_int(text)
                .filter(|t| FACE_ID_LIFETIMES.contains(t))
                .and_then(|t| u64::try_from(t).ok())
                .map(Duration::from_secs),
        };
        match documented {
            Some(lifetime) => Self {
                sent,
                least: lifetime,
                most: lifetime,
            },
            None => Self {
                sent,
                least: Duration::ZERO,
                most: DEFAULT_FACE_ID_LIFETIME,
            },
        }
    }
}

fn has_model(kind: Collection) -> bool {
    kind != Collection::DynamicPersonGroup
}

impl Case {
    /// The case of a routed request, if its operation is one facts concern.
    fn open(request: &Routed<'_>) -> Option<Self> {
        let (matched, resource) = (request.matched?, request.resource?);
        let route = &matched.route;
        let roles = route.operation.roles();
        // Any collection in the path: its "…NotFound" answer forgets it.
        if !roles.concerns_facts() && route.collection_id.is_none() {
            return None;
        }
        let query = Query::parse(request.query);
        let path_collection = route
            .collection_id
            .zip(matched.collection)
            .filter(|(_, kind)| has_model(*kind))
            .map(|(id, kind)| {
                let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
                (kind, id.into_owned())
            });
        let detect = roles.teaches_face_ids.then(|| {
            let model = query
                .get("recognitionModel")
                .and_then(|m| Model::parse(&m))
                .unwrap_or(Model::DEFAULT);
            (
                model,
                Lifetime::of(query.get("faceIdTimeToLive").as_deref()),
            )
        });
        Some(Self {
            resource: Arc::clone(resource),
            operation: route.operation,
            roles,
            path_collection,
            detect,
            returns_model: query.flag("returnRecognitionModel") == Some(true),
            references: References::default(),
            created_model: None,
        })
    }

    fn reads_body(&self) -> bool {
        // `path_collection` holds only the kinds with models.
        self.roles.refers.is_some() || (self.roles.teaches_model && self.path_collection.is_some())
    }

    /// Reads what the body says, from the object the rules read.
    fn read_body(&mut self, body: &Body<'_>) {
        let Some(Reading::Object(object)) = body.json else {
            return;
        };
        if self.roles.teaches_model {
            self.created_model = match object.unique("recognitionModel") {
                Ok(None) => Some(Model::DEFAULT),
                Ok(Some(json::Value::Str(model))) => Model::parse(model),
                Ok(Some(_)) | Err(_) => None,
            };
        } else if let Some(refers) = self.roles.refers {
            self.references = store::references(refers, object);
        }
    }
}

impl Judge for Facts {
    type Case = Case;
    const SOURCE: Source = Source::Facts;

    fn open(&self, request: &Routed<'_>) -> Opened<Case> {
        match Case::open(request) {
            Some(case) => Opened::Case(case),
            None => Opened::Pass,
        }
    }

    fn read(&self, case: &mut Case, _headers: &HeaderMap, body: &Body<'_>) -> Option<Answer> {
        if case.reads_body() {
            case.read_body(body);
        }
        if case.references.faces.is_empty() || self.knowledge.shares() {
            return None;
        }
        // This process's facts alone decide: at once, without a step of
        // its own before the send.
        self.knowledge
            .verdict(&case.resource, &case.references)
            .map(Answer::from)
    }

    fn decides(&self, case: &Case) -> bool {
        // Facts shared through Redis are asked for last, as they may wait.
        !case.references.faces.is_empty() && self.knowledge.shares()
    }

    async fn decide(&self, case: &mut Case) -> Option<Answer> {
        self.knowledge.judge(case).await.map(Answer::from)
    }

    fn learn(&self, case: Case, status: StatusCode, _headers: &HeaderMap) -> Option<Tap> {
        self.knowledge.learn(case, status)
    }

    fn count_answer(&self, answer: &Answer) {
        let counters = &self.knowledge.stats.inner;
        let counter = if answer.error.code() == "FaceNotFound" {
            &counters.face_not_found
        } else {
            &counters.incompatible
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Knowledge {
    /// The certain local answer to a request, if any.
    async fn judge(&self, case: &Case) -> Option<FaceApiError> {
        let references = &case.references;
        if references.faces.is_empty() {
            return None;
        }
        let resource = &case.resource;
        let local = self.verdict(resource, references);
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis() {
            // faceIds never change, but a collection may have been deleted
            // or re-created by another process since this one learned it:
            // an answer that rests on one is confirmed against Redis first.
            let confirm = local.is_some() && !references.collections.is_empty();
            if redis.fill(&self.store, resource, references, confirm).await {
                return self.verdict(resource, references);
            }
        }
        local
    }

    fn verdict(&self, resource: &Arc<str>, references: &References) -> Option<FaceApiError> {
        let now = Instant::now();
        let clock = self.store.clock(now);
        // Nothing is known of a resource never learned about.
        let resource = self.store.known_resource(resource)?;
        store::judge(
            references,
            |id| self.store.face(resource, id, clock),
            |kind, id| self.store.collection(resource, kind, id, now),
        )
    }

    /// Learns from an answer's head; returns the tap that learns from its
    /// body when the body holds the facts.
    fn learn(self: &Arc<Self>, exchange: Case, status: StatusCode) -> Option<Tap> {
        let received = Instant::now();
        let roles = exchange.roles;
        if status.is_success() {
            match &exchange.path_collection {
                _ if roles.teaches_face_ids => {
                    let (model, lifetime) = exchange.detect?;
                    let knowledge = Arc::clone(self);
                    let resource = exchange.resource;
                    let (alive_until, expires_at) =
                        (lifetime.sent + lifetime.least, received + lifetime.most);
                    return Some(Tap::new(ANSWER_LIMIT, move |body| {
                        if let Some(body) = body {
                            let fact = FaceFact {
                                alive_until,
                                expires_at,
                                model,
                            };
                            knowledge.learn_faces(&resource, body, fact);
                        }
                    }));
                }
                Some((kind, id)) if roles.teaches_model => {
                    if let Some(model) = exchange.created_model {
                        self.learn_collection(&exchange.resource, *kind, id, model, received);
                    }
                }
                Some((kind, id)) if roles.forgets_collection => {
                    self.forget_collection(&exchange.resource, *kind, id, received);
                }
                _ if roles.shows_models && exchange.returns_model => {
                    let knowledge = Arc::clone(self);
                    return Some(Tap::new(ANSWER_LIMIT, move |body| {
                        if let Some(body) = body {
                            knowledge.learn_listing(&exchange, body, received);
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
                knowledge.forget_collection(&exchange.resource, *kind, id, received);
            }
        }))
    }

    /// Learns every faceId of a detect answer; `detected` holds the
    /// lifetime and the request's model.
    fn learn_faces(&self, resource: &Arc<str>, body: &[u8], detected: FaceFact) {
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
                .unwrap_or(detected.model);
            let fact = FaceFact { model, ..detected };
            self.store.learn_face(resource, id, fact);
            self.stats
                .inner
                .faces_learned
                .fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "redis")]
            if let Some(redis) = self.redis() {
                redis.share_face(resource, id, fact);
            }
        }
    }

    fn learn_listing(&self, exchange: &Case, body: &[u8], received: Instant) {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let one = |object: &Value, kind: Collection, id: &str| {
            if let Some(model) = object
                .get("recognitionModel")
                .and_then(Value::as_str)
                .and_then(Model::parse)
            {
                self.learn_collection(&exchange.resource, kind, id, model, received);
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

    /// `confirmed_at`: when the answer that says so arrived (not when its
    /// body was read), so that a late reader never overwrites a newer fact.
    fn learn_collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        model: Model,
        confirmed_at: Instant,
    ) {
        self.store
            .learn_collection(resource, kind, id, model, confirmed_at);
        self.stats
            .inner
            .collections_learned
            .fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis() {
            redis.share_collection(resource, kind, id, Some(model), confirmed_at);
        }
    }

    fn forget_collection(&self, resource: &Arc<str>, kind: Collection, id: &str, at: Instant) {
        self.store.forget_collection(resource, kind, id, at);
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis() {
            redis.share_collection(resource, kind, id, None, at);
        }
    }
}
