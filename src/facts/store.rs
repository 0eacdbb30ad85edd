//! What this process knows: faceIds with their lifetime and recognition
//! model, collections with their recognition model; and the verdicts that
//! knowledge makes certain.
//!
//! Memory is bounded by the cache's capacity, and an entry is evicted a
//! while after its lifetime (moka, per-entry expiry). Correctness never
//! depends on eviction: a fact carries its own deadline on tokio's clock,
//! and an evicted fact is simply unknown again — and an unknown face or
//! collection is never a reason to reject.

use std::sync::Arc;
use std::time::Duration;

use moka::ops::compute::Op;
use moka::sync::Cache;
use moka::Expiry;
use serde_json::Value;
use tokio::time::Instant;

use crate::catalogue::{self, Entry};
use crate::error::FaceApiError;
use crate::router::{Collection, FaceReferences};

/// How long a fact outlives its deadline before it is evicted, so that a
/// request shortly after expiry is still answered "Face is not found.".
pub(crate) const GRACE: Duration = Duration::from_secs(3600);

/// A recognition model, `recognition_01` … `recognition_04`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Model(pub(crate) u8);

impl Model {
    /// The default of every version.
    pub(crate) const DEFAULT: Model = Model(1);

    /// A model name as the service reads it (surrounding whitespace
    /// ignored); `None` for anything else, which teaches nothing.
    pub(crate) fn parse(name: &str) -> Option<Model> {
        crate::lexical::recognition_model_number(name.trim()).map(Model)
    }
}

/// A faceId this process saw detected.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FaceFact {
    /// Until when the service certainly holds it: the documented lifetime
    /// counted from when the detect request was sent (the instant itself
    /// for a lifetime the service may read its own way).
    pub(crate) alive_until: Instant,
    /// When the service forgets it, at the latest: the longest lifetime it
    /// could keep counted from when the detect answer was received.
    pub(crate) expires_at: Instant,
    pub(crate) model: Model,
}

/// A faceId in any .NET form, as a number.
pub(crate) fn face_key(id: &str) -> Option<u128> {
    crate::lexical::guid_value(id)
}

/// Resources are few: each gets a number, so that a fact's key is small
/// and cheap to hash.
type ResourceId = u32;

/// The most resources (scheme, host and gateway prefix) one process keeps
/// facts for: a proxy's clients name whatever prefix they like.
const MAX_RESOURCES: usize = 4096;
type FaceKey = (ResourceId, u128);
type CollectionKey = (ResourceId, Collection, Box<str>);

struct FaceExpiry;

impl Expiry<FaceKey, FaceFact> for FaceExpiry {
    fn expire_after_create(
        &self,
        _key: &FaceKey,
        fact: &FaceFact,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(fact.expires_at.saturating_duration_since(Instant::now()) + GRACE)
    }
}

/// What is known of a collection, and since when: the instant the answer
/// that said so arrived. Another client holding the key may delete or
/// re-create a collection at any time, so a model is trusted only for the
/// freshness bound after that instant, and an older answer never overwrites
/// what a newer one said (a listing read late does not undo a delete).
#[derive(Clone, Copy, Debug)]
enum CollectionFact {
    Model { model: Model, confirmed_at: Instant },
    Gone { at: Instant },
}

impl CollectionFact {
    fn at(self) -> Instant {
        match self {
            CollectionFact::Model { confirmed_at, .. } => confirmed_at,
            CollectionFact::Gone { at } => at,
        }
    }
}

/// How long a collection's model is trusted after an answer confirmed it,
/// unless [`Facts::collection_freshness`](super::Facts::collection_freshness)
/// says otherwise.
pub(crate) const DEFAULT_COLLECTION_FRESHNESS: Duration = Duration::from_secs(60);

/// The facts of one process.
pub(crate) struct Store {
    resources: std::sync::Mutex<std::collections::HashMap<Arc<str>, ResourceId>>,
    faces: Cache<FaceKey, FaceFact>,
    collections: Cache<CollectionKey, CollectionFact>,
    /// The collection freshness bound, in milliseconds (shared by every
    /// clone of the facts, so a later setting reaches them all).
    freshness_millis: std::sync::atomic::AtomicU64,
}

impl Store {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            resources: std::sync::Mutex::default(),
            faces: Cache::builder()
                .max_capacity(capacity)
                .expire_after(FaceExpiry)
                .build(),
            collections: Cache::builder().max_capacity(capacity / 16 + 1024).build(),
            freshness_millis: std::sync::atomic::AtomicU64::new(
                DEFAULT_COLLECTION_FRESHNESS.as_millis() as u64,
            ),
        }
    }

    pub(crate) fn set_freshness(&self, freshness: Duration) {
        let millis = u64::try_from(freshness.as_millis()).unwrap_or(u64::MAX);
        self.freshness_millis
            .store(millis, std::sync::atomic::Ordering::Relaxed);
    }

    fn freshness(&self) -> Duration {
        Duration::from_millis(
            self.freshness_millis
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Keeps `fact` unless what is held was said by a later answer.
    fn settle_collection(&self, key: CollectionKey, fact: CollectionFact) {
        self.collections
            .entry(key)
            .and_compute_with(|held| match held {
                Some(held) if held.value().at() > fact.at() => Op::Nop,
                // Answers that arrived at the same instant (a coarse or
                // paused clock) cannot be ordered: "gone" wins, as it never
                // answers anything.
                Some(held)
                    if held.value().at() == fact.at()
                        && matches!(held.value(), CollectionFact::Gone { .. }) =>
                {
                    Op::Nop
                }
                _ => Op::Put(fact),
            });
    }

    /// The number of a resource, given one on the first fact learned about
    /// it; past [`MAX_RESOURCES`] a new resource learns nothing (a poisoned
    /// lock makes every resource unknown: nothing is learned or judged).
    fn resource(&self, resource: &Arc<str>) -> Option<ResourceId> {
        let mut resources = self.resources.lock().ok()?;
        if let Some(id) = resources.get(resource) {
            return Some(*id);
        }
        if resources.len() >= MAX_RESOURCES {
            return None;
        }
        let id = ResourceId::try_from(resources.len()).ok()?;
        resources.insert(Arc::clone(resource), id);
        Some(id)
    }

    /// The number of a resource this process has learned about; a lookup
    /// never makes one.
    fn known_resource(&self, resource: &Arc<str>) -> Option<ResourceId> {
        self.resources.lock().ok()?.get(resource).copied()
    }

    pub(crate) fn learn_face(&self, resource: &Arc<str>, id: u128, fact: FaceFact) {
        if let Some(resource) = self.resource(resource) {
            self.faces.insert((resource, id), fact);
        }
    }

    pub(crate) fn face(&self, resource: &Arc<str>, id: u128) -> Option<FaceFact> {
        self.faces.get(&(self.known_resource(resource)?, id))
    }

    /// An answer that arrived at `confirmed_at` said the collection has
    /// `model`.
    pub(crate) fn learn_collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        model: Model,
        confirmed_at: Instant,
    ) {
        if let Some(resource) = self.resource(resource) {
            let fact = CollectionFact::Model {
                model,
                confirmed_at,
            };
            self.settle_collection((resource, kind, id.into()), fact);
        }
    }

    /// An answer that arrived at `at` said the collection is gone.
    pub(crate) fn forget_collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        at: Instant,
    ) {
        if let Some(resource) = self.known_resource(resource) {
            self.settle_collection((resource, kind, id.into()), CollectionFact::Gone { at });
        }
    }

    /// Merges what Redis holds of a collection: `model` (`None`: gone), said
    /// by an answer that arrived between `earliest` and `latest` (the link's
    /// delays hide the exact instant). Where the order with the local fact
    /// cannot be told and they differ, neither is trusted.
    #[cfg(feature = "redis")]
    pub(crate) fn merge_shared_collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        model: Option<Model>,
        earliest: Instant,
        latest: Instant,
    ) {
        let Some(resource) = self.resource(resource) else {
            return;
        };
        let gone = CollectionFact::Gone { at: latest };
        self.collections
            .entry((resource, kind, id.into()))
            .and_compute_with(|held| {
                let held = held.map(|entry| entry.into_value());
                match (held, model) {
                    (None, None) => Op::Nop,
                    (None, Some(model)) => Op::Put(CollectionFact::Model {
                        model,
                        confirmed_at: earliest,
                    }),
                    // Gone may be the later news: nothing is trusted.
                    (Some(held), None) if latest > held.at() => Op::Put(gone),
                    (Some(_), None) => Op::Nop,
                    (Some(held), Some(model)) if earliest > held.at() => {
                        Op::Put(CollectionFact::Model {
                            model,
                            confirmed_at: earliest,
                        })
                    }
                    (
                        Some(CollectionFact::Model {
                            model: held,
                            confirmed_at,
                        }),
                        Some(model),
                    ) if held != model && latest > confirmed_at => Op::Put(gone),
                    (Some(_), Some(_)) => Op::Nop,
                }
            });
    }

    /// The collection's model, if an answer confirmed it within the
    /// freshness bound before `now`.
    pub(crate) fn collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        now: Instant,
    ) -> Option<Model> {
        let fact = self
            .collections
            .get(&(self.known_resource(resource)?, kind, id.into()))?;
        match fact {
            CollectionFact::Model {
                model,
                confirmed_at,
            } if now.saturating_duration_since(confirmed_at) < self.freshness() => Some(model),
            CollectionFact::Model { .. } | CollectionFact::Gone { .. } => None,
        }
    }

    /// Entries held now (after pending evictions), for the memory figures.
    pub(crate) fn face_count(&self) -> u64 {
        self.faces.run_pending_tasks();
        self.faces.entry_count()
    }
}

/// A field of a JSON object, looked up as the service binds it: by name
/// without regard to ASCII case.
pub(crate) enum Field<'a> {
    Absent,
    One(&'a Value),
    /// Several names differing only in case: the service binds the last in
    /// the document, but a `Value` keeps its keys sorted, so which one is
    /// not known here — nothing is learned from it.
    Ambiguous,
}

impl<'a> Field<'a> {
    pub(crate) fn one(self) -> Option<&'a Value> {
        match self {
            Field::One(value) => Some(value),
            Field::Absent | Field::Ambiguous => None,
        }
    }
}

pub(crate) fn field<'a>(object: &'a Value, name: &str) -> Field<'a> {
    let Some(object) = object.as_object() else {
        return Field::Absent;
    };
    let mut found = object
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value);
    match (found.next(), found.next()) {
        (None, _) => Field::Absent,
        (Some(value), None) if value.is_null() => Field::Absent,
        (Some(value), None) => Field::One(value),
        (Some(_), Some(_)) => Field::Ambiguous,
    }
}

/// The collection scope fields of recognition bodies.
pub(crate) const SCOPES: [(&str, Collection); 4] = [
    ("personGroupId", Collection::PersonGroup),
    ("largePersonGroupId", Collection::LargePersonGroup),
    ("faceListId", Collection::FaceList),
    ("largeFaceListId", Collection::LargeFaceList),
];

/// What a recognition request refers to, as far as facts go.
#[derive(Debug, Default)]
pub(crate) struct References {
    /// faceIds whose expiry is answered "Face is not found." (identify's
    /// `faceIds`, the `faceId` of find similar and verify).
    pub(crate) probes: Vec<u128>,
    /// Every faceId of the request (for the model comparison).
    pub(crate) faces: Vec<u128>,
    /// Collections named in the body.
    pub(crate) collections: Vec<(Collection, String)>,
    /// The answer to an expired probe, where one is documented.
    pub(crate) expired: Option<Entry>,
    /// The operation searches a collection (identify, verify with a
    /// person, find similar with a list): the service looks it up before it
    /// compares models.
    pub(crate) searches_collection: bool,
}

/// Which faceIds and collections a recognition body refers to.
pub(crate) fn references(refers: FaceReferences, body: &Value) -> References {
    let ids = |names: &[&str]| -> Vec<u128> {
        let mut ids = Vec::new();
        for name in names {
            match field(body, name).one() {
                Some(Value::String(id)) => ids.extend(face_key(id)),
                Some(Value::Array(items)) => {
                    ids.extend(items.iter().filter_map(|id| id.as_str().and_then(face_key)))
                }
                _ => {}
            }
        }
        ids
    };
    // Only the scope fields the operation reads: the service ignores the
    // others, so their models decide nothing.
    let face_to_face = refers
        .face_to_face
        .iter()
        .any(|name| !matches!(field(body, name), Field::Absent));
    let collections = SCOPES
        .iter()
        .filter(|(name, _)| !face_to_face && refers.collections.contains(name))
        .filter_map(|(name, kind)| match field(body, name).one() {
            Some(Value::String(id)) => Some((*kind, id.clone())),
            _ => None,
        })
        .collect();
    let probes = ids(refers.probes);
    let candidates = ids(refers.candidates);
    // Find similar among faceIds searches no list.
    let names_candidates = refers
        .candidates
        .iter()
        .any(|name| !matches!(field(body, name), Field::Absent));
    let searches_collection = !face_to_face && !names_candidates && !refers.collections.is_empty();
    let faces = [probes.clone(), candidates].concat();
    References {
        probes,
        faces,
        collections,
        expired: refers.expired,
        searches_collection,
    }
}

/// The certain verdict on a recognition request, if any: an expired
/// faceId, or two known recognition models that differ.
pub(crate) fn judge(
    references: &References,
    face: impl Fn(u128) -> Option<FaceFact>,
    collection: impl Fn(Collection, &str) -> Option<Model>,
    now: Instant,
) -> Option<FaceApiError> {
    let known: Vec<(u128, FaceFact)> = references
        .faces
        .iter()
        .filter_map(|id| face(*id).map(|fact| (*id, fact)))
        .collect();
    // Where no answer is documented for a face the service cannot find
    // (group), an expired face is left to the service.
    if let Some(expired) = references.expired {
        if known
            .iter()
            .any(|(id, fact)| now >= fact.expires_at && references.probes.contains(id))
        {
            return Some(expired.into());
        }
    }
    // The service looks up every face before it compares models: a face
    // not known here may be one it cannot find (its answer would be
    // another), and so may one past the instant it is certainly held. So
    // models are compared only when every face named is certainly alive.
    if known.len() < references.faces.len() || known.iter().any(|(_, f)| now >= f.alive_until) {
        return None;
    }
    // Likewise the collection searched: one not known here may be missing
    // (or be a kind without a model, such as a dynamic person group).
    let collections: Option<Vec<Model>> = references
        .collections
        .iter()
        .map(|(kind, id)| collection(*kind, id))
        .collect();
    let collections = collections?;
    if references.searches_collection && collections.is_empty() {
        return None;
    }
    let mut models = known.iter().map(|(_, fact)| fact.model).chain(collections);
    let first = models.next()?;
    models
        .any(|model| model != first)
        .then(|| catalogue::RECOGNITION_MODEL_INCOMPATIBLE.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_never_make_a_resource_and_learning_is_bounded() {
        let store = Store::new(1000);
        let resources = || store.resources.lock().unwrap().len();
        for i in 0..10_000 {
            let resource: Arc<str> = format!("https://x/{i:0200}").into();
            assert!(store.face(&resource, 7).is_none());
            let now = Instant::now();
            assert!(store
                .collection(&resource, Collection::PersonGroup, "g", now)
                .is_none());
            store.forget_collection(&resource, Collection::PersonGroup, "g", now);
        }
        assert_eq!(resources(), 0);
        for i in 0..MAX_RESOURCES + 10 {
            let resource: Arc<str> = format!("https://x/{i}").into();
            let now = Instant::now();
            store.learn_collection(&resource, Collection::PersonGroup, "g", Model::DEFAULT, now);
        }
        assert_eq!(resources(), MAX_RESOURCES);
        // Past the bound a resource is unknown, so nothing is judged from it.
        let late: Arc<str> = format!("https://x/{}", MAX_RESOURCES + 1).into();
        let now = Instant::now();
        assert_eq!(
            store.collection(&late, Collection::PersonGroup, "g", now),
            None
        );
    }

    #[test]
    fn of_two_answers_at_one_instant_gone_wins() {
        let store = Store::new(10);
        let resource: Arc<str> = "https://x".into();
        let group = Collection::PersonGroup;
        let at = Instant::now();
        store.learn_collection(&resource, group, "g", Model(4), at);
        store.forget_collection(&resource, group, "g", at);
        // A listing read late, its answer head from the same instant.
        store.learn_collection(&resource, group, "g", Model(4), at);
        assert_eq!(store.collection(&resource, group, "g", at), None);
        let later = at + std::time::Duration::from_millis(1);
        store.learn_collection(&resource, group, "g", Model(4), later);
        assert_eq!(
            store.collection(&resource, group, "g", later),
            Some(Model(4))
        );
    }

    #[test]
    fn models_and_face_keys() {
        assert_eq!(Model::parse("Recognition_04"), Some(Model(4)));
        assert_eq!(Model::parse("recognition_05"), None);
        assert_eq!(Model::parse("recognition"), None);
        let canonical = face_key("c5c24a82-6845-4031-9d5d-978df9175426");
        assert!(canonical.is_some());
        for other in [
            "{C5C24A82-6845-4031-9D5D-978DF9175426}",
            "(c5c24a82-6845-4031-9d5d-978df9175426)",
            " c5c24a8268454031 9d5d978df9175426"
                .replace(' ', "")
                .as_str(),
        ] {
            assert_eq!(face_key(other), canonical, "{other}");
        }
        assert_eq!(face_key("not-a-guid"), None);
    }
}
