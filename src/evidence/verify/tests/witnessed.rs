//! `--trust`: the witness quorum on `DIR/cosigned/latest.note`, and the cosigned checkpoint as
//! a prefix of the log.
use super::*;
use crate::evidence::note::cosig::cosign;

/// The current checkpoint of `b` cosigned by `witnesses`, written as the cosigned file.
fn cosigned(b: &Build, d: &Path, witnesses: &[(&str, &KeyPair)]) {
    let mut note = b.note();
    for (name, k) in witnesses {
        note.push_str(&cosign(
            &b.cp_text(),
            &format!("{name}.example"),
            k,
            1_700_000_000,
        ));
    }
    std::fs::create_dir_all(d.join("cosigned")).unwrap();
    std::fs::write(d.join(COSIGNED_FILE), note).unwrap();
}

#[test]
fn the_witness_quorum_is_checked_and_a_rewrite_after_a_cosigned_checkpoint_fails() {
    let (w1, w2) = (
        KeyPair::from_secret([21; 32]),
        KeyPair::from_secret([22; 32]),
    );
    let mut b = small();
    let (_t, d) = b.dir();
    cosigned(&b, &d, &[("w1", &w1), ("w2", &w2)]);
    // A group of both witnesses.
    let mut t = format!("log {}\n", vkey(ORIGIN, &b.key));
    for (name, k) in [("w1", &w1), ("w2", &w2)] {
        t.push_str(&format!(
            "witness {name} {}\n",
            Verifier::cosigner(&format!("{name}.example"), &k.public()).to_vkey()
        ));
    }
    t.push_str("group both all w1 w2\nquorum both\n");
    let trust_all = TrustRoot::from_policy(&t, "trust.policy").unwrap();
    let s = verify_dir_with(&d, &VerifyOptions::new(trust_all.clone())).unwrap();
    assert_eq!(s.cosigned, Some((5, 2)), "{s}");
    assert!(!s.trusted_data_dir_keys);
    // One witness short of the quorum.
    cosigned(&b, &d, &[("w1", &w1)]);
    let f = verify_dir_with(&d, &VerifyOptions::new(trust_all.clone())).unwrap_err();
    assert!(
        f.location == COSIGNED_FILE && f.problem.contains("quorum"),
        "{f}"
    );
    // No cosigned checkpoint at all, while the policy needs one.
    std::fs::remove_file(d.join(COSIGNED_FILE)).unwrap();
    let f = verify_dir_with(&d, &VerifyOptions::new(trust_all.clone())).unwrap_err();
    assert_eq!(f.location, COSIGNED_FILE, "{f}");
    // A history rewritten (and re-signed with the log key) after it was cosigned.
    cosigned(&b, &d, &[("w1", &w1), ("w2", &w2)]);
    let mut fork = Build::new(ORIGIN, b.key.clone());
    fork.time += 3;
    fork.group(5).group(2);
    fork.write(&d);
    let f = verify_dir_with(&d, &VerifyOptions::new(trust_all.clone())).unwrap_err();
    assert!(
        f.location == COSIGNED_FILE && f.problem.contains("rewritten or forked"),
        "{f}"
    );
    // A quorum of one out of two, and `quorum none`.
    b.group(1);
    let (_t2, d2) = b.dir();
    let mut old = Build::new(ORIGIN, b.key.clone());
    old.group(3).group(2);
    cosigned(&old, &d2, &[("w2", &w2)]);
    let mut t = format!("log {}\n", vkey(ORIGIN, &b.key));
    for (name, k) in [("w1", &w1), ("w2", &w2)] {
        t.push_str(&format!(
            "witness {name} {}\n",
            Verifier::cosigner(&format!("{name}.example"), &k.public()).to_vkey()
        ));
    }
    t.push_str("group one any w1 w2\nquorum one\n");
    let s = verify_dir_with(
        &d2,
        &VerifyOptions::new(TrustRoot::from_policy(&t, "p").unwrap()),
    )
    .unwrap();
    assert_eq!((s.cosigned, s.kept_checkpoints), (Some((5, 1)), 1), "{s}");
    let none = TrustRoot::from_policy(&format!("log {}\nquorum none\n", vkey(ORIGIN, &b.key)), "p")
        .unwrap();
    let s = verify_dir_with(&d2, &VerifyOptions::new(none)).unwrap();
    assert_eq!(s.cosigned, Some((5, 0)), "{s}");
}
