//! Opening a log directory: scans every segment, checks each entry's frame, decoding,
//! sequence number and chain link, truncates a torn last frame of the newest segment, and
//! returns the state the writer continues from. A bad frame followed by valid ones is damage,
//! not a torn write: the log refuses to open and `aimsgate recover` ([`recover_damaged`], in
//! `recover/damage.rs`) moves the damaged segment aside. Owns no signature checks (that is
//! `verify`).
use std::fs;
use std::path::Path;

use super::anchor::read_anchor;
use super::entry::{body_hash, decode_record, entry_hash, parse_stored, Stored, FRAME_HEADER};
use super::error::EvidenceError;
use super::index::item::IndexItem;
use super::merkle::{CompactRange, Hash};
use super::proto::{event_record, record};
use super::segment::{list_segments, log_dir, scan_frames, sync_dir, Active, MAGIC};

mod damage;
pub use damage::{recover_damaged, DamageReport};
pub(crate) use damage::{take_damage_note, valid_frame_after};

/// Marker written at clean shutdown and removed at open.
pub(crate) const CLEAN_MARKER: &str = "clean-shutdown";

/// Where the log stands after opening.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub next_seq: u64,
    pub prev_body: Hash,
    pub range: CompactRange,
    /// v1 key id that signed the last v1 entry, or the new key id of the last rotation;
    /// `None` if neither (a v2 log trusts its checkpoint signers, below).
    pub authorised_key: Option<String>,
    /// Key hashes (hex) that signed the newest checkpoint frame, and the size it covers.
    pub checkpoint_signers: Vec<String>,
    pub checkpoint_size: u64,
    /// Entry format version of the newest entry (0 when empty).
    pub last_version: u8,
    /// Time of the newest record (unix nanos; 0 when empty).
    pub last_time: i64,
    /// The newest segment `(first seq, length)` to continue appending to.
    pub active: Option<Active>,
    /// Bytes cut off the tail.
    pub truncated: u64,
    /// The previous run did not close cleanly.
    pub unclean: bool,
    /// Index entries for records at or after the requested index position.
    pub index_items: Vec<IndexItem>,
}

/// Scans `dir/log`, repairs a torn tail, and returns the continuation state; the newest
/// segment is reopened to be zero-filled ahead up to `segment_bytes`.
pub(crate) fn recover(
    dir: &Path,
    index_from: u64,
    segment_bytes: u64,
) -> Result<Recovered, EvidenceError> {
    let logdir = log_dir(dir);
    fs::create_dir_all(&logdir)?;
    let anchor = read_anchor(dir)?;
    let min_first = anchor.as_ref().map_or(0, |(a, _)| a.first);
    for (first, path) in list_segments(&logdir)? {
        if first < min_first {
            fs::remove_file(path)?; // an interrupted prune: the anchor already covers it
        }
    }
    let (mut next_seq, mut prev_body, mut range) = match anchor {
        Some((a, _)) => {
            let r = a
                .range()
                .ok_or_else(|| EvidenceError::Corrupt("prune anchor range".into()))?;
            (a.first, a.prev, r)
        }
        None => (0, [0u8; 32], CompactRange::default()),
    };
    let mut authorised_key: Option<String> = None;
    let (mut checkpoint_signers, mut checkpoint_size) = (Vec::new(), 0u64);
    let (mut last_version, mut last_time) = (0u8, 0i64);
    let mut items = Vec::new();
    // Where the data of the segment holding the last good entry ends (zeros may follow).
    let mut data_end: Option<(u64, u64)> = None;
    let torn = scan_frames(&logdir, min_first, |seg, off, bytes| {
        let e = match parse_stored(bytes).map_err(|e| e.to_string())? {
            Stored::Entry(e) => e,
            Stored::Checkpoint(note) => {
                checkpoint_signers = signer_hashes(note);
                checkpoint_size = note
                    .lines()
                    .nth(1)
                    .and_then(|l| l.parse().ok())
                    .ok_or("checkpoint frame without a tree size")?;
                if checkpoint_size != next_seq {
                    return Err(format!(
                        "checkpoint frame covers {checkpoint_size} entries where {next_seq} precede it"
                    ));
                }
                data_end = Some((seg, off + (FRAME_HEADER + bytes.len()) as u64));
                return Ok(());
            }
        };
        let rec = decode_record(e.body).map_err(|e| format!("body does not decode: {e}"))?;
        if rec.seq != next_seq {
            return Err(format!("seq {} where {next_seq} was expected", rec.seq));
        }
        if off == MAGIC.len() as u64 && seg != rec.seq {
            return Err(format!("segment {seg} starts with seq {}", rec.seq));
        }
        if rec.prev_body_hash != prev_body {
            return Err("prev_body_hash does not match the previous body".into());
        }
        let rotated = match &rec.kind {
            Some(record::Kind::Event(ev)) => match &ev.event {
                Some(event_record::Event::KeyRotation(r)) => Some(r.new_key_id.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(k) = rotated {
            authorised_key = Some(k);
        } else if let Some((kid, _)) = e.signed {
            authorised_key = Some(kid.to_owned());
        }
        last_version = e.version();
        last_time = rec.time_unix_nanos;
        if rec.seq >= index_from {
            items.push(IndexItem::from_record(seg, off, &rec));
        }
        prev_body = body_hash(e.body);
        range.push(entry_hash(bytes));
        next_seq += 1;
        data_end = Some((seg, off + (FRAME_HEADER + bytes.len()) as u64));
        Ok(())
    })?;
    let mut truncated = 0;
    if let Some(t) = &torn {
        if !t.last {
            return Err(EvidenceError::Corrupt(format!(
                "segment {} offset {}: {} (not the newest segment, so not a torn tail); \
                 nothing was changed: restore the segment from a backup",
                t.path.display(),
                t.offset,
                t.reason
            )));
        }
        if let Some(at) = valid_frame_after(&t.path, t.offset)? {
            return Err(EvidenceError::Corrupt(format!(
                "segment {} offset {}: {}, but a valid frame follows at offset {at}: this is \
                 damage, not a torn write, and nothing was cut; run `aimsgate recover \
                 --data-dir {}` to move the damaged segment aside and continue",
                t.path.display(),
                t.offset,
                t.reason,
                dir.display()
            )));
        }
        truncated = t.used_len.saturating_sub(t.offset);
        if t.offset == 0 {
            fs::remove_file(&t.path)?;
            sync_dir(&logdir)?;
        } else {
            let f = fs::OpenOptions::new().write(true).open(&t.path)?;
            f.set_len(t.offset)?;
            f.sync_all()?;
        }
    }
    let active = match list_segments(&logdir)?.pop() {
        Some((first, path)) => {
            let len = match data_end {
                Some((seg, end)) if seg == first => end,
                _ => MAGIC.len() as u64, // a segment with no entries yet
            };
            Some(Active::reopen(&path, first, len, segment_bytes)?)
        }
        None => None,
    };
    let marker = logdir.join(CLEAN_MARKER);
    let unclean = if marker.exists() {
        fs::remove_file(&marker)?;
        sync_dir(&logdir)?;
        false
    } else {
        next_seq > 0 || truncated > 0
    };
    Ok(Recovered {
        next_seq,
        prev_body,
        range,
        authorised_key,
        checkpoint_signers,
        checkpoint_size,
        last_version,
        last_time,
        active,
        truncated,
        unclean: unclean || truncated > 0,
        index_items: items,
    })
}

/// Hex key hashes of the signature lines of a signed note (no signature is checked here).
pub(crate) fn signer_hashes(note: &str) -> Vec<String> {
    use base64::Engine as _;
    let sigs = note.rsplit_once("\n\n").map_or("", |(_, s)| s);
    sigs.lines()
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter_map(|blob| blob.get(..4).map(super::common::hex))
        .collect()
}
