//! Property tests for the parsers of untrusted text (signed notes, vkeys, skeys, tlog-proofs,
//! trust policies): random edits of valid inputs never panic, and whatever parses re-encodes
//! to exactly its input (so a parser cannot silently normalise what was signed).
use proptest::prelude::*;

use super::cosig::cosign;
use super::vkey::{parse_skey, to_skey, Verifier};
use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{Frontier, Tree};
use crate::evidence::tlog_proof::TlogProof;
use crate::evidence::trust::TrustPolicy;

/// A valid cosigned checkpoint, a tlog-proof and a trust policy, from fixed keys.
fn samples() -> Vec<String> {
    let log = KeyPair::from_secret([1; 32]);
    let wit = KeyPair::from_secret([2; 32]);
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| [i; 32]).collect();
    let f = Frontier::default();
    let t = Tree::new(&f, &leaves);
    let cp = Checkpoint {
        origin: "p.example/log".into(),
        size: 5,
        root: t.root(5).unwrap_or_default(),
    };
    let mut n = parse_note(&cp.sign(&log)).unwrap();
    n.add_sig_line(&cosign(&n.text, "w.example", &wit, 77))
        .unwrap();
    let proof = TlogProof {
        extra: Some(vec![2, 3, 4]),
        index: 3,
        path: t.inclusion_proof(3, 5).unwrap(),
        checkpoint: n.to_text(),
    };
    let lv = Verifier::note_key("p.example/log", &log.public()).to_vkey();
    let wv = Verifier::cosigner("w.example", &wit.public()).to_vkey();
    let policy =
        format!("# p\nlog {lv} https://p.example/\nwitness w {wv}\ngroup g any w\nquorum g\n");
    vec![
        n.to_text(),
        proof.to_text(),
        policy,
        lv,
        to_skey("w.example", &wit),
    ]
}

/// Applies `edits` (position, kind) to `s` at char boundaries.
fn mutate(s: &str, edits: &[(usize, u8)]) -> String {
    const INSERTS: [&str; 8] = ["\n", "\n\n", "\u{2014} ", "+", " ", "=", "0", "\r"];
    let mut out = s.to_owned();
    for &(pos, kind) in edits {
        let mut at = pos % (out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        match kind % 3 {
            0 => out.insert_str(at, INSERTS[usize::from(kind / 3) % INSERTS.len()]),
            1 => {
                if let Some(c) = out[at..].chars().next() {
                    out.replace_range(at..at + c.len_utf8(), "");
                }
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn check_all(s: &str) {
    let k = KeyPair::from_secret([1; 32]);
    if let Ok(n) = parse_note(s) {
        assert_eq!(n.to_text(), s);
        let _ = open_note(s, &[k.public()]);
    }
    if let Ok(v) = Verifier::parse(s) {
        assert_eq!(Verifier::parse(&v.to_vkey()), Ok(v));
    }
    if let Ok((name, kp)) = parse_skey(s) {
        assert_eq!(to_skey(&name, &kp), s.trim_ascii());
    }
    if let Ok(p) = TlogProof::parse(s) {
        assert_eq!(p.to_text(), s);
        let v = Verifier::note_key("p.example/log", &k.public());
        let _ = p.check(&[3; 32], &v);
    }
    if let Ok(p) = TrustPolicy::parse(s) {
        let _ = p.check_checkpoint(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn edited_inputs_never_panic_and_round_trip(
        which in 0usize..5,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let samples = samples();
        let s = mutate(&samples[which % samples.len()], &edits);
        check_all(&s);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "(?s).{0,200}") {
        check_all(&s);
    }
}

#[test]
fn unedited_samples_parse() {
    let s = samples();
    assert!(parse_note(&s[0]).is_ok());
    assert!(TlogProof::parse(&s[1]).is_ok());
    assert!(TrustPolicy::parse(&s[2]).is_ok());
    assert!(Verifier::parse(&s[3]).is_ok());
    assert!(parse_skey(&s[4]).is_ok());
}
