//! Unit tests of the verifier on hand-built v2 logs (built with the `entry` encoders, not the
//! writer), the checked-in v1 golden dir, and proofs. The table-driven tamper suite on logs
//! written by the real binary is `tests/it/tamper_v2.rs`.
use std::path::{Path, PathBuf};

use prost::Message as _;

use super::*;
use crate::evidence::entry::{
    body_hash, encode_checkpoint_frame, encode_entry_v2, encode_frame, entry_hash,
};
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::{sign_note, sign_note_multi, Anchor, Checkpoint};
use crate::evidence::proto::Record;
use crate::evidence::proto::{
    event_record::Event, record::Kind, DecisionRecord, EventRecord, FormatUpgrade, KeyRotation,
    RetentionPolicy, RetentionPrune,
};
use crate::evidence::segment::MAGIC;
use crate::evidence::tests::copy_dir;

mod nodes;
mod witnessed;

pub(crate) const ORIGIN: &str = "test.example/log-a";

/// Builds a v2 log frame by frame, the way the writer lays it out.
pub(crate) struct Build {
    pub origin: String,
    pub key: KeyPair,
    /// Segments: `(first seq, frames)`.
    pub segs: Vec<(u64, Vec<u8>)>,
    pub range: CompactRange,
    pub prev: Hash,
    pub time: i64,
    /// Leaf hashes in order.
    pub leaves: Vec<Hash>,
    /// Every key the log used (written beside it as `keys/<n>.vkey`).
    pub all_keys: Vec<KeyPair>,
}

pub(crate) fn decision(i: u64) -> Kind {
    Kind::Decision(DecisionRecord {
        decision_id: format!("d-{i}"),
        reason: "test".into(),
        ..Default::default()
    })
}

pub(crate) fn event(e: Event) -> Kind {
    Kind::Event(EventRecord { event: Some(e) })
}

pub(crate) fn vkey(origin: &str, k: &KeyPair) -> String {
    Verifier::note_key(origin, &k.public()).to_vkey()
}

impl Build {
    pub(crate) fn new(origin: &str, key: KeyPair) -> Self {
        Self {
            origin: origin.into(),
            key,
            segs: vec![(0, MAGIC.to_vec())],
            range: CompactRange::default(),
            prev: [0; 32],
            time: 1_700_000_000_000_000_000,
            leaves: Vec::new(),
            all_keys: Vec::new(),
        }
    }

    fn seg(&mut self) -> &mut Vec<u8> {
        &mut self.segs.last_mut().expect("a segment").1
    }

    /// The record that the next `push` would write.
    pub(crate) fn record(&self, kind: Kind) -> Record {
        Record {
            log_id: self.origin.clone(),
            seq: self.range.size(),
            time_unix_nanos: self.time,
            prev_body_hash: self.prev.to_vec(),
            kind: Some(kind),
            ..Default::default()
        }
    }

    /// Appends a record as a v2 entry.
    pub(crate) fn push(&mut self, kind: Kind) -> &mut Self {
        let r = self.record(kind);
        self.push_record(&r)
    }

    pub(crate) fn push_record(&mut self, r: &Record) -> &mut Self {
        let body = r.encode_to_vec();
        let mut e = Vec::new();
        encode_entry_v2(&body, &mut e);
        encode_frame(&e, self.seg());
        self.prev = body_hash(&body);
        self.range.push(entry_hash(&e));
        self.leaves.push(entry_hash(&e));
        self.time += 1_000;
        self
    }

    /// `n` decisions then a checkpoint frame (one durable group).
    pub(crate) fn group(&mut self, n: u64) -> &mut Self {
        for _ in 0..n {
            let i = self.range.size();
            self.push(decision(i));
        }
        self.checkpoint()
    }

    pub(crate) fn cp_text(&self) -> String {
        Checkpoint {
            origin: self.origin.clone(),
            size: self.range.size(),
            root: self.range.root(),
        }
        .text()
    }

    /// A checkpoint frame signed by the log key.
    pub(crate) fn checkpoint(&mut self) -> &mut Self {
        let note = sign_note(&self.cp_text(), &self.origin.clone(), &self.key);
        encode_checkpoint_frame(&note, self.seg());
        self
    }

    /// A checkpoint frame signed by `keys`.
    pub(crate) fn checkpoint_by(&mut self, keys: &[&KeyPair]) -> &mut Self {
        let note = sign_note_multi(&self.cp_text(), &self.origin.clone(), keys);
        encode_checkpoint_frame(&note, self.seg());
        self
    }

    /// The current signed checkpoint note (to keep as an auditor).
    pub(crate) fn note(&self) -> String {
        sign_note(&self.cp_text(), &self.origin, &self.key)
    }

    /// Logs a rotation to `new` and writes the covering checkpoint signed by `signers`.
    pub(crate) fn rotate(&mut self, new: KeyPair, both: bool) -> &mut Self {
        let o = self.origin.clone();
        self.push(event(Event::KeyRotation(KeyRotation {
            old_key_id: root::note_id(&o, &self.key.public()),
            new_key_id: root::note_id(&o, &new.public()),
            new_public_key: new.public_bytes().to_vec(),
        })));
        let old = std::mem::replace(&mut self.key, new);
        self.all_keys.push(old.clone());
        if both {
            let k = self.key.clone();
            self.checkpoint_by(&[&old, &k])
        } else {
            self.checkpoint()
        }
    }

    /// Starts a new segment at the current seq.
    pub(crate) fn roll(&mut self) -> &mut Self {
        self.segs.push((self.range.size(), MAGIC.to_vec()));
        self
    }

    /// Writes the log into `dir` with the current key's vkey beside it.
    pub(crate) fn write(&self, dir: &Path) {
        let log = dir.join("log");
        std::fs::create_dir_all(&log).unwrap();
        for (first, bytes) in &self.segs {
            std::fs::write(log.join(format!("{first:020}.seg")), bytes).unwrap();
        }
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        std::fs::write(dir.join("signing.vkey"), vkey(&self.origin, &self.key)).unwrap();
        for (i, k) in self.all_keys.iter().enumerate() {
            std::fs::write(dir.join(format!("keys/{i}.vkey")), vkey(&self.origin, k)).unwrap();
        }
    }

    pub(crate) fn dir(&self) -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().to_path_buf();
        self.write(&p);
        (t, p)
    }
}

pub(crate) fn pinned(text: &str) -> VerifyOptions {
    VerifyOptions::new(TrustRoot::from_public_key(text, "pinned.vkey").unwrap())
}

pub(crate) fn small() -> Build {
    let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
    b.group(3).group(2);
    b
}

#[test]
fn an_untouched_v2_log_verifies_pinned_and_says_so_unpinned() {
    let b = small();
    let (_t, d) = b.dir();
    let s = verify_dir(&d).unwrap();
    assert!(
        s.trusted_data_dir_keys && s.to_string().contains("WARNING"),
        "{s}"
    );
    assert_eq!(
        (
            s.records,
            s.checkpoint_size,
            s.checkpoints_verified,
            s.v2_records
        ),
        (5, 5, 2, 5)
    );
    let s = verify_dir_with(&d, &pinned(&vkey(ORIGIN, &b.key))).unwrap();
    assert!(
        !s.trusted_data_dir_keys && !s.to_string().contains("WARNING"),
        "{s}"
    );
    assert_eq!(s.keys, vec![root::note_id(ORIGIN, &b.key.public())]);
}

#[test]
fn a_pinned_key_refuses_a_log_signed_by_another_key() {
    let b = small();
    let (_t, d) = b.dir();
    let other = KeyPair::from_secret([9; 32]);
    let f = verify_dir_with(&d, &pinned(&vkey(ORIGIN, &other))).unwrap_err();
    assert_eq!(f.field, "key", "{f}");
    assert!(
        f.problem.contains("is a trusted key") && f.location.contains("00000000000000000000.seg"),
        "{f}"
    );
    let f = verify_dir_with(&d, &pinned(&vkey("other.example/log", &b.key))).unwrap_err();
    assert!(f.problem.contains("origin"), "{f}");
}

#[test]
fn rotation_needs_a_checkpoint_signed_by_both_keys() {
    let k1 = KeyPair::from_secret([1; 32]);
    let k2 = KeyPair::from_secret([2; 32]);
    let mut b = Build::new(ORIGIN, k1.clone());
    b.group(2).rotate(k2.clone(), true).group(2);
    let (_t, d) = b.dir();
    for k in [&k1, &k2] {
        let s = verify_dir_with(&d, &pinned(&vkey(ORIGIN, k))).unwrap();
        assert_eq!(s.keys.len(), 2, "{s}");
    }
    let mut b = Build::new(ORIGIN, k1.clone());
    b.group(2).rotate(k2.clone(), false).group(2);
    let (_t, d) = b.dir();
    let f = verify_dir_with(&d, &pinned(&vkey(ORIGIN, &k1))).unwrap_err();
    assert_eq!(f.field, "checkpoint signature", "{f}");
    assert!(
        f.problem.contains("rotation at seq 2") && f.problem.contains("both"),
        "{f}"
    );
}

#[test]
fn a_substituted_signer_after_the_first_checkpoint_is_named() {
    let mut b = small();
    b.all_keys.push(b.key.clone());
    b.key = KeyPair::from_secret([5; 32]);
    b.group(1);
    let (_t, d) = b.dir();
    let f = verify_dir(&d).unwrap_err();
    assert_eq!(
        (f.field.as_str(), f.seq),
        ("checkpoint signature", Some(5)),
        "{f}"
    );
    assert!(f.problem.contains("authorised log key"), "{f}");
}

#[test]
fn edited_record_fails_at_the_chain_or_the_checkpoint() {
    let b = small();
    // Re-encode seq 1 with another reason, reframed (CRC fine): the next record's link breaks.
    let mut edited = Build::new(ORIGIN, b.key.clone());
    edited.push(decision(0));
    let mut r = edited.record(decision(1));
    r.kind = Some(Kind::Decision(DecisionRecord {
        decision_id: "d-1".into(),
        reason: "edited".into(),
        ..Default::default()
    }));
    edited.push_record(&r);
    edited.prev = body_hash(&small_body(&b, 1));
    edited.push(decision(2));
    let (_t, d) = edited.dir();
    let f = verify_dir(&d).unwrap_err();
    assert_eq!(
        (f.field.as_str(), f.seq),
        ("prev_body_hash", Some(2)),
        "{f}"
    );
    assert!(f.problem.contains("record seq 1 was altered"), "{f}");
}

/// The body of record `seq` of `b` as `b` built it.
fn small_body(b: &Build, seq: u64) -> Vec<u8> {
    let mut x = Build::new(&b.origin, b.key.clone());
    for i in 0..seq {
        x.push(decision(i));
    }
    x.record(decision(seq)).encode_to_vec()
}

#[test]
fn checkpoint_frame_must_match_the_tree_at_its_place() {
    let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
    b.group(2);
    let note = b.note();
    b.push(decision(2));
    encode_checkpoint_frame(&note, b.seg()); // an old checkpoint replayed after a new record
    let (_t, d) = b.dir();
    let f = verify_dir(&d).unwrap_err();
    assert_eq!(f.field, "checkpoint size", "{f}");
    assert!(f.location.contains("offset"), "{f}");
}

#[test]
fn time_running_backwards_is_a_fault_and_future_records_are_flagged() {
    let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
    b.push(decision(0));
    b.time -= 10_000;
    b.group(1);
    let (_t, d) = b.dir();
    let f = verify_dir(&d).unwrap_err();
    assert_eq!(
        (f.field.as_str(), f.seq),
        ("time_unix_nanos", Some(1)),
        "{f}"
    );
    assert!(f.problem.contains("seq 0"), "{f}");
    let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
    b.time = i64::MAX - 1_000_000;
    b.group(2);
    let (_t, d) = b.dir();
    let s = verify_dir(&d).unwrap();
    assert_eq!((s.future_records, s.first_future_seq), (2, Some(0)), "{s}");
    assert!(s.to_string().contains("FLAGGED"), "{s}");
}

#[test]
fn retention_below_the_minimum_is_refused_unless_overridden() {
    for (days, over, ok) in [(1, false, false), (1, true, true), (400, false, true)] {
        let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
        b.push(event(Event::RetentionPolicy(RetentionPolicy {
            retention_days: days,
            below_minimum_override: over,
        })));
        b.group(1);
        let (_t, d) = b.dir();
        match verify_dir(&d) {
            Ok(s) => assert!(ok && (s.retention_override == Some(days)) == over, "{s}"),
            Err(f) => assert!(
                !ok && f.field == "retention_days" && f.seq == Some(0),
                "{f}"
            ),
        }
    }
}

/// Builds 6 records in segment 0 and more in segment 6, then prunes segment 0 leaving an
/// anchor; `record` says whether the retained log holds the RetentionPrune record.
fn pruned(record: bool) -> (tempfile::TempDir, PathBuf, Build) {
    let mut b = Build::new(ORIGIN, KeyPair::from_secret([1; 32]));
    b.group(6);
    let (anchor_range, anchor_prev) = (b.range.clone(), b.prev);
    b.roll().group(2);
    if record {
        b.time += 401 * 86_400 * 1_000_000_000;
        b.push(event(Event::RetentionPrune(RetentionPrune {
            first_retained_seq: 6,
            anchor_root_hash: anchor_range.root().to_vec(),
            retention_days: 400,
        })));
    }
    b.group(1);
    let (t, d) = b.dir();
    std::fs::remove_file(d.join("log/00000000000000000000.seg")).unwrap();
    let a = Anchor {
        origin: ORIGIN.into(),
        first: 6,
        prev: anchor_prev,
        nodes: anchor_range.nodes(),
    };
    std::fs::write(
        d.join("log/anchor.note"),
        sign_note(&a.text(), ORIGIN, &b.key),
    )
    .unwrap();
    (t, d, b)
}

#[test]
fn a_prune_anchor_must_be_backed_by_its_record_and_a_checkpoint() {
    let (_t, d, _) = pruned(true);
    let s = verify_dir(&d).unwrap();
    assert_eq!((s.first_seq, s.records), (6, 4), "{s}");
    let (_t, d, _) = pruned(false);
    let f = verify_dir(&d).unwrap_err();
    assert_eq!(
        (f.field.as_str(), f.location.as_str()),
        ("anchor", "log/anchor.note"),
        "{f}"
    );
    assert!(f.problem.contains("silent prune"), "{f}");
}

#[test]
fn kept_checkpoints_catch_rollback_tail_cut_and_fork() {
    let mut b = small();
    let kept_small = b.note();
    b.group(2);
    let kept_big = b.note();
    let (_t, d) = b.dir();
    let key = vkey(ORIGIN, &b.key);
    let mut o = pinned(&key);
    o.kept = vec![
        ("cp-5.note".into(), kept_small.clone()),
        ("cp-7.note".into(), kept_big.clone()),
    ];
    assert_eq!(verify_dir_with(&d, &o).unwrap().kept_checkpoints, 2);
    // Rolled back to the first 5 records (re-signed consistently with the key on disk).
    let (_t2, d2) = small().dir();
    let f = verify_dir_with(&d2, &o).unwrap_err();
    assert_eq!(f.location, "cp-7.note", "{f}");
    assert!(
        f.problem
            .contains("cut off the tail, or the log was rolled back"),
        "{f}"
    );
    // A fork: another history of 7 records under the same key.
    let mut fork = Build::new(ORIGIN, b.key.clone());
    fork.time += 1;
    fork.group(4).group(3);
    let (_t3, d3) = fork.dir();
    o.kept = vec![("cp-7.note".into(), kept_big)];
    let f = verify_dir_with(&d3, &o).unwrap_err();
    assert_eq!(f.location, "cp-7.note", "{f}");
    assert!(f.problem.contains("rewritten or forked"), "{f}");
    // A kept checkpoint not signed by a trusted key is refused.
    let forged = sign_note(&b.cp_text(), ORIGIN, &KeyPair::from_secret([8; 32]));
    o.kept = vec![("forged.note".into(), forged)];
    let f = verify_dir_with(&d, &o).unwrap_err();
    assert!(
        f.location == "forged.note" && f.problem.contains("not signed"),
        "{f}"
    );
}

#[test]
fn v1_golden_dir_verifies_pinned_and_tampered_fails() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1");
    let s = verify_dir(&golden).unwrap();
    assert_eq!(
        (s.records, s.v1_records, s.checkpoint_size, s.keys.len()),
        (20, 20, 20, 2),
        "{s}"
    );
    let mut keys: Vec<_> = std::fs::read_dir(golden.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    keys.sort();
    // The first key of the log (the rotation's old key) pins it; the v1 text form is accepted.
    let first = keys
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|t| verify_dir_with(&golden, &pinned(t)).is_ok());
    assert!(first.is_some(), "the log's first key verifies it");
    // The current (rotated-to) key does not vouch back for the v1 history.
    let current = std::fs::read_to_string(golden.join("signing.pub")).unwrap();
    let f = verify_dir_with(&golden, &pinned(&current)).unwrap_err();
    assert!(f.problem.contains("one-way"), "{f}");
    // A flipped bit in the copy fails.
    let t = tempfile::tempdir().unwrap();
    copy_dir(&golden, t.path());
    let seg = t.path().join("log/00000000000000000006.seg");
    let mut data = std::fs::read(&seg).unwrap();
    data[40] ^= 1;
    std::fs::write(&seg, data).unwrap();
    let f = verify_dir(t.path()).unwrap_err();
    assert!(f.location.contains("00000000000000000006.seg"), "{f}");
}

#[test]
fn a_v2_entry_after_v1_entries_must_be_a_format_upgrade() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1");
    for upgrade in [true, false] {
        let t = tempfile::tempdir().unwrap();
        copy_dir(&golden, t.path());
        // Continue the golden log in v2: a checkpoint frame at size 20, then v2 records.
        let mut b = Build::new(
            "aimsgate.local/evidence",
            crate::evidence::keys::parse_secret(
                &std::fs::read_to_string(t.path().join("signing.key")).unwrap(),
            )
            .unwrap(),
        );
        b.segs = vec![(20, MAGIC.to_vec())];
        b.leaves = crate::evidence::read::leaf_hashes(t.path(), 0).unwrap();
        for l in &b.leaves {
            b.range.push(*l);
        }
        let last = crate::evidence::entry::parse_entry(&last_entry(t.path()))
            .unwrap()
            .body
            .to_vec();
        b.prev = body_hash(&last);
        b.time = i64::MAX / 2;
        b.checkpoint();
        if upgrade {
            b.push(event(Event::FormatUpgrade(FormatUpgrade {
                entry_version: 2,
            })));
        }
        b.group(2);
        b.write(t.path());
        match verify_dir(t.path()) {
            Ok(s) => assert!(upgrade && s.v1_records == 20 && s.v2_records == 3, "{s}"),
            Err(f) => assert!(!upgrade && f.field == "entry" && f.seq == Some(20), "{f}"),
        }
    }
}

/// The last entry's bytes of a log.
fn last_entry(dir: &Path) -> Vec<u8> {
    let mut last = Vec::new();
    crate::evidence::segment::scan(&dir.join("log"), 0, |_, _, b| {
        last = b.to_vec();
        Ok(())
    })
    .unwrap();
    last
}

#[test]
fn proofs_round_trip_and_tampering_fails() {
    let b = small();
    let (_t, d) = b.dir();
    let proof = prove(&d, "d-3").unwrap();
    assert!(
        proof.starts_with("c2sp.org/tlog-proof@v1\nextra "),
        "{proof}"
    );
    let key = TrustRoot::from_public_key(&vkey(ORIGIN, &b.key), "k").unwrap();
    let s = verify_proof(&proof, "p.tlog-proof", &key).unwrap();
    assert_eq!(
        (s.index, s.tree_size, s.decision_id.as_deref()),
        (3, 5, Some("d-3")),
        "{s}"
    );
    let other =
        TrustRoot::from_public_key(&vkey(ORIGIN, &KeyPair::from_secret([3; 32])), "k").unwrap();
    assert!(verify_proof(&proof, "p", &other).is_err());
    assert!(verify_proof(&proof, "p", &TrustRoot::data_dir())
        .unwrap_err()
        .problem
        .contains("--public-key"));
    // Moving the proof to another index, or editing the entry, fails.
    let moved = proof.replace("\nindex 3\n", "\nindex 2\n");
    assert!(verify_proof(&moved, "p", &key).is_err());
    let lines: Vec<&str> = proof.lines().collect();
    let mut raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        lines[1].trim_start_matches("extra "),
    )
    .unwrap();
    let n = raw.len();
    raw[n - 1] ^= 1;
    let edited = proof.replace(
        lines[1],
        &format!(
            "extra {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
        ),
    );
    assert!(verify_proof(&edited, "p", &key).is_err());
    assert!(matches!(
        prove(&d, "nope"),
        Err(crate::evidence::error::EvidenceError::NotFound(_))
    ));
}
