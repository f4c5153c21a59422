//! Interop: aimsgate's vkeys, signed checkpoints, cosignature/v1 lines, tlog-proofs and RFC 9162
//! consistency proofs are checked by `tests/python/c2sp_check.py`, a verifier written from the
//! C2SP specs with Python's `cryptography` package and none of aimsgate's code. Each tampered
//! file (one base64 character or digit changed) must make it fail. Needs the `.venv` that
//! `scripts/test.sh` creates, so it is `#[ignore]`d in a plain `cargo test`.
use std::path::{Path, PathBuf};

use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::merkle::consistency::consistency_from_compact;
use aimsgate::evidence::merkle::{leaf_hash, CompactRange, Frontier, Tree};
use aimsgate::evidence::note::cosig::cosign;
use aimsgate::evidence::note::vkey::Verifier;
use aimsgate::evidence::note::{parse_note, Checkpoint};
use aimsgate::evidence::tlog_proof::TlogProof;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

const ORIGIN: &str = "interop.example/log";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
}

/// Writes a log of 11 entries, its checkpoint cosigned by two witnesses, the checkpoint at
/// size 5, a consistency proof 5 -> 11, a tlog-proof for entry 7, and a signed size-5
/// checkpoint of a forked history.
fn write_fixture() -> Files {
    let files = Files {
        dir: tempfile::tempdir().unwrap(),
    };
    let entries: Vec<Vec<u8>> = (0..11u8)
        .map(|i| vec![0x02, i, 0xa5, i.wrapping_mul(7)])
        .collect();
    let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(e)).collect();
    let f = Frontier::default();
    let tree = Tree::new(&f, &leaves);
    let log = KeyPair::generate();
    let signed = |size: u64| {
        Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root(size).unwrap(),
        }
        .sign(&log)
    };
    files.write(
        "log.vkey",
        &format!("{}\n", Verifier::note_key(ORIGIN, &log.public()).to_vkey()),
    );
    let mut note = parse_note(&signed(11)).unwrap();
    for (i, name) in ["w1.example/witness", "w2.example/witness"]
        .iter()
        .enumerate()
    {
        let w = KeyPair::generate();
        note.add_sig_line(&cosign(&note.text, name, &w, 1_764_000_000 + i as u64))
            .unwrap();
        let v = Verifier::cosigner(name, &w.public()).to_vkey();
        files.write(&format!("w{}.vkey", i + 1), &v);
    }
    files.write("checkpoint.note", &note.to_text());
    files.write("old.note", &signed(5));
    // A validly signed size-5 checkpoint of another history (a fork).
    let mut forked = leaves[..5].to_vec();
    forked[3] = leaf_hash(b"rewritten");
    let fork_root = Tree::new(&f, &forked).root(5).unwrap();
    let fork = Checkpoint {
        origin: ORIGIN.into(),
        size: 5,
        root: fork_root,
    };
    files.write("fork.note", &fork.sign(&log));
    let mut old = CompactRange::default();
    leaves[..5].iter().for_each(|l| old.push(*l));
    let cons = consistency_from_compact(&old, &leaves[5..]).unwrap();
    assert_eq!(Some(&cons), tree.consistency_proof(5, 11).as_ref());
    let cons: String = cons
        .iter()
        .map(|h| format!("{}\n", B64.encode(h)))
        .collect();
    files.write("consistency.txt", &cons);
    let proof = TlogProof {
        extra: Some(entries[7].clone()),
        index: 7,
        path: tree.inclusion_proof(7, 11).unwrap(),
        checkpoint: note.to_text(),
    };
    files.write("entry7.tlog-proof", &proof.to_text());
    files
}

fn check(files: &Files) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "no {}: run scripts/test.sh, which creates it",
        python.display()
    );
    let out = std::process::Command::new(&python)
        .arg(root.join("tests/python/c2sp_check.py"))
        .args(["--log-vkey", "log.vkey", "--checkpoint", "checkpoint.note"])
        .args(["--witness-vkey", "w1.vkey", "--witness-vkey", "w2.vkey"])
        .args(["--proof", "entry7.tlog-proof"])
        .args([
            "--old-checkpoint",
            "old.note",
            "--consistency",
            "consistency.txt",
        ])
        .current_dir(files.dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Replaces the character at byte `at` of a file (an ASCII base64 character or digit) by
/// another one of the same alphabet, so the file stays well-formed but says something else.
fn tamper(files: &Files, name: &str, at: usize) {
    let mut b = files.read(name).into_bytes();
    b[at] = match b[at] {
        b'A' => b'B',
        b'0'..=b'8' => b[at] + 1,
        b'9' => b'8',
        c if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' => b'A',
        c => panic!("byte {at} of {name} is {c:?}, not base64 or a digit"),
    };
    files.write(name, std::str::from_utf8(&b).unwrap());
}

/// Byte offset of the middle of line `line` (0-based) of a file.
fn middle_of_line(text: &str, line: usize) -> usize {
    let start: usize = text.split('\n').take(line).map(|l| l.len() + 1).sum();
    start + text.split('\n').nth(line).unwrap().len() / 2
}

#[test]
#[ignore = "needs the Python virtualenv with `cryptography`; run scripts/test.sh"]
fn independent_python_verifier_accepts_aimsgate_formats_and_refuses_tampering() {
    let files = write_fixture();
    let (ok, out) = check(&files);
    assert!(ok, "independent check failed on untouched files:\n{out}");
    for want in [
        "OK checkpoint interop.example/log size 11",
        "OK cosignature/v1 by w1.example/witness at 1764000000",
        "OK cosignature/v1 by w2.example/witness at 1764000001",
        "OK tlog-proof index 7 in size 11",
        "OK consistency 5 -> 11",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // (file, line, what the change hits): each must make the independent check fail.
    let cases = [
        ("checkpoint.note", 1, "the tree size"),
        ("checkpoint.note", 2, "the root"),
        ("checkpoint.note", 4, "the log signature"),
        ("checkpoint.note", 6, "the second cosignature"),
        ("entry7.tlog-proof", 1, "the entry bytes in `extra`"),
        ("entry7.tlog-proof", 3, "the first path hash"),
        ("consistency.txt", 0, "the first consistency hash"),
        ("old.note", 2, "the old root"),
        ("w1.vkey", 0, "a witness key"),
        ("log.vkey", 0, "the log key"),
    ];
    // A fork: the old checkpoint is genuinely signed but of another history.
    let files = write_fixture();
    files.write("old.note", &files.read("fork.note"));
    let (ok, out) = check(&files);
    assert!(
        !ok && out.contains("FAIL: consistency"),
        "fork not detected:\n{out}"
    );
    for (name, line, what) in cases {
        let files = write_fixture();
        let at = middle_of_line(&files.read(name), line);
        tamper(&files, name, at);
        let (ok, out) = check(&files);
        assert!(
            !ok,
            "changing {what} ({name} line {line}) was not detected:\n{out}"
        );
        assert!(out.contains("FAIL: "), "{out}");
        eprintln!(
            "{name} line {line} ({what}): {}",
            out.trim_end().lines().last().unwrap_or("")
        );
    }
}
