//! Forwarded decisions whose outcome has not been read yet, with the upstream each went to, so
//! an outcome's latency is counted under its upstream. Outcomes follow their decision within
//! the life of a call, so this normally holds only the calls in flight around the reading
//! position; a hard cap keeps a log whose outcomes are missing (a crash, a cut-off range) from
//! growing it without bound. Owns that bound; knows nothing of records.
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;

/// Most decisions remembered: ~32 MiB at worst. A decision whose outcome comes more than this
/// many forwarded decisions later is forgotten (its latency counts as of an unknown upstream).
pub const CAP: usize = 1 << 20;

/// Decision id (as a 64-bit keyed hash) → what the outcome needs of its call (`V`).
#[derive(Debug)]
pub struct InFlight<V = usize> {
    cap: usize,
    hasher: RandomState,
    upstream: HashMap<u64, V>,
    /// Ids in the order they were added, some already answered; never longer than `cap`.
    order: VecDeque<u64>,
}

impl<V> Default for InFlight<V> {
    fn default() -> Self {
        Self::with_cap(CAP)
    }
}

impl<V> InFlight<V> {
    /// An empty set holding at most `cap` decisions.
    pub fn with_cap(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            hasher: RandomState::new(),
            upstream: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Remembers `upstream` (what the outcome needs) for `decision_id`.
    pub fn insert(&mut self, decision_id: &str, upstream: V) {
        if self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.upstream.remove(&old);
            }
        }
        let h = self.hasher.hash_one(decision_id);
        self.upstream.insert(h, upstream);
        self.order.push_back(h);
    }

    /// What was remembered for `decision_id`, forgetting it.
    pub fn take(&mut self, decision_id: &str) -> Option<V> {
        let up = self.upstream.remove(&self.hasher.hash_one(decision_id));
        // Answered ids at the front are dropped at once, so the order queue stays short too.
        while let Some(front) = self.order.front() {
            if self.upstream.contains_key(front) {
                break;
            }
            self.order.pop_front();
        }
        up
    }

    /// Decisions remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.upstream.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_decisions_are_forgotten() {
        let mut f = InFlight::default();
        for i in 0..10_000 {
            f.insert(&format!("d-{i}"), i % 3);
            if i >= 2 {
                assert_eq!(f.take(&format!("d-{}", i - 2)), Some((i - 2) % 3));
            }
        }
        assert_eq!((f.len(), f.order.len()), (2, 2));
        assert_eq!(f.take("d-0"), None, "already taken");
    }

    #[test]
    fn decisions_without_outcomes_are_capped() {
        let mut f = InFlight::with_cap(100);
        f.insert("kept-long", 7);
        for i in 0..99 {
            f.insert(&format!("orphan-{i}"), 1);
        }
        assert_eq!(f.take("kept-long"), Some(7), "within the cap");
        for i in 0..1_000 {
            f.insert(&format!("more-{i}"), 2);
        }
        assert!(f.len() <= 100 && f.order.len() <= 100);
        assert_eq!(f.take("orphan-0"), None, "the oldest went first");
        assert_eq!(f.take("more-999"), Some(2));
    }
}
