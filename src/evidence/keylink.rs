//! Key links: what keeps a pinned key useful after the records that rotated it away are
//! pruned. A link is a C2SP tlog-proof of one KeyRotation entry (the stored entry bytes as
//! its `extra`) against the first checkpoint covering it, which the old and the new key both
//! signed. Retention writes one for every rotation it deletes (`log/keylinks/<index>.tlog-proof`),
//! before the segments go; the verifier follows them from the auditor's keys to the keys of
//! the retained log. Each file is an ordinary tlog-proof, so `verify --proof` reads it too.
//! Owns the files and decoding the rotation; which keys to trust is `verify`'s.
use std::fs;
use std::path::{Path, PathBuf};

use super::entry::{decode_record, parse_entry};
use super::error::EvidenceError;
use super::keys::write_atomic;
use super::merkle::Tree;
use super::proto::{event_record::Event, record::Kind, KeyRotation};
use super::segment::log_dir;
use super::tlog_proof::TlogProof;

/// Directory of the key links, under `log/`.
pub const KEYLINKS_DIR: &str = "keylinks";

fn links_dir(dir: &Path) -> PathBuf {
    log_dir(dir).join(KEYLINKS_DIR)
}

/// The KeyRotation in stored entry bytes, if they hold one.
pub(crate) fn rotation_in(entry: &[u8]) -> Option<KeyRotation> {
    let e = parse_entry(entry).ok()?;
    match decode_record(e.body).ok()?.kind? {
        Kind::Event(ev) => match ev.event? {
            Event::KeyRotation(r) => Some(r),
            _ => None,
        },
        _ => None,
    }
}

/// Makes links while a scan walks a log's frames in order: a v2 KeyRotation entry waits for
/// the next checkpoint frame (the writer commits a rotation alone, with a checkpoint signed by
/// both keys) and becomes a tlog-proof against it.
#[derive(Default)]
pub(crate) struct LinkCollector {
    pending: Option<(u64, Vec<u8>)>,
    /// The links made so far, in index order.
    pub links: Vec<TlogProof>,
}

impl LinkCollector {
    /// An entry at `index` (stored bytes).
    pub(crate) fn entry(&mut self, index: u64, bytes: &[u8]) {
        // v2 rotations only: a v1 one is an entry the old key signed, not a link.
        let v2 = parse_entry(bytes).is_ok_and(|e| e.signed.is_none());
        if v2 && rotation_in(bytes).is_some() {
            self.pending = Some((index, bytes.to_vec()));
        }
    }

    /// A checkpoint frame (`note`) over the first `tree.size()` entries.
    pub(crate) fn checkpoint(&mut self, tree: &Tree<'_>, note: &str) -> Result<(), String> {
        if let Some((index, entry)) = self.pending.take() {
            let path = tree
                .inclusion_proof(index, tree.size())
                .ok_or("no inclusion path for a key rotation entry")?;
            self.links.push(TlogProof {
                extra: Some(entry),
                index,
                path,
                checkpoint: note.to_owned(),
            });
        }
        Ok(())
    }

    /// Whether a rotation still waits for its checkpoint.
    pub(crate) fn waiting(&self) -> bool {
        self.pending.is_some()
    }
}

/// Writes a link unless one for its index exists (durably: file, then directory).
pub(crate) fn write_link(dir: &Path, link: &TlogProof) -> Result<(), EvidenceError> {
    let d = links_dir(dir);
    fs::create_dir_all(&d)?;
    let path = d.join(format!("{:020}.tlog-proof", link.index));
    if !path.exists() {
        write_atomic(&path, link.to_text().as_bytes(), false)?;
        super::segment::sync_dir(&d)?;
    }
    Ok(())
}

/// The links of a data dir in index order, each with its file name (for faults). A file that
/// does not parse is an error naming it.
pub fn read_links(dir: &Path) -> Result<Vec<(String, TlogProof)>, String> {
    let d = links_dir(dir);
    let rd = match fs::read_dir(&d) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("log/{KEYLINKS_DIR}: {e}")),
    };
    let mut out = Vec::new();
    for e in rd {
        let path = e.map_err(|e| format!("log/{KEYLINKS_DIR}: {e}"))?.path();
        if path.extension().and_then(|x| x.to_str()) != Some("tlog-proof") {
            continue;
        }
        let name = format!(
            "log/{KEYLINKS_DIR}/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        );
        let text = fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
        let proof = TlogProof::parse(&text).map_err(|e| format!("{name}: {e}"))?;
        out.push((name, proof));
    }
    out.sort_by_key(|(_, p)| p.index);
    Ok(out)
}
