//! Retention: deletes a whole prefix of segments whose records are all older than the cutoff,
//! after leaving a signed prune anchor (`log/anchor.note`) that holds the pruned prefix's
//! Merkle subtrees and last body hash, so the retained entries and every checkpoint at or
//! beyond the anchor still verify, and a key link (`keylink`) for every key rotation it
//! deletes, so a key the auditor pinned before the rotation still leads to the retained log.
//! Owns nothing else; the writer calls it after a checkpoint.
use std::fs;
use std::path::Path;

use super::anchor::{read_anchor, ANCHOR_FILE};
use super::entry::{
    body_hash, decode_record, entry_hash, parse_entry, parse_stored, read_frame, Frame, Stored,
    FRAME_HEADER, MAX_ENTRY_BYTES,
};
use super::error::EvidenceError;
use super::keylink::{write_link, LinkCollector};
use super::keys::{write_atomic, KeyPair};
use super::merkle::{CompactRange, Hash, Tree};
use super::note::{sign_note, Anchor};
use super::segment::{list_segments, log_dir, scan_frames, sync_dir, MAGIC};

/// Time of the first record in a segment file, if it has one (reads only that frame).
fn first_time(path: &Path) -> Result<Option<i64>, EvidenceError> {
    use std::io::Read as _;
    let mut f = fs::File::open(path)?;
    let mut head = [0u8; MAGIC.len() + FRAME_HEADER];
    if f.read_exact(&mut head).is_err() {
        return Ok(None);
    }
    let len = u32::from_be_bytes([head[8], head[9], head[10], head[11]]) as usize;
    if len == 0 || len > MAX_ENTRY_BYTES {
        return Ok(None);
    }
    let mut frame = head[MAGIC.len()..].to_vec();
    frame.resize(FRAME_HEADER + len, 0);
    if f.read_exact(&mut frame[FRAME_HEADER..]).is_err() {
        return Ok(None);
    }
    let Frame::Ok(bytes, _) = read_frame(&frame) else {
        return Ok(None);
    };
    let e = parse_entry(bytes).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
    Ok(decode_record(e.body).ok().map(|r| r.time_unix_nanos))
}

/// Prunes segments whose records are all older than `cutoff_nanos` (never the newest segment,
/// nor `keep_from` onwards). Returns the new first retained seq if anything was pruned.
pub(crate) fn prune_before(
    dir: &Path,
    key: &KeyPair,
    origin: &str,
    cutoff_nanos: i64,
    keep_from: Option<u64>,
) -> Result<Option<(u64, [u8; 32])>, EvidenceError> {
    let logdir = log_dir(dir);
    let segs = list_segments(&logdir)?;
    // Segment i is prunable when the first record of segment i+1 is older than the cutoff.
    let mut cut = None;
    for w in segs.windows(2) {
        let (next_first, next_path) = (&w[1].0, &w[1].1);
        if keep_from.is_some_and(|k| *next_first > k) {
            break;
        }
        match first_time(next_path)? {
            Some(t) if t < cutoff_nanos => cut = Some(*next_first),
            _ => break,
        }
    }
    let Some(first) = cut else { return Ok(None) };
    let old = read_anchor(dir)?;
    let (mut range, mut prev, start) = match &old {
        Some((a, _)) => (a.range().unwrap_or_default(), a.prev, a.first),
        None => (CompactRange::default(), [0u8; 32], 0),
    };
    let frontier = range.frontier();
    let mut leaves: Vec<Hash> = Vec::new();
    let mut links = LinkCollector::default();
    let mut n = start;
    let torn = scan_frames(&logdir, start, |_, _, bytes| {
        match parse_stored(bytes).map_err(|e| e.to_string())? {
            Stored::Checkpoint(note) => {
                links.checkpoint(&Tree::new(&frontier, &leaves), note)?;
                if n >= first {
                    return Err("done".into());
                }
            }
            Stored::Entry(e) => {
                if n >= first {
                    return Err("done".into());
                }
                prev = body_hash(e.body);
                let leaf = entry_hash(bytes);
                range.push(leaf);
                leaves.push(leaf);
                links.entry(n, bytes);
                n += 1;
            }
        }
        Ok(())
    })?;
    if n != first || links.waiting() || torn.as_ref().is_some_and(|t| t.reason != "done") {
        return Err(EvidenceError::Corrupt(
            "prune: could not read the prefix being pruned (or a key rotation in it has no covering checkpoint)".into(),
        ));
    }
    for link in &links.links {
        write_link(dir, link)?;
    }
    let anchor = Anchor {
        origin: origin.to_owned(),
        first,
        prev,
        nodes: range.nodes(),
    };
    let note = sign_note(&anchor.text(), origin, key);
    write_atomic(&logdir.join(ANCHOR_FILE), note.as_bytes(), false)?;
    for (f, path) in segs.iter().filter(|(f, _)| *f < first) {
        tracing::info!(segment = *f, "evidence retention: pruning segment");
        fs::remove_file(path)?;
    }
    sync_dir(&logdir)?;
    if let Ok(rd) = fs::read_dir(dir.join("checkpoints")) {
        for e in rd.flatten() {
            let size = e
                .path()
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            if size.is_some_and(|s| s < first) {
                fs::remove_file(e.path())?;
            }
        }
    }
    Ok(Some((first, range.root())))
}
