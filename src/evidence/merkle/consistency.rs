//! RFC 9162 consistency proofs (section 2.1.4): generating them from a [`Tree`] or from an old
//! tree's compact range plus the leaves appended since, and verifying them strictly. Owns no
//! storage and no signatures: callers bind the sizes and roots to signed checkpoints.
use super::{empty_root, node_hash, split, CompactRange, Hash, Tree};

/// Why a consistency proof was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsistencyError {
    /// The old tree is larger than the new one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldLargerThanNew {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// A proof between equal sizes, or from the empty tree, must be empty.
    #[error("consistency proof from size {old} to {new} must be empty but has {len} hashes")]
    NotEmpty {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
        /// Hashes supplied.
        len: usize,
    },
    /// Two trees of the same size with different roots (a fork).
    #[error("trees of equal size {size} have different roots")]
    EqualSizeRootsDiffer {
        /// The common size.
        size: u64,
    },
    /// The old root of an empty tree is not SHA-256 of the empty string.
    #[error("the old tree is empty but its root is not the empty-tree hash")]
    BadEmptyRoot,
    /// The proof does not have the number of hashes these sizes need.
    #[error("consistency proof from size {old} to {new} needs {want} hashes, got {got}")]
    WrongLength {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
        /// Hashes these sizes need.
        want: usize,
        /// Hashes supplied.
        got: usize,
    },
    /// The proof does not reproduce the old root.
    #[error("consistency proof does not reproduce the old root (size {old})")]
    OldRootMismatch {
        /// Old size.
        old: u64,
    },
    /// The proof does not reproduce the new root.
    #[error("consistency proof does not reproduce the new root (size {new})")]
    NewRootMismatch {
        /// New size.
        new: u64,
    },
}

impl Tree<'_> {
    /// RFC 9162 section 2.1.4.1 consistency proof from the tree of the first `old` leaves to the
    /// tree of the first `new` leaves; empty when `old == new` or `old == 0`. `None` if
    /// `old > new`, `new` exceeds this tree, or a needed subtree lies in a pruned prefix.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.size() {
            return None;
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out)?;
        }
        Some(out)
    }

    /// `SUBPROOF(m, D[start:start+n], b)` of RFC 9162, for `0 < m <= n`.
    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) -> Option<()> {
        if m == n {
            if !whole {
                out.push(self.subtree(start, n)?);
            }
            return Some(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, out)?;
            out.push(self.subtree(start + k, n - k)?);
        } else {
            self.subproof(m - k, start + k, n - k, false, out)?;
            out.push(self.subtree(start, k)?);
        }
        Some(())
    }
}

/// The consistency proof from the tree of `old.size()` leaves to the tree that appends
/// `new_leaves` to it, computed from the old tree's compact range and the new leaves only
/// (every old-tree hash such a proof needs is a node of that compact range). `None` only if a
/// size overflows.
pub fn consistency_from_compact(old: &CompactRange, new_leaves: &[Hash]) -> Option<Vec<Hash>> {
    let frontier = old.frontier();
    let new = old
        .size()
        .checked_add(u64::try_from(new_leaves.len()).ok()?)?;
    Tree::new(&frontier, new_leaves).consistency_proof(old.size(), new)
}

/// Number of hashes in the consistency proof from `old` to `new` (`0 < old < new`).
fn proof_len(old: u64, new: u64) -> usize {
    let (mut m, mut n, mut whole, mut len) = (old, new, true, 0usize);
    while m != n {
        let k = split(n);
        len += 1;
        if m > k {
            m -= k;
            n -= k;
            whole = false;
        } else {
            n = k;
        }
    }
    len + usize::from(!whole)
}

/// Verifies an RFC 9162 section 2.1.4.2 consistency proof, strictly: the proof must have
/// exactly the length the sizes need, sizes must be ordered, and proofs from the empty tree or
/// between equal sizes must be empty (with the empty-tree root, or equal roots, respectively).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ConsistencyError> {
    use ConsistencyError as E;
    let (old, new) = (old_size, new_size);
    if old > new {
        return Err(E::OldLargerThanNew { old, new });
    }
    if old == new || old == 0 {
        if !proof.is_empty() {
            let len = proof.len();
            return Err(E::NotEmpty { old, new, len });
        }
        if old == 0 && *old_root != empty_root() {
            return Err(E::BadEmptyRoot);
        }
        if old == new && old_root != new_root {
            return Err(E::EqualSizeRootsDiffer { size: old });
        }
        return Ok(());
    }
    let want = proof_len(old, new);
    if proof.len() != want {
        let got = proof.len();
        return Err(E::WrongLength {
            old,
            new,
            want,
            got,
        });
    }
    // Step 2: a power-of-two old tree is itself the first node of the path.
    let (first, rest) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some(p) => p,
            None => {
                return Err(E::WrongLength {
                    old,
                    new,
                    want,
                    got: 0,
                })
            }
        }
    };
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(E::WrongLength {
                old,
                new,
                want,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(E::WrongLength {
            old,
            new,
            want,
            got: proof.len(),
        });
    }
    if fr != *old_root {
        return Err(E::OldRootMismatch { old });
    }
    if sr != *new_root {
        return Err(E::NewRootMismatch { new });
    }
    Ok(())
}

#[cfg(test)]
#[path = "consistency_tests.rs"]
mod tests;
