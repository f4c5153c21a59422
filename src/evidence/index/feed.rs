//! The index thread and the bounded feed the writer hands it entries through. The writer never
//! waits for the index: when more than [`MAX_PENDING`] entries are queued it drops the batch,
//! and the index thread later fills the gap by reading those entries back from the segments.
//! So memory stays bounded under any load and the index lags instead of slowing appends.
//! The feed wakes the index thread once per [`BATCH_INTERVAL`], not once per group: while it
//! coalesces, sends only queue. Owns the batching policy; the key layout is the parent's.
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::item::IndexItem;
use super::{read_range, scan_range, Index};

/// Most entries queued for the index thread; beyond it batches are dropped (and re-read later).
pub(crate) const MAX_PENDING: usize = 65_536;
/// Longest time index items wait to be coalesced into one sled batch.
const BATCH_INTERVAL: Duration = Duration::from_millis(100);
/// Entries per sled batch.
const CHUNK: usize = 8192;

#[derive(Default)]
struct State {
    items: Vec<IndexItem>,
    /// The writer is gone: drain and stop.
    closed: bool,
    /// The index thread waits for a first item (only then does a send notify it).
    idle: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

/// The writer's end of the feed; dropping it stops the index thread once it has drained.
pub(crate) struct IndexFeed {
    shared: Arc<Shared>,
}

impl IndexFeed {
    /// Queues items (in seq order) unless the index thread is too far behind; returns false if
    /// they were dropped (the index thread re-reads them from the segments).
    pub(crate) fn send(&self, items: Vec<IndexItem>) -> bool {
        self.queue(items, MAX_PENDING)
    }

    /// Queues items regardless of [`MAX_PENDING`] (the backlog found at open).
    pub(crate) fn send_all(&self, items: Vec<IndexItem>) {
        self.queue(items, usize::MAX);
    }

    fn queue(&self, mut items: Vec<IndexItem>, cap: usize) -> bool {
        if items.is_empty() {
            return true;
        }
        let Ok(mut st) = self.shared.state.lock() else {
            return false;
        };
        if st.closed || st.items.len().saturating_add(items.len()) > cap {
            return false;
        }
        if st.items.is_empty() {
            st.items = items;
        } else {
            st.items.append(&mut items);
        }
        let wake = st.idle;
        drop(st);
        if wake {
            self.shared.cv.notify_one();
        }
        true
    }
}

impl Drop for IndexFeed {
    fn drop(&mut self) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.closed = true;
        }
        self.shared.cv.notify_one();
    }
}

/// Starts the index thread for the log in `dir`; it ends when the feed is dropped.
pub(crate) fn spawn_indexer(
    index: Index,
    dir: PathBuf,
) -> std::io::Result<(IndexFeed, JoinHandle<()>)> {
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    let h = std::thread::Builder::new()
        .name("evidence-index".into())
        .spawn(move || run(index, dir, &s))?;
    Ok((IndexFeed { shared }, h))
}

/// Waits for a first item, lets more gather for [`BATCH_INTERVAL`] (or until the feed closes),
/// and takes them all; `None` once the feed is closed and drained.
fn next_batch(shared: &Shared) -> Option<Vec<IndexItem>> {
    let mut st: MutexGuard<'_, State> = shared.state.lock().ok()?;
    while st.items.is_empty() && !st.closed {
        st.idle = true;
        st = shared.cv.wait(st).ok()?;
        st.idle = false;
    }
    let until = Instant::now() + BATCH_INTERVAL;
    while !st.closed {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        st = shared.cv.wait_timeout(st, left).ok()?.0;
    }
    let items = std::mem::take(&mut st.items);
    (!items.is_empty()).then_some(items)
}

fn run(index: Index, dir: PathBuf, shared: &Shared) {
    let mut upto = index.upto().unwrap_or(0);
    // Position (segment, offset) of entry `upto - 1`, once known: gaps are read from there.
    let mut last_pos: Option<(u64, u64)> = None;
    while let Some(mut items) = next_batch(shared) {
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
    fn feed_drops_beyond_the_cap_and_after_close() {
        let feed = IndexFeed {
            shared: Arc::new(Shared::default()),
        };
        let item = |seq| IndexItem {
            seq,
            ..IndexItem::default()
        };
        assert!(feed.send((0..MAX_PENDING as u64).map(item).collect()));
        assert!(!feed.send(vec![item(MAX_PENDING as u64)]));
        assert!(feed.send(Vec::new()));
        let shared = feed.shared.clone();
        let batch = next_batch(&shared).unwrap();
        assert_eq!(batch.len(), MAX_PENDING);
        assert_eq!(batch.last().map(|i| i.seq), Some(MAX_PENDING as u64 - 1));
        assert!(feed.send(vec![item(7)]), "room again once taken");
        drop(feed);
        assert_eq!(
            next_batch(&shared).map(|b| b.len()),
            Some(1),
            "a closed feed drains first"
        );
        assert!(next_batch(&shared).is_none());
    }
}
