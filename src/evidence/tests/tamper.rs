//! Tamper cases: each must fail verification and name the record and field.
use super::*;

fn setup() -> (tempfile::TempDir, PathBuf, Vec<(usize, usize)>, Vec<u8>) {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 10, 64 << 20);
    let (p, fr) = frames(t.path()).pop().unwrap();
    let data = std::fs::read(&p).unwrap();
    (t, p, fr, data)
}

fn fault_of(dir: &Path) -> VerifyFault {
    verify_dir(dir).expect_err("tampered log must not verify")
}

/// Re-frames an entry after editing it (so only signature/chain checks can catch it).
fn reframe(entry: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    encode_frame(entry, &mut f);
    f
}

fn entry_at(data: &[u8], (off, len): (usize, usize)) -> Vec<u8> {
    data[off + 8..off + len].to_vec()
}

#[test]
fn modified_byte_is_caught_by_crc_and_by_signature() {
    let (t, p, fr, mut data) = setup();
    let (off, len) = fr[5];
    data[off + len - 3] ^= 1;
    std::fs::write(&p, &data).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(5), "frame"), "{f}");
    // Same edit with the CRC recomputed: the signature catches it.
    data[off + len - 3] ^= 1;
    let mut e = entry_at(&data, fr[5]);
    let n = e.len();
    e[n - 3] ^= 1;
    let mut out = data[..off].to_vec();
    out.extend(reframe(&e));
    out.extend_from_slice(&data[off + len..]);
    std::fs::write(&p, &out).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(5), "signature"), "{f}");
    assert!(f.to_string().contains("record seq 5 (decision d-2)"), "{f}");
}

#[test]
fn deleted_record_is_named() {
    let (t, p, fr, data) = setup();
    let (off, len) = fr[7];
    let mut out = data[..off].to_vec();
    out.extend_from_slice(&data[off + len..]);
    std::fs::write(&p, &out).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(8), "seq"), "{f}");
    assert!(f.problem.contains("records 7..7 are missing"), "{f}");
}

#[test]
fn inserted_forged_record_is_named() {
    let (t, p, fr, data) = setup();
    let forger = KeyPair::generate();
    let body = {
        use prost::Message as _;
        let mut r =
            super::super::entry::decode_record(parse_entry(&entry_at(&data, fr[4])).unwrap().body)
                .unwrap();
        r.key_id = forger.key_id().into();
        r.encode_to_vec()
    };
    let mut e = Vec::new();
    encode_entry(forger.key_id(), &forger.sign(&body), &body, &mut e);
    let (off, _) = fr[4];
    let mut out = data[..off].to_vec();
    out.extend(reframe(&e));
    out.extend_from_slice(&data[off..]);
    std::fs::write(&p, &out).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(4), "key_id"), "{f}");
}

#[test]
fn reordered_records_are_named() {
    let (t, p, fr, data) = setup();
    let (a, b) = (fr[3], fr[4]);
    let mut out = data[..a.0].to_vec();
    out.extend_from_slice(&data[b.0..b.0 + b.1]);
    out.extend_from_slice(&data[a.0..a.0 + a.1]);
    out.extend_from_slice(&data[b.0 + b.1..]);
    std::fs::write(&p, &out).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(4), "seq"), "{f}");
}

#[test]
fn truncated_tail_is_caught_by_the_checkpoint() {
    let (t, p, fr, data) = setup();
    std::fs::write(&p, &data[..fr[18].0]).unwrap();
    let f = fault_of(t.path());
    assert_eq!(f.field, "tail", "{f}");
    assert!(f.problem.contains("records 18..20 were removed"), "{f}");
}

#[test]
fn substituted_key_is_named() {
    let (t, p, fr, data) = setup();
    // Another key re-signs record 6 and its public key is planted in keys/.
    let other = KeyPair::generate();
    keys::archive_public(t.path(), &other.public()).unwrap();
    let e = entry_at(&data, fr[6]);
    let body = {
        use prost::Message as _;
        let mut r = super::super::entry::decode_record(parse_entry(&e).unwrap().body).unwrap();
        r.key_id = other.key_id().into();
        r.encode_to_vec()
    };
    let mut e2 = Vec::new();
    encode_entry(other.key_id(), &other.sign(&body), &body, &mut e2);
    let (off, len) = fr[6];
    let mut out = data[..off].to_vec();
    out.extend(reframe(&e2));
    out.extend_from_slice(&data[off + len..]);
    std::fs::write(&p, &out).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(6), "key_id"), "{f}");
    assert!(f.problem.contains("authorised signer"), "{f}");
}

#[test]
fn export_tampering_is_named() {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 10, 64 << 20);
    let pubtext = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let good = export_string(t.path(), &ExportFilter::default());
    let lines: Vec<&str> = good.lines().collect();
    let join = |v: Vec<&str>| v.join("\n");
    let check = |text: String, field: &str| {
        let f = verify_export(text.as_bytes(), &pubtext).expect_err("tampered export must fail");
        assert_eq!(f.field, field, "{f}");
        f
    };
    // Edited JSON record (the signed body is untouched).
    let edited = good.replacen("\"reason\":\"test\"", "\"reason\":\"tset\"", 1);
    check(edited, "record");
    // One byte of the stored entry bytes changed (the JSON record left as it was).
    let mut v: serde_json::Value = serde_json::from_str(lines[4]).unwrap();
    let mut entry = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        v["entry"].as_str().unwrap(),
    )
    .unwrap();
    let n = entry.len();
    entry[n - 3] ^= 1;
    v["entry"] = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &entry).into();
    let s = v.to_string();
    let mut l2 = lines.clone();
    l2[4] = &s;
    let f = verify_export(join(l2).as_bytes(), &pubtext).unwrap_err();
    assert!(["record", "entry"].contains(&f.field.as_str()), "{f}");
    // The key id bytes of a v1 entry changed: the record decodes the same, the root breaks.
    entry[n - 3] ^= 1;
    entry[4] ^= 1;
    v["entry"] = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &entry).into();
    let s = v.to_string();
    let mut l2 = lines.clone();
    l2[4] = &s;
    check(join(l2), "checkpoint root");
    // Deleted, reordered, cut tail, no checkpoint.
    let mut l3 = lines.clone();
    l3.remove(5);
    assert_eq!(check(join(l3), "seq").location, "export line 6");
    let mut l4 = lines.clone();
    l4.swap(5, 6);
    check(join(l4), "seq");
    let n = lines.len();
    let mut l5 = lines[..n - 3].to_vec();
    l5.push(lines[n - 1]);
    check(join(l5), "checkpoint root");
    check(join(lines[..n - 1].to_vec()), "checkpoint");
    // Another key.
    let other = KeyPair::generate().public_text();
    let f = verify_export(good.as_bytes(), &other).unwrap_err();
    assert_eq!(f.field, "checkpoint signature", "{f}");
}

#[test]
fn filtered_export_cannot_carry_records_outside_its_filter() {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 6, 64 << 20);
    let pubtext = std::fs::read_to_string(t.path().join("signing.pub")).unwrap();
    let f = ExportFilter {
        principal: Some("user-1".into()),
        ..Default::default()
    };
    let part = export_string(t.path(), &f);
    verify_export(part.as_bytes(), &pubtext).unwrap();
    // Claim a narrower filter than the records it carries.
    let narrowed = part.replacen("\"principal\":\"user-1\"", "\"principal\":\"user-2\"", 1);
    let e = verify_export(narrowed.as_bytes(), &pubtext).unwrap_err();
    assert_eq!(e.field, "filter", "{e}");
}

#[test]
fn bad_signatures_in_a_large_log_name_the_first_one() {
    // Enough records for several background batches: the earliest bad signature is reported,
    // wherever the batches were checked.
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 1100, 64 << 20);
    let (p, fr) = frames(t.path()).pop().unwrap();
    let mut data = std::fs::read(&p).unwrap();
    assert_eq!(verify_dir(t.path()).unwrap().records, 2201);
    for seq in [2100usize, 1500] {
        let mut e = entry_at(&data, fr[seq]);
        let n = e.len();
        e[n - 3] ^= 1;
        let (off, len) = fr[seq];
        data.splice(off..off + len, reframe(&e));
    }
    std::fs::write(&p, &data).unwrap();
    let f = fault_of(t.path());
    assert_eq!((f.seq, f.field.as_str()), (Some(1500), "signature"), "{f}");
}
