//! [`Facts`]: the judge that answers locally the stateful errors this
//! process can be certain of (feature `facts`), added to a layer with
//! [`PreflightLayer::facts`](crate::PreflightLayer::facts).
//!
//! The layer learns from the answers it sees: the faceIds of a detect
//! answer with their recognition model and their lifetime
//! (`faceIdTimeToLive` as the service documents it: held certainly until
//! the lifetime counted from the send, certainly gone past it counted from
//! the receipt); the recognition model of person
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
//! reject; models are compared only when every face named is certainly held
//! and the collection searched is known, and a collection's model is
//! trusted only for [`Facts::collection_freshness`] after an answer last
//! confirmed it (the whole rule: `docs/facts-and-pacing.md`). Facts are kept per resource (scheme, host and the layer's
//! [`path_prefix`](crate::PreflightLayer::path_prefix)), so two Face
//! resources never mix, and shared by a fleet through Redis with the `redis`
//! feature. In [`report_only`](crate::PreflightLayer::report_only) mode the
//! facts still learn, and what they would have answered is compared with
//! the service's answer like every other judge's.
//!
//! ```
//! use face_preflight::facts::Facts;
//! use face_preflight::PreflightLayer;
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let face = ServiceBuilder::new()
//!     .layer(PreflightLayer::new().facts(Facts::new()))
//!     .service(reqwest::Client::new());
//! # let _ = face;
//! # }
//! ```

mod faces;
mod judge;
#[cfg(feature = "redis")]
mod redis;
mod store;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "redis")]
pub use self::redis::RedisFacts;
use self::store::Store;

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
    /// Shared by every clone, so that [`Facts::redis`] reaches them all.
    redis: std::sync::RwLock<Option<Arc<RedisFacts>>>,
}

impl Knowledge {
    #[cfg(feature = "redis")]
    fn redis(&self) -> Option<Arc<RedisFacts>> {
        self.redis.read().ok()?.clone()
    }

    /// Whether the facts are shared through Redis (a verdict then waits to
    /// ask it).
    fn shares(&self) -> bool {
        #[cfg(feature = "redis")]
        {
            self.redis.read().is_ok_and(|redis| redis.is_some())
        }
        #[cfg(not(feature = "redis"))]
        {
            false
        }
    }
}

impl fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Knowledge").finish_non_exhaustive()
    }
}

/// The judge that learns facts from the Face answers it sees and answers
/// the certain stateful errors locally (see the [module docs](self)).
/// Clones share what they learned.
#[derive(Clone, Debug)]
pub struct Facts {
    knowledge: Arc<Knowledge>,
}

impl Default for Facts {
    fn default() -> Self {
        Self::new()
    }
}

impl Facts {
    /// A layer that keeps up to a million faceIds.
    pub fn new() -> Self {
        Self::with_capacity(1_000_000)
    }

    /// A layer that keeps up to `faces` faceIds. When full, facts an hour
    /// past their expiry go first, then those that expire soonest; a
    /// forgotten faceId is unknown, never rejected.
    pub fn with_capacity(faces: u64) -> Self {
        Self {
            knowledge: Arc::new(Knowledge {
                store: Store::new(faces),
                stats: FactsStats::default(),
                #[cfg(feature = "redis")]
                redis: std::sync::RwLock::new(None),
            }),
        }
    }

    /// Share the facts with every process that uses the same Redis server
    /// (feature `redis`). Without Redis, the local facts decide. Every
    /// clone of these facts (and every layer given one) uses it from now on.
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, facts: RedisFacts) -> Self {
        if let Ok(mut redis) = self.knowledge.redis.write() {
            *redis = Some(Arc::new(facts));
        }
        self
    }

    /// How long a collection's recognition model is trusted after an
    /// answer last confirmed it (60 s by default): any client holding the
    /// key may delete and re-create the collection with another model
    /// meanwhile, and within this bound a request may be answered from the
    /// old model. Shorter is safer; zero never answers from a collection.
    /// Every clone of these facts uses it from now on.
    #[must_use]
    pub fn collection_freshness(self, freshness: Duration) -> Self {
        self.knowledge.store.set_freshness(freshness);
        self
    }

    /// Waits until every fact learned so far has been written to Redis, or
    /// its writes given up (feature `redis`; at once without Redis). A
    /// process that is about to exit calls it so that the fleet keeps what
    /// it learned last; tests call it before another process reads.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let facts = face_preflight::facts::Facts::new();
    /// facts.flush().await;
    /// # }
    /// ```
    #[cfg(feature = "redis")]
    pub async fn flush(&self) {
        if let Some(redis) = self.knowledge.redis() {
            redis.flush().await;
        }
    }

    /// The counters of these facts and every clone of them.
    pub fn stats(&self) -> FactsStats {
        self.knowledge.stats.clone()
    }

    /// How many faceIds are held now.
    pub fn faces_held(&self) -> u64 {
        self.knowledge.store.face_count()
    }
}
