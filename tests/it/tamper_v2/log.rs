//! Reading and rewriting a real v2 data dir the way an attacker with the data dir (and its
//! signing key) would: frames parsed from the segment files, records decoded, and whole
//! histories re-encoded with a consistent chain and re-signed checkpoints.
use std::path::Path;

use aimsgate::evidence::entry::{
    body_hash, decode_record, encode_checkpoint_frame, encode_entry_v2, encode_frame, entry_hash,
    parse_stored, read_frame, Frame, Stored,
};
use aimsgate::evidence::keys::{self, KeyPair};
use aimsgate::evidence::merkle::CompactRange;
use aimsgate::evidence::note::Checkpoint;
use aimsgate::evidence::proto::Record;
use prost::Message as _;

const MAGIC: &[u8] = b"AIMSEG01";

/// One frame of a segment.
#[derive(Clone, Debug)]
pub enum Fr {
    Entry(Vec<u8>),
    Cp(String),
}

/// Segments `(first seq, frames)` in order.
pub fn read(dir: &Path) -> Vec<(u64, Vec<Fr>)> {
    let mut segs: Vec<_> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    segs.iter()
        .map(|p| {
            let data = std::fs::read(p).unwrap();
            let first: u64 = p.file_stem().unwrap().to_str().unwrap().parse().unwrap();
            let mut off = MAGIC.len();
            let mut v = Vec::new();
            while let Frame::Ok(bytes, len) = read_frame(&data[off..]) {
                v.push(match parse_stored(bytes).unwrap() {
                    Stored::Checkpoint(n) => Fr::Cp(n.to_owned()),
                    Stored::Entry(_) => Fr::Entry(bytes.to_vec()),
                });
                off += len;
            }
            (first, v)
        })
        .collect()
}

/// Writes segments back (replacing every segment file).
pub fn write(dir: &Path, segs: &[(u64, Vec<Fr>)]) {
    for e in std::fs::read_dir(dir.join("log")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "seg") {
            std::fs::remove_file(p).unwrap();
        }
    }
    for (first, frames) in segs {
        let mut out = MAGIC.to_vec();
        for f in frames {
            match f {
                Fr::Entry(e) => encode_frame(e, &mut out),
                Fr::Cp(n) => encode_checkpoint_frame(n, &mut out),
            }
        }
        std::fs::write(dir.join(format!("log/{first:020}.seg")), out).unwrap();
    }
}

/// Every record, in order.
pub fn records(dir: &Path) -> Vec<Record> {
    read(dir)
        .into_iter()
        .flat_map(|(_, f)| f)
        .filter_map(|f| match f {
            Fr::Entry(e) => Some(decode_record(&e[1..]).unwrap()),
            Fr::Cp(_) => None,
        })
        .collect()
}

/// A v2 entry of `r`.
pub fn entry_of(r: &Record) -> Vec<u8> {
    let mut e = Vec::new();
    encode_entry_v2(&r.encode_to_vec(), &mut e);
    e
}

/// The log's origin and signing key.
pub fn origin_and_key(dir: &Path) -> (String, KeyPair) {
    let origin = std::fs::read_to_string(dir.join("origin"))
        .unwrap()
        .trim()
        .to_owned();
    let key =
        keys::parse_secret(&std::fs::read_to_string(dir.join("signing.key")).unwrap()).unwrap();
    (origin, key)
}

/// The vkey an auditor pins for the log in `dir` (written to `file`).
pub fn pin(dir: &Path, file: &Path) {
    let (origin, key) = origin_and_key(dir);
    std::fs::write(
        file,
        aimsgate::evidence::note::vkey::log_vkey(&origin, &key.public()),
    )
    .unwrap();
}

/// Rewrites the whole history as a consistent log signed by `key`: `mutate` edits the
/// records (seq, chain links and checkpoints are recomputed unless `keep_seq`), then one
/// segment holds every entry followed by a checkpoint frame, and `checkpoint.note` is the
/// last checkpoint.
pub fn resign(dir: &Path, key: &KeyPair, keep_seq: bool, mutate: impl FnOnce(&mut Vec<Record>)) {
    let origin = std::fs::read_to_string(dir.join("origin"))
        .unwrap()
        .trim()
        .to_owned();
    let mut recs = records(dir);
    mutate(&mut recs);
    let mut range = CompactRange::default();
    let mut prev = [0u8; 32];
    let mut frames = Vec::new();
    let mut note = String::new();
    for (i, mut r) in recs.into_iter().enumerate() {
        if !keep_seq {
            r.seq = i as u64;
        }
        r.prev_body_hash = prev.to_vec();
        let e = entry_of(&r);
        prev = body_hash(&e[1..]);
        range.push(entry_hash(&e));
        frames.push(Fr::Entry(e));
        let cp = Checkpoint {
            origin: origin.clone(),
            size: range.size(),
            root: range.root(),
        };
        note = cp.sign(key);
        frames.push(Fr::Cp(note.clone()));
    }
    write(dir, &[(0, frames)]);
    std::fs::write(dir.join("checkpoint.note"), note).unwrap();
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
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
