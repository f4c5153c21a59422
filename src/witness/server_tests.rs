use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::*;
use crate::evidence::merkle::{leaf_hash, Frontier, Hash, Tree};
use crate::evidence::note::cosig::verify_cosignature;
use crate::evidence::note::sign_note;
use crate::witness::request::encode_request;

const ORIGIN: &str = "gw.example/log";
const NOW: u64 = 1_700_000_000;

struct Fixture {
    dir: tempfile::TempDir,
    log: KeyPair,
    witness_key: KeyPair,
    leaves: Vec<Hash>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            log: KeyPair::generate(),
            witness_key: KeyPair::generate(),
            leaves: (0..40u32).map(|i| leaf_hash(&i.to_be_bytes())).collect(),
        }
    }

    fn witness(&self) -> Witness {
        let keys = vec![Verifier::note_key(ORIGIN, &self.log.public())];
        let key = KeyPair::from_secret(self.witness_key.secret_seed());
        Witness::open("w.example/w1", key, keys, self.dir.path()).unwrap()
    }

    fn root(&self, n: u64) -> Hash {
        let f = Frontier::default();
        Tree::new(&f, &self.leaves).root(n).unwrap()
    }

    fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        let f = Frontier::default();
        Tree::new(&f, &self.leaves)
            .consistency_proof(old, new)
            .unwrap()
    }

    fn checkpoint(&self, n: u64) -> String {
        checkpoint(ORIGIN, n, &self.root(n), &self.log)
    }

    fn body(&self, old: u64, new: u64) -> Vec<u8> {
        encode_request(old, &self.proof(old, new), &self.checkpoint(new)).into_bytes()
    }
}

fn checkpoint(origin: &str, n: u64, root: &Hash, key: &KeyPair) -> String {
    let text = format!("{origin}\n{n}\n{}\n", B64.encode(root));
    sign_note(&text, origin, key)
}

fn cosigned(w: &Witness, note: &str, out: &Outcome) -> u64 {
    let Outcome::Cosigned(line) = out else {
        panic!("not cosigned: {out:?}");
    };
    assert!(line.starts_with("\u{2014} w.example/w1 ") && line.ends_with('\n'));
    let mut n = parse_note(note).unwrap();
    n.add_sig_line(line).unwrap();
    verify_cosignature(&n, &w.cosigner()).unwrap()
}

#[test]
fn cosigns_the_first_checkpoint_and_each_consistent_extension() {
    let f = Fixture::new();
    let w = f.witness();
    assert_eq!(
        cosigned(&w, &f.checkpoint(5), &w.add_checkpoint(&f.body(0, 5), NOW)),
        NOW
    );
    assert!(matches!(
        w.add_checkpoint(&f.body(5, 17), NOW + 1),
        Outcome::Cosigned(_)
    ));
    // The same checkpoint again is consistent with itself.
    assert!(matches!(
        w.add_checkpoint(&f.body(17, 17), NOW + 2),
        Outcome::Cosigned(_)
    ));
    assert!(matches!(
        w.add_checkpoint(&f.body(17, 40), NOW + 3),
        Outcome::Cosigned(_)
    ));
    // The monitoring view: the log's signature plus the cosignature, for this origin only.
    let latest = w.latest(&origin_hash(ORIGIN)).unwrap();
    let note = parse_note(&latest).unwrap();
    assert_eq!(note.text, parse_note(&f.checkpoint(40)).unwrap().text);
    assert_eq!(verify_cosignature(&note, &w.cosigner()).unwrap(), NOW + 3);
    assert_eq!(w.latest(&origin_hash("other")), None);
}

#[test]
fn malformed_requests_are_400() {
    let f = Fixture::new();
    let w = f.witness();
    let cp = f.checkpoint(5);
    for body in [
        b"old 0\n".to_vec(),
        b"garbage".to_vec(),
        format!("old 00\n\n{cp}").into_bytes(),
        encode_request(0, &[], "not a note\n").into_bytes(),
        encode_request(0, &[], &cp.replace("\n5\n", "\n05\n")).into_bytes(),
        // Old size above the checkpoint size.
        encode_request(6, &[], &cp).into_bytes(),
    ] {
        assert_eq!(w.add_checkpoint(&body, NOW).status(), 400, "{body:?}");
    }
}

#[test]
fn unknown_origins_are_404_and_untrusted_signatures_403() {
    let f = Fixture::new();
    let w = f.witness();
    let other = checkpoint("other.example/log", 5, &f.root(5), &f.log);
    assert_eq!(
        w.add_checkpoint(encode_request(0, &[], &other).as_bytes(), NOW),
        Outcome::UnknownOrigin
    );
    // Signed under the right name by a key the witness does not know.
    let stranger = checkpoint(ORIGIN, 5, &f.root(5), &KeyPair::generate());
    let out = w.add_checkpoint(encode_request(0, &[], &stranger).as_bytes(), NOW);
    assert_eq!(out.status(), 403, "{out:?}");
    // The trusted key's line with a broken signature, next to a valid foreign one.
    let cp = f.checkpoint(5);
    let mut note = parse_note(&cp).unwrap();
    note.sigs[0].sig[10] ^= 1;
    note.add_sig_line(&parse_note(&stranger).unwrap().sigs[0].to_line())
        .unwrap();
    let out = w.add_checkpoint(encode_request(0, &[], &note.to_text()).as_bytes(), NOW);
    assert!(
        matches!(&out, Outcome::Forbidden(e) if e.contains("does not verify")),
        "{out:?}"
    );
    // None of these changed the state.
    assert_eq!(w.latest(&origin_hash(ORIGIN)), None);
}

#[test]
fn a_wrong_old_size_is_409_with_the_latest_size() {
    let f = Fixture::new();
    let w = f.witness();
    assert_eq!(w.add_checkpoint(&f.body(3, 9), NOW), Outcome::Conflict(0));
    assert!(matches!(
        w.add_checkpoint(&f.body(0, 9), NOW),
        Outcome::Cosigned(_)
    ));
    assert_eq!(w.add_checkpoint(&f.body(0, 20), NOW), Outcome::Conflict(9));
    assert_eq!(w.add_checkpoint(&f.body(8, 20), NOW), Outcome::Conflict(9));
    // A smaller checkpoint after a larger one can never be cosigned: its old size is either
    // above its own size (400) or not the cosigned size (409).
    assert_eq!(w.add_checkpoint(&f.body(0, 4), NOW), Outcome::Conflict(9));
    assert_eq!(
        w.add_checkpoint(encode_request(9, &[], &f.checkpoint(4)).as_bytes(), NOW)
            .status(),
        400
    );
}

#[test]
fn inconsistent_checkpoints_are_422() {
    let f = Fixture::new();
    let w = f.witness();
    // Size 0 with a root other than the empty tree's.
    let bad_empty = checkpoint(ORIGIN, 0, &[7; 32], &f.log);
    assert_eq!(
        w.add_checkpoint(encode_request(0, &[], &bad_empty).as_bytes(), NOW)
            .status(),
        422
    );
    // A proof from size 0.
    let body = encode_request(0, &[[1; 32]], &f.checkpoint(5));
    assert_eq!(w.add_checkpoint(body.as_bytes(), NOW).status(), 422);
    assert!(matches!(
        w.add_checkpoint(&f.body(0, 8), NOW),
        Outcome::Cosigned(_)
    ));
    // A proof that does not verify, and one for a forked tree.
    let mut proof = f.proof(8, 13);
    proof[0][0] ^= 1;
    let body = encode_request(8, &proof, &f.checkpoint(13));
    assert_eq!(w.add_checkpoint(body.as_bytes(), NOW).status(), 422);
    let mut fork = f.leaves.clone();
    fork[3] = [9; 32];
    let forked = Fixture { leaves: fork, ..f };
    let w = forked.witness();
    assert_eq!(w.add_checkpoint(&forked.body(8, 13), NOW).status(), 422);
    // Same size, different root.
    let body = encode_request(8, &[], &forked.checkpoint(8));
    assert_eq!(w.add_checkpoint(body.as_bytes(), NOW).status(), 422);
    // Still at the first cosigned state.
    let note = parse_note(&w.latest(&origin_hash(ORIGIN)).unwrap()).unwrap();
    assert!(note.text.contains("\n8\n"));
}

#[test]
fn state_survives_a_restart() {
    let f = Fixture::new();
    assert!(matches!(
        f.witness().add_checkpoint(&f.body(0, 12), NOW),
        Outcome::Cosigned(_)
    ));
    let w = f.witness();
    assert_eq!(w.add_checkpoint(&f.body(0, 12), NOW), Outcome::Conflict(12));
    assert!(matches!(
        w.add_checkpoint(&f.body(12, 30), NOW),
        Outcome::Cosigned(_)
    ));
}

#[test]
fn a_rotated_log_key_is_accepted_alone_or_beside_the_old_one() {
    let f = Fixture::new();
    let new = KeyPair::generate();
    let keys = vec![
        Verifier::note_key(ORIGIN, &f.log.public()),
        Verifier::note_key(ORIGIN, &new.public()),
    ];
    let key = KeyPair::from_secret(f.witness_key.secret_seed());
    let w = Witness::open("w.example/w1", key, keys, f.dir.path()).unwrap();
    assert_eq!(w.origins(), vec![ORIGIN]);
    assert!(matches!(
        w.add_checkpoint(&f.body(0, 5), NOW),
        Outcome::Cosigned(_)
    ));
    let cp = checkpoint(ORIGIN, 9, &f.root(9), &new);
    let body = encode_request(5, &f.proof(5, 9), &cp);
    assert!(matches!(
        w.add_checkpoint(body.as_bytes(), NOW),
        Outcome::Cosigned(_)
    ));
}

#[test]
fn nothing_is_cosigned_when_the_state_cannot_be_persisted() {
    let f = Fixture::new();
    let w = f.witness();
    let state_dir = f.dir.path().join("state");
    std::fs::remove_dir_all(&state_dir).unwrap();
    std::fs::write(&state_dir, b"not a directory").unwrap();
    assert_eq!(w.add_checkpoint(&f.body(0, 5), NOW).status(), 500);
    std::fs::remove_file(&state_dir).unwrap();
    std::fs::create_dir(&state_dir).unwrap();
    // The failed request did not move the state: old size 0 is still the right one.
    assert!(matches!(
        w.add_checkpoint(&f.body(0, 5), NOW),
        Outcome::Cosigned(_)
    ));
}
