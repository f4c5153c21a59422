//! The sled index in `DIR/index/`: decision id, time, principal and AI system -> position of
//! the entry in the segments. It is a lookup aid, never a copy of record: it can always be
//! rebuilt from the segments ([`rebuild_index`]), and the writer catches it up at open.
//! Owns the key layouts; knows nothing about verification.
use std::path::Path;

use super::proto::{record, Record};
use super::EvidenceError;

/// Position of an entry plus the fields the index keys on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexItem {
    pub seq: u64,
    pub seg: u64,
    pub offset: u64,
    pub time: i64,
    pub decision_id: Option<String>,
    pub outcome_of: Option<String>,
    pub principal: Option<String>,
    pub ai_system: Option<String>,
}

impl IndexItem {
    pub(crate) fn from_record(seg: u64, offset: u64, r: &Record) -> Self {
        let mut it = Self {
            seq: r.seq,
            seg,
            offset,
            time: r.time_unix_nanos,
            ..Self::default()
        };
        match &r.kind {
            Some(record::Kind::Decision(d)) => {
                it.decision_id = Some(d.decision_id.clone()).filter(|s| !s.is_empty());
                it.principal = Some(d.principal_id.clone()).filter(|s| !s.is_empty());
                it.ai_system = Some(d.ai_system_id.clone()).filter(|s| !s.is_empty());
            }
            Some(record::Kind::Outcome(o)) => {
                it.outcome_of = Some(o.decision_id.clone()).filter(|s| !s.is_empty());
            }
            _ => {}
        }
        it
    }
}

/// The opened index.
pub(crate) struct Index {
    db: sled::Db,
}

fn ie(e: sled::Error) -> EvidenceError {
    EvidenceError::Index(e.to_string())
}

/// Every entry gets `d`/`o` (decision or outcome id -> seq, segment, offset) and, for
/// decisions, `p` (principal) and `a` (AI system) keys; `s` (seq -> position) and `t` (time ->
/// seq) are sparse, one per `SPARSE` entries, since seq and time grow together.
const SPARSE: u64 = 256;

fn keyed(tag: u8, prefix: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 10);
    k.push(tag);
    k.extend_from_slice(prefix.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn tagged(tag: u8, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 1);
    k.push(tag);
    k.extend_from_slice(id.as_bytes());
    k
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
                .cache_capacity(32 * 1024 * 1024)
                .open();
            match opened {
                Ok(db) => return Ok(Self { db }),
                Err(sled::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock && attempts < 40 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(ie(e)),
            }
        }
    }

    /// Next seq the index has not seen yet.
    pub(crate) fn upto(&self) -> Result<u64, EvidenceError> {
        let v = self.db.get(b"indexed_upto").map_err(ie)?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) -> Result<(), EvidenceError> {
        self.db.clear().map_err(ie)
    }

    /// Adds items (in seq order) and advances `indexed_upto`, in one atomic batch.
    pub(crate) fn add(&self, items: &[IndexItem]) -> Result<(), EvidenceError> {
        let Some(last) = items.last() else {
            return Ok(());
        };
        let mut b = sled::Batch::default();
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
            if let Some(d) = &it.decision_id {
                b.insert(tagged(b'd', d), &p[..]);
            }
            if let Some(d) = &it.outcome_of {
                b.insert(tagged(b'o', d), &p[..]);
            }
            if let Some(x) = &it.principal {
                b.insert(keyed(b'p', x, it.seq), &p[8..]);
            }
            if let Some(x) = &it.ai_system {
                b.insert(keyed(b'a', x, it.seq), &p[8..]);
            }
        }
        b.insert(&b"indexed_upto"[..], &(last.seq + 1).to_be_bytes()[..]);
        self.db.apply_batch(b).map_err(ie)
    }

    /// Seq of the decision record with this id.
    #[cfg(test)]
    pub(crate) fn decision_seq(&self, id: &str) -> Result<Option<u64>, EvidenceError> {
        let v = self.db.get(tagged(b'd', id)).map_err(ie)?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.get(..8)?).ok())
            .map(u64::from_be_bytes))
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
    // Read-only: the writer repairs torn tails at open; the index simply stops before them.
    let mut items = Vec::new();
    let first = super::recover::read_anchor(dir)?.map_or(0, |(a, _)| a.first);
    let torn = super::segment::scan(&super::segment::log_dir(dir), first, |seg, off, bytes| {
        let e = super::entry::parse_entry(bytes).map_err(|e| e.to_string())?;
        let r = super::entry::decode_record(e.body).map_err(|e| e.to_string())?;
        items.push(IndexItem::from_record(seg, off, &r));
        Ok(())
    })?;
    if let Some(t) = torn {
        tracing::warn!(segment = %t.path.display(), offset = t.offset, reason = %t.reason, "index rebuild stopped at a damaged entry");
    }
    Ok(items)
}
