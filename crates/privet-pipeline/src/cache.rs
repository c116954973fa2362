//! Per-thread caches for the transforms' lookups that repeat from event to event: GeoIP places, parsed user
//! agents, reduced URLs.
//!
//! What they hold is a pure function of the key (the same address in the same database gives the same place),
//! so each thread keeping its own copy changes nothing but speed: a lookup touches only the calling thread's map,
//! with no lock and no shared count. Each cache has a total budget of entries, shared out between the threads
//! the machine runs at once (events are minimised on the server's worker threads, one per core), and each
//! thread's map is emptied when it reaches its share. So memory stays what one shared map of the budget would
//! take, whatever the number of cores; a thread that is busier than the others keeps fewer of its entries than a
//! shared map would.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::hash::Hash;

use hashbrown::HashMap;
use thread_local::ThreadLocal;

/// A bounded map per thread.
pub struct LocalCache<K: Send, V: Send> {
    /// Entries per thread.
    limit: usize,
    maps: ThreadLocal<RefCell<HashMap<K, V>>>,
}

/// No thread's share is smaller than this, however many cores share the budget.
const MIN_PER_THREAD: usize = 1024;

impl<K: Eq + Hash + Send, V: Send> LocalCache<K, V> {
    /// A cache of about `budget` entries in all: each thread keeps its share of them.
    pub fn new(budget: usize) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        LocalCache::per_thread((budget / threads).max(MIN_PER_THREAD))
    }

    /// A cache of at most `limit` entries per thread.
    pub fn per_thread(limit: usize) -> Self {
        LocalCache {
            limit,
            maps: ThreadLocal::new(),
        }
    }

    /// `read` of this thread's value for `key` (`None` when it has none), without copying the value.
    pub fn with<Q, R>(&self, key: &Q, read: impl FnOnce(Option<&V>) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.maps.get() {
            Some(map) => read(map.borrow().get(key)),
            None => read(None),
        }
    }

    /// This thread's copy of the value cached for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with(key, |value| value.cloned())
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

    /// Whether this thread's map holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_has_its_own_bounded_map() {
        let cache: LocalCache<String, u32> = LocalCache::per_thread(2);
        assert_eq!(cache.get("a"), None);
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(
            (cache.get("a"), cache.get("b"), cache.len()),
            (Some(1), Some(2), 2)
        );
        assert_eq!(cache.with("b", |v| v.map(|v| v * 10)), Some(20));
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

    #[test]
    fn a_budget_is_shared_out_between_cores() {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let cache: LocalCache<u32, u32> = LocalCache::new(10_000 * threads);
        assert_eq!(cache.limit, 10_000);
        let small: LocalCache<u32, u32> = LocalCache::new(10);
        assert_eq!(small.limit, MIN_PER_THREAD);
    }
}
