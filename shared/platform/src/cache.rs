//! A small map of facts read from another service, each kept for a fixed time so that
//! the staleness of an answer has a stated bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries live for `ttl`; a zero `ttl` caches nothing.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity: capacity.max(1), entries: Mutex::new(HashMap::new()) }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The value and when it was read, if it is younger than the TTL.
    pub fn get(&self, key: &K) -> Option<(V, Instant)> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(at, v)| (v.clone(), *at))
    }

    pub fn insert(&self, key: K, value: V, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (read_at, value));
    }

    /// Forgets a key (after a change this process made itself).
    pub fn remove(&self, key: &K) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let c = TtlCache::new(Duration::from_millis(30), 10);
        c.insert("a", 1, Instant::now());
        assert_eq!(c.get(&"a").map(|(v, _)| v), Some(1));
        c.insert("b", 2, Instant::now() - Duration::from_millis(40));
        assert!(c.get(&"b").is_none(), "an entry read longer ago than the TTL is not served");
    }

    #[test]
    fn a_zero_ttl_caches_nothing_and_capacity_is_bounded() {
        let off = TtlCache::new(Duration::ZERO, 10);
        off.insert(1, 1, Instant::now());
        assert!(off.get(&1).is_none());
        let small = TtlCache::new(Duration::from_secs(60), 2);
        for k in 0..5 {
            small.insert(k, k, Instant::now());
        }
        assert!(small.entries.lock().unwrap().len() <= 2);
    }
}
