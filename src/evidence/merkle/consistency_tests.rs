//! Consistency proof tests: known vectors for the RFC 6962 eight-leaf reference tree, round
//! trips over every pair of sizes up to 70, the compact-range construction against the full
//! tree, and tampering with every element, size and root.
//!
//! The vectors were computed independently of this code with Python's `hashlib`, following the
//! `SUBPROOF` definition of RFC 9162 section 2.1.4.1 literally:
//! ```text
//! import hashlib
//! def H(b): return hashlib.sha256(b).digest()
//! inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
//!           "606162636465666768696a6b6c6d6e6f"]
//! L = [H(b"\x00" + bytes.fromhex(x)) for x in inputs]
//! def k_of(n):
//!     k = 1
//!     while k * 2 < n: k *= 2
//!     return k
//! def mth(d):
//!     if len(d) == 1: return d[0]
//!     k = k_of(len(d)); return H(b"\x01" + mth(d[:k]) + mth(d[k:]))
//! def sub(m, d, b):
//!     n = len(d)
//!     if m == n: return [] if b else [mth(d)]
//!     k = k_of(n)
//!     if m <= k: return sub(m, d[:k], b) + [mth(d[k:])]
//!     return sub(m - k, d[k:], False) + [mth(d[:k])]
//! for m, n in [(1, 8), (6, 8), (2, 5), (3, 7), (4, 8)]:
//!     print(m, n, [p.hex() for p in sub(m, L[:n], True)])
//! ```
//! (The first three agree with the Certificate Transparency reference test data.)
use super::super::leaf_hash;
use super::super::Frontier;
use super::*;

fn h(s: &str) -> Hash {
    let v: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

fn reference_leaves() -> Vec<Hash> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| {
        let b: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        leaf_hash(&b)
    })
    .collect()
}

const VECTORS: [(u64, u64, &[&str]); 5] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        3,
        7,
        &[
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
        ],
    ),
    (
        4,
        8,
        &["6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    ),
];

#[test]
fn proofs_match_independently_computed_vectors_and_verify() {
    let l = reference_leaves();
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    for (m, n, want) in VECTORS {
        let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
        let got = t.consistency_proof(m, n).unwrap();
        assert_eq!(got, want, "proof {m} -> {n}");
        let (r1, r2) = (t.root(m).unwrap(), t.root(n).unwrap());
        verify_consistency(m, n, &r1, &r2, &got).unwrap();
    }
}

fn leaves(n: u32) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

#[test]
fn every_pair_of_sizes_round_trips_and_every_tampered_element_fails() {
    let l = leaves(70);
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    let roots: Vec<Hash> = (0..=70).map(|n| t.root(n).unwrap()).collect();
    for n in 0..=70u64 {
        for m in 0..=n {
            let p = t.consistency_proof(m, n).unwrap();
            let (r1, r2) = (&roots[m as usize], &roots[n as usize]);
            verify_consistency(m, n, r1, r2, &p).unwrap_or_else(|e| panic!("{m}->{n}: {e}"));
            if m == 0 || m == n {
                assert!(p.is_empty(), "{m}->{n}");
                continue;
            }
            for i in 0..p.len() {
                let mut bad = p.clone();
                bad[i][i % 32] ^= 1;
                assert!(
                    verify_consistency(m, n, r1, r2, &bad).is_err(),
                    "{m}->{n} elt {i}"
                );
            }
            let mut longer = p.clone();
            longer.push([0; 32]);
            assert!(matches!(
                verify_consistency(m, n, r1, r2, &longer),
                Err(ConsistencyError::WrongLength { .. })
            ));
            assert!(verify_consistency(m, n, r1, r2, &p[1..]).is_err());
            // Wrong roots, and the same proof claimed for other sizes.
            // (For a power-of-two old size the old root is the path's first node, so a wrong
            // old root shows up as a new-root mismatch.)
            assert!(verify_consistency(m, n, &roots[m as usize - 1], r2, &p).is_err());
            assert!(verify_consistency(m, n, r1, &roots[n as usize - 1], &p).is_err());
            if m + 1 < n {
                let r = &roots[m as usize + 1];
                assert!(verify_consistency(m + 1, n, r, r2, &p).is_err(), "{m}->{n}");
            }
            if n < 70 {
                let r = &roots[n as usize + 1];
                assert!(verify_consistency(m, n + 1, r1, r, &p).is_err(), "{m}->{n}");
            }
        }
    }
}

#[test]
fn proof_from_compact_range_equals_full_tree_proof() {
    let l = leaves(70);
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    for m in 1..=70usize {
        let mut old = CompactRange::default();
        l[..m].iter().for_each(|x| old.push(*x));
        for n in m..=70usize {
            let got = consistency_from_compact(&old, &l[m..n]);
            assert_eq!(got, t.consistency_proof(m as u64, n as u64), "{m}->{n}");
            assert!(got.is_some(), "{m}->{n}");
        }
    }
}

#[test]
fn degenerate_cases_are_strict() {
    let l = leaves(5);
    let f = Frontier::default();
    let t = Tree::new(&f, &l);
    let (r3, r5) = (t.root(3).unwrap(), t.root(5).unwrap());
    let empty = empty_root();
    assert_eq!(
        verify_consistency(5, 3, &r5, &r3, &[]),
        Err(ConsistencyError::OldLargerThanNew { old: 5, new: 3 })
    );
    verify_consistency(0, 5, &empty, &r5, &[]).unwrap();
    assert!(matches!(
        verify_consistency(0, 5, &empty, &r5, &[r3]),
        Err(ConsistencyError::NotEmpty { .. })
    ));
    assert_eq!(
        verify_consistency(0, 5, &r3, &r5, &[]),
        Err(ConsistencyError::BadEmptyRoot)
    );
    verify_consistency(5, 5, &r5, &r5, &[]).unwrap();
    assert_eq!(
        verify_consistency(5, 5, &r3, &r5, &[]),
        Err(ConsistencyError::EqualSizeRootsDiffer { size: 5 })
    );
    assert!(verify_consistency(5, 5, &r5, &r5, &[r5]).is_err());
    assert!(verify_consistency(3, 5, &r3, &r5, &[]).is_err());
    assert_eq!(t.consistency_proof(3, 6), None);
    assert_eq!(t.consistency_proof(4, 3), None);
    assert_eq!(t.consistency_proof(0, 5), Some(vec![]));
    // A pruned prefix: proofs that need a pruned leaf are refused, not made up.
    let mut cr = CompactRange::default();
    l[..3].iter().for_each(|x| cr.push(*x));
    let fr = cr.frontier();
    let pt = Tree::new(&fr, &l[3..]);
    assert_eq!(pt.consistency_proof(3, 5), t.consistency_proof(3, 5));
    assert_eq!(pt.consistency_proof(1, 5), None);
}
