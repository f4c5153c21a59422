//! Trust policy tests: the spec's two-level example with real keys, quorum outcomes,
//! rotations (two log keys), invalid cosignatures, and every syntax rule.
use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{leaf_hash, Frontier, Tree};
use crate::evidence::note::cosig::cosign;
use crate::evidence::note::{parse_note, sign_note_multi};

const ORIGIN: &str = "gw.example/log";

struct W {
    name: &'static str,
    key: KeyPair,
}

fn witnesses(names: &[&'static str]) -> Vec<W> {
    names
        .iter()
        .map(|&name| W {
            name,
            key: KeyPair::generate(),
        })
        .collect()
}

fn vkey(w: &W) -> String {
    Verifier::cosigner(&format!("{}.example", w.name), &w.key.public()).to_vkey()
}

/// A checkpoint signed by `log` and cosigned by `by`.
fn cosigned(log: &KeyPair, by: &[&W]) -> String {
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 3,
        root: [4; 32],
    };
    let mut n = parse_note(&cp.sign(log)).unwrap();
    for (i, w) in by.iter().enumerate() {
        let line = cosign(
            &n.text,
            &format!("{}.example", w.name),
            &w.key,
            1_000 + i as u64,
        );
        n.add_sig_line(&line).unwrap();
    }
    n.to_text()
}

#[test]
fn spec_example_policy_quorum_of_two_groups() {
    let log = KeyPair::generate();
    let ws = witnesses(&["X1", "X2", "X3", "Y1", "Y2", "Y3"]);
    let v = |i: usize| vkey(&ws[i]);
    let text = format!(
        "# the spec's example, with real keys\nlog {} https://gw.example/log\n\n\
         witness X1 {}\nwitness X2 {}\n\twitness X3 {}   \ngroup X-witnesses 2 X1 X2 X3\n\n\
         witness Y1 {}\nwitness Y2 {}\nwitness Y3 {} https://y3.example/\n\
         group Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
        Verifier::note_key(ORIGIN, &log.public()).to_vkey(),
        v(0),
        v(1),
        v(2),
        v(3),
        v(4),
        v(5)
    );
    let p = TrustPolicy::parse(&text).unwrap();
    assert_eq!(p.log_keys().len(), 1);
    assert_eq!(p.log_url(0), Some("https://gw.example/log"));
    assert_eq!(p.witnesses().len(), 6);
    assert_eq!(p.witnesses()[5].url.as_deref(), Some("https://y3.example/"));
    assert_eq!(p.quorum(), Some("X-and-Y"));
    let ok = p
        .check_checkpoint(&cosigned(&log, &[&ws[0], &ws[2], &ws[4]]))
        .unwrap();
    assert_eq!(ok.checkpoint.size, 3);
    let who: Vec<(&str, u64)> = ok
        .cosigned
        .iter()
        .map(|c| (c.witness.as_str(), c.timestamp))
        .collect();
    assert_eq!(who, [("X1", 1000), ("X3", 1001), ("Y2", 1002)]);
    for short in [
        &[&ws[0], &ws[1]][..],
        &[&ws[0], &ws[3], &ws[4], &ws[5]],
        &[],
    ] {
        let e = p.check_checkpoint(&cosigned(&log, short)).unwrap_err();
        assert!(e.contains("witness quorum `X-and-Y` not met"), "{e}");
    }
    // A cosignature by an unlisted witness does not count.
    let stranger = witnesses(&["X1"]);
    let e = p
        .check_checkpoint(&cosigned(&log, &[&stranger[0], &ws[1], &ws[3]]))
        .unwrap_err();
    assert!(e.contains("cosigned by: X2, Y1"), "{e}");
    // A listed witness's cosignature that does not verify rejects the checkpoint.
    let good = cosigned(&log, &[&ws[0], &ws[1], &ws[3]]);
    let mut n = parse_note(&good).unwrap();
    n.sigs[1].sig[8] ^= 1;
    let e = p.check_checkpoint(&n.to_text()).unwrap_err();
    assert!(
        e.starts_with("witness `X1`") && e.contains("does not verify"),
        "{e}"
    );
    // Not signed by the log.
    let e = p.check_checkpoint(&cosigned(&KeyPair::generate(), &[&ws[0], &ws[1], &ws[3]]));
    assert!(e.unwrap_err().contains("no signature by a trusted key"));
}

#[test]
fn bare_log_key_and_rotation_keys() {
    let (old, new) = (KeyPair::generate(), KeyPair::generate());
    let (vo, vn) = (
        Verifier::note_key(ORIGIN, &old.public()),
        Verifier::note_key(ORIGIN, &new.public()),
    );
    let p = TrustPolicy::from_log_vkey(vo.clone());
    assert_eq!(p.quorum(), None);
    assert_eq!(
        p.check_checkpoint(&cosigned(&old, &[])).unwrap().log_key,
        vo
    );
    assert!(p.check_checkpoint(&cosigned(&new, &[])).is_err());
    let both = TrustPolicy::parse(&format!(
        "log {}\nlog {}\nquorum none\n",
        vo.to_vkey(),
        vn.to_vkey()
    ))
    .unwrap();
    assert_eq!(both.log_keys(), [vo.clone(), vn.clone()]);
    assert_eq!(
        both.check_checkpoint(&cosigned(&new, &[])).unwrap().log_key,
        vn
    );
    // The rotation checkpoint signed by both keys.
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: crate::evidence::merkle::empty_root(),
    };
    let note = sign_note_multi(&cp.text(), ORIGIN, &[&old, &new]);
    assert_eq!(both.check_checkpoint(&note).unwrap().log_key, vo);
    assert_eq!(
        TrustPolicy::from_log_vkey(vn.clone())
            .check_checkpoint(&note)
            .unwrap()
            .log_key,
        vn
    );
}

#[test]
fn proofs_are_checked_under_the_policy() {
    let log = KeyPair::generate();
    let ws = witnesses(&["A"]);
    let leaves: Vec<_> = (0..6u8).map(|i| leaf_hash(&[i])).collect();
    let f = Frontier::default();
    let t = Tree::new(&f, &leaves);
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 6,
        root: t.root(6).unwrap(),
    };
    let mut n = parse_note(&cp.sign(&log)).unwrap();
    n.add_sig_line(&cosign(&n.text, "A.example", &ws[0].key, 5))
        .unwrap();
    let proof = TlogProof {
        extra: None,
        index: 4,
        path: t.inclusion_proof(4, 6).unwrap(),
        checkpoint: n.to_text(),
    };
    let p = TrustPolicy::parse(&format!(
        "log {}\nwitness A {}\nquorum A\n",
        Verifier::note_key(ORIGIN, &log.public()).to_vkey(),
        vkey(&ws[0])
    ))
    .unwrap();
    let tc = p.check_proof(&proof, &leaves[4]).unwrap();
    assert_eq!(tc.cosigned.len(), 1);
    assert!(p.check_proof(&proof, &leaves[3]).is_err());
    let uncosigned = TlogProof {
        checkpoint: cp.sign(&log),
        ..proof
    };
    assert!(p
        .check_proof(&uncosigned, &leaves[4])
        .unwrap_err()
        .contains("quorum `A`"));
}

#[test]
fn syntax_rules_are_enforced_with_line_numbers() {
    let log = Verifier::note_key(ORIGIN, &KeyPair::generate().public()).to_vkey();
    let ws = witnesses(&["a", "b"]);
    let (a, b) = (vkey(&ws[0]), vkey(&ws[1]));
    let a_as_log = Verifier::note_key("a.example", &ws[0].key.public()).to_vkey();
    let cases: Vec<(String, &str)> = vec![
        (format!("log {log}\n"), "no `quorum` line"),
        (
            format!("log {log}\nquorum none\nquorum none\n"),
            "line 3: a second quorum",
        ),
        (
            format!("log {a}\nquorum none\n"),
            "line 1: a log key must be an Ed25519",
        ),
        (
            format!("log {log}\nlog {log}\nquorum none\n"),
            "line 2: log key",
        ),
        (
            format!("witness a {a_as_log}\nquorum a\n"),
            "line 1: witness `a`: a witness key must be",
        ),
        (
            format!("witness a {a}\nwitness b {a}\nquorum a\n"),
            "line 2: witness `b` has the public key",
        ),
        (
            format!("witness a {a}\nwitness a {b}\nquorum a\n"),
            "line 2: `a` is defined twice",
        ),
        (format!("witness none {a}\nquorum none\n"), "reserved"),
        (
            format!("quorum a\nwitness a {a}\n"),
            "line 1: `a` is not a witness or group defined",
        ),
        (
            format!("witness a {a}\ngroup g 1 a b\nquorum g\n"),
            "line 2: `b` is not",
        ),
        (
            format!("witness a {a}\ngroup g 1 a a\nquorum g\n"),
            "lists a member twice",
        ),
        (
            format!("witness a {a}\ngroup g 2 a\nquorum g\n"),
            "threshold `2`",
        ),
        (
            format!("witness a {a}\ngroup g 0 a\nquorum g\n"),
            "threshold `0`",
        ),
        (
            format!("witness a {a}\ngroup g 01 a\nquorum g\n"),
            "threshold `01`",
        ),
        (
            format!("witness a {a}\ngroup g any\nquorum g\n"),
            "wrong number of items for `group`",
        ),
        (
            format!("witness a {a}\ngroup g any none\nquorum g\n"),
            "`none` is not",
        ),
        (
            format!("witness a {a}\ngroup g any g\nquorum g\n"),
            "`g` is not",
        ),
        (
            format!("witness a {a}\ngroup a any a\nquorum a\n"),
            "`a` is defined twice",
        ),
        (
            format!("log {log} u extra\nquorum none\n"),
            "line 1: wrong number of items for `log`",
        ),
        (
            format!("log {log}\r\nquorum none\n"),
            "line 1: control character 0x0d",
        ),
        (format!("log {log}\nquorum\n"), "line 2: wrong number"),
        (
            format!("log {log}\nquorum none x\n"),
            "line 2: wrong number",
        ),
        (
            format!("logs {log}\nquorum none\n"),
            "line 1: unknown keyword `logs`",
        ),
        ("log not-a-vkey\nquorum none\n".into(), "line 1: vkey"),
        ("quorum none\u{7}\n".into(), "control character 0x07"),
    ];
    for (text, want) in cases {
        let e = TrustPolicy::parse(&text).unwrap_err().to_string();
        assert!(e.contains(want), "{text:?}: {e}");
    }
    // Accepted: comments, tabs, no final newline, no logs, non-ASCII names and comments.
    let p = TrustPolicy::parse(&format!(
        "  # c\u{e9}\n\twitness \u{212a} {a}\t\nwitness K {b}\ngroup g all \u{212a} K\nquorum g"
    ))
    .unwrap();
    assert!(p.log_keys().is_empty());
    assert_eq!(p.witnesses()[0].name, "\u{212a}");
    assert!(p.check_checkpoint("x").unwrap_err().contains("no log key"));
}

#[test]
fn deeply_shared_groups_evaluate_quickly() {
    // Each group names every earlier group: exponential if evaluated naively per path.
    let ws = witnesses(&["a"]);
    let mut text = format!("witness a {}\ngroup g0 any a\n", vkey(&ws[0]));
    for i in 1..MAX_ITEMS {
        let members: Vec<String> = (0..i).map(|j| format!("g{j}")).collect();
        text.push_str(&format!("group g{i} all {}\n", members.join(" ")));
    }
    text.push_str(&format!("quorum g{}\n", MAX_ITEMS - 1));
    let p = TrustPolicy::parse(&text).unwrap();
    let log = KeyPair::generate();
    let p = TrustPolicy {
        logs: vec![Verifier::note_key(ORIGIN, &log.public())],
        log_urls: vec![None],
        ..p
    };
    p.check_checkpoint(&cosigned(&log, &[&ws[0]])).unwrap();
    assert!(p.check_checkpoint(&cosigned(&log, &[])).is_err());
    text.push_str("group one-too-many any a\n");
    assert!(TrustPolicy::parse(&text)
        .unwrap_err()
        .to_string()
        .contains("more than 256 groups"));
}
