//! The queue between the [`EvidenceLog`](super::EvidenceLog) handle and its writer thread: the
//! jobs, the state both sides share under one lock, the receipts an append returns, and the
//! timing rules (how long records gather, how long they may stay un-fsync'd).
//!
//! A leaf of `writer`: plain types and small functions that the handle and the writer core both
//! use, so neither imports the other for them. It writes nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, OwnedSemaphorePermit};

use crate::evidence::keys::KeyPair;
use crate::evidence::{config::Durability, error::EvidenceError, proto::Payload};

/// Result of a successful append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Sequence number (Merkle leaf index) of the entry.
    pub seq: u64,
    /// RFC 6962 leaf hash of the stored entry bytes.
    pub entry_hash: [u8; 32],
}

/// What opening the log found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenReport {
    /// The previous run stopped uncleanly (a recovery event was appended).
    pub recovered: bool,
    /// Bytes of torn tail removed.
    pub truncated_bytes: u64,
    /// Sequence number the next append will get.
    pub next_seq: u64,
    /// The log was empty and a log-start event was appended.
    pub created: bool,
}

/// A health snapshot for `/readyz` and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// False after a write failure until a later write succeeds, and after close.
    pub healthy: bool,
    /// Appends accepted but not yet written.
    pub queue_depth: usize,
    /// Time the last group waited from enqueue to durable, microseconds.
    pub last_append_latency_us: u64,
    /// Seconds since the last checkpoint was written.
    pub last_checkpoint_age_secs: u64,
    /// Entries in the log.
    pub records: u64,
    /// Checkpoint signatures made since the log was opened (one per durable group commit).
    pub signatures: u64,
    /// The last write error, if any.
    pub last_error: Option<String>,
}

pub(crate) type Reply = oneshot::Sender<Result<Appended, EvidenceError>>;

// Appends are the hot path: boxing the payload would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Job {
    Append {
        kind: Payload,
        /// `None` for [`EvidenceLog::submit`]: nobody waits for this record.
        reply: Option<Reply>,
        at: Instant,
        /// The caller waits for durability (sync mode fsyncs the group before replying).
        durable: bool,
        /// The log index this record gets (assigned when queued).
        seq: u64,
        /// `None` for the writer's own events.
        _permit: Option<OwnedSemaphorePermit>,
    },
    Rotate {
        key: KeyPair,
        seq: u64,
        reply: oneshot::Sender<Result<Appended, EvidenceError>>,
    },
}

impl Job {
    /// Somebody awaits this job's result: the writer must take it now, not at the next gather.
    pub(crate) fn awaited(&self) -> bool {
        matches!(
            self,
            Job::Append { reply: Some(_), .. } | Job::Rotate { .. }
        )
    }
}

/// Records nobody waits for (async-mode decisions, outcomes) are gathered for up to this long
/// before the writer wakes for them, so that it signs and writes many per wake-up instead of
/// one per call: each wake-up costs a futex call on the request path and a context switch.
pub const GATHER: Duration = Duration::from_millis(2);

/// Unawaited records that wake the writer before [`GATHER`] has passed.
pub const GATHER_BATCH: usize = 512;

#[derive(Default)]
pub(crate) struct Queue {
    pub items: Vec<Job>,
    pub closing: bool,
    /// The writer is waiting on the condvar (only then does a push need to wake it).
    pub sleeping: bool,
    /// Writes are failing and too much is retained in memory: new records are refused.
    pub refusing: bool,
    /// A queued job is awaited (see [`Job::awaited`]).
    pub urgent: bool,
    /// When the oldest queued job was pushed.
    pub since: Option<Instant>,
    /// The sequence number the next queued record gets.
    pub next_seq: u64,
}

impl Queue {
    /// How long the writer may still leave the queue untaken (zero: take it now; `None`:
    /// nothing queued).
    pub(crate) fn take_in(&self, gather: Duration) -> Option<Duration> {
        let since = self.since?;
        if self.closing || self.urgent || self.items.len() >= GATHER_BATCH {
            return Some(Duration::ZERO);
        }
        Some(gather.saturating_sub(since.elapsed()))
    }

    /// Everything queued, leaving the queue empty.
    pub(crate) fn take(&mut self) -> Vec<Job> {
        self.urgent = false;
        self.since = None;
        std::mem::take(&mut self.items)
    }
}

pub(crate) struct Shared {
    pub queue: Mutex<Queue>,
    pub cv: Condvar,
    pub healthy: AtomicBool,
    pub latency_us: AtomicU64,
    pub last_cp: Mutex<Instant>,
    pub records: AtomicU64,
    pub signatures: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// The latest durable signed checkpoint note.
    pub latest_cp: Mutex<Option<String>>,
}

impl Shared {
    /// Waits on the queue condvar for at most `d`, marked as sleeping so pushes wake it.
    pub(crate) fn sleep<'a>(
        &self,
        mut q: std::sync::MutexGuard<'a, Queue>,
        d: Duration,
    ) -> Result<std::sync::MutexGuard<'a, Queue>, EvidenceError> {
        q.sleeping = true;
        let mut q = self
            .cv
            .wait_timeout(q, d)
            .map_err(|_| EvidenceError::Closed)?
            .0;
        q.sleeping = false;
        Ok(q)
    }

    pub(crate) fn set_error(&self, e: Option<String>) {
        self.healthy.store(e.is_none(), Ordering::Release);
        if let Ok(mut g) = self.last_error.lock() {
            if e.is_some() {
                *g = e;
            }
        }
    }
}

/// In sync mode, the longest a record queued with [`EvidenceLog::submit`] stays un-fsync'd
/// when no durable append comes along to carry it.
pub const LAZY_SYNC: Duration = Duration::from_millis(10);

/// Longest time written entries may stay un-fsync'd in `durability`.
pub(crate) fn sync_delay(durability: Durability) -> Duration {
    match durability {
        Durability::Sync => LAZY_SYNC,
        Durability::Async { max_delay } => max_delay,
    }
}

/// How long unawaited records may wait in the queue in `durability`: [`GATHER`], or less
/// when the configured fsync delay is shorter.
pub(crate) fn gather(durability: Durability) -> Duration {
    GATHER.min(sync_delay(durability))
}
