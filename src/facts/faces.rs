//! The faceIds this process knows, in a compact table: the 16-byte GUID is
//! the key, and its resource, recognition model and two deadlines are
//! packed into 8 bytes, so a fact costs 24 bytes in a hash table (under
//! 64 bytes a faceId with the table's slack, where a general-purpose
//! cache with per-entry timers and an eviction policy costs ~300).
//!
//! Deadlines are rounded on the safe side: "certainly held until" earlier,
//! "certainly gone from" later, so a rounded fact answers less, never more.
//! When the table is full, the shard a new fact goes to first drops the
//! facts an hour past their expiry (their answer would still be right, but
//! they are the least useful), or else the eighth of its facts that expire
//! soonest. Dropping a fact makes the face
//! unknown again, and an unknown face is never a reason to reject.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::store::{FaceFact, FaceState, Model, ResourceId, GRACE};

/// Shards, each behind its own lock, so that threads judging at once
/// rarely wait for one another.
const SHARDS: usize = 32;

/// The unit of the packed expiry: 1/16 s, so that 33 bits span 17 years
/// of a process's life.
const TICK_NANOS: u64 = 62_500_000;
const EXPIRY_BITS: u32 = 33;
/// How long before its expiry a face was certainly still held is packed in
/// units of 4 ms (16 bits span 262 s: a round trip plus the clock margins
/// of facts read from Redis); this value (past that, such as a lifetime
/// the service may read its own way) means never certainly.
const NEVER_CERTAIN: u64 = 0xFFFF;
const MARGIN_UNIT_NANOS: u64 = 4_000_000;
const RESOURCE_BITS: u32 = 12;

/// `(model 3 bits | resource 12 | certainty margin 16 | expiry 33)`;
/// model 0 marks a faceId the shared facts did not hold when asked, not
/// to be asked again before the expiry.
const UNSHARED: u8 = 0;

/// The packed fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed(u64);

impl Packed {
    fn model(self) -> Model {
        Model((self.0 & 0b111) as u8)
    }
    fn resource(self) -> ResourceId {
        ((self.0 >> 3) & ((1 << RESOURCE_BITS) - 1)) as ResourceId
    }
    fn margin_units(self) -> u64 {
        (self.0 >> 15) & 0xFFFF
    }
    fn expiry_ticks(self) -> u64 {
        self.0 >> 31
    }
}

/// An instant as nanoseconds since the table's base.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TableTime(u64);

/// One shard: faceId (as two words, so an entry is 24 bytes) → fact.
type Shard = HashMap<(u64, u64), Packed, Seeded>;

/// The table of one process.
pub(crate) struct FaceTable {
    shards: [Mutex<Shard>; SHARDS],
    /// The most facts held.
    capacity: usize,
    /// Facts held now, in every shard.
    held: AtomicUsize,
    /// The instant deadlines are counted from.
    base: Instant,
    hasher: Seeded,
}

impl FaceTable {
    /// A table for up to `capacity` facts.
    pub(crate) fn new(capacity: u64) -> Self {
        let hasher = Seeded::random();
        Self {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::with_hasher(hasher))),
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX).max(1),
            held: AtomicUsize::new(0),
            base: Instant::now(),
            hasher,
        }
    }

    fn shard(&self, key: (u64, u64)) -> &Mutex<Shard> {
        // Bits the shard's own table does not use for its buckets (the low
        // ones) or its tags (the top seven).
        &self.shards[(self.hasher.hash_one(key) >> 32) as usize % SHARDS]
    }

    /// Keeps `fact` of face `id` of `resource`. A resource number that does
    /// not fit, or a deadline past what the table spans, is not kept.
    pub(crate) fn insert(&self, resource: ResourceId, id: u128, fact: FaceFact) {
        let Some(packed) = self.pack(resource, fact) else {
            return;
        };
        let key = split(id);
        let Ok(mut shard) = self.shard(key).lock() else {
            return;
        };
        let full = self.held.load(Ordering::Relaxed) >= self.capacity;
        if full && !shard.contains_key(&key) {
            let before = shard.len();
            self.make_room(&mut shard);
            self.held.fetch_sub(before - shard.len(), Ordering::Relaxed);
        }
        // A faceId of two resources (never seen from the service: GUIDs are
        // unique) keeps the later: the earlier becomes unknown.
        if shard.insert(key, packed).is_none() {
            self.held.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The fact of face `id` of `resource`, if held.
    #[cfg(test)]
    fn get(&self, resource: ResourceId, id: u128) -> Option<FaceFact> {
        let key = split(id);
        let packed = *self.shard(key).lock().ok()?.get(&key)?;
        (packed.resource() == resource).then(|| self.unpack(packed))
    }

    /// `now` in the table's own units: facts are compared with it without
    /// making instants.
    pub(crate) fn clock(&self, now: Instant) -> TableTime {
        let since = now.saturating_duration_since(self.base);
        TableTime(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Marks face `id` of `resource` as not held by the shared facts until
    /// `until`, unless a fact of it is held.
    #[cfg(feature = "redis")]
    pub(crate) fn note_unshared(&self, resource: ResourceId, id: u128, until: Instant) {
        let key = split(id);
        let held = self
            .shard(key)
            .lock()
            .ok()
            .and_then(|shard| shard.get(&key).copied());
        if held.is_some_and(|held| held.resource() == resource && held.model().0 != UNSHARED) {
            return;
        }
        let marker = FaceFact {
            alive_until: self.base,
            expires_at: until,
            model: Model(UNSHARED),
        };
        self.insert(resource, id, marker);
    }

    /// Whether face `id` of `resource` is marked not shared at `now`.
    #[cfg(feature = "redis")]
    pub(crate) fn unshared(&self, resource: ResourceId, id: u128, now: TableTime) -> bool {
        let key = split(id);
        let Some(packed) = self
            .shard(key)
            .lock()
            .ok()
            .and_then(|shard| shard.get(&key).copied())
        else {
            return false;
        };
        packed.resource() == resource
            && packed.model().0 == UNSHARED
            && now.0 < packed.expiry_ticks() * TICK_NANOS
    }

    /// What face `id` of `resource` is at `now`, if its fact is held.
    pub(crate) fn state(
        &self,
        resource: ResourceId,
        id: u128,
        now: TableTime,
    ) -> Option<FaceState> {
        let key = split(id);
        let packed = *self.shard(key).lock().ok()?.get(&key)?;
        if packed.resource() != resource || packed.model().0 == UNSHARED {
            return None;
        }
        let now = now.0;
        let expiry = packed.expiry_ticks() * TICK_NANOS;
        let certainly_alive = match packed.margin_units() {
            NEVER_CERTAIN => false,
            units => now < expiry.saturating_sub(units * MARGIN_UNIT_NANOS),
        };
        Some(FaceState {
            expired: now >= expiry,
            certainly_alive,
            model: packed.model(),
        })
    }

    /// Facts held now.
    pub(crate) fn len(&self) -> u64 {
        self.held.load(Ordering::Relaxed) as u64
    }

    /// Drops from a shard of a full table the facts an hour past their
    /// expiry, or else the eighth of the shard that expires soonest.
    fn make_room(&self, shard: &mut Shard) {
        let now = Instant::now();
        let before = shard.len();
        shard.retain(|_, packed| self.expiry(*packed) + GRACE > now);
        if shard.len() < before {
            return;
        }
        let mut expiries: Vec<u64> = shard.values().map(|p| p.expiry_ticks()).collect();
        let mut to_drop = (expiries.len() / 8).max(1);
        let at = to_drop.min(expiries.len().saturating_sub(1));
        let (_, threshold, _) = expiries.select_nth_unstable(at);
        let threshold = *threshold;
        shard.retain(|_, packed| {
            if to_drop > 0 && packed.expiry_ticks() <= threshold {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
    }

    fn expiry(&self, packed: Packed) -> Instant {
        // Below 2^33 ticks: the nanoseconds fit in 49 bits.
        self.base + Duration::from_nanos(packed.expiry_ticks() * TICK_NANOS)
    }

    fn pack(&self, resource: ResourceId, fact: FaceFact) -> Option<Packed> {
        if resource >= 1 << RESOURCE_BITS {
            return None;
        }
        // Rounded up: certainly gone a little later than said.
        let since = fact.expires_at.saturating_duration_since(self.base);
        let ticks = since.as_nanos().div_ceil(u128::from(TICK_NANOS));
        let ticks = u64::try_from(ticks)
            .ok()
            .filter(|t| *t < 1 << EXPIRY_BITS)?;
        let packed = Packed(ticks << 31);
        // Rounded up: certainly held until a little earlier than said.
        let margin = self
            .expiry(packed)
            .saturating_duration_since(fact.alive_until)
            .as_nanos()
            .div_ceil(u128::from(MARGIN_UNIT_NANOS));
        let margin = u64::try_from(margin).map_or(NEVER_CERTAIN, |m| m.min(NEVER_CERTAIN));
        let margin = if fact.alive_until <= self.base {
            NEVER_CERTAIN
        } else {
            margin
        };
        Some(Packed(
            packed.0
                | (margin << 15)
                | (u64::from(resource) << 3)
                | u64::from(fact.model.0 & 0b111),
        ))
    }

    #[cfg(test)]
    fn unpack(&self, packed: Packed) -> FaceFact {
        let expires_at = self.expiry(packed);
        let alive_until = match packed.margin_units() {
            NEVER_CERTAIN => self.base,
            units => expires_at
                .checked_sub(Duration::from_millis(units * 4))
                .unwrap_or(self.base),
        };
        FaceFact {
            alive_until,
            expires_at,
            model: packed.model(),
        }
    }
}

fn split(id: u128) -> (u64, u64) {
    ((id >> 64) as u64, id as u64)
}

/// A keyed multiply-fold hash: faceIds are random GUIDs, so a fast mix
/// suffices; the per-process key keeps a client from choosing collisions.
#[derive(Clone, Copy)]
struct Seeded(u64);

impl Seeded {
    fn random() -> Self {
        Self(std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1)
    }
}

impl BuildHasher for Seeded {
    type Hasher = Folding;
    fn build_hasher(&self) -> Folding {
        Folding(self.0)
    }
}

struct Folding(u64);

fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for Folding {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let word = chunk
                .iter()
                .rev()
                .fold(0u64, |word, byte| word << 8 | u64::from(*byte));
            self.write_u64(word);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = fold(self.0 ^ value, 0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        fold(self.0, 0xA076_1D64_78BD_642F)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(table: &FaceTable, alive: u64, expires: u64, model: u8) -> FaceFact {
        FaceFact {
            alive_until: table.base + Duration::from_millis(alive),
            expires_at: table.base + Duration::from_millis(expires),
            model: Model(model),
        }
    }

    #[test]
    fn deadlines_round_to_the_safe_side() {
        let table = FaceTable::new(100);
        let learned = fact(&table, 60_010, 60_030, 4);
        table.insert(3, 7, learned);
        let held = table.get(3, 7).unwrap();
        assert_eq!(held.model, Model(4));
        assert!(held.expires_at >= learned.expires_at);
        assert!(held.expires_at < learned.expires_at + Duration::from_nanos(TICK_NANOS));
        assert!(held.alive_until <= learned.alive_until);
        assert!(held.alive_until + Duration::from_millis(4) > learned.alive_until);
        let state = |at: u64| {
            let now = table.clock(table.base + Duration::from_millis(at));
            table.state(3, 7, now).unwrap()
        };
        assert!(state(60_000).certainly_alive && !state(60_000).expired);
        assert!(!state(60_010).certainly_alive && !state(60_010).expired);
        assert!(state(60_063).expired);
        assert!(table.state(4, 7, table.clock(table.base)).is_none());
        // Another resource does not see it.
        assert!(table.get(4, 7).is_none());
        // A lifetime never certainly held stays so.
        table.insert(3, 8, fact(&table, 0, 86_400_000, 1));
        assert_eq!(table.get(3, 8).unwrap().alive_until, table.base);
        table.insert(3, 9, fact(&table, 1_000, 300_000, 1));
        assert_eq!(table.get(3, 9).unwrap().alive_until, table.base);
        // A fact read from Redis: held until two minutes before its expiry.
        table.insert(3, 10, fact(&table, 86_280_000, 86_400_000, 2));
        let held = table.get(3, 10).unwrap();
        assert!(
            held.alive_until + Duration::from_millis(70)
                > table.base + Duration::from_millis(86_280_000)
        );
    }

    #[test]
    fn a_full_table_drops_the_soonest_to_expire_and_stays_bounded() {
        let table = FaceTable::new(SHARDS as u64 * 16);
        for i in 0..SHARDS as u128 * 16 {
            table.insert(
                0,
                i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
                fact(&table, 1, 1_000_000, 1),
            );
        }
        assert_eq!(
            table.len(),
            SHARDS as u64 * 16,
            "nothing dropped before the table is full"
        );
        for i in 0..10_000u128 {
            let expires = 1_000_000 + (i as u64 % 997) * 1000;
            table.insert(
                0,
                i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
                fact(&table, 1, expires, 1),
            );
        }
        assert!(table.len() <= SHARDS as u64 * 16, "{}", table.len());
        assert!(table.len() >= SHARDS as u64 * 14, "{}", table.len());
    }

    #[cfg(feature = "redis")]
    #[test]
    fn an_unshared_mark_is_never_a_fact_and_never_hides_one() {
        let table = FaceTable::new(100);
        let now = table.clock(table.base);
        table.note_unshared(1, 5, table.base + Duration::from_secs(10));
        assert!(table.unshared(1, 5, now));
        assert!(!table.unshared(2, 5, now));
        assert!(table.state(1, 5, now).is_none());
        assert!(!table.unshared(1, 5, table.clock(table.base + Duration::from_secs(11))));
        // A fact learned later replaces the mark; a mark never replaces a fact.
        table.insert(1, 5, fact(&table, 60_000, 60_000, 2));
        assert!(!table.unshared(1, 5, now));
        table.note_unshared(1, 5, table.base + Duration::from_secs(10));
        assert_eq!(table.state(1, 5, now).unwrap().model, Model(2));
    }

    #[test]
    fn resources_past_the_packed_range_are_not_kept() {
        let table = FaceTable::new(10);
        table.insert(1 << RESOURCE_BITS, 1, fact(&table, 1, 2, 1));
        assert_eq!(table.len(), 0);
    }
}
