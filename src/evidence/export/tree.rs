//! The Merkle arithmetic an export needs: the aligned perfect subtrees that cover a span of
//! leaves ([`cover`]), and a right-edge accumulator ([`Edge`]) that takes leaves or such
//! subtrees in order and yields the RFC 6962 root. The exporter lists a pruned or left-out
//! prefix, a run of omitted entries and the suffix after the span as these subtrees; the
//! verifier pushes them with the exported leaves and compares the root with the signed
//! checkpoint. Owns no I/O and no trust.
use crate::evidence::merkle::{empty_root, node_hash, Hash};

/// The perfect subtrees `(start, size)` covering `[start, end)`, left to right: at each
/// position the largest power of two the position is aligned to that still fits. Their sizes
/// follow from `start` and `end` alone, so an export lists only their hashes. At most 128.
pub(crate) fn cover(start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut p = start;
    while p < end {
        let mut size = if p == 0 {
            1u64 << 63
        } else {
            1u64 << p.trailing_zeros()
        };
        while size > end - p {
            size >>= 1;
        }
        out.push((p, size));
        p += size;
    }
    out
}

/// The right edge of a tree being rebuilt left to right from leaves and aligned subtrees.
#[derive(Clone, Debug, Default)]
pub(crate) struct Edge {
    size: u64,
    /// `(subtree size, hash)`, largest first.
    stack: Vec<(u64, Hash)>,
}

impl Edge {
    /// Leaves pushed so far (subtrees count their leaves).
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends the perfect subtree of `size` leaves starting at [`Edge::size`]; returns false
    /// (and changes nothing) unless `size` is a power of two the position is aligned to.
    pub(crate) fn push(&mut self, size: u64, hash: Hash) -> bool {
        let aligned = size.is_power_of_two()
            && self.size % size == 0
            && self.size.checked_add(size).is_some();
        if !aligned {
            return false;
        }
        let mut cur = (size, hash);
        while let Some(&(s, h)) = self.stack.last() {
            if s != cur.0 {
                break;
            }
            self.stack.pop();
            cur = (s.saturating_mul(2), node_hash(&h, &cur.1));
        }
        self.stack.push(cur);
        self.size += size;
        true
    }

    /// RFC 6962 root of everything pushed.
    pub(crate) fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return empty_root();
        };
        for (_, h) in it {
            acc = node_hash(h, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::merkle::{leaf_hash, CompactRange, Frontier, Tree};

    #[test]
    fn cover_tiles_spans_with_aligned_powers_of_two() {
        assert_eq!(cover(0, 0), vec![]);
        assert_eq!(cover(0, 11), vec![(0, 8), (8, 2), (10, 1)]);
        assert_eq!(cover(3, 11), vec![(3, 1), (4, 4), (8, 2), (10, 1)]);
        assert_eq!(cover(5, 6), vec![(5, 1)]);
        assert_eq!(cover(0, u64::MAX).len(), 64);
        for (a, b) in [(0u64, 70u64), (1, 64), (17, 33), (63, 129)] {
            let c = cover(a, b);
            assert_eq!(c.iter().map(|x| x.1).sum::<u64>(), b - a);
            assert!(c.iter().all(|(s, n)| n.is_power_of_two() && s % n == 0));
        }
    }

    /// Every split of 0..n into prefix subtrees, leaves, a run of subtrees and a suffix gives
    /// the same root as the reference tree.
    #[test]
    fn edge_with_subtrees_matches_the_reference_root() {
        let leaves: Vec<Hash> = (0..40u8).map(|i| leaf_hash(&[i])).collect();
        let frontier = Frontier::default();
        let tree = Tree::new(&frontier, &leaves);
        for n in 0..=40u64 {
            let mut cr = CompactRange::default();
            leaves[..n as usize].iter().for_each(|l| cr.push(*l));
            for a in 0..=n {
                for b in a..=n {
                    let mut e = Edge::default();
                    for (s, k) in cover(0, a).into_iter().chain(cover(b, n)) {
                        if s == b {
                            // leaves a..b go in one by one before the suffix
                            for i in a..b {
                                assert!(e.push(1, leaves[i as usize]));
                            }
                        }
                        assert!(e.push(k, tree.subtree(s, k).unwrap()));
                    }
                    if b == n {
                        for i in a..b {
                            assert!(e.push(1, leaves[i as usize]));
                        }
                    }
                    assert_eq!(e.size(), n);
                    assert_eq!(e.root(), cr.root(), "n {n} a {a} b {b}");
                }
            }
        }
    }

    #[test]
    fn edge_refuses_misaligned_subtrees() {
        let mut e = Edge::default();
        assert!(e.push(1, [1; 32]));
        assert!(!e.push(2, [2; 32]));
        assert!(!e.push(3, [2; 32]));
        assert!(e.push(1, [2; 32]));
        assert!(e.push(2, [3; 32]));
        assert_eq!(e.size(), 4);
    }
}
