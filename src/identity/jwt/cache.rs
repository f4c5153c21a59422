//! A bounded cache of verified JWTs, so a client reusing its token for an hour pays for one
//! signature verification instead of one per request.
//!
//! Owns only memoisation: the key is SHA-256 of the exact token bytes, the value is the bound
//! identity and the token's validity window, which is re-checked against `now` on every hit.
//! Failed verifications are never cached. When full it is emptied (simple and bounded); a
//! poisoned lock disables it instead of panicking. Each `Authenticator` has its own cache, so a
//! configuration reload starts empty.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::claims::Window;
use crate::identity::Identified;

/// Tokens remembered per `Authenticator` (a few hundred bytes each).
pub(crate) const DEFAULT_CAPACITY: usize = 4096;

#[derive(Debug)]
pub(crate) struct VerifiedCache {
    capacity: usize,
    map: Mutex<HashMap<[u8; 32], (Identified, Window)>>,
}

/// The cache key of a token.
pub(crate) fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedCache {
    /// A cache of at most `capacity` tokens; 0 disables caching.
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedCache {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<(Identified, Window)> {
        if self.capacity == 0 {
            return None;
        }
        self.map.lock().ok()?.get(key).cloned()
    }

    pub(crate) fn insert(&self, key: [u8; 32], identified: &Identified, window: Window) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(key, (identified.clone(), window));
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{AuthMethod, Principal, UpstreamAuth};

    fn identified(id: &str) -> Identified {
        Identified {
            principal: Principal {
                id: id.to_owned(),
                kind: AuthMethod::Jwt,
                groups: Vec::new(),
                fingerprint: String::new(),
                ai_system: None,
            },
            upstream: UpstreamAuth::Default,
        }
    }

    const W: Window = Window { exp: 10, nbf: 0 };

    #[test]
    fn remembers_up_to_capacity_then_starts_over() {
        let c = VerifiedCache::new(2);
        c.insert(token_key("a"), &identified("a"), W);
        c.insert(token_key("b"), &identified("b"), W);
        assert_eq!(c.get(&token_key("a")).unwrap().0.principal.id, "a");
        assert_eq!(c.len(), 2);
        c.insert(token_key("c"), &identified("c"), W);
        assert_eq!(c.len(), 1);
        assert!(c.get(&token_key("a")).is_none());
        assert_eq!(c.get(&token_key("c")).unwrap().1, W);
    }

    #[test]
    fn capacity_zero_disables_the_cache() {
        let c = VerifiedCache::new(0);
        c.insert(token_key("a"), &identified("a"), W);
        assert!(c.get(&token_key("a")).is_none());
        assert_eq!(c.len(), 0);
    }
}
