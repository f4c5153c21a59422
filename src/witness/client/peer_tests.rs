use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{verify_consistency, Frontier, Tree};
use crate::evidence::proto::{record::Kind, DecisionRecord};
use crate::evidence::{EvidenceLog, LogConfig};

/// A closed log of `n` decision records in small segments; returns its key.
fn make_log(dir: &Path, n: u64) -> KeyPair {
    let mut cfg = LogConfig::new(dir);
    cfg.segment_bytes = 2048;
    let key = KeyPair::generate();
    let (log, _) = EvidenceLog::open(cfg, KeyPair::from_secret(key.secret_seed())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..n {
            let d = DecisionRecord {
                decision_id: format!("d-{i}"),
                ..Default::default()
            };
            log.append(Kind::Decision(d)).await.unwrap();
        }
    });
    log.close().unwrap();
    key
}

fn root(leaves: &[Hash], n: u64) -> Hash {
    let f = Frontier::default();
    Tree::new(&f, leaves).root(n).unwrap()
}

#[test]
fn proofs_from_the_accepted_size_verify_with_or_without_a_kept_range() {
    let dir = tempfile::tempdir().unwrap();
    make_log(dir.path(), 40);
    let leaves = crate::evidence::read::leaf_hashes(dir.path(), 0).unwrap();
    let n = leaves.len() as u64;
    let top = root(&leaves, n);
    let (old, proof, range) = prepare(dir.path(), None, n, &top).unwrap();
    assert!(old == 0 && proof.is_empty() && range.is_none());
    for m in [1, 2, 7, 16, n - 1] {
        let (old, proof, range) = prepare(dir.path(), Some((m, None)), n, &top).unwrap();
        assert_eq!(old, m);
        verify_consistency(m, n, &root(&leaves, m), &top, &proof).unwrap();
        assert_eq!(range.as_ref().map(CompactRange::root), Some(top));
        // The same from a kept compact range at m.
        let (kept, _) = range_at(dir.path(), m).unwrap();
        let again = prepare(dir.path(), Some((m, Some(kept))), n, &top).unwrap();
        assert_eq!(again.1, proof);
    }
    // Equal sizes need no proof; a witness ahead of the log, or a root the files do not give,
    // is an error and nothing is sent.
    assert!(prepare(dir.path(), Some((n, None)), n, &top)
        .unwrap()
        .1
        .is_empty());
    assert!(prepare(dir.path(), Some((n + 1, None)), n, &top).is_err());
    assert!(prepare(dir.path(), Some((3, None)), n, &[0; 32]).is_err());
    assert!(prepare(dir.path(), Some((3, None)), n + 5, &top).is_err());
}

#[test]
fn a_pruned_log_is_rebuilt_from_its_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_log(dir.path(), 60);
    let leaves = crate::evidence::read::leaf_hashes(dir.path(), 0).unwrap();
    let n = leaves.len() as u64;
    let far_future = i64::MAX / 2;
    let first = crate::evidence::prune(dir.path(), &key, far_future)
        .unwrap()
        .unwrap();
    assert!(first > 0 && first < n, "pruned to {first} of {n}");
    assert!(crate::evidence::read::leaf_hashes(dir.path(), 0).is_err());
    let top = root(&leaves, n);
    let (old, proof, _) = prepare(dir.path(), Some((first, None)), n, &top).unwrap();
    verify_consistency(old, n, &root(&leaves, first), &top, &proof).unwrap();
    // Pruning appended a record of its own: the leaves after n - 1 are the last old one and it.
    let now = first
        + crate::evidence::read::leaf_hashes(dir.path(), first)
            .unwrap()
            .len() as u64;
    let (r, rest) = range_at(dir.path(), n - 1).unwrap();
    assert_eq!(
        (r.root(), rest.len() as u64),
        (root(&leaves, n - 1), now - (n - 1))
    );
    let err = prepare(dir.path(), Some((first - 1, None)), n, &top).unwrap_err();
    assert!(err.contains("pruned"), "{err}");
}
