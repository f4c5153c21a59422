//! Damage that is not a torn write: a bad frame in the newest segment with valid frames after
//! it (a flipped bit, a bad sector). Opening refuses such a log; [`recover_damaged`] (the
//! `aimsgate recover` step, run while aimsgate is stopped) keeps the valid prefix in place,
//! moves the whole damaged segment aside to `DIR/damaged/`, and leaves a note that the next
//! open turns into a Recovery record. Owns only these file moves; it never deletes a byte.
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::evidence::entry::{parse_stored, read_frame, Frame};
use crate::evidence::error::EvidenceError;
use crate::evidence::keys::write_atomic;
use crate::evidence::proto::Recovery;
use crate::evidence::segment::{list_segments, log_dir, scan_frames, sync_dir};

/// Folder for segments moved aside.
pub const DAMAGED_DIR: &str = "damaged";
/// The note the next open records and removes.
const PENDING: &str = "pending-recovery";

/// What [`recover_damaged`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamageReport {
    /// The damaged segment's new path (relative to the data dir).
    pub moved_to: String,
    /// Offset of its first bad frame (the kept prefix ends there).
    pub offset: u64,
    /// Valid frames found after the damage (kept in the moved file only).
    pub frames_after: u64,
}

/// Offset of the first valid frame after `offset` in the segment at `path`, if any.
pub(crate) fn valid_frame_after(path: &Path, offset: u64) -> std::io::Result<Option<u64>> {
    let data = fs::read(path)?;
    Ok(first_valid(&data, offset as usize + 1).map(|o| o as u64))
}

fn first_valid(data: &[u8], from: usize) -> Option<usize> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    (from..end).find(|&at| {
        matches!(read_frame(&data[at..end.max(at)]), Frame::Ok(bytes, _) if parse_stored(bytes).is_ok())
    })
}

/// Consecutive valid frames from `at`.
fn count_frames(data: &[u8], mut at: usize) -> u64 {
    let mut n = 0;
    while let Some(rest) = data.get(at..) {
        match read_frame(rest) {
            Frame::Ok(_, len) => {
                n += 1;
                at += len;
            }
            _ => break,
        }
    }
    n
}

/// Moves a damaged newest segment aside (see the module docs). `Ok(None)`: nothing is
/// damaged. Damage in an older segment is refused: the segments after it depend on it.
pub fn recover_damaged(dir: &Path) -> Result<Option<DamageReport>, EvidenceError> {
    // The index lock is held by a running writer: never move files under it.
    let lock = crate::evidence::index::Index::open(dir).map_err(|e| {
        EvidenceError::Config(format!(
            "{e}: stop the aimsgate process using {} before `aimsgate recover`",
            dir.display()
        ))
    })?;
    drop(lock);
    let logdir = log_dir(dir);
    let torn = scan_frames(&logdir, 0, |_, _, bytes| {
        parse_stored(bytes).map(|_| ()).map_err(|e| e.to_string())
    })?;
    let Some(t) = torn else { return Ok(None) };
    let data = fs::read(&t.path)?;
    let Some(next) = first_valid(&data, t.offset as usize + 1) else {
        return Ok(None); // a torn last frame: the next open cuts it, nothing to move
    };
    if !t.last {
        return Err(EvidenceError::Corrupt(format!(
            "segment {} is damaged at offset {} but is not the newest segment; later segments \
             continue its chain, so it cannot be moved aside: restore it from a backup",
            t.path.display(),
            t.offset
        )));
    }
    let ddir = dir.join(DAMAGED_DIR);
    fs::create_dir_all(&ddir)?;
    let name = t
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("segment");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let aside: PathBuf = ddir.join(format!("{name}.{stamp}"));
    let report = DamageReport {
        moved_to: format!("{DAMAGED_DIR}/{name}.{stamp}"),
        offset: t.offset,
        frames_after: count_frames(&data, next),
    };
    // Copy first, then move: at every moment either the original or both copies exist.
    fs::copy(&t.path, &aside)?;
    fs::File::open(&aside)?.sync_all()?;
    sync_dir(&ddir)?;
    let note = format!(
        "segment {}\nsha256 {}\noffset {}\nframes-after {}\n",
        report.moved_to,
        crate::evidence::common::hex(&Sha256::digest(&data)),
        report.offset,
        report.frames_after
    );
    write_atomic(&ddir.join(PENDING), note.as_bytes(), false)?;
    let prefix = data.get(..t.offset as usize).unwrap_or(&data[..]);
    write_atomic(&t.path, prefix, false)?;
    if list_segments(&logdir)?.is_empty() {
        return Err(EvidenceError::Corrupt(
            "recover: segment list vanished".into(),
        ));
    }
    Ok(Some(report))
}

/// The pending damage note as Recovery fields, and its path (to remove once recorded).
pub(crate) fn take_damage_note(dir: &Path) -> Result<Option<(Recovery, PathBuf)>, EvidenceError> {
    let path = dir.join(DAMAGED_DIR).join(PENDING);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_default()
            .to_owned()
    };
    let sha = field("sha256");
    let mut hash = Vec::with_capacity(32);
    for i in (0..sha.len()).step_by(2) {
        if let Some(b) = sha
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            hash.push(b);
        }
    }
    let r = Recovery {
        damaged_segment: field("segment"),
        damaged_sha256: hash,
        damaged_offset: field("offset").parse().unwrap_or(0),
        frames_after_damage: field("frames-after").parse().unwrap_or(0),
        ..Default::default()
    };
    Ok(Some((r, path)))
}
