//! The isolate's cache of key lookups, so a request with a key seen recently makes
//! no D1 query. Keyed by the key's SHA-256 (never the raw key). An entry lives at most
//! `TTL_MS`, and never past the key's own end (a rotation's grace period). Revoking or
//! rotating a key evicts it here at once; other isolates drop it within the TTL.

use std::cell::RefCell;
use std::collections::HashMap;

/// How long another isolate may still accept a revoked key.
pub(crate) const TTL_MS: i64 = 30_000;
/// Past this many entries the expired go, then (if still full) all: memory stays bounded.
const MAX_ENTRIES: usize = 10_000;

/// The pure cache: the clock is passed in, so it is tested natively.
#[derive(Debug)]
pub(crate) struct KeyCache<V> {
    entries: HashMap<String, (V, i64)>,
    /// Bumped by every eviction: a lookup that began before one must not cache what it
    /// read (the row may predate the revocation).
    epoch: u64,
}

impl<V: Clone> KeyCache<V> {
    pub fn new() -> Self {
        KeyCache {
            entries: HashMap::new(),
            epoch: 0,
        }
    }

    /// Taken before a lookup in D1 and handed back to `put`.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The cached value for `hash`, unless it expired by `now`.
    pub fn get(&mut self, hash: &str, now: i64) -> Option<V> {
        match self.entries.get(hash) {
            Some((v, until)) if *until > now => Some(v.clone()),
            Some(_) => {
                self.entries.remove(hash);
                None
            }
            None => None,
        }
    }

    /// Caches `v` until `now + TTL_MS`, or the key's own end if sooner; nothing when an
    /// eviction happened since the lookup began (at `epoch`).
    pub fn put(&mut self, hash: &str, v: V, now: i64, key_ends_at: Option<i64>, epoch: u64) {
        let until = key_ends_at.map_or(now + TTL_MS, |e| e.min(now + TTL_MS));
        if until <= now || epoch != self.epoch {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, (_, u)| *u > now);
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
        }
        self.entries.insert(hash.to_string(), (v, until));
    }

    /// Drops every entry `matches` selects (the entries of one key id).
    pub fn evict(&mut self, matches: impl Fn(&V) -> bool) {
        self.epoch += 1;
        self.entries.retain(|_, (v, _)| !matches(v));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

thread_local! {
    static CACHE: RefCell<KeyCache<super::keys::Caller>> = RefCell::new(KeyCache::new());
}

pub(crate) fn get(hash: &str, now: i64) -> Option<super::keys::Caller> {
    CACHE.with(|c| c.borrow_mut().get(hash, now))
}

pub(crate) fn epoch() -> u64 {
    CACHE.with(|c| c.borrow().epoch())
}

pub(crate) fn put(
    hash: &str,
    caller: &super::keys::Caller,
    now: i64,
    ends_at: Option<i64>,
    epoch: u64,
) {
    CACHE.with(|c| {
        c.borrow_mut()
            .put(hash, caller.clone(), now, ends_at, epoch)
    });
}

/// Forgets key `key_id` in this isolate (revoked, or ending by a rotation).
pub(crate) fn evict_key(key_id: &str) {
    CACHE.with(|c| c.borrow_mut().evict(|v| v.key_id == key_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let mut c = KeyCache::new();
        c.put("h", 1, 1_000, None, 0);
        assert_eq!(c.get("h", 1_000), Some(1));
        assert_eq!(c.get("h", 1_000 + TTL_MS - 1), Some(1));
        assert_eq!(c.get("h", 1_000 + TTL_MS), None);
        assert_eq!(c.len(), 0, "an expired entry is dropped when met");
        assert_eq!(c.get("other", 1_000), None);
    }

    #[test]
    fn an_entry_never_outlives_its_key() {
        let mut c = KeyCache::new();
        c.put("h", 1, 1_000, Some(6_000), 0);
        assert_eq!(c.get("h", 5_999), Some(1));
        assert_eq!(c.get("h", 6_000), None);
        c.put("ended", 2, 1_000, Some(1_000), 0);
        assert_eq!(c.get("ended", 1_000), None);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn eviction_drops_only_the_matching_entries_at_once() {
        let mut c = KeyCache::new();
        c.put("a", "key_1", 0, None, 0);
        c.put("b", "key_2", 0, None, 0);
        c.evict(|v| *v == "key_1");
        assert_eq!(c.get("a", 1), None);
        assert_eq!(c.get("b", 1), Some("key_2"));
    }

    #[test]
    fn a_lookup_overtaken_by_an_eviction_caches_nothing() {
        let mut c = KeyCache::new();
        let began = c.epoch();
        c.evict(|v: &&str| *v == "key_1"); // revoked while the lookup was in D1
        c.put("a", "key_1", 0, None, began);
        assert_eq!(c.get("a", 1), None);
        c.put("a", "key_1", 0, None, c.epoch());
        assert_eq!(c.get("a", 1), Some("key_1"));
    }

    #[test]
    fn memory_stays_bounded() {
        let mut c = KeyCache::new();
        for i in 0..MAX_ENTRIES + 5 {
            c.put(&i.to_string(), i, 0, None, 0);
        }
        assert!(c.len() <= MAX_ENTRIES);
        // Expired entries go first when full.
        let mut c = KeyCache::new();
        for i in 0..MAX_ENTRIES {
            c.put(&i.to_string(), i, 0, Some(10), 0);
        }
        c.put("fresh", 1, 20, None, 0);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("fresh", 21), Some(1));
    }
}
