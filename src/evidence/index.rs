//! The sled index in `DIR/index/`: decision id, time, principal and AI system -> position of
//! the entry in the segments. It is a lookup aid, never a copy of record: it can always be
//! rebuilt from the segments ([`rebuild_index`]), and the writer catches it up at open.
//! Owns the key layouts; knows nothing about verification.
use std::path::Path;

use super::error::EvidenceError;

pub(super) mod feed;
pub(super) mod item;
pub(crate) use item::IndexItem;

/// The opened index.
pub(crate) struct Index {
    db: sled::Db,
}

fn ie(e: sled::Error) -> EvidenceError {
    EvidenceError::Index(e.to_string())
}

/// Every key is a posting list: one key per name and `POSTING_SPAN`-aligned seq range, whose
/// value lists that name's entries in the range, in seq order, so a batch costs one sled write
/// per name and range instead of several per entry, and keys and values do not depend on how
/// entries were batched. Names: principals (`p`) and AI systems (`a`) -> positions (seq,
/// segment, offset); decision ids (`d`) and outcomes' decision ids (`o`) are keyed by their
/// first `ID_PREFIX` bytes (a UUIDv7's millisecond timestamp) and list `u16 BE suffix length |
/// rest of the id | position`. `s` (seq -> position) and `t` (time -> seq) are sparse, one per
/// `SPARSE` entries, since seq and time grow together.
const SPARSE: u64 = 256;
/// Key layout version, stored under `format`.
const INDEX_FORMAT: u8 = 3;
/// Seq range covered by one posting-list key.
const POSTING_SPAN: u64 = 256;
/// Bytes of a decision id that name its posting list (`0193a000-0000` of a UUIDv7).
const ID_PREFIX: usize = 13;

fn posting_key(tag: u8, name: &[u8], seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 10);
    k.push(tag);
    k.extend_from_slice(name);
    k.push(0);
    k.extend_from_slice(&(seq - seq % POSTING_SPAN).to_be_bytes());
    k
}

/// Splits an id into its posting-list name and the suffix stored in the list.
fn id_parts(id: &str) -> (&[u8], &[u8]) {
    let b = id.as_bytes();
    b.split_at(b.len().min(ID_PREFIX))
}

/// Appends one id entry (`u16 BE suffix length | suffix | position`) to a posting value.
fn push_id(v: &mut Vec<u8>, suffix: &[u8], p: &[u8; 24]) {
    if let Ok(n) = u16::try_from(suffix.len()) {
        v.extend_from_slice(&n.to_be_bytes());
        v.extend_from_slice(suffix);
        v.extend_from_slice(p);
    }
}

/// The position stored for `suffix` in an id posting value (lookups are test-only so far:
/// export and prove read the segments).
#[cfg(test)]
fn find_id(mut v: &[u8], suffix: &[u8]) -> Option<[u8; 24]> {
    while let Some((n, rest)) = v.split_at_checked(2) {
        let n = usize::from(u16::from_be_bytes([n[0], n[1]]));
        let (sfx, rest) = rest.split_at_checked(n)?;
        let (p, rest) = rest.split_at_checked(24)?;
        if sfx == suffix {
            return p.try_into().ok();
        }
        v = rest;
    }
    None
}

fn pos(it: &IndexItem) -> [u8; 24] {
    let mut v = [0u8; 24];
    v[..8].copy_from_slice(&it.seq.to_be_bytes());
    v[8..16].copy_from_slice(&it.seg.to_be_bytes());
    v[16..].copy_from_slice(&it.offset.to_be_bytes());
    v
}

impl Index {
    /// Opens (creating) `DIR/index`.
    pub(crate) fn open(dir: &Path) -> Result<Self, EvidenceError> {
        // sled's background flusher can hold the database lock briefly after the previous handle
        // was dropped (e.g. `index rebuild` right after the gateway stopped): retry for up to 2 s.
        let mut attempts = 0;
        loop {
            // The index is derived data (rebuildable from the segments): cap sled's page cache
            // (default 1 GiB) so the proxy's memory stays flat.
            let opened = sled::Config::new()
                .path(dir.join("index"))
                .cache_capacity(8 * 1024 * 1024)
                .open();
            match opened {
                Ok(db) => {
                    let idx = Self { db };
                    idx.check_format()?;
                    return Ok(idx);
                }
                // sled reports the held lock as `Other` with the OS error in the message.
                Err(sled::Error::Io(e))
                    if (e.kind() == std::io::ErrorKind::WouldBlock
                        || e.to_string().contains("could not acquire lock"))
                        && attempts < 40 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(ie(e)),
            }
        }
    }

    /// An index written in another key layout is dropped (and so rebuilt from the segments).
    fn check_format(&self) -> Result<(), EvidenceError> {
        let f = self.db.get(b"format").map_err(ie)?;
        if f.as_deref() != Some(&[INDEX_FORMAT][..]) {
            self.db.clear().map_err(ie)?;
            self.db.insert(b"format", &[INDEX_FORMAT]).map_err(ie)?;
        }
        Ok(())
    }

    /// Next seq the index has not seen yet.
    pub(crate) fn upto(&self) -> Result<u64, EvidenceError> {
        let v = self.db.get(b"indexed_upto").map_err(ie)?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) -> Result<(), EvidenceError> {
        self.db.clear().map_err(ie)?;
        self.db.insert(b"format", &[INDEX_FORMAT]).map_err(ie)?;
        Ok(())
    }

    /// Adds items (in seq order, none already indexed) and advances `indexed_upto`, in one
    /// atomic batch.
    pub(crate) fn add(&self, items: &[IndexItem]) -> Result<(), EvidenceError> {
        let Some(last) = items.last() else {
            return Ok(());
        };
        let mut b = sled::Batch::default();
        let mut postings: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = Default::default();
        for it in items {
            let p = pos(it);
            if it.seq % SPARSE == 0 {
                let mut s = vec![b's'];
                s.extend_from_slice(&it.seq.to_be_bytes());
                b.insert(s, &p[..]);
                let mut t = vec![b't'];
                t.extend_from_slice(&((it.time as u64) ^ (1 << 63)).to_be_bytes());
                t.extend_from_slice(&it.seq.to_be_bytes());
                b.insert(t, &p[..8]);
            }
            for (tag, id) in [(b'd', &it.decision_id), (b'o', &it.outcome_of)] {
                if let Some(id) = id {
                    let (name, suffix) = id_parts(id);
                    let v = postings.entry(posting_key(tag, name, it.seq)).or_default();
                    push_id(v, suffix, &p);
                }
            }
            for (tag, name) in [(b'p', &it.principal), (b'a', &it.ai_system)] {
                if let Some(name) = name {
                    postings
                        .entry(posting_key(tag, name.as_bytes(), it.seq))
                        .or_default()
                        .extend_from_slice(&p);
                }
            }
        }
        for (k, add) in postings {
            let mut v = self
                .db
                .get(&k)
                .map_err(ie)?
                .map(|v| v.to_vec())
                .unwrap_or_default();
            v.extend_from_slice(&add);
            b.insert(k, v);
        }
        b.insert(&b"indexed_upto"[..], &(last.seq + 1).to_be_bytes()[..]);
        self.db.apply_batch(b).map_err(ie)
    }

    /// Seqs of the decisions by this principal, ascending.
    #[cfg(test)]
    pub(crate) fn principal_seqs(&self, principal: &str) -> Result<Vec<u64>, EvidenceError> {
        let mut prefix = vec![b'p'];
        prefix.extend_from_slice(principal.as_bytes());
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.db.scan_prefix(prefix) {
            let (_, v) = kv.map_err(ie)?;
            for p in v.chunks_exact(24) {
                out.extend(<[u8; 8]>::try_from(&p[..8]).ok().map(u64::from_be_bytes));
            }
        }
        Ok(out)
    }

    /// Seq of the decision record with this id.
    #[cfg(test)]
    pub(crate) fn decision_seq(&self, id: &str) -> Result<Option<u64>, EvidenceError> {
        let (name, suffix) = id_parts(id);
        let mut prefix = vec![b'd'];
        prefix.extend_from_slice(name);
        prefix.push(0);
        for kv in self.db.scan_prefix(prefix) {
            let (_, v) = kv.map_err(ie)?;
            if let Some(p) = find_id(&v, suffix) {
                return Ok(<[u8; 8]>::try_from(&p[..8]).ok().map(u64::from_be_bytes));
            }
        }
        Ok(None)
    }

    /// Every `(key, value)` — for comparing a live index with a rebuilt one.
    #[cfg(test)]
    pub(crate) fn dump(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.db
            .iter()
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect()
    }

    /// Flushes to disk (best effort; the segments are the durable copy).
    pub(crate) fn flush(&self) -> Result<(), EvidenceError> {
        self.db.flush().map(|_| ()).map_err(ie)
    }
}

/// Rebuilds `DIR/index` from the segments; returns the number of entries indexed. Run it
/// while the log is closed (sled holds a lock on the directory).
pub fn rebuild_index(dir: &Path) -> Result<u64, EvidenceError> {
    let idx = Index::open(dir)?;
    idx.clear()?;
    let scanned = scan_items(dir)?;
    for chunk in scanned.chunks(4096) {
        idx.add(chunk)?;
    }
    idx.flush()?;
    Ok(scanned.len() as u64)
}

pub(crate) fn scan_items(dir: &Path) -> Result<Vec<IndexItem>, EvidenceError> {
    scan_range(dir, 0, u64::MAX)
}

/// Index items of the entries with `from <= seq < to`, read from the segments starting at the
/// entry at `(segment, offset)`, which must be at or before `from`.
pub(crate) fn read_range(
    dir: &Path,
    at: (u64, u64),
    from: u64,
    to: u64,
) -> Result<Vec<IndexItem>, EvidenceError> {
    let mut items = Vec::new();
    super::segment::read_from(
        &super::segment::log_dir(dir),
        at.0,
        at.1,
        |seg, off, bytes| {
            let r = super::entry::parse_entry(bytes)
                .ok()
                .and_then(|e| super::entry::decode_record(e.body).ok());
            match r {
                Some(r) if r.seq < to => {
                    if r.seq >= from {
                        items.push(IndexItem::from_record(seg, off, &r));
                    }
                    true
                }
                _ => false,
            }
        },
    )?;
    Ok(items)
}

/// Index items of the entries with `from <= seq < to`, read from the segments.
pub(crate) fn scan_range(dir: &Path, from: u64, to: u64) -> Result<Vec<IndexItem>, EvidenceError> {
    // Read-only: the writer repairs torn tails at open; the index simply stops before them.
    const DONE: &str = "(range complete)";
    let mut items = Vec::new();
    let anchored = super::anchor::read_anchor(dir)?.map_or(0, |(a, _)| a.first);
    let logdir = super::segment::log_dir(dir);
    let start = super::segment::list_segments(&logdir)?
        .iter()
        .map(|(first, _)| *first)
        .filter(|first| *first <= from)
        .max()
        .unwrap_or(0)
        .max(anchored);
    let torn = super::segment::scan(&logdir, start, |seg, off, bytes| {
        let e = super::entry::parse_entry(bytes).map_err(|e| e.to_string())?;
        let r = super::entry::decode_record(e.body).map_err(|e| e.to_string())?;
        if r.seq >= to {
            return Err(DONE.into());
        }
        if r.seq >= from {
            items.push(IndexItem::from_record(seg, off, &r));
        }
        Ok(())
    })?;
    if let Some(t) = torn.filter(|t| t.reason != DONE) {
        tracing::warn!(segment = %t.path.display(), offset = t.offset, reason = %t.reason, "index rebuild stopped at a damaged entry");
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posting_lists_do_not_depend_on_batching() {
        let item = |seq: u64| IndexItem {
            seq,
            seg: 0,
            offset: 8 + seq * 100,
            time: seq as i64,
            // UUIDv7-like ids share their 13-byte prefix; short ids are all prefix.
            decision_id: Some(if seq.is_multiple_of(2) {
                format!("0193a000-0000-7000-8000-{seq:012}")
            } else {
                format!("d-{seq}")
            }),
            outcome_of: None,
            principal: Some(format!("p-{}", seq % 3)),
            ai_system: Some("bot".into()),
        };
        let items: Vec<IndexItem> = (0..700).map(item).collect();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let one = Index::open(a.path()).unwrap();
        one.add(&items).unwrap();
        let many = Index::open(b.path()).unwrap();
        for c in items.chunks(7) {
            many.add(c).unwrap();
        }
        assert_eq!(one.dump(), many.dump());
        let want: Vec<u64> = (0..700).filter(|s| s % 3 == 2).collect();
        assert_eq!(many.principal_seqs("p-2").unwrap(), want);
        assert_eq!(many.upto().unwrap(), 700);
        assert_eq!(many.decision_seq("d-699").unwrap(), Some(699));
        assert_eq!(many.decision_seq("d-69").unwrap(), Some(69));
        let id = |s: u64| format!("0193a000-0000-7000-8000-{s:012}");
        assert_eq!(many.decision_seq(&id(0)).unwrap(), Some(0));
        assert_eq!(many.decision_seq(&id(512)).unwrap(), Some(512));
        assert_eq!(many.decision_seq(&id(698)).unwrap(), Some(698));
        assert_eq!(many.decision_seq(&id(699)).unwrap(), None);
        assert_eq!(many.decision_seq("d-700").unwrap(), None);
        assert_eq!(many.decision_seq("0193a000-0000").unwrap(), None);
    }
}
