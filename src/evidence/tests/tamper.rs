//! Tamper cases on logs written by the writer (v2) and on the v1 golden dir: each must fail
//! verification and name the record (or checkpoint) and field.
use super::*;

/// A closed v2 log of 10 calls: its one segment's path and bytes, and the `(offset, length)`
/// of its entry frames and of its checkpoint frames.
struct Log {
    t: tempfile::TempDir,
    path: PathBuf,
    data: Vec<u8>,
    entries: Vec<(usize, usize)>,
    cps: Vec<(usize, usize)>,
}

fn setup() -> Log {
    let t = tempfile::tempdir().unwrap();
    make_log(t.path(), 10, 64 << 20);
    let (path, _) = frames(t.path()).pop().unwrap();
    let data = std::fs::read(&path).unwrap();
    let mut all = Vec::new();
    let mut off = MAGIC.len();
    while let Frame::Ok(_, len) = read_frame(&data[off..]) {
        all.push((off, len));
        off += len;
    }
    let (cps, entries) = all
        .into_iter()
        .partition(|&(off, len)| entry::is_checkpoint(&data[off + 8..off + len]));
    Log {
        t,
        path,
        data,
        entries,
        cps,
    }
}

impl Log {
    fn write(&self, bytes: &[u8]) -> VerifyFault {
        std::fs::write(&self.path, bytes).unwrap();
        verify_dir(self.t.path()).expect_err("tampered log must not verify")
    }

    fn frame_bytes(&self, (off, len): (usize, usize)) -> Vec<u8> {
        self.data[off + 8..off + len].to_vec()
    }

    /// The segment with frame `at` replaced by `with` (whole frames).
    fn replaced(&self, (off, len): (usize, usize), with: &[u8]) -> Vec<u8> {
        let mut out = self.data[..off].to_vec();
        out.extend_from_slice(with);
        out.extend_from_slice(&self.data[off + len..]);
        out
    }
}

/// Frames entry or checkpoint bytes (so only the chain, tree and signature checks can catch
/// an edit, not the CRC).
fn reframe(bytes: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    encode_frame(bytes, &mut f);
    f
}

#[test]
fn modified_byte_is_caught_by_crc_and_by_the_chain() {
    let l = setup();
    let (off, len) = l.entries[5];
    let mut data = l.data.clone();
    data[off + len - 3] ^= 1;
    let f = l.write(&data);
    assert_eq!((f.seq, f.field.as_str()), (Some(5), "frame"), "{f}");
    // Same edit with the CRC recomputed: the group's checkpoint catches it at once.
    let mut e = l.frame_bytes(l.entries[5]);
    let n = e.len();
    e[n - 3] ^= 1;
    let f = l.write(&l.replaced(l.entries[5], &reframe(&e)));
    assert_eq!(
        (f.seq, f.field.as_str()),
        (Some(5), "checkpoint root"),
        "{f}"
    );
    // Without that checkpoint frame, the next record's chain link catches it.
    let c = *l.cps.iter().find(|c| c.0 > l.entries[5].0).unwrap();
    let mut out = l.data[..l.entries[5].0].to_vec();
    out.extend(reframe(&e));
    out.extend_from_slice(&l.data[c.0 + c.1..]);
    let f = l.write(&out);
    assert_eq!(
        (f.seq, f.field.as_str()),
        (Some(6), "prev_body_hash"),
        "{f}"
    );
    assert!(f.problem.contains("record seq 5 was altered"), "{f}");
}

#[test]
fn deleted_record_is_named() {
    let l = setup();
    let f = l.write(&l.replaced(l.entries[7], &[]));
    assert_eq!(
        (f.seq, f.field.as_str()),
        (Some(6), "checkpoint size"),
        "{f}"
    );
    assert!(
        f.problem
            .contains("says 8 records but only 7 records precede it"),
        "{f}"
    );
    // Deleting the record and its group's checkpoint frame: the next record's seq.
    let (a, b) = (
        l.entries[7],
        l.cps
            .iter()
            .find(|c| c.0 > l.entries[7].0)
            .copied()
            .unwrap(),
    );
    let mut out = l.data[..a.0].to_vec();
    out.extend_from_slice(&l.data[b.0 + b.1..]);
    let f = l.write(&out);
    assert_eq!((f.seq, f.field.as_str()), (Some(8), "seq"), "{f}");
    assert!(f.problem.contains("records 7..7 are missing"), "{f}");
}

#[test]
fn inserted_or_replayed_record_is_named() {
    let l = setup();
    // Record 4 replayed right after itself.
    let (off, len) = l.entries[4];
    let mut out = l.data[..off + len].to_vec();
    out.extend_from_slice(&l.data[off..off + len]);
    out.extend_from_slice(&l.data[off + len..]);
    let f = l.write(&out);
    assert_eq!((f.seq, f.field.as_str()), (Some(4), "seq"), "{f}");
    assert!(f.problem.contains("5 was expected"), "{f}");
}

#[test]
fn reordered_records_are_named() {
    let l = setup();
    // Two whole groups (entry + checkpoint frame) swapped.
    let g = |i: usize| {
        let e = l.entries[i];
        let c = l.cps.iter().find(|c| c.0 > e.0).copied().unwrap();
        (e.0, c.0 + c.1)
    };
    let (a, b) = (g(3), g(4));
    let mut out = l.data[..a.0].to_vec();
    out.extend_from_slice(&l.data[b.0..b.1]);
    out.extend_from_slice(&l.data[a.0..a.1]);
    out.extend_from_slice(&l.data[b.1..]);
    let f = l.write(&out);
    assert_eq!((f.seq, f.field.as_str()), (Some(4), "seq"), "{f}");
}

#[test]
fn truncated_tail_is_caught_by_the_checkpoint_file() {
    let l = setup();
    let f = l.write(&l.data[..l.entries[18].0]);
    assert_eq!(f.field, "tail", "{f}");
    assert!(f.problem.contains("records 18..20 were removed"), "{f}");
}

#[test]
fn checkpoint_signed_by_a_substituted_key_is_named() {
    let l = setup();
    // Another key re-signs the checkpoint frame after record 6 and is planted in keys/.
    let other = KeyPair::generate();
    keys::archive_public(l.t.path(), &other.public()).unwrap();
    let c = *l.cps.iter().find(|c| c.0 > l.entries[6].0).unwrap();
    let note = String::from_utf8(l.frame_bytes(c)[1..].to_vec()).unwrap();
    let text = note::parse_note(&note).unwrap().text;
    let origin = text.lines().next().unwrap().to_owned();
    let mut framed = Vec::new();
    entry::encode_checkpoint_frame(&note::sign_note(&text, &origin, &other), &mut framed);
    let f = l.write(&l.replaced(c, &framed));
    assert_eq!(
        (f.seq, f.field.as_str()),
        (Some(6), "checkpoint signature"),
        "{f}"
    );
    assert!(f.problem.contains("authorised log key"), "{f}");
}

#[test]
fn a_v1_signature_is_checked_strictly_and_the_first_bad_one_is_named() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1");
    let t = tempfile::tempdir().unwrap();
    copy_dir(&golden, t.path());
    let (p, fr) = frames(t.path()).into_iter().nth(1).unwrap();
    let mut data = std::fs::read(&p).unwrap();
    // Flip a bit in the signature of two records (CRC recomputed): the earlier one is named.
    for i in [4usize, 2] {
        let (off, len) = fr[i];
        let mut e = data[off + 8..off + len].to_vec();
        let kid_len = usize::from(u16::from_be_bytes([e[1], e[2]]));
        e[3 + kid_len + 10] ^= 1;
        data.splice(off..off + len, reframe(&e));
    }
    std::fs::write(&p, &data).unwrap();
    let f = verify_dir(t.path()).unwrap_err();
    assert_eq!((f.seq, f.field.as_str()), (Some(8), "signature"), "{f}");
    assert!(f.location.contains("00000000000000000006.seg"), "{f}");
}
