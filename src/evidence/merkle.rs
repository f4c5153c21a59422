//! RFC 6962 Merkle tree hashing: leaf hash `SHA-256(0x00 || data)`, node hash
//! `SHA-256(0x01 || left || right)`, tree heads, inclusion proofs, and a compact range
//! (the right edge of the tree) that computes roots incrementally in O(log n) memory.
//! Owns no storage; the leaves are the stored entry bytes (see `entry`). RFC 9162 consistency
//! proofs ([`Tree::consistency_proof`], [`consistency_from_compact`], [`verify_consistency`])
//! live in `merkle/consistency.rs`.
use std::collections::HashMap;

use sha2::{Digest, Sha256};

pub mod consistency;

/// A 32-byte SHA-256 hash.
pub type Hash = [u8; 32];

/// RFC 6962 leaf hash.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 interior node hash.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly less than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    let mut k = 1u64;
    while k.saturating_mul(2) < n {
        k *= 2;
    }
    k
}

/// Subtree hashes known without their leaves: the perfect subtrees `(start, size)` that a
/// pruned prefix left behind (the compact range of `[0, start_of_leaves)`).
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    /// `(start, size) -> hash` of perfect subtrees covering `[0, first)`.
    pub nodes: HashMap<(u64, u64), Hash>,
    /// Index of the first leaf present in `leaves`.
    pub first: u64,
}

/// A tree whose leaves from `frontier.first` on are known by hash. Perfect subtree hashes are
/// memoised, so proofs for many leaves of one tree cost O(n) in total.
pub struct Tree<'a> {
    frontier: &'a Frontier,
    leaves: &'a [Hash],
    memo: std::cell::RefCell<HashMap<(u64, u64), Hash>>,
}

impl<'a> Tree<'a> {
    /// A tree over a pruned prefix (or `Frontier::default()`) and the leaves after it.
    pub fn new(frontier: &'a Frontier, leaves: &'a [Hash]) -> Self {
        Self {
            frontier,
            leaves,
            memo: Default::default(),
        }
    }

    /// Total number of leaves (prefix + known leaves).
    pub fn size(&self) -> u64 {
        self.frontier.first.saturating_add(self.leaves.len() as u64)
    }

    /// Hash of the subtree `[start, start+n)` per RFC 6962 MTH; `None` if it needs a pruned leaf.
    pub fn subtree(&self, start: u64, n: u64) -> Option<Hash> {
        if n == 0 {
            return Some(empty_root());
        }
        if let Some(h) = self.frontier.nodes.get(&(start, n)) {
            return Some(*h);
        }
        if n == 1 {
            let idx = start.checked_sub(self.frontier.first)?;
            return self.leaves.get(usize::try_from(idx).ok()?).copied();
        }
        let perfect = n.is_power_of_two();
        if perfect {
            if let Some(h) = self.memo.borrow().get(&(start, n)) {
                return Some(*h);
            }
        }
        let k = split(n);
        let h = node_hash(&self.subtree(start, k)?, &self.subtree(start + k, n - k)?);
        if perfect {
            self.memo.borrow_mut().insert((start, n), h);
        }
        Some(h)
    }

    /// Root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Option<Hash> {
        (size <= self.size()).then_some(())?;
        self.subtree(0, size)
    }

    /// RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path)?;
        Some(path)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) -> Option<()> {
        if n <= 1 {
            return Some(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out)?;
            out.push(self.subtree(start + k, n - k)?);
        } else {
            self.path(m - k, start + k, n - k, out)?;
            out.push(self.subtree(start, k)?);
        }
        Some(())
    }
}

/// Recomputes the root from a leaf hash and its audit path (RFC 9162 section 2.1.3.2).
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

/// The right edge of a growing tree: perfect subtrees in decreasing size, so appending a leaf
/// and computing the current root are O(log n).
#[derive(Clone, Debug, Default)]
pub struct CompactRange {
    size: u64,
    /// `(subtree size, hash)`, largest first.
    stack: Vec<(u64, Hash)>,
}

impl CompactRange {
    /// Number of leaves appended (including any restored prefix).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.push_subtree(1, leaf);
    }

    /// Appends the perfect subtree of `size` leaves starting at [`CompactRange::size`] (an
    /// export's pruned prefix, omitted run or suffix); returns false and changes nothing unless
    /// `size` is a power of two the position is aligned to.
    pub fn push_subtree(&mut self, size: u64, hash: Hash) -> bool {
        let aligned = size.is_power_of_two()
            && self.size.is_multiple_of(size)
            && self.size.checked_add(size).is_some();
        if !aligned {
            return false;
        }
        let mut cur = (size, hash);
        while let Some(&(sz, h)) = self.stack.last() {
            if sz != cur.0 {
                break;
            }
            self.stack.pop();
            cur = (sz.saturating_mul(2), node_hash(&h, &cur.1));
        }
        self.stack.push(cur);
        self.size += size;
        true
    }

    /// Root hash of all leaves so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return empty_root();
        };
        for (_, h) in it {
            acc = node_hash(h, &acc);
        }
        acc
    }

    /// The perfect subtrees `(start, size, hash)` covering `[0, size)`, left to right.
    pub fn nodes(&self) -> Vec<(u64, u64, Hash)> {
        let mut start = 0u64;
        self.stack
            .iter()
            .map(|&(sz, h)| {
                let n = (start, sz, h);
                start += sz;
                n
            })
            .collect()
    }

    /// Restores a range from its subtrees (as returned by [`CompactRange::nodes`]); `None` if
    /// the sizes are not the binary decomposition of a prefix.
    pub fn from_nodes(nodes: &[(u64, u64, Hash)]) -> Option<Self> {
        let mut r = Self::default();
        for &(start, sz, h) in nodes {
            let ok = start == r.size
                && sz.is_power_of_two()
                && r.stack.last().is_none_or(|&(prev, _)| prev > sz);
            if !ok {
                return None;
            }
            r.stack.push((sz, h));
            r.size = r.size.checked_add(sz)?;
        }
        Some(r)
    }

    /// The same subtrees as a [`Frontier`] for proof generation.
    pub fn frontier(&self) -> Frontier {
        Frontier {
            nodes: self
                .nodes()
                .into_iter()
                .map(|(s, n, h)| ((s, n), h))
                .collect(),
            first: self.size,
        }
    }
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
mod tests;
