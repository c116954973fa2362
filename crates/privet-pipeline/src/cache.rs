//! Per-thread caches for the transforms' lookups that repeat from event to event: GeoIP places, parsed user
//! agents, reduced URLs.
//!
//! What they hold is a pure function of the key (the same address in the same database gives the same place),
//! so each thread keeping its own copy changes nothing but speed: a lookup touches only the calling thread's map,
//! with no lock and no shared counter. That matters because every atomic read-modify-write (taking a mutex,
//! cloning an `Arc`) costs about 10 ns on the machines we measure, and a shared cache makes two or four of them
//! per lookup, several lookups per event. Each thread's map holds at most `limit` entries and is emptied when
//! full. Events are minimised on the server's worker threads (one per core), so the memory is `limit` entries
//! per core.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::hash::Hash;

use hashbrown::HashMap;
use thread_local::ThreadLocal;

/// A bounded map per thread.
pub struct LocalCache<K: Send, V: Send> {
    limit: usize,
    maps: ThreadLocal<RefCell<HashMap<K, V>>>,
}

impl<K: Eq + Hash + Send, V: Clone + Send> LocalCache<K, V> {
    /// A cache of at most `limit` entries per thread.
    pub fn new(limit: usize) -> Self {
        LocalCache {
            limit,
            maps: ThreadLocal::new(),
        }
    }

    /// This thread's copy of the value cached for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.maps.get()?.borrow().get(key).cloned()
    }

    /// Caches `value` for `key` on this thread (emptying the map first when it is full).
    pub fn insert(&self, key: K, value: V) {
        let mut map = self.maps.get_or_default().borrow_mut();
        if map.len() >= self.limit {
            map.clear();
        }
        map.insert(key, value);
    }

    /// How many entries this thread's map holds.
    pub fn len(&self) -> usize {
        self.maps.get().map_or(0, |map| map.borrow().len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_has_its_own_bounded_map() {
        let cache: LocalCache<String, u32> = LocalCache::new(2);
        assert_eq!(cache.get("a"), None);
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(
            (cache.get("a"), cache.get("b"), cache.len()),
            (Some(1), Some(2), 2)
        );
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(cache.get("a"), None, "another thread starts empty");
                cache.insert("c".into(), 3);
                assert_eq!(cache.len(), 1);
            });
        });
        assert_eq!(cache.get("c"), None, "and keeps its entries to itself");
        // A full map is emptied before the next entry goes in.
        cache.insert("d".into(), 4);
        assert_eq!(
            (cache.len(), cache.get("a"), cache.get("d")),
            (1, None, Some(4))
        );
    }
}
