//! Decisions waiting for their answer check. A webhook gateway checks a call's request and its
//! answer in two separate requests; the request check's [`Call`] (decision committed, output
//! rules resolved) waits here under the gateway's call key until the answer check takes it, so
//! the answer is judged under the same decision and its outcome record names that decision.
//!
//! Bounded in time (`[guardrail] pending_ttl`) and size (`max_pending`): a call whose answer
//! check never comes (the gateway checks requests only, or the call failed at the gateway) is
//! ended with what is known, its outcome record saying no answer was inspected. Holds no text.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::proxy::call::Call;
use crate::proxy::outcome::StreamEnd;
use crate::proxy::pipeline::Pipeline;

/// A gateway's key for one call: the gateway and its call id (or a digest of the request).
pub type Key = (&'static str, String);

/// The waiting calls, oldest first.
pub struct Pending {
    ttl: Duration,
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Calls per key, oldest first (two identical requests may wait under one digest).
    calls: HashMap<Key, VecDeque<(u64, Instant, Call)>>,
    /// Insertion order: (serial, key), for expiry and eviction.
    order: VecDeque<(u64, Key)>,
    serial: u64,
    len: usize,
}

impl Pending {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max: max.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How long a call waits at most.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Calls waiting now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.len).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Park `call` under `key`; a call pushed out by the size bound is ended.
    pub fn put(&self, pipeline: &Pipeline, key: Key, call: Call) {
        let evicted = {
            let Ok(mut g) = self.inner.lock() else {
                pipeline.guard_end(call, StreamEnd::Complete);
                return;
            };
            g.serial += 1;
            let serial = g.serial;
            g.calls
                .entry(key.clone())
                .or_default()
                .push_back((serial, Instant::now(), call));
            g.order.push_back((serial, key));
            g.len += 1;
            let mut out = Vec::new();
            while g.len > self.max {
                match g.pop_oldest() {
                    Some(c) => out.push(c),
                    None => break,
                }
            }
            out
        };
        for c in evicted {
            pipeline.guard_end(c, StreamEnd::Complete);
        }
    }

    /// Take the oldest call waiting under `key`.
    pub fn take(&self, key: &Key) -> Option<Call> {
        let mut g = self.inner.lock().ok()?;
        let queue = g.calls.get_mut(key)?;
        let (serial, _, call) = queue.pop_front()?;
        if queue.is_empty() {
            g.calls.remove(key);
        }
        g.len -= 1;
        if let Some(pos) = g.order.iter().position(|(s, _)| *s == serial) {
            g.order.remove(pos);
        }
        Some(call)
    }

    /// End every call that waited longer than the TTL.
    pub fn expire(&self, pipeline: &Pipeline, now: Instant) {
        let expired = {
            let Ok(mut g) = self.inner.lock() else { return };
            let mut out = Vec::new();
            while let Some((_, key)) = g.order.front() {
                let old = g
                    .calls
                    .get(key)
                    .and_then(|q| q.front())
                    .is_some_and(|(_, at, _)| now.duration_since(*at) >= self.ttl);
                if !old {
                    break;
                }
                match g.pop_oldest() {
                    Some(c) => out.push(c),
                    None => break,
                }
            }
            out
        };
        for c in expired {
            pipeline.guard_end(c, StreamEnd::Complete);
        }
    }

    /// End every waiting call (shutdown).
    pub fn drain_all(&self, pipeline: &Pipeline) {
        let all = {
            let Ok(mut g) = self.inner.lock() else { return };
            let mut out = Vec::new();
            while let Some(c) = g.pop_oldest() {
                out.push(c);
            }
            out
        };
        for c in all {
            pipeline.guard_end(c, StreamEnd::Complete);
        }
    }
}

impl Inner {
    fn pop_oldest(&mut self) -> Option<Call> {
        let (serial, key) = self.order.pop_front()?;
        let queue = self.calls.get_mut(&key)?;
        let pos = queue.iter().position(|(s, _, _)| *s == serial)?;
        let (_, _, call) = queue.remove(pos)?;
        if queue.is_empty() {
            self.calls.remove(&key);
        }
        self.len -= 1;
        Some(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::pipeline::tests::{conn, pipeline};

    fn call(p: &Pipeline) -> Call {
        Call::new(
            &conn(),
            &http::HeaderMap::new(),
            p.shared.active.load_full(),
        )
    }

    fn key(k: &str) -> Key {
        ("litellm", k.to_owned())
    }

    #[tokio::test]
    async fn calls_are_taken_oldest_first_per_key_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = pipeline(dir.path());
        let pending = Pending::new(Duration::from_secs(60), 10);
        let (a, b) = (call(&p), call(&p));
        let (id_a, id_b) = (a.decision_id.clone(), b.decision_id.clone());
        pending.put(&p, key("k"), a);
        pending.put(&p, key("k"), b);
        pending.put(&p, key("other"), call(&p));
        assert_eq!(pending.len(), 3);
        assert_eq!(pending.take(&key("k")).unwrap().decision_id, id_a);
        assert_eq!(pending.take(&key("k")).unwrap().decision_id, id_b);
        assert!(pending.take(&key("k")).is_none());
        assert!(pending.take(&key("nobody")).is_none());
        assert_eq!(pending.len(), 1);
    }

    #[tokio::test]
    async fn calls_expire_after_the_ttl_and_the_oldest_goes_beyond_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let p = pipeline(dir.path());
        let pending = Pending::new(Duration::from_secs(60), 2);
        pending.put(&p, key("1"), call(&p));
        pending.put(&p, key("2"), call(&p));
        pending.put(&p, key("3"), call(&p));
        assert_eq!(pending.len(), 2, "bounded by max_pending");
        assert!(pending.take(&key("1")).is_none(), "the oldest was let go");
        pending.expire(&p, Instant::now());
        assert_eq!(pending.len(), 2, "not expired yet");
        pending.expire(&p, Instant::now() + Duration::from_secs(61));
        assert!(pending.is_empty());
        pending.put(&p, key("4"), call(&p));
        pending.drain_all(&p);
        assert!(pending.is_empty());
    }
}
