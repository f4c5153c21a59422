//! [`EvidenceLog`]: the handle the proxy appends through, and the single writer thread behind
//! it. Appends get their sequence number (log index) when they are queued, so every caller
//! holds its receipt at once; the writer chains and writes them in that order, and makes each
//! durable group durable with one write and one fdatasync that also carry a signed checkpoint
//! covering it (group commit: at most one signature per fsync, none while idle). Owns the
//! durability semantics; the file formats live in `entry`, `segment` and `note`, the repair of
//! a torn tail in `recover`.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use hmac::{Hmac, Mac};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use super::index::feed::spawn_indexer;
use super::index::Index;
use super::keys::KeyPair;
use super::recover::{recover, Recovered};
use super::{
    common::hex, config::Durability, config::LogConfig, error::EvidenceError, proto::Payload,
};

mod core;
mod queue;
use self::core::Core;
pub use self::queue::{Appended, Health, OpenReport};
pub(crate) use self::queue::{Job, Queue, Reply, Shared, GATHER_BATCH};
#[cfg(test)]
pub(crate) use self::queue::{GATHER, LAZY_SYNC};

struct Handle {
    shared: Arc<Shared>,
    durability: Durability,
    slots: Arc<Semaphore>,
    capacity: usize,
    hmac_key: Option<Vec<u8>>,
    origin: String,
    thread: Mutex<Option<JoinHandle<Result<(), EvidenceError>>>>,
}

impl Handle {
    fn stop(&self) -> Result<(), EvidenceError> {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.closing = true;
        }
        self.shared.cv.notify_all();
        self.slots.close();
        let t = self
            .thread
            .lock()
            .map_err(|_| EvidenceError::Closed)?
            .take();
        match t {
            Some(t) => t
                .join()
                .map_err(|_| EvidenceError::Write("writer thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The evidence log: cheap to clone, `Send + Sync`; one writer thread per log.
#[derive(Clone)]
pub struct EvidenceLog {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for EvidenceLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceLog")
            .field("health", &self.health())
            .finish()
    }
}

impl EvidenceLog {
    /// Opens (creating) the log in `cfg.dir`: recovers a torn tail (refusing damage that is
    /// not one), resolves the log's origin, appends a log-start or recovery event (and a
    /// rotation, upgrade or retention-policy event where due) with a signed checkpoint, and
    /// starts the writer thread.
    pub fn open(mut cfg: LogConfig, key: KeyPair) -> Result<(Self, OpenReport), EvidenceError> {
        super::origin::check_retention(cfg.retention_days, cfg.retention_below_minimum)?;
        std::fs::create_dir_all(&cfg.dir)?;
        cfg.origin = super::origin::resolve(&cfg.dir, cfg.origin.as_deref())?.into();
        let index = open_index(&cfg.dir)?;
        let from = index.upto()?;
        let mut rec: Recovered = recover(&cfg.dir, from, cfg.segment_bytes)?;
        if from > rec.next_seq {
            // The index saw entries that did not survive (async mode crash): start it over.
            index.clear()?;
            rec.index_items = super::index::scan_items(&cfg.dir)?;
        }
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                next_seq: rec.next_seq,
                ..Queue::default()
            }),
            cv: Condvar::new(),
            healthy: AtomicBool::new(true),
            latency_us: AtomicU64::new(0),
            last_cp: Mutex::new(Instant::now()),
            records: AtomicU64::new(rec.next_seq),
            signatures: AtomicU64::new(0),
            last_error: Mutex::new(None),
            latest_cp: Mutex::new(None),
        });
        let (itx, index_thread) = spawn_indexer(index, cfg.dir.clone())?;
        let capacity = cfg.queue_capacity.max(1);
        let hmac_key = cfg.hmac_key.clone();
        let durability = cfg.durability;
        let origin = cfg.origin.clone().unwrap_or_default();
        let mut core = Core::new(cfg, key, rec, shared.clone(), itx, index_thread)?;
        let report = core.start()?;
        let thread = std::thread::Builder::new()
            .name("evidence-writer".into())
            .spawn(move || core.run())?;
        let inner = Handle {
            shared,
            durability,
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            hmac_key,
            origin,
            thread: Mutex::new(Some(thread)),
        };
        Ok((
            Self {
                inner: Arc::new(inner),
            },
            report,
        ))
    }

    /// Appends one record. Resolves once the entry and a checkpoint covering it are durable
    /// (`Sync`) or the entry is written (`Async`); waits asynchronously (never blocking the
    /// runtime thread) when the queue is full.
    pub async fn append(&self, payload: Payload) -> Result<Appended, EvidenceError> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(payload, Some(tx)).await?;
        rx.await.map_err(|_| EvidenceError::Closed)?
    }

    /// Makes a record as safe as the configured durability promises before the caller goes on
    /// (the proxy's decision record): in `Sync` mode it is [`append`](Self::append)ed (durable
    /// on return); in `Async` mode it is only queued (bounded: waits for room), then written
    /// and fsync'd within `max_delay`. While the log is unhealthy even `Async` waits for the
    /// write, so a failing log still refuses (fail-closed) and a recovered one says so.
    /// Returns the record's log index (the caller's receipt).
    pub async fn commit(&self, payload: Payload) -> Result<u64, EvidenceError> {
        let healthy = self.inner.shared.healthy.load(Ordering::Acquire);
        if self.inner.durability == Durability::Sync || !healthy {
            return self.append(payload).await.map(|a| a.seq);
        }
        self.enqueue(payload, None).await
    }

    /// Queues a record nobody waits for (a call's outcome, written after its answer was sent):
    /// no task, no reply channel. It is written with the next group and fsync'd with the next
    /// durable group or within [`LAZY_SYNC`] (sync mode) or `max_delay` (async mode), whichever
    /// comes first. When the queue is full or the log closed, the payload comes back: `append`
    /// it to wait for room or to learn why.
    // The payload comes back unboxed: boxing it would cost an allocation on every call.
    #[allow(clippy::result_large_err)]
    pub fn submit(&self, payload: Payload) -> Result<u64, Payload> {
        match self.inner.slots.clone().try_acquire_owned() {
            Ok(permit) => self.push_append(payload, None, permit),
            Err(_) => Err(payload),
        }
    }

    /// Waits for room in the queue, then queues `payload` and returns its log index; `reply`
    /// set means the caller waits for the result (and, in sync mode, for durability).
    async fn enqueue(&self, payload: Payload, reply: Option<Reply>) -> Result<u64, EvidenceError> {
        let permit = self
            .inner
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| EvidenceError::Closed)?;
        self.push_append(payload, reply, permit)
            .map_err(|_| EvidenceError::Closed)
    }

    #[allow(clippy::result_large_err)] // see `submit`
    fn push_append(
        &self,
        payload: Payload,
        reply: Option<Reply>,
        permit: OwnedSemaphorePermit,
    ) -> Result<u64, Payload> {
        let at = Instant::now();
        let durable = reply.is_some();
        self.push(payload, |kind, seq| Job::Append {
            kind,
            reply,
            at,
            durable,
            seq,
            _permit: Some(permit),
        })
    }

    /// Rotates the signing key: a key-rotation event naming the new key is written with a
    /// checkpoint signed by both keys, and every later checkpoint is signed by the new key
    /// alone. `signing.pub` is replaced (and `signing.key`, unless the key is supplied from
    /// outside); the retired secret is deleted from the data dir.
    pub async fn rotate_key(&self, new_key: KeyPair) -> Result<Appended, EvidenceError> {
        let (tx, rx) = oneshot::channel();
        self.push(new_key, |key, seq| Job::Rotate {
            key,
            seq,
            reply: tx,
        })
        .map_err(|_| EvidenceError::Closed)?;
        rx.await.map_err(|_| EvidenceError::Closed)?
    }

    /// Queues `job(item, seq)` with the next sequence number and returns that number, waking
    /// the writer if it sleeps and the job is awaited (or enough have gathered; see
    /// [`GATHER`]); hands `item` back if the log is closed.
    fn push<T>(&self, item: T, job: impl FnOnce(T, u64) -> Job) -> Result<u64, T> {
        let Ok(mut q) = self.inner.shared.queue.lock() else {
            return Err(item);
        };
        if q.closing || q.refusing {
            return Err(item);
        }
        let seq = q.next_seq;
        q.next_seq += 1;
        let job = job(item, seq);
        if q.items.is_empty() {
            q.since = Some(Instant::now());
        }
        q.urgent |= job.awaited();
        q.items.push(job);
        let wake = q.sleeping && (q.urgent || q.items.len() >= GATHER_BATCH);
        drop(q);
        if wake {
            self.inner.shared.cv.notify_one();
        }
        Ok(seq)
    }

    /// The latest durable signed checkpoint (a C2SP checkpoint note), if one was written since
    /// the log was opened.
    pub fn latest_checkpoint(&self) -> Option<String> {
        self.inner
            .shared
            .latest_cp
            .lock()
            .ok()
            .and_then(|g| g.clone())
    }

    /// The log's origin (checkpoint origin line and record `log_id`).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// Current health.
    pub fn health(&self) -> Health {
        let s = &self.inner.shared;
        Health {
            healthy: s.healthy.load(Ordering::Acquire),
            queue_depth: self
                .inner
                .capacity
                .saturating_sub(self.inner.slots.available_permits()),
            last_append_latency_us: s.latency_us.load(Ordering::Relaxed),
            last_checkpoint_age_secs: s
                .last_cp
                .lock()
                .map(|t| t.elapsed().as_secs())
                .unwrap_or(u64::MAX),
            records: s.records.load(Ordering::Relaxed),
            signatures: s.signatures.load(Ordering::Relaxed),
            last_error: s.last_error.lock().ok().and_then(|g| g.clone()),
        }
    }

    /// Keyed HMAC-SHA256 fingerprint (lowercase hex) of a value, if an HMAC key is configured.
    pub fn fingerprint(&self, value: &[u8]) -> Option<String> {
        let key = self.inner.hmac_key.as_ref()?;
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).ok()?;
        m.update(value);
        Some(hex(&m.finalize().into_bytes()))
    }

    /// Drains the queue, writes a final checkpoint, stops the writer (blocking).
    pub fn close(&self) -> Result<(), EvidenceError> {
        let r = self.inner.stop();
        self.inner.shared.healthy.store(false, Ordering::Release);
        r
    }
}

/// Offline retention run (log closed): prunes segments older than `cutoff_nanos` using `key`,
/// then opens the log to record the RetentionPrune event that backs the anchor (a prune the log
/// does not record would not verify).
pub fn prune(
    dir: &std::path::Path,
    key: &KeyPair,
    cutoff_nanos: i64,
) -> Result<Option<u64>, EvidenceError> {
    let origin = super::origin::resolve(dir, None)?;
    let Some((first, root)) = super::prune::prune_before(dir, key, &origin, cutoff_nanos, None)?
    else {
        return Ok(None);
    };
    let mut cfg = super::config::LogConfig::new(dir);
    cfg.retention_days = 0;
    let (log, _) = EvidenceLog::open(cfg, key.clone())?;
    let ev = super::proto::record::Kind::Event(super::proto::EventRecord {
        event: Some(super::proto::event_record::Event::RetentionPrune(
            super::proto::RetentionPrune {
                first_retained_seq: first,
                anchor_root_hash: root.to_vec(),
                retention_days: 0,
            },
        )),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(EvidenceError::Io)?;
    rt.block_on(log.append(ev))?;
    log.close()?;
    Ok(Some(first))
}

/// Opens the index; a damaged index is deleted and rebuilt (it is never the only copy), but
/// a lock held by another process is an error: two writers must never share a log.
fn open_index(dir: &std::path::Path) -> Result<Index, EvidenceError> {
    match Index::open(dir) {
        Ok(i) => Ok(i),
        Err(e) if e.to_string().contains("lock") => Err(EvidenceError::Config(format!(
            "{e}: is another aimsgate process using {}?",
            dir.display()
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "evidence index unreadable; rebuilding it from the segments");
            std::fs::remove_dir_all(dir.join("index"))?;
            Index::open(dir)
        }
    }
}
