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
    /// When the service forgets it, at the latest: the lifetime counted
    /// from when the detect answer was received.
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

/// The facts of one process.
pub(crate) struct Store {
    resources: std::sync::Mutex<std::collections::HashMap<Arc<str>, ResourceId>>,
    faces: Cache<FaceKey, FaceFact>,
    collections: Cache<CollectionKey, Model>,
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
        }
    }

    /// The number of a resource (a poisoned lock makes every resource
    /// unknown: `None`, so nothing is learned or judged).
    fn resource(&self, resource: &Arc<str>) -> Option<ResourceId> {
        let mut resources = self.resources.lock().ok()?;
        if let Some(id) = resources.get(resource) {
            return Some(*id);
        }
        let id = ResourceId::try_from(resources.len()).ok()?;
        resources.insert(Arc::clone(resource), id);
        Some(id)
    }

    pub(crate) fn learn_face(&self, resource: &Arc<str>, id: u128, fact: FaceFact) {
        if let Some(resource) = self.resource(resource) {
            self.faces.insert((resource, id), fact);
        }
    }

    pub(crate) fn face(&self, resource: &Arc<str>, id: u128) -> Option<FaceFact> {
        self.faces.get(&(self.resource(resource)?, id))
    }

    pub(crate) fn learn_collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
        model: Model,
    ) {
        if let Some(resource) = self.resource(resource) {
            self.collections.insert((resource, kind, id.into()), model);
        }
    }

    pub(crate) fn forget_collection(&self, resource: &Arc<str>, kind: Collection, id: &str) {
        if let Some(resource) = self.resource(resource) {
            self.collections.invalidate(&(resource, kind, id.into()));
        }
    }

    pub(crate) fn collection(
        &self,
        resource: &Arc<str>,
        kind: Collection,
        id: &str,
    ) -> Option<Model> {
        self.collections
            .get(&(self.resource(resource)?, kind, id.into()))
    }

    /// Entries held now (after pending evictions), for the memory figures.
    pub(crate) fn face_count(&self) -> u64 {
        self.faces.run_pending_tasks();
        self.faces.entry_count()
    }
}

/// A field of a JSON object, by name without regard to ASCII case.
pub(crate) fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .rev()
        .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_null())
        .map(|(_, value)| value)
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
}

/// Which faceIds and collections a recognition body refers to.
pub(crate) fn references(refers: FaceReferences, body: &Value) -> References {
    let ids = |names: &[&str]| -> Vec<u128> {
        let mut ids = Vec::new();
        for name in names {
            match field(body, name) {
                Some(Value::String(id)) => ids.extend(face_key(id)),
                Some(Value::Array(items)) => {
                    ids.extend(items.iter().filter_map(|id| id.as_str().and_then(face_key)))
                }
                _ => {}
            }
        }
        ids
    };
    let collections = SCOPES
        .iter()
        .filter_map(|(name, kind)| match field(body, name) {
            Some(Value::String(id)) => Some((*kind, id.clone())),
            _ => None,
        })
        .collect();
    let probes = ids(refers.probes);
    let faces = [probes.clone(), ids(refers.candidates)].concat();
    References {
        probes,
        faces,
        collections,
        expired: refers.expired,
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
    let mut models = known.iter().map(|(_, fact)| fact.model).chain(
        references
            .collections
            .iter()
            .filter_map(|(kind, id)| collection(*kind, id)),
    );
    let first = models.next()?;
    models
        .any(|model| model != first)
        .then(|| catalogue::RECOGNITION_MODEL_INCOMPATIBLE.into())
}

#[cfg(test)]
mod tests {
    use super::*;

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
