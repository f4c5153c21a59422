//! The Merkle arithmetic an export needs: the aligned perfect subtrees that cover a span of
//! leaves ([`cover`]). The exporter lists a pruned or left-out prefix, a run of omitted
//! entries and the suffix after the span as these subtrees; the verifier pushes them, in order
//! with the exported leaves, into a `merkle::CompactRange` (`push_subtree`) and compares the
//! rebuilt RFC 6962 root with the signed checkpoint. Owns no I/O and no trust.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::merkle::{leaf_hash, CompactRange, Frontier, Hash, Tree};

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
                    let mut e = CompactRange::default();
                    for (s, k) in cover(0, a).into_iter().chain(cover(b, n)) {
                        if s == b {
                            // leaves a..b go in one by one before the suffix
                            for i in a..b {
                                assert!(e.push_subtree(1, leaves[i as usize]));
                            }
                        }
                        assert!(e.push_subtree(k, tree.subtree(s, k).unwrap()));
                    }
                    if b == n {
                        for i in a..b {
                            assert!(e.push_subtree(1, leaves[i as usize]));
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
        let mut e = CompactRange::default();
        assert!(e.push_subtree(1, [1; 32]));
        assert!(!e.push_subtree(2, [2; 32]));
        assert!(!e.push_subtree(3, [2; 32]));
        assert!(e.push_subtree(1, [2; 32]));
        assert!(e.push_subtree(2, [3; 32]));
        assert_eq!(e.size(), 4);
    }
}
