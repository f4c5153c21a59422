//! The index thread and the bounded feed the writer hands it entries through. The writer never
//! waits for the index: when more than [`MAX_PENDING`] entries are queued it drops the batch,
//! and the index thread later fills the gap by reading those entries back from the segments.
//! So memory stays bounded under any load and the index lags instead of slowing appends.
//! Owns the batching policy; the key layout is the parent's.
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{read_range, scan_range, Index, IndexItem};

/// Most entries queued for the index thread; beyond it batches are dropped (and re-read later).
pub(crate) const MAX_PENDING: usize = 65_536;
/// Longest time index items wait to be coalesced into one sled batch.
const BATCH_INTERVAL: Duration = Duration::from_millis(100);
/// Entries per sled batch.
const CHUNK: usize = 8192;

/// The writer's end of the feed.
pub(crate) struct IndexFeed {
    tx: mpsc::Sender<Vec<IndexItem>>,
    pending: Arc<AtomicUsize>,
}

impl IndexFeed {
    /// Queues items (in seq order) unless the index thread is too far behind; returns false if
    /// they were dropped (the index thread re-reads them from the segments).
    pub(crate) fn send(&self, items: Vec<IndexItem>) -> bool {
        let n = items.len();
        if n == 0 {
            return true;
        }
        if self.pending.fetch_add(n, Ordering::AcqRel) + n > MAX_PENDING {
            self.pending.fetch_sub(n, Ordering::AcqRel);
            return false;
        }
        if self.tx.send(items).is_err() {
            self.pending.fetch_sub(n, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Queues items regardless of [`MAX_PENDING`] (the backlog found at open).
    pub(crate) fn send_all(&self, items: Vec<IndexItem>) {
        self.pending.fetch_add(items.len(), Ordering::AcqRel);
        let _ = self.tx.send(items);
    }
}

/// Starts the index thread for the log in `dir`; it ends when the feed is dropped.
pub(crate) fn spawn_indexer(
    index: Index,
    dir: PathBuf,
) -> std::io::Result<(IndexFeed, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let pending = Arc::new(AtomicUsize::new(0));
    let p = pending.clone();
    let h = std::thread::Builder::new()
        .name("evidence-index".into())
        .spawn(move || run(index, dir, rx, p))?;
    Ok((IndexFeed { tx, pending }, h))
}

fn run(index: Index, dir: PathBuf, rx: mpsc::Receiver<Vec<IndexItem>>, pending: Arc<AtomicUsize>) {
    let mut upto = index.upto().unwrap_or(0);
    // Position (segment, offset) of entry `upto - 1`, once known: gaps are read from there.
    let mut last_pos: Option<(u64, u64)> = None;
    while let Ok(mut items) = rx.recv() {
        let until = Instant::now() + BATCH_INTERVAL;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(more) => items.extend(more),
                Err(_) => break,
            }
        }
        pending.fetch_sub(items.len(), Ordering::AcqRel);
        items.retain(|i| i.seq >= upto);
        let Some(last) = items.last().map(|i| i.seq) else {
            continue;
        };
        if items.first().map(|i| i.seq) != Some(upto) || items.len() as u64 != last + 1 - upto {
            // Some batches were dropped while the index was behind: read the range back.
            let read = match last_pos {
                Some(at) => read_range(&dir, at, upto, last + 1),
                None => scan_range(&dir, upto, last + 1),
            };
            match read {
                Ok(all) if all.first().map(|i| i.seq) == Some(upto) => items = all,
                Ok(_) => {
                    tracing::warn!(
                        "evidence index: entries read back do not start where expected; will retry"
                    );
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "evidence index could not read entries back; run `aimsgate index rebuild`");
                    continue;
                }
            }
        }
        for chunk in items.chunks(CHUNK) {
            if let Err(e) = index.add(chunk) {
                tracing::warn!(error = %e, "evidence index update failed; run `aimsgate index rebuild`");
                break;
            }
            if let Some(i) = chunk.last() {
                upto = i.seq + 1;
                last_pos = Some((i.seg, i.offset));
            }
        }
    }
    let _ = index.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_drops_beyond_the_cap_and_counts_back() {
        let (tx, rx) = mpsc::channel();
        let feed = IndexFeed {
            tx,
            pending: Arc::new(AtomicUsize::new(0)),
        };
        let item = |seq| IndexItem {
            seq,
            ..IndexItem::default()
        };
        assert!(feed.send((0..MAX_PENDING as u64).map(item).collect()));
        assert!(!feed.send(vec![item(MAX_PENDING as u64)]));
        assert_eq!(feed.pending.load(Ordering::Acquire), MAX_PENDING);
        assert!(feed.send(Vec::new()));
        drop(rx);
        feed.pending.store(0, Ordering::Release);
        assert!(!feed.send(vec![item(0)]), "a closed feed reports the drop");
        assert_eq!(feed.pending.load(Ordering::Acquire), 0);
    }
}
