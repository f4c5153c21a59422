//! Reading a log for export and proofs ([`load_view`]), C2SP tlog-proofs of one decision
//! ([`prove`]) and their offline check ([`verify_proof`]). A proof's `extra` is the stored
//! entry bytes, so it is self-contained: the leaf hash is recomputed from it and the record
//! decoded from it. Proofs are made against the cosigned checkpoint when it covers the entry
//! (witnesses vouch for it), else the latest checkpoint in the log. Owns no proof syntax
//! (`tlog_proof`) and no trust policy (`trust`).
use std::fmt;
use std::path::Path;

use super::keychain::note_text;
use super::root::TrustRoot;
use super::{kept::COSIGNED_FILE, outcome::decision_id, outcome::fault, outcome::VerifyFault};
use crate::evidence::anchor::read_anchor;
use crate::evidence::entry::{decode_record, entry_hash, parse_entry, parse_stored, Stored};
use crate::evidence::keylink::{read_links, LinkCollector};
use crate::evidence::merkle::{Frontier, Hash, Tree};
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::Checkpoint;
use crate::evidence::proto::{record, Record};
use crate::evidence::segment::{log_dir, scan_frames};
use crate::evidence::tlog_proof::TlogProof;
use crate::evidence::{common::hex, error::EvidenceError};

/// Leaf hashes of every retained entry, the pruned prefix's frontier, and the latest
/// checkpoint note — what export and prove need.
pub(crate) struct LogView {
    pub frontier: Frontier,
    pub leaves: Vec<Hash>,
    pub checkpoint: Option<(Checkpoint, String)>,
    pub anchor_note: Option<String>,
    /// Key links (see `keylink`): the pruned rotations' and the retained ones', by index.
    pub key_links: Vec<TlogProof>,
}

fn parse_cp(note: &str) -> Result<Checkpoint, EvidenceError> {
    let text = note_text(note).map_err(EvidenceError::Corrupt)?;
    Checkpoint::parse(&text).map_err(EvidenceError::Corrupt)
}

/// Reads every retained entry (calling `visit` on each) and the latest checkpoint: the newest
/// checkpoint frame, else the legacy `checkpoint.note`.
pub(crate) fn load_view(
    dir: &Path,
    mut visit: impl FnMut(u64, &[u8], &Record),
) -> Result<LogView, EvidenceError> {
    let anchor = read_anchor(dir)?;
    let frontier = anchor
        .as_ref()
        .and_then(|(a, _)| a.range())
        .map(|r| r.frontier())
        .unwrap_or_default();
    let mut leaves = Vec::new();
    let mut links = LinkCollector::default();
    scan_frames(&log_dir(dir), frontier.first, |_, _, bytes| {
        match parse_stored(bytes).map_err(|e| e.to_string())? {
            Stored::Checkpoint(note) => links.checkpoint(&Tree::new(&frontier, &leaves), note)?,
            Stored::Entry(e) => {
                let rec = decode_record(e.body).map_err(|e| e.to_string())?;
                visit(rec.seq, bytes, &rec);
                links.entry(frontier.first + leaves.len() as u64, bytes);
                leaves.push(entry_hash(bytes));
            }
        }
        Ok(())
    })?;
    // Links of rotations retention deleted, then those of the retained log.
    let mut key_links: Vec<TlogProof> = read_links(dir)
        .map_err(EvidenceError::Corrupt)?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    key_links.append(&mut links.links);
    let note = match crate::evidence::read::latest_checkpoint(dir)? {
        Some(n) => Some(n),
        None => std::fs::read_to_string(dir.join("checkpoint.note")).ok(),
    };
    let checkpoint = match note {
        Some(note) => Some((parse_cp(&note)?, note)),
        None => None,
    };
    Ok(LogView {
        frontier,
        leaves,
        checkpoint,
        anchor_note: anchor.map(|(_, n)| n),
        key_links,
    })
}

/// A C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) of the decision record `decision_id`, with the
/// stored entry bytes as `extra`, against the cosigned checkpoint if it covers the record, else
/// the latest checkpoint.
pub fn prove(dir: &Path, decision_id: &str) -> Result<String, EvidenceError> {
    prove_all(dir, &[decision_id])?
        .pop()
        .unwrap_or_else(|| Err(EvidenceError::NotFound(format!("decision {decision_id}"))))
}

/// Proofs of several decisions of one log in one read of it (the report's audit sample):
/// one result per id, in the order given. Fails as a whole only when the log cannot be read.
pub fn prove_all(
    dir: &Path,
    decision_ids: &[&str],
) -> Result<Vec<Result<String, EvidenceError>>, EvidenceError> {
    let mut found: Vec<Option<(u64, Vec<u8>)>> = vec![None; decision_ids.len()];
    let wanted: std::collections::HashMap<&str, usize> = decision_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let view = load_view(dir, |seq, bytes, rec| {
        if let Some(record::Kind::Decision(d)) = &rec.kind {
            if let Some(i) = wanted.get(d.decision_id.as_str()) {
                if found[*i].is_none() {
                    found[*i] = Some((seq, bytes.to_vec()));
                }
            }
        }
    })?;
    let tree = Tree::new(&view.frontier, &view.leaves);
    let cosigned = std::fs::read_to_string(dir.join(COSIGNED_FILE))
        .ok()
        .and_then(|n| Some((parse_cp(&n).ok()?, n)));
    let one = |id: &str, hit: Option<(u64, Vec<u8>)>| -> Result<String, EvidenceError> {
        let (seq, bytes) = hit.ok_or_else(|| EvidenceError::NotFound(format!("decision {id}")))?;
        let (cp, note) = cosigned
            .clone()
            .filter(|(cp, _)| seq < cp.size && tree.root(cp.size) == Some(cp.root))
            .or_else(|| view.checkpoint.clone())
            .ok_or_else(|| {
                EvidenceError::NotFound("no checkpoint yet (start and stop the log once)".into())
            })?;
        if seq >= cp.size {
            return Err(EvidenceError::NotFound(format!("decision {id} (seq {seq}) is newer than the latest checkpoint (size {}); retry after the next checkpoint", cp.size)));
        }
        if tree.root(cp.size) != Some(cp.root) {
            return Err(EvidenceError::Corrupt(format!(
                "the log does not hash to its checkpoint of size {} (run verify)",
                cp.size
            )));
        }
        let path = tree
            .inclusion_proof(seq, cp.size)
            .ok_or_else(|| EvidenceError::Corrupt("cannot build the inclusion proof".into()))?;
        Ok(TlogProof {
            extra: Some(bytes),
            index: seq,
            path,
            checkpoint: note,
        }
        .to_text())
    };
    Ok(decision_ids
        .iter()
        .zip(found)
        .map(|(id, hit)| one(id, hit))
        .collect())
}

/// What a checked proof proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofSummary {
    /// The log origin.
    pub origin: String,
    /// Leaf index (= record seq).
    pub index: u64,
    /// Size of the checkpoint proven against.
    pub tree_size: u64,
    /// Its root (hex).
    pub root: String,
    /// Decision id of the record, if it has one.
    pub decision_id: Option<String>,
    /// Trusted witnesses whose cosignatures verified (with `--trust`).
    pub cosignatures: usize,
}

impl fmt::Display for ProofSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OK: record seq {}{} is entry {} of log {:?}, included in the signed checkpoint of size {} (root {})",
            self.index,
            self.decision_id.as_ref().map(|d| format!(" (decision {d})")).unwrap_or_default(),
            self.index,
            self.origin,
            self.tree_size,
            self.root
        )?;
        if self.cosignatures > 0 {
            write!(f, ", cosigned by {} trusted witness(es)", self.cosignatures)?;
        }
        Ok(())
    }
}

/// Checks a tlog-proof offline against the auditor's trust root (a data dir trust root has no
/// keys and is refused): the checkpoint's signature (and with a policy, its witness quorum),
/// the inclusion of the leaf recomputed from `extra`, and that the record there is entry
/// `index` of that log.
pub fn verify_proof(
    text: &str,
    file: &str,
    trust: &TrustRoot,
) -> Result<ProofSummary, VerifyFault> {
    let f = |field: &str, p: String| fault(None, None, file, field, p);
    let proof = TlogProof::parse(text).map_err(|e| f("proof", e.to_string()))?;
    let entry = proof.extra.as_deref().ok_or_else(|| {
        f(
            "extra",
            "the proof carries no entry bytes (`extra` line), so the record cannot be checked"
                .into(),
        )
    })?;
    let leaf = entry_hash(entry);
    let e = parse_entry(entry).map_err(|e| f("extra", format!("not a stored entry: {e}")))?;
    let rec = decode_record(e.body)
        .map_err(|e| f("extra", format!("entry body does not decode: {e}")))?;
    let rf = |field: &str, p: String| fault(Some(rec.seq), Some(&rec), file, field, p);
    let (cp, cosignatures) = match (&trust.policy, trust.is_data_dir()) {
        (_, true) => {
            return Err(f(
                "trust",
                "checking a proof needs the log key: give --public-key FILE or --trust FILE".into(),
            ))
        }
        (Some(p), _) => {
            let t = p.check_proof(&proof, &leaf).map_err(|e| rf("proof", e))?;
            (t.checkpoint, t.cosigned.len())
        }
        (None, _) => {
            let origin = note_text(&proof.checkpoint)
                .ok()
                .and_then(|t| t.lines().next().map(str::to_owned))
                .unwrap_or_default();
            let mut last = format!("no trusted key is for origin {origin:?}");
            let mut ok = None;
            for k in trust
                .keys
                .iter()
                .filter(|k| k.origin.as_deref().is_none_or(|o| o == origin))
            {
                match proof.check(&leaf, &Verifier::note_key(&origin, &k.key)) {
                    Ok(cp) => {
                        ok = Some(cp);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            (ok.ok_or_else(|| rf("proof", last))?, 0)
        }
    };
    if rec.seq != proof.index {
        return Err(rf("seq", format!("the entry is record seq {} but the proof places it at index {} (a record moved or replayed)", rec.seq, proof.index)));
    }
    if rec.log_id != cp.origin {
        return Err(rf(
            "log_id",
            format!(
                "the record belongs to log {:?} but the checkpoint is of {:?}",
                rec.log_id, cp.origin
            ),
        ));
    }
    Ok(ProofSummary {
        origin: cp.origin,
        index: proof.index,
        tree_size: cp.size,
        root: hex(&cp.root),
        decision_id: decision_id(&rec),
        cosignatures,
    })
}
