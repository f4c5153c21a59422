//! Signed-note tests: the spec's and the Go reference implementation's published examples,
//! multi-signature notes, the last-blank-line split, the verification rules (unknown keys
//! ignored, a bad known signature rejects), cosignatures, vkeys/skeys, and hostile input.
use super::cosig::{cosig_timestamp, cosign, verify_cosignature, MAX_TIMESTAMP};
use super::vkey::{key_hash, parse_skey, to_skey, KeyKind, Verifier, VkeyError};
use super::*;
use crate::evidence::keys::{note_key_hash, KeyPair};
use crate::evidence::merkle::CompactRange;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// From the C2SP signed-note spec ("Verifier keys", "Example").
const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

/// From the documentation of golang.org/x/mod/sumdb/note (used as data). Ed25519 is
/// deterministic, so signing the text with the key must give exactly this note.
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/// From the signed-note spec: a text that itself contains a blank line.
const QUASIMODO: &str = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

/// From the tlog-cosignature spec: a checkpoint with a log signature and a cosignature whose
/// signed message is given there with `time 1679315147`.
const COSIGNED: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

#[test]
fn spec_example_vkey_verifies_spec_example_note() {
    let v = Verifier::parse(SPEC_VKEY).unwrap();
    assert_eq!(
        (v.name.as_str(), v.kind),
        ("example.com/foo", KeyKind::Ed25519)
    );
    assert_eq!(v.key_id(), "530d903a");
    assert_eq!(v.to_vkey(), SPEC_VKEY);
    let n = parse_note(SPEC_NOTE).unwrap();
    assert_eq!(n.text, "This is an example message.\n");
    assert_eq!(n.check_sig(&v), SigStatus::Valid { timestamp: None });
    assert_eq!(n.to_text(), SPEC_NOTE);
    // Not a checkpoint: the key name is not the first line, so `open_with` (which requires
    // the log key to be named after the origin) refuses it.
    let e = open_with(SPEC_NOTE, std::slice::from_ref(&v)).unwrap_err();
    assert!(e.contains("no signature by a trusted key named"), "{e}");
    let edited = SPEC_NOTE.replace("example message", "exemple message");
    assert!(matches!(
        parse_note(&edited).unwrap().check_sig(&v),
        SigStatus::Invalid(_)
    ));
}

#[test]
fn go_reference_key_and_note_match_byte_for_byte() {
    let (name, kp) = parse_skey(GO_SKEY).unwrap();
    assert_eq!(name, "PeterNeumann");
    assert_eq!(to_skey(&name, &kp), GO_SKEY);
    let v = Verifier::note_key(&name, &kp.public());
    assert_eq!(v.to_vkey(), GO_VKEY);
    assert_eq!(Verifier::parse(GO_VKEY).unwrap(), v);
    assert_eq!(
        key_hash(&name, KeyKind::Ed25519, &kp.public_bytes()),
        note_key_hash(&name, &kp.public_bytes())
    );
    let note = sign_note(GO_TEXT, &name, &kp);
    assert_eq!(note, format!("{GO_TEXT}\n{GO_SIG}"));
    assert_eq!(
        parse_note(&note).unwrap().check_sig(&v),
        SigStatus::Valid { timestamp: None }
    );
}

#[test]
fn text_is_split_at_the_last_blank_line() {
    let n = parse_note(QUASIMODO).unwrap();
    assert!(
        n.text.ends_with("sole:\n\ned \u{e8} subito sera.\n"),
        "{:?}",
        n.text
    );
    assert_eq!(n.sigs.len(), 1);
    assert_eq!(n.sigs[0].name, "quasimodo.example/salvatore");
    assert_eq!(n.to_text(), QUASIMODO);
    // A signed text with a blank line in it verifies, and the blank line is covered.
    let k = KeyPair::generate();
    let text = "o.example/log\npara one\n\npara two\n";
    let note = sign_note(text, "o.example/log", &k);
    let v = open_note(&note, &[k.public()]).unwrap();
    assert_eq!(v.text, text);
    let moved = note.replace("\n\npara two", "\npara two\n");
    assert!(open_note(&moved, &[k.public()]).is_err());
}

#[test]
fn spec_cosignature_line_parses_with_its_timestamp() {
    let n = parse_note(COSIGNED).unwrap();
    assert_eq!(n.origin(), "example.com/behind-the-sofa");
    assert_eq!(n.sigs.len(), 2);
    let w = &n.sigs[1];
    assert_eq!(w.name, "witness.example.com/w1");
    assert_eq!(crate::evidence::common::hex(&w.key_hash), "8d66cf3f");
    assert_eq!(cosig_timestamp(w), Some(1_679_315_147));
    assert_eq!(cosig_timestamp(&n.sigs[0]), None); // 64 bytes: a plain log signature
    let cp = Checkpoint::parse(&n.text).unwrap();
    assert_eq!(cp.size, 20_852_163);
}

#[test]
fn multi_signed_note_opens_with_either_key_and_round_trips() {
    let (old, new) = (KeyPair::generate(), KeyPair::generate());
    let cp = Checkpoint {
        origin: "gw.example/log".into(),
        size: 7,
        root: [3; 32],
    };
    let note = sign_note_multi(&cp.text(), &cp.origin, &[&old, &new]);
    let parsed = parse_note(&note).unwrap();
    assert_eq!(parsed.sigs.len(), 2);
    assert_eq!(parsed.to_text(), note);
    for k in [&old, &new] {
        let v = open_note(&note, &[k.public()]).unwrap();
        assert_eq!(v.key_id, k.key_id());
        assert_eq!(Checkpoint::parse(&v.text).unwrap(), cp);
    }
    let vs = [
        Verifier::note_key(&cp.origin, &old.public()),
        Verifier::note_key(&cp.origin, &new.public()),
    ];
    assert_eq!(open_with(&note, &vs).unwrap().1, 0);
    assert!(open_note(&note, &[KeyPair::generate().public()]).is_err());
}

#[test]
fn unknown_signatures_are_ignored_and_a_bad_known_one_rejects() {
    let (k, other) = (KeyPair::generate(), KeyPair::generate());
    let origin = "gw.example/log";
    let text = format!("{origin}\n1\n{}\n", B64.encode([0u8; 32]));
    let good = sign_note(&text, origin, &k);
    // Another key under the same name (other key hash), and the right key hash under another
    // name: both unknown, both ignored.
    let foreign = sign_note(&text, origin, &other);
    let foreign_line = &foreign[text.len() + 1..];
    let renamed = sign_note(&text, "elsewhere.example", &k);
    let renamed_line = &renamed[text.len() + 1..];
    let mixed = format!("{good}{foreign_line}{renamed_line}");
    assert!(open_note(&mixed, &[k.public()]).is_ok());
    // A signature line with k's name and key hash that does not verify rejects the note even
    // though a valid one is present.
    let mut n = parse_note(&good).unwrap();
    let mut forged = n.sigs[0].clone();
    forged.sig[0] ^= 1;
    n.sigs.push(forged);
    let e = open_note(&n.to_text(), &[k.public()]).unwrap_err();
    assert!(e.contains("does not verify"), "{e}");
    // A log key must be named after the origin.
    let e = open_note(&renamed, &[k.public()]).unwrap_err();
    assert!(
        e.contains("no signature by a trusted key named `gw.example/log`"),
        "{e}"
    );
    assert!(e.contains("elsewhere.example+"), "{e}");
}

#[test]
fn hostile_or_malformed_notes_are_refused() {
    let k = KeyPair::generate();
    let good = sign_note("o\n1\nAAAA\n", "o", &k);
    let line = &good["o\n1\nAAAA\n\n".len()..];
    let cases: Vec<(String, NoteError)> = vec![
        ("o\n1\n".into(), NoteError::NoBlankLine),
        (good.replace('\n', "\r\n"), NoteError::ControlChar(b'\r')),
        (good.replacen("1", "1\t", 1), NoteError::ControlChar(b'\t')),
        (good.trim_end().into(), NoteError::NoSignatures),
        (format!("{good}\n"), NoteError::NoSignatures),
        (format!("\n\n{line}"), NoteError::EmptyText),
        (good.replace('\u{2014}', "-"), NoteError::NoEmDash(1)),
        (
            good.replace("\u{2014} o ", "\u{2014}  "),
            NoteError::BadName(1),
        ),
        (
            good.replace("\u{2014} o ", "\u{2014} o+x "),
            NoteError::BadName(1),
        ),
        (
            good.replace("\u{2014} o ", "\u{2014} o\u{a0}x "),
            NoteError::BadName(1),
        ),
        (
            format!("o\n\n{line}{line}\u{2014} o AAAA\n"),
            NoteError::BadSignature(3),
        ),
        (
            "o\n\n\u{2014} o AAAAAA==\n".into(),
            NoteError::BadSignature(1),
        ),
        (
            "o\n\n\u{2014} o not*base64\n".into(),
            NoteError::BadSignature(1),
        ),
        ("o\n\n\u{2014} o\n".into(), NoteError::BadName(1)),
        (
            format!("o\n\n{}", line.repeat(MAX_SIGNATURES + 1)),
            NoteError::TooManySignatures,
        ),
        (
            format!("{}\n\n{line}", "x".repeat(MAX_NOTE_BYTES)),
            NoteError::TooLarge,
        ),
    ];
    for (input, want) in cases {
        assert_eq!(parse_note(&input), Err(want.clone()), "{want}");
        assert!(open_note(&input, &[k.public()]).is_err());
    }
    assert_eq!(
        parse_note(&format!("o\n\n{}", line.repeat(MAX_SIGNATURES)))
            .unwrap()
            .sigs
            .len(),
        MAX_SIGNATURES
    );
    let mut n = parse_note(&good).unwrap();
    assert!(n
        .add_sig_line("\u{2014} o AAAAAQ==\n\u{2014} o AAAAAQ==")
        .is_err());
    assert!(n.add_sig_line("no dash").is_err());
    assert_eq!(
        n.add_sig_line("\u{2014} w\u{1}x AAAAAQE="),
        Err(NoteError::ControlChar(1))
    );
    n.add_sig_line("\u{2014} w.example AAAAAQE=").unwrap();
    assert_eq!(n.sigs.len(), 2);
}

#[test]
fn cosignatures_verify_and_bind_text_time_and_key() {
    let (log, wit) = (KeyPair::generate(), KeyPair::generate());
    let cp = Checkpoint {
        origin: "gw.example/log".into(),
        size: 9,
        root: [5; 32],
    };
    let mut n = parse_note(&cp.sign(&log)).unwrap();
    let line = cosign(&n.text, "w.example/1", &wit, 1_700_000_000);
    assert!(line.starts_with("\u{2014} w.example/1 ") && line.ends_with('\n'));
    n.add_sig_line(&line).unwrap();
    let v = Verifier::cosigner("w.example/1", &wit.public());
    assert_eq!(v.kind, KeyKind::Cosignature);
    assert_eq!(verify_cosignature(&n, &v), Ok(1_700_000_000));
    assert_eq!(
        n.check_sig(&v),
        SigStatus::Valid {
            timestamp: Some(1_700_000_000)
        }
    );
    // The log signature still opens with the cosignature present.
    let logv = Verifier::note_key(&cp.origin, &log.public());
    assert!(open_with(&n.to_text(), std::slice::from_ref(&logv)).is_ok());
    // A plain note key for the same witness key is another key hash: no cosignature by it.
    let as_note_key = Verifier::note_key("w.example/1", &wit.public());
    assert!(verify_cosignature(&n, &as_note_key).is_err());
    assert_eq!(n.check_sig(&as_note_key), SigStatus::Absent);
    // Changed timestamp, text or signature: refused.
    let mut bumped = n.clone();
    bumped.sigs[1].sig[7] ^= 1;
    assert!(verify_cosignature(&bumped, &v)
        .unwrap_err()
        .contains("does not verify"));
    let mut edited = n.clone();
    edited.text = edited.text.replace("\n9\n", "\n8\n");
    assert!(verify_cosignature(&edited, &v).is_err());
    let mut short = n.clone();
    short.sigs[1].sig.truncate(71);
    assert!(verify_cosignature(&short, &v).is_err());
    let other = Verifier::cosigner("w.example/1", &KeyPair::generate().public());
    assert!(verify_cosignature(&n, &other)
        .unwrap_err()
        .contains("no cosignature"));
    // Timestamps are clamped to 2^63 - 1 and round trip.
    let big = cosign(&n.text, "w.example/1", &wit, u64::MAX);
    let mut n2 = n.clone();
    n2.sigs.truncate(1);
    n2.add_sig_line(&big).unwrap();
    assert_eq!(verify_cosignature(&n2, &v), Ok(MAX_TIMESTAMP));
}

#[test]
fn vkeys_and_skeys_round_trip_whatever_their_base64_holds() {
    // Base64 key material often contains `+`; parse must not split there.
    let mut saw_plus = false;
    for _ in 0..64 {
        let k = KeyPair::generate();
        for v in [
            Verifier::note_key("a.example/log", &k.public()),
            Verifier::cosigner("a.example/w", &k.public()),
        ] {
            let s = v.to_vkey();
            saw_plus |= s.matches('+').count() > 2;
            assert_eq!(Verifier::parse(&s).unwrap(), v, "{s}");
        }
        let sk = to_skey("w.example", &k);
        assert_eq!(parse_skey(&sk).unwrap().1.public_bytes(), k.public_bytes());
    }
    assert!(saw_plus);
}

#[test]
fn vkeys_and_skeys_reject_malformed_input() {
    let k = KeyPair::generate();
    let v = Verifier::note_key("a.example/log", &k.public());
    assert_eq!(Verifier::parse(&format!("{}\n", v.to_vkey())).unwrap(), v);
    let c = Verifier::cosigner("a.example/w", &k.public());
    assert_eq!(Verifier::parse(&c.to_vkey()).unwrap(), c);
    assert_ne!(
        c.key_hash,
        Verifier::note_key("a.example/w", &k.public()).key_hash
    );
    let mut material = vec![0x02];
    material.extend_from_slice(&k.public_bytes());
    let weak = {
        let mut m = vec![0x01, 0x01];
        m.extend_from_slice(&[0; 31]);
        let h = key_hash("n", KeyKind::Ed25519, &m[1..].try_into().unwrap());
        format!("n+{}+{}", crate::evidence::common::hex(&h), B64.encode(&m))
    };
    let vk = v.to_vkey();
    let cases = [
        ("a+b".to_owned(), "expected"),
        (format!("{vk}+x"), "base64"),
        (
            vk.replacen("a.example/log", "a.example/lag", 1),
            "does not match",
        ),
        (
            // Upper-case hex is refused; a key id of digits only has no upper case of its own
            // (one key in ~40), so its first digit becomes an `A` then.
            vk.replacen(&v.key_id(), &upper_hex(&v.key_id()), 1),
            "hex",
        ),
        (
            format!("a.example/log+{}+{}", v.key_id(), B64.encode(&material)),
            "0x02",
        ),
        (format!("a.example/log+{}+AQID", v.key_id()), "32-byte"),
        (format!("a.example/log+{}+!!", v.key_id()), "base64"),
        (format!(" +{}+AQID", v.key_id()), "name"),
        (format!("a\u{1}+{}+AQID", v.key_id()), "name"),
        (weak, "32-byte"),
    ];
    for (input, want) in cases {
        let e = Verifier::parse(&input).unwrap_err().to_string();
        assert!(e.contains(want), "{input}: {e}");
    }
    let sk = to_skey("w.example", &k);
    let (name, back) = parse_skey(&format!("{sk}\n")).unwrap();
    assert_eq!(
        (name.as_str(), back.public_bytes()),
        ("w.example", k.public_bytes())
    );
    assert!(matches!(
        parse_skey(&sk.replacen("w.example", "v.example", 1)),
        Err(VkeyError::HashMismatch(_))
    ));
    assert!(matches!(parse_skey(&sk[8..]), Err(VkeyError::Shape(..))));
    let mut cos = vec![0x04];
    cos.extend_from_slice(&k.secret_seed());
    let h = crate::evidence::common::hex(&key_hash(
        "w.example",
        KeyKind::Cosignature,
        &k.public_bytes(),
    ));
    let cos_skey = format!("PRIVATE+KEY+w.example+{h}+{}", B64.encode(cos));
    assert!(matches!(
        parse_skey(&cos_skey),
        Err(VkeyError::UnsupportedType { byte: 4, .. })
    ));
    assert!(parse_skey(GO_VKEY).is_err());
}

#[test]
fn checkpoint_note_round_trips_and_rejects_other_keys_and_edits() {
    let k = KeyPair::generate();
    let cp = Checkpoint {
        origin: "gw.example/log".into(),
        size: 42,
        root: [9; 32],
    };
    let note = cp.sign(&k);
    assert!(note.starts_with("gw.example/log\n42\n"));
    assert!(note.contains("\n\n\u{2014} gw.example/log "));
    let v = open_note(&note, &[k.public()]).unwrap();
    assert_eq!(Checkpoint::parse(&v.text).unwrap(), cp);
    let other = KeyPair::generate();
    assert!(open_note(&note, &[other.public()]).is_err());
    let edited = note.replacen("\n42\n", "\n41\n", 1);
    assert!(open_note(&edited, &[k.public()])
        .unwrap_err()
        .contains("does not verify"));
}

#[test]
fn checkpoint_text_is_parsed_strictly() {
    let root = B64.encode([1u8; 32]);
    assert_eq!(
        Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap().size,
        0
    );
    assert!(Checkpoint::parse(&format!("o\n5\n{root}\next one\n")).is_ok());
    for bad in [
        format!("o\n5\n{root}"),
        format!("o\n05\n{root}\n"),
        format!("o\n+5\n{root}\n"),
        format!("o\n-5\n{root}\n"),
        format!("o\n 5\n{root}\n"),
        format!("o\n18446744073709551616\n{root}\n"),
        format!("\n5\n{root}\n"),
        format!("o\n5\n{root}\n\nx\n"),
        format!("o\n5\n{}\n", B64.encode([1u8; 31])),
        "o\n5\n".to_owned(),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn anchor_round_trips_and_checks_cover() {
    let mut cr = CompactRange::default();
    for i in 0..11u8 {
        cr.push([i; 32]);
    }
    let a = Anchor {
        origin: "o".into(),
        first: 11,
        prev: [10; 32],
        nodes: cr.nodes(),
    };
    assert_eq!(Anchor::parse(&a.text()).unwrap(), a);
    let bad = Anchor {
        first: 12,
        ..a.clone()
    };
    assert!(Anchor::parse(&bad.text()).is_err());
}

/// `id` (lower-case hex) with at least one upper-case letter.
fn upper_hex(id: &str) -> String {
    if id.bytes().any(|b| b.is_ascii_alphabetic()) {
        id.to_uppercase()
    } else {
        format!("A{}", &id[1..])
    }
}
