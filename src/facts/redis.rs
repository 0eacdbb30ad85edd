//! Facts shared by a fleet through Redis: a faceId learned by one process
//! is judged correctly in every other, and a delete or re-create one
//! process saw reaches every other before it answers from an older fact.
//!
//! A faceId is stored as `model:deadline:held-until` (Unix ms on the
//! writer's wall clock) under a key that Redis expires an hour after the
//! deadline; a reader judges both ends with a minute of margin for the
//! clocks of different machines, each on the safe side. A collection is
//! stored as `model:stamp` (model 0: gone), the stamp being the instant an
//! answer said so on the Redis server's own clock (`TIME`, in the scripts
//! below), so every process measures the collection freshness bound on one
//! clock; a write older than what is held is dropped there, so a late
//! answer never overwrites a newer one. Any read takes every collection the
//! request names, and a local answer that rests on a collection reads them
//! first (one round trip). A faceId Redis did not hold is not asked for
//! again for [`UNSHARED_HOLD`] (a face detected outside the fleet would
//! otherwise cost a round trip on every request that names it). Writes go out in the background, collection
//! writes tried again past the link's cool-down; reads are bounded by the
//! link's timeout, and a Redis that cannot answer leaves the local facts to
//! decide (`redis_link.rs`). Values that do not parse are ignored.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::store::{FaceFact, Model, References, Store, GRACE};
use crate::redis_link::Link;
use crate::router::Collection;

/// Margin for the clocks of two machines when judging a shared deadline.
const CLOCK_MARGIN: Duration = Duration::from_secs(60);
/// How long a faceId that Redis did not hold is not asked for again: a fact
/// shared meanwhile is missed for that long (the face is unknown here, so
/// its requests pass), never misread. Without it every request naming a
/// face detected outside the fleet would cost a round trip.
const UNSHARED_HOLD: Duration = Duration::from_secs(10);
/// How long a shared collection model is kept.
const COLLECTION_TTL: Duration = Duration::from_secs(30 * 86_400);
/// The pauses before each try of a collection write: at once, then past the
/// link's one-second cool-down, then once more.
const WRITE_RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(1_100),
    Duration::from_millis(3_000),
];

/// The background writes not yet made or given up.
#[derive(Default)]
struct Pending {
    count: AtomicUsize,
    idle: Notify,
}

/// Counts one background write while it lives.
struct PendingGuard(Arc<Pending>);

impl PendingGuard {
    fn new(pending: &Arc<Pending>) -> Self {
        pending.count.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(pending))
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Stores `ARGV[1]` (a model number, or 0: gone) stamped with the server's
/// time less `ARGV[2]` ms (the age of the answer when the write was sent),
/// unless the key holds a later stamp; `ARGV[3]`: the key's lifetime, ms.
const SHARE_COLLECTION: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = now - tonumber(ARGV[2])
local held = redis.call('GET', KEYS[1])
if held then
  local held_at = tonumber(string.match(held, ':(%d+)$'))
  if held_at and held_at > at then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. at, 'PX', ARGV[3])
return 1
";

/// How far an age read from two stamps cut to whole milliseconds (the
/// write's and the read's) may be from the true one.
const STAMP_GRAIN: Duration = Duration::from_millis(2);

/// The server's time in ms, then the values of `KEYS`.
const READ: &str = r"
local t = redis.call('TIME')
local values = redis.call('MGET', unpack(KEYS))
table.insert(values, 1, tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return values
";

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
    share_collection: redis::Script,
    read: redis::Script,
    pending: Arc<Pending>,
}

impl std::fmt::Debug for RedisFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFacts")
            .field("server", &self.link.server())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A model number as written by [`RedisFacts`]; anything else is ignored.
fn parse_model(text: &str) -> Option<Model> {
    match text.parse::<u8>() {
        Ok(number @ 1..=4) => Some(Model(number)),
        _ => None,
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl RedisFacts {
    /// Facts in the Redis server at `url`; nothing is connected until used.
    /// With the `redis-tls` feature a `rediss://` URL speaks TLS and trusts
    /// the system's root certificates (or those `SSL_CERT_FILE` names).
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self::on(Link::open(url)?))
    }

    /// Facts in the Redis server at a `rediss://` URL whose certificate
    /// chains to one in `ca` (PEM): a Redis behind a private CA.
    ///
    /// ```no_run
    /// use face_preflight::facts::RedisFacts;
    ///
    /// let ca = std::fs::read("/etc/redis/ca.pem")?;
    /// let facts = RedisFacts::open_with_ca("rediss://:password@redis.internal:6380", &ca)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "redis-tls")]
    pub fn open_with_ca(url: &str, ca: &[u8]) -> Result<Self, redis::RedisError> {
        Ok(Self::on(Link::open_with_ca(url, ca)?))
    }

    fn on(link: Link) -> Self {
        Self {
            link: Arc::new(link),
            prefix: "face-preflight:facts".to_owned(),
            share_collection: redis::Script::new(SHARE_COLLECTION),
            read: redis::Script::new(READ),
            pending: Arc::default(),
        }
    }

    /// How long a Redis call may take (50 ms by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Some(link) = Arc::get_mut(&mut self.link) {
            link.timeout = timeout;
        }
        self
    }

    /// How long Redis is left alone after a call failed or timed out (1 s
    /// by default): the reconnect back-off. The first lookup after it tries
    /// one fresh connection.
    #[must_use]
    pub fn cool_down(mut self, cool_down: Duration) -> Self {
        if let Some(link) = Arc::get_mut(&mut self.link) {
            link.cool_down = cool_down;
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
            let pending = PendingGuard::new(&self.pending);
            let write = write(Arc::clone(&self.link));
            runtime.spawn(async move {
                write.await;
                drop(pending);
            });
        }
    }

    /// Waits until every write started before this call has been made or
    /// given up.
    pub(crate) async fn flush(&self) {
        let pending = &self.pending;
        loop {
            let mut idle = std::pin::pin!(pending.idle.notified());
            idle.as_mut().enable();
            if pending.count.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }

    pub(crate) fn share_face(&self, resource: &str, id: u128, fact: FaceFact) {
        let now = Instant::now();
        let left = fact.expires_at.saturating_duration_since(now);
        let deadline = unix_millis(SystemTime::now() + left);
        let alive =
            unix_millis(SystemTime::now() + fact.alive_until.saturating_duration_since(now));
        let value = format!("{}:{deadline}:{alive}", fact.model.0);
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

    /// Shares a collection's model, or (`None`) that it is gone, as an
    /// answer that arrived at `at` said.
    pub(crate) fn share_collection(
        &self,
        resource: &str,
        kind: Collection,
        id: &str,
        model: Option<Model>,
        at: Instant,
    ) {
        let key = self.collection_key(resource, kind, id);
        let script = self.share_collection.clone();
        self.spawn(move |link| async move {
            // A lost write leaves the others with an older fact, which they
            // trust only within the freshness bound after it was confirmed;
            // a retry after the link's cool-down makes that rarer.
            for pause in WRITE_RETRIES {
                tokio::time::sleep(pause).await;
                // The age is taken at each try: the stamp stays the
                // instant the answer arrived.
                let age = u64::try_from(at.elapsed().as_millis()).unwrap_or(u64::MAX);
                let written = link
                    .run(|mut connection| {
                        let script = script.clone();
                        let key = key.clone();
                        async move {
                            script
                                .key(key)
                                .arg(model.map_or(0, |model| model.0))
                                .arg(age)
                                .arg(COLLECTION_TTL.as_millis() as u64)
                                .invoke_async::<i64>(&mut connection)
                                .await
                        }
                    })
                    .await;
                if written.is_some() {
                    return;
                }
            }
        });
    }

    /// Merges into `store` what Redis knows of the faces `references` names
    /// and `store` does not, and of every collection it names: whenever
    /// Redis is read, an answer may come to rest on a collection, and a
    /// delete or re-create another process saw must reach this one before
    /// it answers from its own older fact. Redis is read when a face or a
    /// collection is unknown here, or with `confirm` (an answer already
    /// rests on a collection). Returns whether Redis answered.
    pub(crate) async fn fill(
        &self,
        store: &Store,
        resource: &Arc<str>,
        references: &References,
        confirm: bool,
    ) -> bool {
        let known = store.known_resource(resource);
        let now = Instant::now();
        let clock = store.clock(now);
        // faceIds neither known here nor asked lately.
        let faces: Vec<u128> = references
            .faces
            .iter()
            .copied()
            .filter(|id| {
                known.is_none_or(|r| {
                    store.face(r, *id, clock).is_none() && !store.unshared(r, *id, clock)
                })
            })
            .collect();
        let unknown_collection = references.collections.iter().any(|(kind, id)| {
            known
                .and_then(|r| store.collection(r, *kind, id, now))
                .is_none()
        });
        if faces.is_empty() && !unknown_collection && !confirm {
            return false;
        }
        let collections = &references.collections;
        let keys: Vec<String> = faces
            .iter()
            .map(|id| self.face_key(resource, *id))
            .chain(
                collections
                    .iter()
                    .map(|(kind, id)| self.collection_key(resource, *kind, id)),
            )
            .collect();
        let mut invocation = self.read.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        let Some(reply) = self
            .link
            .run(|mut connection| async move {
                invocation
                    .invoke_async::<Vec<Option<String>>>(&mut connection)
                    .await
            })
            .await
        else {
            return false;
        };
        let Some((Some(server_now), values)) = reply.split_first() else {
            return false;
        };
        let Ok(server_now) = server_now.parse::<u64>() else {
            return false;
        };
        let now_unix = unix_millis(SystemTime::now());
        let now = Instant::now();
        let mut unshared = Vec::new();
        for (id, value) in faces.iter().zip(values) {
            if value.is_none() {
                unshared.push(*id);
            }
            let mut parts = value.as_deref().unwrap_or_default().split(':');
            let (Some(model), Some(Ok(deadline)), Some(Ok(alive)), None) = (
                parts.next().and_then(parse_model),
                parts.next().map(str::parse::<u64>),
                parts.next().map(str::parse::<u64>),
                parts.next(),
            ) else {
                continue;
            };
            // Judged with the clocks' margin on the safe side of each.
            let left = Duration::from_millis(deadline.saturating_sub(now_unix));
            let held = Duration::from_millis(alive.saturating_sub(now_unix));
            let fact = FaceFact {
                alive_until: now + held.saturating_sub(CLOCK_MARGIN),
                expires_at: now + left + CLOCK_MARGIN,
                model,
            };
            store.learn_face(resource, *id, fact);
        }
        store.note_unshared(resource, &unshared, now + UNSHARED_HOLD);
        let collection_values = values.get(faces.len()..).unwrap_or_default();
        for ((kind, id), value) in collections
            .iter()
            .map(|c| (c.0, &c.1))
            .zip(collection_values)
        {
            let Some((model, at)) = value.as_deref().and_then(|v| v.split_once(':')) else {
                continue;
            };
            let Ok(at) = at.parse::<u64>() else {
                continue;
            };
            let model = match (model, parse_model(model)) {
                ("0", _) => None,
                (_, Some(model)) => Some(model),
                (_, None) => continue,
            };
            // The age on the server's clock, give or take the whole
            // milliseconds the stamps are cut to; the delays of the write
            // and of this read (each within the timeout) may hide in it.
            let age = Duration::from_millis(server_now.saturating_sub(at));
            let least = age.saturating_sub(STAMP_GRAIN);
            let most = age + STAMP_GRAIN + self.link.timeout.saturating_mul(2);
            let (Some(earliest), Some(latest)) = (now.checked_sub(most), now.checked_sub(least))
            else {
                continue;
            };
            store.merge_shared_collection(resource, kind, id, model, earliest, latest);
        }
        true
    }
}
