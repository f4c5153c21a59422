//! End-to-end tests of the evidence log: round trip, every tamper case on a data dir and on an
//! export, torn-tail recovery, group commit under concurrency, durability, the golden record,
//! index rebuild, retention and key rotation.
use std::path::{Path, PathBuf};

use super::common::now_nanos;
use super::entry::{encode_entry, encode_frame, parse_entry, read_frame, Frame};
use super::proto::{self, record::Kind, DecisionRecord, OutcomeRecord};
use super::segment::{list_segments, log_dir, MAGIC};
use super::*;

mod durability;
mod durable_sink;
mod prealloc;
mod tamper;

/// Copies a directory tree (golden logs into a scratch dir).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dst = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).unwrap();
        }
    }
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub(crate) fn decision(i: u64) -> Kind {
    Kind::Decision(DecisionRecord {
        decision_id: format!("d-{i}"),
        principal_id: format!("user-{}", i % 3),
        ai_system_id: if i.is_multiple_of(2) {
            "support-bot".into()
        } else {
            "code-assist".into()
        },
        effect: if i.is_multiple_of(5) {
            proto::Effect::Block as i32
        } else {
            proto::Effect::Allow as i32
        },
        reason: "test".into(),
        findings: vec![proto::ClassFinding {
            class: "pii.email".into(),
            count: 1,
            action: proto::ClassAction::Redacted as i32,
            test_values: 0,
        }],
        ..Default::default()
    })
}

pub(crate) fn outcome(i: u64) -> Kind {
    Kind::Outcome(OutcomeRecord {
        decision_id: format!("d-{i}"),
        upstream_status: 200,
        input_tokens: Some(7),
        ..Default::default()
    })
}

/// A closed log with `n` decisions and outcomes in `dir`.
pub(crate) fn make_log(dir: &Path, n: u64, segment_bytes: u64) -> LogConfig {
    let mut cfg = LogConfig::new(dir);
    cfg.segment_bytes = segment_bytes;
    let (key, _) = load_or_create_key(dir).unwrap();
    let (log, rep) = EvidenceLog::open(cfg.clone(), key).unwrap();
    assert!(rep.created);
    rt().block_on(async {
        for i in 0..n {
            log.append(decision(i)).await.unwrap();
            log.append(outcome(i)).await.unwrap();
        }
    });
    log.close().unwrap();
    cfg
}

/// `(segment path, frame offsets and lengths)` of every segment, checkpoint frames included.
pub(crate) fn all_frames(dir: &Path) -> Vec<(PathBuf, Vec<(usize, usize)>)> {
    list_segments(&log_dir(dir))
        .unwrap()
        .into_iter()
        .map(|(_, p)| {
            let data = std::fs::read(&p).unwrap();
            let mut off = MAGIC.len();
            let mut v = Vec::new();
            while let Frame::Ok(_, len) = read_frame(&data[off..]) {
                v.push((off, len));
                off += len;
            }
            (p, v)
        })
        .collect()
}

/// `(segment path, entry frame offsets and lengths)` of every segment.
pub(crate) fn frames(dir: &Path) -> Vec<(PathBuf, Vec<(usize, usize)>)> {
    list_segments(&log_dir(dir))
        .unwrap()
        .into_iter()
        .map(|(_, p)| {
            let data = std::fs::read(&p).unwrap();
            let mut off = MAGIC.len();
            let mut v = Vec::new();
            while let Frame::Ok(bytes, len) = read_frame(&data[off..]) {
                if !entry::is_checkpoint(bytes) {
                    v.push((off, len)); // entries only: checkpoint frames take no seq
                }
                off += len;
            }
            (p, v)
        })
        .collect()
}

fn export_string(dir: &Path, f: &ExportFilter) -> String {
    let mut out = Vec::new();
    export(dir, f, ExportFormat::Jsonl, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn untouched_log_and_exports_verify() {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 40, 64 << 20);
    let s = verify_dir(t.path()).unwrap();
    assert_eq!(
        (s.records, s.checkpoint_size, s.uncheckpointed),
        (81, 81, 0),
        "{s}"
    );
    assert!(s.to_string().starts_with("OK: 81 records"));
    let pubtext = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let full = export_string(t.path(), &ExportFilter::default());
    assert_eq!(full.lines().count(), 83);
    let v = verify_export(full.as_bytes(), &pubtext).unwrap();
    assert!(v.complete && v.records == 81);
    let f = ExportFilter {
        ai_system: Some("support-bot".into()),
        decision: Some("block".into()),
        ..Default::default()
    };
    let part = export_string(t.path(), &f);
    let v = verify_export(part.as_bytes(), &pubtext).unwrap();
    // d-0, d-10, d-20, d-30 and their outcomes.
    assert_eq!((v.records, v.complete), (8, false), "{part}");
    let mut csv = Vec::new();
    let cs = export(
        t.path(),
        &ExportFilter::default(),
        ExportFormat::Csv,
        &mut csv,
    )
    .unwrap();
    assert_eq!(cs.records, 81);
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 82);
}

#[test]
fn fingerprints_are_keyed_hmacs() {
    let t = tempfile::tempdir().unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.hmac_key = Some(b"k".to_vec());
    let (log, _) = EvidenceLog::open(cfg, KeyPair::generate()).unwrap();
    let a = log.fingerprint(b"alice@example.com").unwrap();
    assert_eq!(a.len(), 64);
    assert_ne!(Some(a.clone()), log.fingerprint(b"bob@example.com"));
    assert_eq!(Some(a), log.fingerprint(b"alice@example.com"));
    log.close().unwrap();
}

fn golden_record() -> proto::Record {
    proto::Record {
        log_id: "aimsgate.local/evidence".into(),
        key_id: "0011223344556677".into(),
        seq: 42,
        time_unix_nanos: 1_767_225_600_000_000_000,
        prev_body_hash: vec![0xAA; 32],
        kind: Some(Kind::Decision(DecisionRecord {
            decision_id: "01939f0e-7c1a-7000-8000-000000000001".into(),
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            principal_id: "team-a".into(),
            auth_method: "api_key".into(),
            credential_fingerprint: "fp:1234".into(),
            client_address: "10.0.0.7".into(),
            ai_system_id: "support-bot".into(),
            ai_system_risk_tier: "limited".into(),
            ai_system_registered: true,
            provider: "openai".into(),
            upstream: "https://api.openai.com/v1".into(),
            operation: "chat.completions".into(),
            requested_model: "gpt-4o-mini".into(),
            stream: true,
            findings: vec![proto::ClassFinding {
                class: "pii.email".into(),
                count: 2,
                action: proto::ClassAction::Redacted as i32,
                test_values: 0,
            }],
            unscanned_bytes: 0,
            fingerprints: vec![proto::ValueFingerprint {
                class: "pii.email".into(),
                hmac_sha256: "ab".repeat(32),
            }],
            policy_bundle_id: "baseline".into(),
            policy_version: "3".into(),
            policy_content_hash: "sha256:00ff".into(),
            matched_rules: vec![proto::MatchedRule {
                rule_id: "redact-pii".into(),
                annex_a_controls: vec!["A.7.4".into()],
            }],
            monitor_effects: vec![proto::MonitorEffect {
                rule_id: "block-secrets".into(),
                would_have: proto::Effect::Block as i32,
            }],
            effect: proto::Effect::Redact as i32,
            reason: "pii.email redacted by redact-pii".into(),
            http_status: 0,
            // Fields added later stay absent here, so the golden bytes still pin the format.
            model_approved: None,
            upstream_approved: None,
            review_flagged: false,
            ai_system_refused_selection: String::new(),
            guardrail_gateway: String::new(),
            guardrail_hook: String::new(),
            routed_model: String::new(),
            limits_fail_mode: String::new(),
        })),
    }
}

#[test]
fn golden_record_bytes_are_stable() {
    use prost::Message as _;
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidence/decision_v1.bin");
    let bytes = golden_record().encode_to_vec();
    if std::env::var_os("AIMSGATE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let golden = std::fs::read(&path).expect("golden file (AIMSGATE_UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        bytes, golden,
        "the encoding of a Record changed: that breaks old logs"
    );
    assert_eq!(
        proto::Record::decode(golden.as_slice()).unwrap(),
        golden_record()
    );
    // The golden entry: a fixed key signs the golden body; the entry bytes are stable too.
    let key = KeyPair::from_secret([7u8; 32]);
    let mut e = Vec::new();
    encode_entry(key.key_id(), &key.sign(&golden), &golden, &mut e);
    let mut framed = Vec::new();
    encode_frame(&e, &mut framed);
    let epath = path.with_file_name("entry_v1.bin");
    if std::env::var_os("AIMSGATE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&epath, &framed).unwrap();
    }
    assert_eq!(std::fs::read(epath).unwrap(), framed);
    assert!(key.public().verify(
        parse_entry(&e).unwrap().body,
        parse_entry(&e).unwrap().signature().unwrap()
    ));
}

#[test]
fn rebuilt_index_equals_live_index() {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 30, 4096);
    let live = index::Index::open(t.path()).unwrap();
    let before = live.dump();
    assert_eq!(live.decision_seq("d-7").unwrap(), Some(15));
    let user1: Vec<u64> = (0..30).filter(|i| i % 3 == 1).map(|i| 1 + 2 * i).collect();
    assert_eq!(live.principal_seqs("user-1").unwrap(), user1);
    drop(live);
    assert_eq!(rebuild_index(t.path()).unwrap(), 61);
    let after = index::Index::open(t.path()).unwrap().dump();
    assert!(!before.is_empty());
    assert_eq!(before, after);
}

#[test]
fn index_gaps_are_read_back_from_a_known_position() {
    // What the index thread does after the writer dropped batches (index behind).
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 30, 2048);
    let all = index::scan_items(t.path()).unwrap();
    assert!(all.len() > 40 && all.iter().map(|i| i.seg).max() > Some(0));
    let from = all[20].clone();
    let got = index::read_range(t.path(), (from.seg, from.offset), 21, 50).unwrap();
    assert_eq!(got, all[21..50].to_vec());
    assert_eq!(index::scan_range(t.path(), 21, 50).unwrap(), got);
}

#[test]
fn retention_prune_keeps_the_rest_verifiable() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 60, 2048);
    let nsegs = frames(t.path()).len();
    assert!(nsegs > 4);
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let first = prune(t.path(), &key, now_nanos() + 1_000_000_000_000)
        .unwrap()
        .unwrap();
    assert_eq!(frames(t.path()).len(), 1);
    let s = verify_dir(t.path()).unwrap();
    // 121 written records, then the RetentionPrune record the offline prune appends.
    assert_eq!((s.first_seq, s.last_seq), (first, Some(121)), "{s}");
    let pubtext = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    verify_export(
        export_string(t.path(), &ExportFilter::default()).as_bytes(),
        &pubtext,
    )
    .unwrap();
    let f = ExportFilter {
        principal: Some("user-1".into()),
        ..Default::default()
    };
    verify_export(export_string(t.path(), &f).as_bytes(), &pubtext).unwrap();
    // The log reopens on top of the anchor and keeps verifying.
    let (log, rep) = EvidenceLog::open(cfg, key).unwrap();
    assert_eq!(rep.next_seq, 122);
    rt().block_on(log.append(decision(1000))).unwrap();
    log.close().unwrap();
    assert_eq!(verify_dir(t.path()).unwrap().last_seq, Some(122));
    // A C2SP tlog-proof: the decision sits at index 122 (121 records + the prune record).
    assert!(prove(t.path(), "d-1000").unwrap().contains("\nindex 122\n"));
}

#[test]
fn key_rotation_is_logged_and_verifies() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 3, 64 << 20);
    let old_pub = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(cfg.clone(), key).unwrap();
    let new = KeyPair::generate();
    let new_pub = new.public_bytes();
    let new_id = new.key_id().to_owned();
    rt().block_on(async {
        log.rotate_key(new).await.unwrap();
        log.append(decision(50)).await.unwrap();
    });
    log.close().unwrap();
    let s = verify_dir(t.path()).unwrap();
    assert_eq!(s.keys.len(), 2);
    assert_eq!(s.keys[1], keys::log_key_id(&s.origin, &new_pub));
    assert_eq!(load_or_create_key(t.path()).unwrap().0.key_id(), new_id);
    // An export binds to the latest checkpoint, signed by the current key.
    let exported = export_string(t.path(), &ExportFilter::default());
    let new_pub = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    verify_export(exported.as_bytes(), &new_pub).unwrap();
    // The key pinned before the rotation reaches the new key through the header's key link.
    verify_export(exported.as_bytes(), &old_pub).unwrap();
    let mut header: serde_json::Value =
        serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    assert_eq!(header["key_links"].as_array().unwrap().len(), 1, "{header}");
    header["key_links"] = serde_json::json!([]);
    let rest: String = exported.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let unlinked = format!("{header}\n{rest}");
    let f = verify_export(unlinked.as_bytes(), &old_pub).unwrap_err();
    assert_eq!(f.field, "checkpoint signature", "{f}");
    let stranger = KeyPair::generate().public().to_text();
    verify_export(exported.as_bytes(), &stranger).unwrap_err();
    // keygen --force while stopped: the next open logs the rotation with the archived old key.
    let forced = keygen(t.path(), true).unwrap();
    let (log, _) = EvidenceLog::open(cfg, forced.clone()).unwrap();
    rt().block_on(log.append(decision(51))).unwrap();
    log.close().unwrap();
    let s = verify_dir(t.path()).unwrap();
    assert_eq!(
        s.keys.last(),
        Some(&keys::log_key_id(&s.origin, &forced.public_bytes()))
    );
    assert!(
        !t.path().join("keys").join(format!("{new_id}.key")).exists(),
        "old secret deleted after rotation"
    );
}

#[test]
fn evidence_log_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<EvidenceLog>();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        if let Frame::Ok(e, _) = read_frame(&data) {
            let _ = parse_entry(e);
        }
        if let Ok(e) = parse_entry(&data) {
            let _ = entry::decode_record(e.body);
        }
        let text = String::from_utf8_lossy(&data);
        let _ = note::Checkpoint::parse(&text);
        let _ = note::Anchor::parse(&text);
        let _ = note::open_note(&text, &[]);
        let _ = verify_export(data.as_slice(), "x");
    }
}

#[test]
fn mutated_exports_never_panic_and_never_verify() {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 3, 64 << 20);
    let pubtext = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let good = export_string(t.path(), &ExportFilter::default()).into_bytes();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(200));
    runner
        .run(&(0..good.len(), any::<u8>()), |(i, b)| {
            let mut m = good.clone();
            prop_assume!(m[i] != b);
            m[i] = b;
            // Any change must be refused, except edits JSON parsing cannot see (whitespace).
            if let Ok(s) = verify_export(m.as_slice(), &pubtext) {
                let insignificant = good[i].is_ascii_whitespace() || b.is_ascii_whitespace();
                prop_assert!(insignificant, "mutation at {i} verified: {s}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn pinning_the_first_key_survives_a_rotation_and_a_prune_past_it() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 30, 2048);
    let old_pub = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(cfg.clone(), key).unwrap();
    let new = KeyPair::generate();
    rt().block_on(async {
        log.rotate_key(new.clone()).await.unwrap();
        for i in 100..160 {
            log.append(decision(i)).await.unwrap();
        }
    });
    log.close().unwrap();
    verify_dir_with_key(t.path(), Some(&old_pub)).unwrap();
    // Prune everything up to and past the rotation record; the new key signs the prune.
    prune(t.path(), &new, now_nanos() + 1_000_000_000_000)
        .unwrap()
        .unwrap();
    let s = verify_dir_with_key(t.path(), Some(&old_pub))
        .expect("the auditor's first key still pins the pruned log");
    assert!(s.first_seq > 61, "the rotation record was pruned: {s}");
    let new_pub = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    verify_dir_with_key(t.path(), Some(&new_pub)).unwrap();
    // An export of the pruned log carries the link: the old key verifies it too.
    let exported = export_string(t.path(), &ExportFilter::default());
    verify_export(exported.as_bytes(), &old_pub).unwrap();
    // The link is an ordinary tlog-proof the old key verifies.
    let links: Vec<_> = std::fs::read_dir(t.path().join("log/keylinks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(links.len(), 1, "{links:?}");
    let link = std::fs::read_to_string(&links[0]).unwrap();
    let old_root = TrustRoot::from_public_key(&old_pub, "old key").unwrap();
    verify_proof(&link, "link", &old_root).unwrap();
    // Tampered (one path hash flipped) or removed, the old key no longer reaches the log.
    let flipped = link.replacen("\nindex ", "\nindex 1", 1);
    std::fs::write(&links[0], flipped).unwrap();
    let f = verify_dir_with_key(t.path(), Some(&old_pub)).unwrap_err();
    assert!(
        f.location.contains("keylinks") && f.field == "key link",
        "{f}"
    );
    std::fs::remove_file(&links[0]).unwrap();
    verify_dir_with_key(t.path(), Some(&old_pub)).unwrap_err();
    // A key the log never had does not.
    let stranger = KeyPair::generate().public().to_text();
    verify_dir_with_key(t.path(), Some(&stranger)).unwrap_err();
}

/// The checked-in v2 log (tests/golden/README.md): a demo run, `keygen --force`, a second demo
/// run. Guards the v2 on-disk format: it must verify pinned to its first key, hold unsigned
/// v2 leaves and checkpoint frames, export with its key link, fail on a flipped bit, and be
/// continued by the current writer.
#[test]
fn v2_golden_dir_verifies_pinned_exports_and_continues() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v2");
    let first_vkey = std::fs::read_to_string(golden.with_extension("vkey")).unwrap();
    let s = verify_dir_with_key(&golden, Some(&first_vkey)).unwrap();
    assert_eq!((s.records, s.keys.len()), (24, 2), "{s}");
    assert_eq!(s.origin, "golden.aimsgate.test/v2");
    let (mut entries, mut checkpoints, mut rotations) = (0, 0, 0);
    let mut effects = std::collections::BTreeSet::new();
    super::segment::scan_frames(&log_dir(&golden), 0, |_, _, bytes| {
        match entry::parse_stored(bytes).unwrap() {
            entry::Stored::Checkpoint(_) => checkpoints += 1,
            entry::Stored::Entry(e) => {
                assert!(
                    e.signed.is_none() && bytes[0] == 0x02,
                    "an unsigned v2 leaf"
                );
                entries += 1;
                match entry::decode_record(e.body).unwrap().kind.unwrap() {
                    Kind::Decision(d) => {
                        effects.insert(d.effect);
                    }
                    Kind::Event(ev) => {
                        rotations += u32::from(matches!(
                            ev.event,
                            Some(proto::event_record::Event::KeyRotation(_))
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })
    .unwrap();
    assert_eq!((entries, rotations), (24, 1));
    assert!(checkpoints >= 2, "{checkpoints}");
    assert!(
        effects.len() >= 3,
        "allowed, redacted and refused calls: {effects:?}"
    );
    // An export binds to the newest checkpoint (the second key's); the first key reaches it
    // through the export's key link.
    let exported = export_string(&golden, &ExportFilter::default());
    verify_export(exported.as_bytes(), &first_vkey).unwrap();
    // A flipped bit in a copy is damage, named by segment.
    let t = tempfile::tempdir().unwrap();
    copy_dir(&golden, t.path());
    let seg = t.path().join("log/00000000000000000000.seg");
    let mut data = std::fs::read(&seg).unwrap();
    data[200] ^= 1;
    std::fs::write(&seg, &data).unwrap();
    let f = verify_dir_with_key(t.path(), Some(&first_vkey)).unwrap_err();
    assert!(f.location.contains("00000000000000000000.seg"), "{f}");
    // The current writer continues an untouched copy, and it still verifies pinned.
    let t = tempfile::tempdir().unwrap();
    copy_dir(&golden, t.path());
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, rep) = EvidenceLog::open(LogConfig::new(t.path()), key).unwrap();
    assert_eq!(rep.next_seq, 24);
    rt().block_on(log.append(decision(7))).unwrap();
    log.close().unwrap();
    let s = verify_dir_with_key(t.path(), Some(&first_vkey)).unwrap();
    assert!(s.records > 24, "{s}");
}
