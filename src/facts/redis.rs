//! Facts shared by a fleet through Redis: a faceId learned by one process
//! is judged correctly in every other.
//!
//! A faceId is stored with its recognition model and its deadline on the
//! wall clock, under a key that Redis expires an hour after that deadline;
//! a collection with its model. Facts read from Redis are judged with a
//! minute of margin for the clocks of different machines. Writes go out in
//! the background; reads are bounded by the link's timeout, and a Redis
//! that cannot answer leaves the local facts to decide (`redis_link.rs`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::store::{FaceFact, Model, References, Store, GRACE};
use crate::redis_link::Link;
use crate::router::Collection;

/// Margin for the clocks of two machines when judging a shared deadline.
const CLOCK_MARGIN: Duration = Duration::from_secs(60);
/// How long a shared collection model is kept.
const COLLECTION_TTL: Duration = Duration::from_secs(30 * 86_400);

/// Learned facts in a Redis server, shared by every process that uses it.
///
/// ```no_run
/// use face_preflight::facts::{Facts, RedisFacts};
/// use face_preflight::PreflightLayer;
///
/// let facts = Facts::new().redis(RedisFacts::open("redis://127.0.0.1:6379")?);
/// let layer = PreflightLayer::new().facts(facts);
/// # Ok::<(), redis::RedisError>(())
/// ```
pub struct RedisFacts {
    link: Arc<Link>,
    prefix: String,
}

impl std::fmt::Debug for RedisFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFacts")
            .field("server", &self.link.server())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl RedisFacts {
    /// Facts in the Redis server at `url`; nothing is connected until used.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            link: Arc::new(Link::open(url)?),
            prefix: "face-preflight:facts".to_owned(),
        })
    }

    /// How long a Redis call may take (50 ms by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Some(link) = Arc::get_mut(&mut self.link) {
            link.timeout = timeout;
        }
        self
    }

    /// The prefix of the keys (`face-preflight:facts` by default).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn face_key(&self, resource: &str, id: u128) -> String {
        format!("{}:{resource}:face:{id:032x}", self.prefix)
    }

    fn collection_key(&self, resource: &str, kind: Collection, id: &str) -> String {
        format!("{}:{resource}:{kind:?}:{id}", self.prefix)
    }

    /// Runs `write` in the background, if there is a runtime to run it.
    fn spawn<F>(&self, write: impl FnOnce(Arc<Link>) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(write(Arc::clone(&self.link)));
        }
    }

    pub(crate) fn share_face(&self, resource: &str, id: u128, fact: FaceFact) {
        let left = fact.expires_at.saturating_duration_since(Instant::now());
        let deadline = unix_millis(SystemTime::now() + left);
        let value = format!("{}:{deadline}", fact.model.0);
        let ttl = u64::try_from((left + GRACE).as_millis()).unwrap_or(u64::MAX);
        let key = self.face_key(resource, id);
        self.spawn(move |link| async move {
            link.run(|mut connection| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(ttl)
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await;
        });
    }

    /// Shares a collection's model, or (`None`) that it is gone.
    pub(crate) fn share_collection(
        &self,
        resource: &str,
        kind: Collection,
        id: &str,
        model: Option<Model>,
    ) {
        let key = self.collection_key(resource, kind, id);
        self.spawn(move |link| async move {
            link.run(|mut connection| async move {
                match model {
                    Some(model) => {
                        redis::cmd("SET")
                            .arg(key)
                            .arg(model.0)
                            .arg("PX")
                            .arg(COLLECTION_TTL.as_millis() as u64)
                            .query_async::<()>(&mut connection)
                            .await
                    }
                    None => {
                        redis::cmd("DEL")
                            .arg(key)
                            .query_async::<()>(&mut connection)
                            .await
                    }
                }
            })
            .await;
        });
    }

    /// Copies into `store` what Redis knows of the faces and collections
    /// `references` names and `store` does not.
    pub(crate) async fn fill(&self, store: &Store, resource: &Arc<str>, references: &References) {
        let faces: Vec<u128> = references
            .faces
            .iter()
            .copied()
            .filter(|id| store.face(resource, *id).is_none())
            .collect();
        let collections: Vec<&(Collection, String)> = references
            .collections
            .iter()
            .filter(|(kind, id)| store.collection(resource, *kind, id).is_none())
            .collect();
        if faces.is_empty() && collections.is_empty() {
            return;
        }
        let keys: Vec<String> = faces
            .iter()
            .map(|id| self.face_key(resource, *id))
            .chain(
                collections
                    .iter()
                    .map(|(kind, id)| self.collection_key(resource, *kind, id)),
            )
            .collect();
        let Some(values) = self
            .link
            .run(|mut connection| async move {
                redis::cmd("MGET")
                    .arg(keys)
                    .query_async::<Vec<Option<String>>>(&mut connection)
                    .await
            })
            .await
        else {
            return;
        };
        let now_unix = unix_millis(SystemTime::now());
        let now = Instant::now();
        for (id, value) in faces.iter().zip(&values) {
            let Some((model, deadline)) = value.as_deref().and_then(|v| v.split_once(':')) else {
                continue;
            };
            let (Ok(model), Ok(deadline)) = (model.parse::<u8>(), deadline.parse::<u64>()) else {
                continue;
            };
            let left = Duration::from_millis(deadline.saturating_sub(now_unix));
            let fact = FaceFact {
                expires_at: now + left + CLOCK_MARGIN,
                model: Model(model),
            };
            store.learn_face(resource, *id, fact);
        }
        let collection_values = values.get(faces.len()..).unwrap_or_default();
        for ((kind, id), value) in collections
            .iter()
            .map(|c| (c.0, &c.1))
            .zip(collection_values)
        {
            if let Some(model) = value.as_deref().and_then(|v| v.parse::<u8>().ok()) {
                store.learn_collection(resource, kind, id, Model(model));
            }
        }
    }
}
