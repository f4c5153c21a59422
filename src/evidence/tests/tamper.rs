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
