//! Export and export verification on logs written here byte by byte (v2 entries with
//! checkpoint frames, v1 signed entries with `checkpoint.note`, a pruned prefix, a cosigned
//! checkpoint), and every tamper an auditor must catch, each failing on the right line.
use std::path::Path;

use prost::Message as _;

use super::*;
use crate::evidence::entry::{
    body_hash, encode_checkpoint_frame, encode_entry, encode_entry_v2, encode_frame, entry_hash,
};
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{node_hash, CompactRange, Hash};
use crate::evidence::note::cosig::cosign;
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::{sign_note, Anchor, Checkpoint};
use crate::evidence::proto::{self, record::Kind, DecisionRecord, OutcomeRecord};
use crate::evidence::segment::{log_dir, segment_path, MAGIC};
use crate::evidence::{
    verify::verify_export, verify::verify_export_with, verify::ExportTrust, verify::VerifyFault,
};

const ORIGIN: &str = "gw.test/log-1";
const T0: i64 = 1_764_749_826_000_000_000;

/// Record `i`: decision `d-{i/2}` (even `i`) or its outcome; AI system alternates per call,
/// every third call is refused; one per second.
fn kind(i: u64) -> Kind {
    let c = i / 2;
    if i.is_multiple_of(2) {
        Kind::Decision(DecisionRecord {
            decision_id: format!("d-{c}"),
            ai_system_id: ["support-bot", "code-assist"][(c % 2) as usize].into(),
            principal_id: "alice".into(),
            effect: if c % 3 == 2 {
                proto::Effect::Block as i32
            } else {
                proto::Effect::Allow as i32
            },
            reason: if c == 1 {
                "=HYPERLINK(\"x\")".into()
            } else {
                "ok".into()
            },
            ..Default::default()
        })
    } else {
        Kind::Outcome(OutcomeRecord {
            decision_id: format!("d-{c}"),
            upstream_status: 200,
            ..Default::default()
        })
    }
}

/// Writes entries `first..n` (v1 when `v1`) and a checkpoint of size `cp` (a frame for v2,
/// `checkpoint.note` for v1); returns the key and the leaf hashes of `0..n`.
fn write_log(dir: &Path, first: u64, n: u64, cp: u64, v1: bool) -> (KeyPair, Vec<Hash>) {
    let key = KeyPair::from_secret([7; 32]);
    let (mut leaves, mut prev, mut seg) = (Vec::new(), vec![0u8; 32], MAGIC.to_vec());
    for i in 0..n {
        let rec = proto::Record {
            log_id: ORIGIN.into(),
            key_id: if v1 {
                key.key_id().into()
            } else {
                String::new()
            },
            seq: i,
            time_unix_nanos: T0 + i as i64 * 1_000_000_000,
            prev_body_hash: prev.clone(),
            kind: Some(kind(i)),
        };
        let body = rec.encode_to_vec();
        let mut e = Vec::new();
        if v1 {
            encode_entry(key.key_id(), &key.sign(&body), &body, &mut e);
        } else {
            encode_entry_v2(&body, &mut e);
        }
        leaves.push(entry_hash(&e));
        prev = body_hash(&body).to_vec();
        if i >= first {
            encode_frame(&e, &mut seg);
        }
        if i + 1 == first {
            let mut cr = CompactRange::default();
            leaves.iter().for_each(|l| cr.push(*l));
            let a = Anchor {
                origin: ORIGIN.into(),
                first,
                prev: *leaves.last().unwrap(),
                nodes: cr.nodes(),
            };
            std::fs::create_dir_all(log_dir(dir)).unwrap();
            let note = sign_note(&a.text(), ORIGIN, &key);
            std::fs::write(log_dir(dir).join("anchor.note"), note).unwrap();
        }
        if i + 1 == cp {
            let note = signed_cp(&key, &leaves);
            if v1 {
                std::fs::write(dir.join("checkpoint.note"), note).unwrap();
            } else {
                encode_checkpoint_frame(&note, &mut seg);
            }
        }
    }
    std::fs::create_dir_all(log_dir(dir)).unwrap();
    std::fs::write(segment_path(&log_dir(dir), first), seg).unwrap();
    (key, leaves)
}

fn signed_cp(key: &KeyPair, leaves: &[Hash]) -> String {
    let mut cr = CompactRange::default();
    leaves.iter().for_each(|l| cr.push(*l));
    Checkpoint {
        origin: ORIGIN.into(),
        size: leaves.len() as u64,
        root: cr.root(),
    }
    .sign(key)
}

fn jsonl(dir: &Path, f: &ExportFilter) -> (String, ExportSummary) {
    let mut out = Vec::new();
    let s = export(dir, f, ExportFormat::Jsonl, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), s)
}

fn vkey(k: &KeyPair) -> String {
    let mut raw = vec![1u8];
    raw.extend_from_slice(&k.public_bytes());
    let hash = crate::evidence::keys::note_key_hash(ORIGIN, &k.public_bytes());
    format!("{ORIGIN}+{}+{}", hex(&hash), B64.encode(raw))
}

fn fails(text: &str, key: &KeyPair) -> VerifyFault {
    match verify_export(text.as_bytes(), &vkey(key)) {
        Ok(v) => panic!("tampered export verified: {v}\n{text}"),
        Err(f) => f,
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn join(l: &[String]) -> String {
    l.iter().map(|l| format!("{l}\n")).collect()
}

fn by_ai(s: &str) -> ExportFilter {
    ExportFilter {
        ai_system: Some(s.into()),
        ..Default::default()
    }
}

#[test]
fn complete_export_verifies_with_a_vkey_and_shows_names_and_times() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = write_log(t.path(), 0, 20, 18, false);
    let (text, s) = jsonl(t.path(), &ExportFilter::default());
    assert_eq!(
        (
            s.records,
            s.omitted,
            s.checkpoint_size,
            s.skipped_uncheckpointed
        ),
        (18, 0, 18, 2)
    );
    assert_eq!(text.lines().count(), 20, "{text}");
    let v = verify_export(text.as_bytes(), &vkey(&key)).unwrap();
    assert!(
        v.complete && v.records == 18 && v.last_seq == Some(17),
        "{v}"
    );
    assert!(
        v.to_string()
            .contains("complete: no entry of the window is left out"),
        "{v}"
    );
    let first: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        first["record"]["kind"]["Decision"]["effect"],
        "EFFECT_ALLOW"
    );
    assert_eq!(first["record"]["time"], "2025-12-03T08:17:06.000000000Z");
    let other = KeyPair::from_secret([8; 32]);
    let f = fails(&text, &other);
    assert_eq!(
        (f.location.as_str(), f.field.as_str()),
        ("export line 20", "checkpoint signature"),
        "{f}"
    );
}

#[test]
fn filtered_export_lists_omissions_and_detects_every_removal() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = write_log(t.path(), 0, 24, 24, false);
    let (text, s) = jsonl(t.path(), &by_ai("code-assist"));
    assert_eq!((s.records, s.omitted), (12, 12), "{text}");
    let v = verify_export(text.as_bytes(), &vkey(&key)).unwrap();
    assert!(!v.complete && v.omitted == 12, "{v}");
    assert!(
        v.to_string()
            .contains("12 entries of the window are listed as omitted"),
        "{v}"
    );
    let l = lines(&text);
    // line 2: omitted 0..2; line 3: entry seq 2 (d-1); line 4: entry 3; line 5: omitted 4..6
    assert!(
        l[1].contains("\"omitted\"") && l[1].contains("\"count\":2"),
        "{}",
        l[1]
    );
    let refused = l
        .iter()
        .position(|x| x.contains("\"d-5\"") && x.contains("EFFECT_BLOCK"))
        .unwrap();
    for (what, edited, line, field) in [
        (
            "refused call's line deleted",
            {
                let mut x = l.clone();
                x.remove(refused);
                x
            },
            refused + 1,
            "seq",
        ),
        (
            "omitted run deleted",
            {
                let mut x = l.clone();
                x.remove(4);
                x
            },
            5,
            "seq",
        ),
        (
            "first line after the header deleted",
            {
                let mut x = l.clone();
                x.remove(1);
                x
            },
            2,
            "seq",
        ),
        (
            "two lines swapped",
            {
                let mut x = l.clone();
                x.swap(2, 3);
                x
            },
            3,
            "seq",
        ),
        (
            "record JSON edited",
            {
                let mut x = l.clone();
                x[2] = x[2].replace("\"alice\"", "\"bob\"");
                x
            },
            3,
            "record",
        ),
        (
            "last entry deleted",
            {
                let mut x = l.clone();
                x.remove(x.len() - 2);
                x
            },
            l.len() - 1,
            "checkpoint root",
        ),
        (
            "filter narrowed in the header",
            {
                let mut x = l.clone();
                x[0] = x[0].replace("code-assist", "support-bot");
                x
            },
            3,
            "filter",
        ),
    ] {
        let f = fails(&join(&edited), &key);
        assert_eq!(
            (f.location.clone(), f.field.as_str()),
            (format!("export line {line}"), field),
            "{what}: {f}"
        );
    }
}

#[test]
fn edited_bytes_a_forged_omission_and_a_wrong_checkpoint_fail() {
    let t = tempfile::tempdir().unwrap();
    let (key, leaves) = write_log(t.path(), 0, 12, 12, false);
    let (text, _) = jsonl(t.path(), &by_ai("support-bot"));
    let l = lines(&text);
    // Re-encode an entry with another body and a matching record: the next entry's chain
    // link breaks, and where no entry follows, the root.
    let forge = |n: usize| {
        let v: serde_json::Value = serde_json::from_str(&l[n]).unwrap();
        let bytes = B64.decode(v["entry"].as_str().unwrap()).unwrap();
        let mut rec = decode_record(&bytes[1..]).unwrap();
        rec.time_unix_nanos += 1;
        let mut e = Vec::new();
        encode_entry_v2(&rec.encode_to_vec(), &mut e);
        let mut x = l.clone();
        x[n] = json!({"type":"entry","seq":rec.seq,"entry":B64.encode(&e),
            "record":render::record_json(&rec)})
        .to_string();
        (x, v["entry"].as_str().unwrap().to_owned(), B64.encode(&e))
    };
    let f = fails(&join(&forge(1).0), &key);
    assert_eq!(
        (f.location.as_str(), f.field.as_str()),
        ("export line 3", "prev_body_hash"),
        "{f}"
    );
    let last_entry = l.len() - 3;
    assert!(l[last_entry].contains("\"seq\":9,"), "{}", l[last_entry]);
    let f = fails(&join(&forge(last_entry).0), &key);
    let cp_line = format!("export line {}", l.len());
    assert_eq!(
        (f.location.as_str(), f.field.as_str()),
        (cp_line.as_str(), "checkpoint root"),
        "{f}"
    );
    let (_, old_b64, new_b64) = forge(1);
    let v = serde_json::json!({"entry": old_b64});
    // Bytes edited without the record: the record no longer matches them.
    let mut x = l.clone();
    x[1] = x[1].replace(v["entry"].as_str().unwrap(), &new_b64);
    assert_eq!(fails(&join(&x), &key).field, "record");
    // A decision hidden as omitted while its outcome is shown: the outcome is out of filter.
    let mut x = l.clone();
    x[1] = json!({"type":"omitted","seq":0,"leaf_hash":hex(&leaves[0])}).to_string();
    let f = fails(&join(&x), &key);
    assert_eq!(
        (f.location.as_str(), f.field.as_str()),
        ("export line 3", "filter"),
        "{f}"
    );
    // An entry replaced by its own omitted line: listed, so the root holds; the summary says
    // one more is omitted (the claim a complete export can check).
    let mut x = l.clone();
    x[2] = json!({"type":"omitted","seq":1,"leaf_hash":hex(&leaves[1])}).to_string();
    let v = verify_export(join(&x).as_bytes(), &vkey(&key)).unwrap();
    assert_eq!((v.records, v.omitted), (5, 7), "{v}");
    // An older checkpoint: the export's lines no longer fit it.
    let mut x = l.clone();
    let old = json!({"type":"checkpoint","note":signed_cp(&key, &leaves[..11]),"suffix":[]});
    *x.last_mut().unwrap() = old.to_string();
    let f = fails(&join(&x), &key);
    assert_eq!(f.field, "checkpoint", "{f}");
    // A checkpoint line cut off.
    let f = fails(&join(&l[..l.len() - 1]), &key);
    assert_eq!(f.location, "end of export", "{f}");
}

#[test]
fn time_range_export_proves_its_edges() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = write_log(t.path(), 0, 30, 30, false);
    let f = ExportFilter {
        since: Some(T0 + 10_000_000_000),
        until: Some(T0 + 20_000_000_000),
        ..Default::default()
    };
    let (text, s) = jsonl(t.path(), &f);
    assert_eq!(
        (s.records, s.omitted, s.window_start, s.window_end),
        (10, 0, 10, 20)
    );
    let l = lines(&text);
    assert!(
        l[1].contains("\"boundary\"") && l[12].contains("\"boundary\""),
        "{text}"
    );
    let v = verify_export(text.as_bytes(), &vkey(&key)).unwrap();
    assert!(
        v.complete && (v.first_seq, v.last_seq) == (10, Some(19)),
        "{v}"
    );
    // The first record of the window deleted.
    let mut x = l.clone();
    x.remove(2);
    assert_eq!(fails(&join(&x), &key).location, "export line 3");
    // The closing boundary deleted: the end of the window is unexplained.
    let mut x = l.clone();
    x.remove(12);
    let e = fails(&join(&x), &key);
    assert_eq!(e.field, "checkpoint root", "{e}");
    // A record of the window relabelled as boundary.
    let mut x = l.clone();
    x[11] = x[11].replace("\"type\":\"entry\"", "\"type\":\"boundary\"");
    assert_eq!(fails(&join(&x), &key).field, "boundary");
    // Records of the window replaced by an omitted run: a range export omits nothing.
    let mut x = l.clone();
    let h = hex(&crate::evidence::merkle::leaf_hash(b"x"));
    x[3] = json!({"type":"omitted","seq":11,"leaf_hash":h}).to_string();
    assert_eq!(fails(&join(&x), &key).field, "omitted");
    // An empty window still proves its edges.
    let f = ExportFilter {
        since: Some(T0 + 5_500_000_000),
        until: Some(T0 + 5_600_000_000),
        ..Default::default()
    };
    let (text, s) = jsonl(t.path(), &f);
    assert_eq!(
        (s.records, s.window_start, s.window_end),
        (0, 6, 6),
        "{text}"
    );
    verify_export(text.as_bytes(), &vkey(&key)).unwrap();
}

#[test]
fn seq_range_export_and_a_start_cut_with_rewritten_prefix_is_caught() {
    let t = tempfile::tempdir().unwrap();
    let (key, leaves) = write_log(t.path(), 0, 16, 16, false);
    let f = ExportFilter {
        from_seq: Some(4),
        to_seq: Some(9),
        ..Default::default()
    };
    let (text, s) = jsonl(t.path(), &f);
    assert_eq!((s.records, s.window_start, s.window_end), (6, 4, 10));
    assert_eq!(text.lines().count(), 8, "no boundaries needed: {text}");
    verify_export(text.as_bytes(), &vkey(&key)).unwrap();
    // Drop seq 4 and claim the export starts at 5: prefix recomputed, root holds, start fails.
    let mut x = lines(&text);
    let mut h: serde_json::Value = serde_json::from_str(&x[0]).unwrap();
    h["first"] = 5.into();
    let four = node_hash(
        &node_hash(&leaves[0], &leaves[1]),
        &node_hash(&leaves[2], &leaves[3]),
    );
    h["prefix"] = json!([hex(&four), hex(&leaves[4])]);
    x[0] = h.to_string();
    x.remove(1);
    let e = fails(&join(&x), &key);
    assert_eq!(
        (e.location.as_str(), e.field.as_str()),
        ("export line 1", "first"),
        "{e}"
    );
}

#[test]
fn v1_pruned_and_cosigned_logs_export_and_verify() {
    // v1 entries, signed one by one, with checkpoint.note and the old public key text.
    let t = tempfile::tempdir().unwrap();
    let (key, _) = write_log(t.path(), 0, 10, 10, true);
    let (text, _) = jsonl(t.path(), &by_ai("support-bot"));
    let v = verify_export(text.as_bytes(), &key.public().to_text()).unwrap();
    assert_eq!((v.records, v.omitted), (6, 4), "{v}");
    // A pruned prefix: the anchor explains the start.
    let t = tempfile::tempdir().unwrap();
    let (key, leaves) = write_log(t.path(), 6, 14, 14, false);
    let (text, s) = jsonl(t.path(), &ExportFilter::default());
    assert_eq!((s.window_start, s.records), (6, 8));
    let v = verify_export(text.as_bytes(), &vkey(&key)).unwrap();
    assert!(v.complete && v.first_seq == 6, "{v}");
    // A cosigned checkpoint (the witness line first) is what the export binds to; a trust
    // policy checks the cosignature and its quorum.
    let witness = KeyPair::from_secret([9; 32]);
    let note = signed_cp(&key, &leaves[..12]);
    let (body, sig) = note.split_at(note.rfind("\n\n").unwrap() + 2);
    let cosig = cosign(
        body.strip_suffix('\n').unwrap(),
        "w1.example",
        &witness,
        1_700_000_000,
    );
    std::fs::create_dir_all(t.path().join("cosigned")).unwrap();
    std::fs::write(
        t.path().join("cosigned/latest.note"),
        format!("{body}{cosig}{sig}"),
    )
    .unwrap();
    let (text, s) = jsonl(t.path(), &ExportFilter::default());
    assert!(s.cosigned && s.checkpoint_size == 12 && s.skipped_uncheckpointed == 2);
    let wkey = Verifier::cosigner("w1.example", &witness.public()).to_vkey();
    let policy = format!("log {}\nwitness w1 {wkey}\nquorum w1\n", vkey(&key));
    let trust = ExportTrust::from_policy_text(&policy).unwrap();
    let v = verify_export_with(text.as_bytes(), &trust).unwrap();
    assert_eq!((v.checkpoint_size, v.cosignatures), (12, 1), "{v}");
    assert!(
        v.to_string().contains("1 witness cosignatures verified"),
        "{v}"
    );
    // Without the cosignature the quorum fails, naming the checkpoint line.
    let enc = serde_json::to_string(&cosig).unwrap();
    let bare = text.replace(&enc[1..enc.len() - 1], "");
    assert_ne!(bare, text);
    let f = verify_export_with(bare.as_bytes(), &trust).unwrap_err();
    assert_eq!(f.field, "checkpoint signature", "{f}");
    assert!(f.problem.contains("quorum"), "{f}");
    // With the old key text the cosignature is only counted.
    let v = verify_export(text.as_bytes(), &key.public().to_text()).unwrap();
    assert!(v.cosignatures == 1 && !v.cosignatures_checked, "{v}");
}

#[test]
fn csv_export_neutralises_formulas() {
    let t = tempfile::tempdir().unwrap();
    write_log(t.path(), 0, 6, 6, false);
    let mut out = Vec::new();
    let s = export(
        t.path(),
        &ExportFilter::default(),
        ExportFormat::Csv,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(s.records, 6);
    assert!(text.starts_with("seq,time,time_unix_nanos,kind,"), "{text}");
    assert!(text.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{text}");
    assert!(text.contains(",EFFECT_ALLOW,"), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");
}
