//! The 9.2 audit sample: a uniform random sample of the period's decisions that anyone can draw
//! again. Each decision's rank is the first 16 bytes of SHA-256(seed ‖ 0x00 ‖ decision id); the
//! sample is the `k` decisions of lowest rank (bottom-k sampling), so it depends only on the
//! seed and the set of decisions, not on the order the logs are read in, and one pass with a
//! `k`-sized heap draws it. Owns the ranking rule; proofs are made by `evidence::prove_all`.
use std::collections::BinaryHeap;

use sha2::{Digest, Sha256};

/// How the sample is drawn, in words for the report.
pub const METHOD: &str = "bottom-k: every decision in the period is ranked by the first 16 bytes of SHA-256(seed, 0x00, decision id) read as a big-endian integer; the sample is the decisions of lowest rank. The same seed over the same logs gives the same sample.";

/// Default sample size.
pub const DEFAULT_SIZE: u64 = 25;

/// A candidate decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    /// Rank (lower is sampled first).
    pub rank: u128,
    /// Decision id.
    pub decision_id: String,
    /// Node index.
    pub node: usize,
    /// Log id.
    pub log_id: String,
    /// Log index.
    pub seq: u64,
    /// Time (unix nanoseconds).
    pub time: i64,
    /// AI system.
    pub ai_system: String,
    /// Effect label.
    pub effect: String,
}

impl Ord for Drawn {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank
            .cmp(&o.rank)
            .then_with(|| self.decision_id.cmp(&o.decision_id))
            .then_with(|| self.node.cmp(&o.node))
    }
}
impl PartialOrd for Drawn {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// Bottom-k sampler.
#[derive(Debug, Default)]
pub struct Sampler {
    seed: Vec<u8>,
    k: usize,
    heap: BinaryHeap<Drawn>,
    population: u64,
}

/// The rank of `decision_id` under `seed`.
pub fn rank(seed: &[u8], decision_id: &str) -> u128 {
    let mut h = Sha256::new();
    h.update(seed);
    h.update([0u8]);
    h.update(decision_id.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_be_bytes(b)
}

impl Sampler {
    /// A sampler of `k` decisions under `seed`.
    pub fn new(seed: &str, k: u64) -> Self {
        Self {
            seed: seed.as_bytes().to_vec(),
            k: usize::try_from(k).unwrap_or(usize::MAX).min(10_000),
            heap: BinaryHeap::new(),
            population: 0,
        }
    }

    /// The rank of `decision_id`, or `None` when it cannot enter the sample (cheap check
    /// before the caller builds a [`Drawn`]).
    pub fn candidate(&mut self, decision_id: &str) -> Option<u128> {
        self.population += 1;
        if self.k == 0 {
            return None;
        }
        let r = rank(&self.seed, decision_id);
        match self.heap.peek() {
            Some(top) if self.heap.len() >= self.k && r > top.rank => None,
            _ => Some(r),
        }
    }

    /// Offers a candidate that [`candidate`](Self::candidate) accepted.
    pub fn offer(&mut self, d: Drawn) {
        self.heap.push(d);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// Decisions offered to `candidate`.
    pub fn population(&self) -> u64 {
        self.population
    }

    /// The sample, in decision-time order.
    pub fn finish(self) -> Vec<Drawn> {
        let mut v = self.heap.into_vec();
        v.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.cmp(b)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(seed: &str, k: u64, ids: impl Iterator<Item = String>) -> Vec<String> {
        let mut s = Sampler::new(seed, k);
        for (i, id) in ids.enumerate() {
            if let Some(rank) = s.candidate(&id) {
                s.offer(Drawn {
                    rank,
                    decision_id: id,
                    node: 0,
                    log_id: String::new(),
                    seq: i as u64,
                    time: i as i64,
                    ai_system: String::new(),
                    effect: String::new(),
                });
            }
        }
        let mut v: Vec<String> = s.finish().into_iter().map(|d| d.decision_id).collect();
        v.sort();
        v
    }

    #[test]
    fn the_sample_is_the_lowest_ranks_whatever_the_order() {
        let ids: Vec<String> = (0..2_000).map(|i| format!("d-{i}")).collect();
        let a = draw("seed-1", 25, ids.iter().cloned());
        let b = draw("seed-1", 25, ids.iter().rev().cloned());
        assert_eq!(a, b, "order does not matter");
        assert_eq!(a.len(), 25);
        // Independently: sort everything by rank and take 25.
        let mut all: Vec<(u128, &String)> = ids.iter().map(|i| (rank(b"seed-1", i), i)).collect();
        all.sort();
        let mut want: Vec<String> = all.iter().take(25).map(|(_, i)| (*i).clone()).collect();
        want.sort();
        assert_eq!(a, want);
        let c = draw("seed-2", 25, ids.iter().cloned());
        assert_ne!(a, c, "another seed, another sample");
        assert_eq!(draw("s", 5, (0..3).map(|i| i.to_string())).len(), 3);
        assert!(draw("s", 0, ids.iter().cloned()).is_empty());
    }

    #[test]
    fn a_sample_of_many_is_roughly_uniform_over_time() {
        // 20,000 decisions, 1,000 drawn: each tenth of the log gets 100 ± 40.
        let mut s = Sampler::new("uniform", 1_000);
        for i in 0..20_000u64 {
            let id = format!("dec-{i}");
            if let Some(rank) = s.candidate(&id) {
                s.offer(Drawn {
                    rank,
                    decision_id: id,
                    node: 0,
                    log_id: String::new(),
                    seq: i,
                    time: i as i64,
                    ai_system: String::new(),
                    effect: String::new(),
                });
            }
        }
        assert_eq!(s.population(), 20_000);
        let mut tenths = [0u32; 10];
        for d in s.finish() {
            tenths[(d.seq / 2_000) as usize] += 1;
        }
        assert!(tenths.iter().all(|n| (60..=140).contains(n)), "{tenths:?}");
    }
}
