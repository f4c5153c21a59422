//! Read-only access to a log directory for tools that run beside the writer or offline (the
//! witness client, `aimsgate checkpoint`, proofs): leaf hashes from a sequence number on, and
//! the latest checkpoint frame. Owns no verification: what it returns is what the files say,
//! and callers that need trust check the signatures themselves.
use std::path::Path;

use super::anchor::read_anchor;
use super::entry::{entry_hash, is_checkpoint, parse_stored, Stored};
use super::error::EvidenceError;
use super::merkle::Hash;
use super::segment::{list_segments, log_dir, scan_frames};

/// Leaf hashes of the entries with `seq >= from`, in order, up to the first damaged or torn
/// frame. Reads only the segments that can hold them.
pub fn leaf_hashes(dir: &Path, from: u64) -> Result<Vec<Hash>, EvidenceError> {
    let logdir = log_dir(dir);
    let anchored = read_anchor(dir)?.map_or(0, |(a, _)| a.first);
    if from < anchored {
        return Err(EvidenceError::NotFound(format!(
            "entries before seq {anchored} were pruned by retention"
        )));
    }
    let start = list_segments(&logdir)?
        .iter()
        .map(|(first, _)| *first)
        .filter(|first| *first <= from)
        .max()
        .unwrap_or(anchored);
    let mut seq = start;
    let mut out = Vec::new();
    scan_frames(&logdir, start, |_, _, bytes| {
        if is_checkpoint(bytes) {
            return Ok(());
        }
        if seq >= from {
            out.push(entry_hash(bytes));
        }
        seq += 1;
        Ok(())
    })?;
    Ok(out)
}

/// The newest checkpoint frame's signed note in the log, if any (newest segment first).
pub fn latest_checkpoint(dir: &Path) -> Result<Option<String>, EvidenceError> {
    let logdir = log_dir(dir);
    for (first, _) in list_segments(&logdir)?.into_iter().rev() {
        let mut last = None;
        scan_frames(&logdir, first, |seg, _, bytes| {
            if seg != first {
                return Err("(next segment)".into());
            }
            if let Ok(Stored::Checkpoint(note)) = parse_stored(bytes) {
                last = Some(note.to_owned());
            }
            Ok(())
        })?;
        if last.is_some() {
            return Ok(last);
        }
    }
    Ok(None)
}
