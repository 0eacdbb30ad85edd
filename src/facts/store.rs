//! What this process knows: faceIds with their lifetime and recognition
//! model, collections with their recognition model; and the verdicts that
//! knowledge makes certain.
//!
//! Memory is bounded by capacities: faceIds in a compact table
//! ([`FaceTable`]), collections in a map that, when full, drops the facts
//! learned longest ago. Correctness never depends on what is kept: a fact
//! carries its own deadline on tokio's clock, and a dropped fact is simply
//! unknown again — and an unknown face or collection is never a reason to
//! reject.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::faces::{FaceTable, TableTime};
use crate::catalogue::{self, Entry};
use crate::error::FaceApiError;
use crate::json::{Object, Value};
use crate::router::{Collection, FaceReferences};

/// How long a fact outlives its deadline before it is the first to go,
/// so that a request shortly after expiry is still answered "Face is not
/// found.".
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

/// What a known face is at one instant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FaceState {
    /// Certainly gone from the service.
    pub(crate) expired: bool,
    /// Certainly still held by the service.
    pub(crate) certainly_alive: bool,
    pub(crate) model: Model,
}

/// A faceId in any .NET form, as a number.
pub(crate) fn face_key(id: &str) -> Option<u128> {
    crate::lexical::guid_value(id)
}

/// Resources are few: each gets a number, so that a fact's key is small
/// and cheap to hash.
pub(crate) type ResourceId = u32;

/// The most resources (scheme, host and gateway prefix) one process keeps
/// facts for: a client of the layer may name whatever host it likes.
const MAX_RESOURCES: usize = 4096;

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

/// The collections of every resource, looked up by borrowed ID (no key is
/// built per request).
type Collections = HashMap<(ResourceId, Collection), HashMap<Box<str>, CollectionFact>>;

/// The facts of one process.
pub(crate) struct Store {
    resources: Mutex<HashMap<Arc<str>, ResourceId>>,
    /// The resource looked up last: the pipeline hands out one key per
    /// resource, so a pointer comparison finds it without hashing.
    last_resource: RwLock<Option<(Arc<str>, ResourceId)>>,
    faces: FaceTable,
    collections: RwLock<Collections>,
    /// The most collection facts kept.
    collection_capacity: usize,
    /// The collection freshness bound, in milliseconds (shared by every
    /// clone of the facts, so a later setting reaches them all).
    freshness_millis: std::sync::atomic::AtomicU64,
}

impl Store {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            resources: Mutex::default(),
            last_resource: RwLock::default(),
            faces: FaceTable::new(capacity),
            collections: RwLock::default(),
            collection_capacity: usize::try_from(capacity / 16 + 1024).unwrap_or(usize::MAX),
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

    /// Replaces the fact of a collection with what `settle` makes of the
    /// one held (`None`: keep what is held). A full map first drops the
    /// eighth of its facts said longest ago.
    fn settle_with(
        &self,
        resource: ResourceId,
        kind: Collection,
        id: &str,
        settle: impl FnOnce(Option<CollectionFact>) -> Option<CollectionFact>,
    ) {
        let Ok(mut collections) = self.collections.write() else {
            return;
        };
        let held = collections
            .get(&(resource, kind))
            .and_then(|ids| ids.get(id))
            .copied();
        let Some(fact) = settle(held) else {
            return;
        };
        if held.is_none() {
            let count: usize = collections.values().map(HashMap::len).sum();
            if count >= self.collection_capacity {
                drop_oldest(&mut collections, count / 8 + 1);
            }
        }
        collections
            .entry((resource, kind))
            .or_default()
            .insert(id.into(), fact);
    }

    /// Keeps `fact` unless what is held was said by a later answer.
    fn settle_collection(
        &self,
        resource: ResourceId,
        kind: Collection,
        id: &str,
        fact: CollectionFact,
    ) {
        self.settle_with(resource, kind, id, |held| match held {
            Some(held) if held.at() > fact.at() => None,
            // Answers that arrived at the same instant (a coarse or paused
            // clock) cannot be ordered: "gone" wins, as it never answers
            // anything.
            Some(held @ CollectionFact::Gone { .. }) if held.at() == fact.at() => None,
            _ => Some(fact),
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
    pub(crate) fn known_resource(&self, resource: &Arc<str>) -> Option<ResourceId> {
        if let Ok(last) = self.last_resource.read() {
            if let Some((key, id)) = last.as_ref().filter(|(key, _)| Arc::ptr_eq(key, resource)) {
                debug_assert_eq!(**key, **resource);
                return Some(*id);
            }
        }
        let id = self.resources.lock().ok()?.get(resource).copied()?;
        if let Ok(mut last) = self.last_resource.write() {
            *last = Some((Arc::clone(resource), id));
        }
        Some(id)
    }

    pub(crate) fn learn_face(&self, resource: &Arc<str>, id: u128, fact: FaceFact) {
        if let Some(resource) = self.resource(resource) {
            self.faces.insert(resource, id, fact);
        }
    }

    /// Marks faceIds the shared facts did not hold, not to be asked again
    /// before `until`.
    #[cfg(feature = "redis")]
    pub(crate) fn note_unshared(&self, resource: &Arc<str>, ids: &[u128], until: Instant) {
        if let Some(resource) = self.resource(resource) {
            for id in ids {
                self.faces.note_unshared(resource, *id, until);
            }
        }
    }

    /// Whether a faceId is marked not held by the shared facts at `now`.
    #[cfg(feature = "redis")]
    pub(crate) fn unshared(&self, resource: ResourceId, id: u128, now: TableTime) -> bool {
        self.faces.unshared(resource, id, now)
    }

    /// `now` as the face table compares it.
    pub(crate) fn clock(&self, now: Instant) -> TableTime {
        self.faces.clock(now)
    }

    /// What a face of a known resource is at `now`, if its fact is held.
    pub(crate) fn face(&self, resource: ResourceId, id: u128, now: TableTime) -> Option<FaceState> {
        self.faces.state(resource, id, now)
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
            self.settle_collection(resource, kind, id, fact);
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
            self.settle_collection(resource, kind, id, CollectionFact::Gone { at });
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
        self.settle_with(resource, kind, id, |held| match (held, model) {
            (None, None) => None,
            (None, Some(model)) => Some(CollectionFact::Model {
                model,
                confirmed_at: earliest,
            }),
            // Gone may be the later news: nothing is trusted.
            (Some(held), None) if latest > held.at() => Some(gone),
            (Some(_), None) => None,
            (Some(held), Some(model)) if earliest > held.at() => Some(CollectionFact::Model {
                model,
                confirmed_at: earliest,
            }),
            (
                Some(CollectionFact::Model {
                    model: held,
                    confirmed_at,
                }),
                Some(model),
            ) if held != model && latest > confirmed_at => Some(gone),
            (Some(_), Some(_)) => None,
        });
    }

    /// The collection's model, if an answer confirmed it within the
    /// freshness bound before `now`.
    pub(crate) fn collection(
        &self,
        resource: ResourceId,
        kind: Collection,
        id: &str,
        now: Instant,
    ) -> Option<Model> {
        let fact = *self
            .collections
            .read()
            .ok()?
            .get(&(resource, kind))?
            .get(id)?;
        match fact {
            CollectionFact::Model {
                model,
                confirmed_at,
            } if now.saturating_duration_since(confirmed_at) < self.freshness() => Some(model),
            CollectionFact::Model { .. } | CollectionFact::Gone { .. } => None,
        }
    }

    /// faceIds held now, for the memory figures.
    pub(crate) fn face_count(&self) -> u64 {
        self.faces.len()
    }
}

/// Drops about `count` collection facts, those said longest ago first.
fn drop_oldest(collections: &mut Collections, count: usize) {
    let mut said: Vec<Instant> = collections
        .values()
        .flat_map(|ids| ids.values().map(|fact| fact.at()))
        .collect();
    if said.is_empty() {
        return;
    }
    let at = count.min(said.len() - 1);
    let (_, threshold, _) = said.select_nth_unstable(at);
    let threshold = *threshold;
    let mut to_drop = count;
    for ids in collections.values_mut() {
        ids.retain(|_, fact| {
            if to_drop > 0 && fact.at() <= threshold {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
    }
    collections.retain(|_, ids| !ids.is_empty());
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
    /// How many of `faces`, first, are faceIds whose expiry is answered
    /// "Face is not found." (identify's `faceIds`, the `faceId` of find
    /// similar and verify).
    pub(crate) probes: usize,
    /// Every faceId of the request (for the model comparison): the probes,
    /// then the candidates.
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

/// Which faceIds and collections a recognition body refers to, read from
/// the object the rules read (field names in any case; a field named twice
/// teaches nothing, though it counts as named).
pub(crate) fn references(refers: FaceReferences, body: &Object<'_>) -> References {
    let ids = |names: &[&str]| -> Vec<u128> {
        let mut ids = Vec::new();
        for name in names {
            match body.unique(name) {
                Ok(Some(Value::Str(id))) => ids.extend(face_key(id)),
                Ok(Some(Value::Array(items))) => items.guid_values(&mut ids),
                _ => {}
            }
        }
        ids
    };
    let named = |name: &&str| !matches!(body.unique(name), Ok(None));
    // Only the scope fields the operation reads: the service ignores the
    // others, so their models decide nothing.
    let face_to_face = refers.face_to_face.iter().any(named);
    let collections = SCOPES
        .iter()
        .filter(|(name, _)| !face_to_face && refers.collections.contains(name))
        .filter_map(|(name, kind)| match body.unique(name) {
            Ok(Some(Value::Str(id))) => Some((*kind, id.to_string())),
            _ => None,
        })
        .collect();
    let mut faces = ids(refers.probes);
    let probes = faces.len();
    faces.extend(ids(refers.candidates));
    // Find similar among faceIds searches no list.
    let names_candidates = refers.candidates.iter().any(named);
    let searches_collection = !face_to_face && !names_candidates && !refers.collections.is_empty();
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
    face: impl Fn(u128) -> Option<FaceState>,
    collection: impl Fn(Collection, &str) -> Option<Model>,
) -> Option<FaceApiError> {
    // The service looks up every face before it compares models: a face
    // not known here may be one it cannot find (its answer would be
    // another), and so may one past the instant it is certainly held. So
    // models are compared only when every face named is certainly alive.
    let mut certain = true;
    let mut models = Models::default();
    for (index, id) in references.faces.iter().enumerate() {
        let Some(fact) = face(*id) else {
            certain = false;
            continue;
        };
        // Where no answer is documented for a face the service cannot find
        // (group), an expired face is left to the service.
        if let (Some(expired), true) = (references.expired, index < references.probes) {
            if fact.expired {
                return Some(expired.into());
            }
        }
        certain &= fact.certainly_alive;
        models.note(fact.model);
    }
    if !certain {
        return None;
    }
    // Likewise the collection searched: one not known here may be missing
    // (or be a kind without a model, such as a dynamic person group).
    for (kind, id) in &references.collections {
        models.note(collection(*kind, id)?);
    }
    if references.searches_collection && references.collections.is_empty() {
        return None;
    }
    models
        .differ
        .then(|| catalogue::RECOGNITION_MODEL_INCOMPATIBLE.into())
}

/// The models of a request's faces and collections: whether two differ.
#[derive(Default)]
struct Models {
    first: Option<Model>,
    differ: bool,
}

impl Models {
    fn note(&mut self, model: Model) {
        match self.first {
            None => self.first = Some(model),
            Some(first) => self.differ |= first != model,
        }
    }
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
            assert!(store.known_resource(&resource).is_none());
            let now = Instant::now();
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
        assert_eq!(store.known_resource(&late), None);
        let _ = now;
    }

    #[test]
    fn of_two_answers_at_one_instant_gone_wins() {
        let store = Store::new(10);
        let resource: Arc<str> = "https://x".into();
        let group = Collection::PersonGroup;
        let at = Instant::now();
        let id = |store: &Store| store.known_resource(&resource).unwrap();
        store.learn_collection(&resource, group, "g", Model(4), at);
        store.forget_collection(&resource, group, "g", at);
        // A listing read late, its answer head from the same instant.
        store.learn_collection(&resource, group, "g", Model(4), at);
        assert_eq!(store.collection(id(&store), group, "g", at), None);
        let later = at + std::time::Duration::from_millis(1);
        store.learn_collection(&resource, group, "g", Model(4), later);
        assert_eq!(
            store.collection(id(&store), group, "g", later),
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
