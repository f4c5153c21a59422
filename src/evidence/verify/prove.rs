//! Reading a log for export and proofs ([`load_view`]) and RFC 6962 inclusion proofs of one
//! decision against the latest signed checkpoint ([`prove`]). Owns the proof text format:
//! `aimsgate-inclusion-proof v1`, then `decision-id`, `leaf-index`, `tree-size`, `entry`
//! (base64 stored entry bytes), `leaf-hash` (hex), one `path:` line per audit-path hash
//! (base64, leaf to root), and `checkpoint:` followed by the signed checkpoint note.
use std::path::Path;

use crate::evidence::entry::{decode_record, entry_hash, parse_entry};
use crate::evidence::merkle::{Frontier, Hash, Tree};
use crate::evidence::note::Checkpoint;
use crate::evidence::proto::{record, Record};
use crate::evidence::recover::read_anchor;
use crate::evidence::segment::{log_dir, scan};
use crate::evidence::{hex, EvidenceError};

/// Leaf hashes of every retained entry, the pruned prefix's frontier, and the latest
/// checkpoint note — what export and prove need.
pub(crate) struct LogView {
    pub frontier: Frontier,
    pub leaves: Vec<Hash>,
    pub checkpoint: Option<(Checkpoint, String)>,
    pub anchor_note: Option<String>,
}

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
    scan(&log_dir(dir), frontier.first, |_, _, bytes| {
        let e = parse_entry(bytes).map_err(|e| e.to_string())?;
        let rec = decode_record(e.body).map_err(|e| e.to_string())?;
        visit(rec.seq, bytes, &rec);
        leaves.push(entry_hash(bytes));
        Ok(())
    })?;
    let checkpoint = match std::fs::read_to_string(dir.join("checkpoint.note")) {
        Ok(note) => {
            let text = note.split("\n\n").next().unwrap_or_default();
            let cp = Checkpoint::parse(&format!("{text}\n")).map_err(EvidenceError::Corrupt)?;
            Some((cp, note))
        }
        Err(_) => None,
    };
    Ok(LogView {
        frontier,
        leaves,
        checkpoint,
        anchor_note: anchor.map(|(_, n)| n),
    })
}

/// Inclusion proof of the decision record `decision_id` against the latest checkpoint, as
/// text: the entry (base64), its leaf index, the audit path, and the signed checkpoint note.
pub fn prove(dir: &Path, decision_id: &str) -> Result<String, EvidenceError> {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut found: Option<(u64, Vec<u8>)> = None;
    let view = load_view(dir, |seq, bytes, rec| {
        if found.is_none() {
            if let Some(record::Kind::Decision(d)) = &rec.kind {
                if d.decision_id == decision_id {
                    found = Some((seq, bytes.to_vec()));
                }
            }
        }
    })?;
    let (seq, bytes) =
        found.ok_or_else(|| EvidenceError::NotFound(format!("decision {decision_id}")))?;
    let (cp, note) = view.checkpoint.ok_or_else(|| {
        EvidenceError::NotFound("no checkpoint yet (start and stop the log once)".into())
    })?;
    if seq >= cp.size {
        return Err(EvidenceError::NotFound(format!("decision {decision_id} (seq {seq}) is newer than the latest checkpoint (size {}); retry after the next checkpoint", cp.size)));
    }
    let tree = Tree::new(&view.frontier, &view.leaves);
    let path = tree
        .inclusion_proof(seq, cp.size)
        .ok_or_else(|| EvidenceError::Corrupt("cannot build the inclusion proof".into()))?;
    let mut out = format!(
        "aimsgate-inclusion-proof v1\ndecision-id: {decision_id}\nleaf-index: {seq}\ntree-size: {}\nentry: {}\nleaf-hash: {}\n",
        cp.size,
        b64(&bytes),
        hex(&entry_hash(&bytes))
    );
    for p in path {
        out.push_str(&format!("path: {}\n", b64(&p)));
    }
    out.push_str("checkpoint:\n");
    out.push_str(&note);
    Ok(out)
}
