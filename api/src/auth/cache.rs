//! A short-lived cache of who a bearer token stands for, so most requests
//! authenticate without a database round trip. Entries live `ttl` (a few
//! seconds, configurable, 0 turns the cache off) and at most `capacity` are
//! kept. Revoking a token or changing roles, on any replica or from the
//! command line, drops the entries as soon as the live event arrives
//! (`crate::live`); a lookup that began before a drop does not store what
//! it found.

use super::Viewer;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept at most; past that, expired ones go, then everything.
const CAPACITY: usize = 10_000;

/// Viewers by credential (the token's hash, or a JWT's e-mail claim).
pub struct ViewerCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Viewer)>>,
    /// Rises with every drop, so a lookup that raced one is not stored.
    generation: AtomicU64,
}

impl ViewerCache {
    /// A cache keeping entries for `ttl`; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The viewer cached under `key`, if still fresh.
    pub fn get(&self, key: &str) -> Option<Viewer> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, viewer)| viewer.clone())
    }

    /// The current generation: take it before a lookup, and pass it to [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Remembers `viewer` under `key`, unless something was dropped since
    /// `generation` was taken (the lookup may have read what was dropped).
    pub fn put(&self, key: String, viewer: Viewer, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), viewer));
    }

    /// Forgets every entry of person `person_id` (roles changed, token revoked).
    pub fn forget_person(&self, person_id: i32) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.retain(|_, (_, viewer)| viewer.person.id != person_id);
    }

    /// Forgets everything (live events may have been missed).
    pub fn forget_all(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entities::entity::{person, Role};

    fn viewer(id: i32) -> Viewer {
        Viewer {
            person: person::Model {
                id,
                name: "A".into(),
                email: "a@example.com".into(),
                created_at: chrono::Utc::now(),
            },
            roles: vec![Role::Stakeholder],
            token_id: Some(id),
            token_expires_at: None,
        }
    }

    #[test]
    fn entries_are_forgotten_by_person_and_a_zero_ttl_keeps_nothing() {
        let cache = ViewerCache::new(Duration::from_secs(60));
        cache.put("k1".into(), viewer(1), cache.generation());
        cache.put("k2".into(), viewer(2), cache.generation());
        assert_eq!(cache.get("k1").map(|v| v.person.id), Some(1));
        cache.forget_person(1);
        assert!(cache.get("k1").is_none());
        assert!(cache.get("k2").is_some());
        // a lookup that began before a drop is not stored
        let before = cache.generation();
        cache.forget_person(2);
        cache.put("k3".into(), viewer(3), before);
        assert!(cache.get("k3").is_none());
        let off = ViewerCache::new(Duration::ZERO);
        off.put("k".into(), viewer(3), off.generation());
        assert!(off.get("k").is_none());
    }
}
