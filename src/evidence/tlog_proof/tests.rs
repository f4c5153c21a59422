//! tlog-proof tests: every index of a ragged tree round trips and checks; wrong leaf, key,
//! origin, path and index fail; the parser refuses each malformed line.
use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{leaf_hash, Frontier, Tree};
use crate::evidence::note::cosig::cosign;
use crate::evidence::note::parse_note;

struct Fixture {
    entries: Vec<Vec<u8>>,
    leaves: Vec<Hash>,
    key: KeyPair,
    note: String,
}

fn fixture(origin: &str, n: u8) -> Fixture {
    let entries: Vec<Vec<u8>> = (0..n).map(|i| vec![2, i, i ^ 0x5a]).collect();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let f = Frontier::default();
    let root = Tree::new(&f, &leaves).root(u64::from(n)).unwrap();
    let key = KeyPair::generate();
    let cp = Checkpoint {
        origin: origin.into(),
        size: u64::from(n),
        root,
    };
    let mut note = parse_note(&cp.sign(&key)).unwrap();
    let w = KeyPair::generate();
    note.add_sig_line(&cosign(&note.text, "w.example", &w, 1_700_000_000))
        .unwrap();
    Fixture {
        entries,
        leaves,
        key,
        note: note.to_text(),
    }
}

fn proof(fx: &Fixture, i: usize) -> TlogProof {
    let f = Frontier::default();
    let size = fx.leaves.len() as u64;
    TlogProof {
        extra: Some(fx.entries[i].clone()),
        index: i as u64,
        path: Tree::new(&f, &fx.leaves)
            .inclusion_proof(i as u64, size)
            .unwrap(),
        checkpoint: fx.note.clone(),
    }
}

#[test]
fn every_index_round_trips_and_checks() {
    let fx = fixture("gw.example/log", 13);
    let v = Verifier::note_key("gw.example/log", &fx.key.public());
    for i in 0..13 {
        let p = proof(&fx, i);
        let text = p.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
        let back = TlogProof::parse(&text).unwrap();
        assert_eq!(back, p);
        let leaf = leaf_hash(back.extra.as_deref().unwrap());
        let cp = back.check(&leaf, &v).unwrap();
        assert_eq!((cp.size, cp.origin.as_str()), (13, "gw.example/log"));
        let other = leaf_hash(&fx.entries[(i + 1) % 13]);
        assert!(back
            .check(&other, &v)
            .unwrap_err()
            .contains("does not lead"));
    }
    let single = fixture("gw.example/one", 1);
    let p = TlogProof {
        extra: None,
        ..proof(&single, 0)
    };
    let text = p.to_text();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\ngw.example/one\n1\n"));
    let back = TlogProof::parse(&text).unwrap();
    let v1 = Verifier::note_key("gw.example/one", &single.key.public());
    back.check(&single.leaves[0], &v1).unwrap();
}

#[test]
fn wrong_key_origin_path_or_index_fail() {
    let fx = fixture("gw.example/log", 9);
    let p = proof(&fx, 4);
    let leaf = fx.leaves[4];
    let v = Verifier::note_key("gw.example/log", &fx.key.public());
    let stranger = Verifier::note_key("gw.example/log", &KeyPair::generate().public());
    assert!(p.check(&leaf, &stranger).is_err());
    let renamed = Verifier::note_key("gw.example/other", &fx.key.public());
    assert!(p.check(&leaf, &renamed).is_err());
    let cosigner = Verifier::cosigner("gw.example/log", &fx.key.public());
    assert!(p.check(&leaf, &cosigner).is_err());
    for i in 0..p.path.len() {
        let mut bad = p.clone();
        bad.path[i][0] ^= 1;
        assert!(bad.check(&leaf, &v).is_err());
    }
    let mut short = p.clone();
    short.path.pop();
    assert!(short.check(&leaf, &v).is_err());
    let mut long = p.clone();
    long.path.push([0; 32]);
    assert!(long.check(&leaf, &v).is_err());
    let moved = TlogProof {
        index: 5,
        ..p.clone()
    };
    assert!(moved.check(&leaf, &v).is_err());
    let outside = TlogProof {
        index: 9,
        ..p.clone()
    };
    assert!(outside.check(&leaf, &v).unwrap_err().contains("outside"));
    let edited = TlogProof {
        checkpoint: p.checkpoint.replacen("\n9\n", "\n8\n", 1),
        ..p.clone()
    };
    assert!(edited
        .check(&leaf, &v)
        .unwrap_err()
        .contains("does not verify"));
}

#[test]
fn malformed_proofs_are_refused() {
    let fx = fixture("gw.example/log", 5);
    let good = proof(&fx, 2).to_text();
    let h = B64.encode([7u8; 32]);
    let cp = &fx.note;
    let cases: Vec<(String, &str)> = vec![
        (good.replacen("@v1", "@v2", 1), "line 1"),
        (
            good.replacen("extra ", "extra  ", 1),
            "line 2: extra is not base64",
        ),
        (good.replacen("extra ", "Extra ", 1), "line 2"),
        (format!("{HEADER}\nextra \nindex 0\n\n{cp}"), "without data"),
        (format!("{HEADER}\nindex 02\n\n{cp}"), "line 2"),
        (format!("{HEADER}\nindex +2\n\n{cp}"), "line 2"),
        (format!("{HEADER}\nindex 2 \n\n{cp}"), "line 2"),
        (format!("{HEADER}\nindex 2\n{}\n\n{cp}", &h[1..]), "line 3"),
        (format!("{HEADER}\nindex 2\n{h}\n{h}"), "line 4"),
        (format!("{HEADER}\nindex 2\n{h}"), "line 3"),
        (
            format!("{HEADER}\nindex 2\n{}\n{cp}", format!("{h}\n").repeat(65)),
            "64",
        ),
        (
            format!("{HEADER}\nindex 2\n\n{}", cp.replace('\n', "\r\n")),
            "checkpoint",
        ),
        (
            format!("{HEADER}\nindex 2\n\n{}", cp.replacen("\n5\n", "\n05\n", 1)),
            "checkpoint",
        ),
        (format!("{HEADER}\nindex 2\n\nnot a note\n"), "checkpoint"),
        (format!("{HEADER}\nindex 2\n\n"), "checkpoint"),
        (format!("{HEADER}\r\nindex 2\n\n{cp}"), "line 1"),
        ("".into(), "line 1"),
    ];
    for (input, want) in cases {
        let e = TlogProof::parse(&input).unwrap_err().to_string();
        assert!(e.contains(want), "{input:?}: {e}");
    }
    assert_eq!(
        TlogProof::parse(&"x".repeat(MAX_PROOF_BYTES + 1)),
        Err(TlogProofError::TooLarge)
    );
    // 64 path hashes is the limit, not an error.
    let p = TlogProof::parse(&format!(
        "{HEADER}\nindex 2\n{}\n{cp}",
        format!("{h}\n").repeat(64)
    ));
    assert_eq!(p.unwrap().path.len(), 64);
}
