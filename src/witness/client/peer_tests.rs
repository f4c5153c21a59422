use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::consistency::verify_consistency;
use crate::evidence::merkle::{Frontier, Tree};
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

/// A witness served over HTTP on loopback.
async fn serve_witness(w: crate::witness::server::Witness) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _stop = stop;
        crate::witness::http::serve(std::sync::Arc::new(w), listener, rx).await;
    });
    format!("http://{addr}")
}

fn peer(url: &str, vkey: &crate::evidence::note::vkey::Verifier) -> Peer {
    Peer::new(WitnessSettings {
        name: "w".into(),
        url: url.parse().unwrap(),
        vkey: vkey.clone(),
    })
}

fn count(ctx: &Ctx, result: &str) -> u64 {
    ctx.metrics
        .get_or_create(&WitnessLabels {
            witness: "w".into(),
            result: result.into(),
        })
        .get()
}

#[tokio::test]
async fn a_witness_ahead_of_the_client_is_caught_up_after_its_409() {
    use crate::evidence::note::{parse_note, sign_note, vkey::Verifier};
    use crate::witness::request::{encode_request, parse_checkpoint_text};
    let dir = tempfile::tempdir().unwrap();
    let log_key = {
        let d = dir.path().to_owned();
        tokio::task::spawn_blocking(move || make_log(&d, 30))
            .await
            .unwrap()
    };
    let note = crate::evidence::read::latest_checkpoint(dir.path())
        .unwrap()
        .unwrap();
    let parsed = parse_note(&note).unwrap();
    let cp = parse_checkpoint_text(&parsed.text).unwrap();
    let leaves = crate::evidence::read::leaf_hashes(dir.path(), 0).unwrap();
    // The witness already cosigned size 9 of this log (e.g. before the proxy restarted).
    let wdir = tempfile::tempdir().unwrap();
    let wkey = KeyPair::generate();
    let cosigner = Verifier::cosigner("w.example/w", &wkey.public());
    let logs = vec![Verifier::note_key(&cp.origin, &log_key.public())];
    let w = crate::witness::server::Witness::open("w.example/w", wkey, logs, wdir.path()).unwrap();
    let text9 = format!("{}\n9\n{}\n", cp.origin, B64.encode(root(&leaves, 9)));
    let at9 = encode_request(0, &[], &sign_note(&text9, &cp.origin, &log_key));
    assert_eq!(w.add_checkpoint(at9.as_bytes(), 1).status(), 200);
    let url = serve_witness(w).await;
    let ctx = Ctx {
        http: super::super::http_client().unwrap(),
        data_dir: dir.path().to_owned(),
        metrics: Family::default(),
        interval: Duration::from_millis(100),
    };

    // Unknown state: old 0, a 409 with 9, the range rebuilt at 9, then cosigned.
    let mut p = peer(&url, &cosigner);
    p.submit(&ctx, &note, &parsed, &cp).await;
    assert_eq!((count(&ctx, "conflict"), count(&ctx, "ok")), (1, 1));
    assert!(p.cosigned(&parsed.text));
    let mut n = parsed.clone();
    n.add_sig_line(&p.lines_for(&parsed.text)[0]).unwrap();
    verify_cosignature(&n, &cosigner).unwrap();
    assert_eq!(p.accepted.as_ref().map(|a| a.0), Some(cp.size));

    // A fork of the same size, signed by the log key: refused as inconsistent, backed off.
    let forked_text = format!("{}\n{}\n{}\n", cp.origin, cp.size, B64.encode([7u8; 32]));
    let forked = sign_note(&forked_text, &cp.origin, &log_key);
    let fparsed = parse_note(&forked).unwrap();
    let fcp = parse_checkpoint_text(&fparsed.text).unwrap();
    p.submit(&ctx, &forked, &fparsed, &fcp).await;
    assert_eq!(count(&ctx, "inconsistent"), 1);
    assert!(!p.cosigned(&fparsed.text) && !p.due(Instant::now()));

    // A client configured with another key for this witness keeps nothing it returns.
    let other = Verifier::cosigner("w.example/w", &KeyPair::generate().public());
    let mut q = peer(&url, &other);
    q.accepted = Some((cp.size, None));
    q.submit(&ctx, &note, &parsed, &cp).await;
    assert_eq!(count(&ctx, "bad_cosignature"), 1);
    assert!(q.lines_for(&parsed.text).is_empty());

    // A witness that is not there: an error, counted, retried later.
    let mut gone = peer("http://127.0.0.1:1", &cosigner);
    gone.submit(&ctx, &note, &parsed, &cp).await;
    assert_eq!(count(&ctx, "error"), 1);
    assert!(!gone.due(Instant::now()));
}
