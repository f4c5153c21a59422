//! The writer thread's state and loop: taking the queue, grouping appends, key rotation at run
//! time, the timers (deferred fsync, retry of a failed write, the checkpoint file and
//! retention) and clean shutdown. The group commit itself is in `commit.rs`, the start-up
//! events in `start.rs`.
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::{gather, sync_delay, Appended, Job, Reply, Shared};
use crate::evidence::durable::{CoveringCheckpoint, DurableRecord};
use crate::evidence::index::feed::IndexFeed;
use crate::evidence::index::item::IndexItem;
use crate::evidence::keys::{self, KeyPair};
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::proto::{event_record, record, EventRecord, KeyRotation, Recovery};
use crate::evidence::prune::prune_before;
use crate::evidence::recover::{Recovered, CLEAN_MARKER};
use crate::evidence::segment::{log_dir, Active};
use crate::evidence::{
    common::now_nanos, config::Durability, config::LogConfig, error::EvidenceError, proto::Payload,
};

mod commit;
mod start;

/// A failed write is retried this often while its bytes are retained.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// Retained (written-and-failed) bytes beyond which new records are refused at the queue.
const RETAIN_MAX: usize = 64 << 20;

/// Bytes encoded for the log but not yet on disk (a write failed: they are written again
/// first, at the same offset, so every record keeps the log index its caller was given).
#[derive(Default)]
struct Retained {
    bytes: Vec<u8>,
    items: Vec<IndexItem>,
    /// The newest checkpoint note among `bytes`.
    note: Option<String>,
    /// Records among `bytes`.
    records: u64,
    /// Copies of the records among `bytes` the durable sink wants.
    pushed: Vec<DurableRecord>,
}

pub(crate) struct Core {
    cfg: LogConfig,
    origin: String,
    key: KeyPair,
    logdir: PathBuf,
    active: Option<Active>,
    next_seq: u64,
    prev_body: Hash,
    range: CompactRange,
    /// Time of the newest record written (times never run backwards).
    last_time: i64,
    /// Tree size covered by the newest checkpoint frame written.
    cp_size: u64,
    /// When entries were first written without an fsync since the last one.
    unsynced: Option<Instant>,
    unsynced_records: u64,
    /// Copies for the durable sink of records written but not yet durable.
    unsynced_pushed: Vec<DurableRecord>,
    /// The newest checkpoint added in this run (what the durable sink is told covers).
    covering: Option<CoveringCheckpoint>,
    retained: Retained,
    retry_at: Option<Instant>,
    /// When `checkpoint.note` was refreshed and retention last ran.
    last_maintenance: Instant,
    /// When the last durable group commit (fsync) finished.
    last_commit: Instant,
    poisoned: Option<String>,
    shared: Arc<Shared>,
    index_tx: Option<IndexFeed>,
    index_thread: Option<JoinHandle<()>>,
    rec: Option<Recovered>,
}

/// One group commit's appends, in queue order.
struct Group {
    records: Vec<(u64, Payload)>,
    /// Per append: where to send its result, and when it was queued (`None`: submitted).
    replies: Vec<Option<(Reply, Instant)>>,
    /// Some appender waits for durability.
    durable: bool,
}

impl Group {
    fn with_capacity(n: usize) -> Self {
        Self {
            records: Vec::with_capacity(n),
            replies: Vec::with_capacity(n),
            durable: false,
        }
    }
}

fn event(e: event_record::Event) -> Payload {
    record::Kind::Event(EventRecord { event: Some(e) })
}

impl Core {
    pub(crate) fn new(
        cfg: LogConfig,
        key: KeyPair,
        mut rec: Recovered,
        shared: Arc<Shared>,
        index_tx: IndexFeed,
        index_thread: JoinHandle<()>,
    ) -> Result<Self, EvidenceError> {
        index_tx.send_all(std::mem::take(&mut rec.index_items));
        let origin = cfg
            .origin
            .clone()
            .ok_or_else(|| EvidenceError::Config("the log's origin is not resolved".into()))?;
        Ok(Self {
            logdir: log_dir(&cfg.dir),
            origin,
            cfg,
            key,
            active: rec.active.take(),
            next_seq: rec.next_seq,
            prev_body: rec.prev_body,
            range: rec.range.clone(),
            last_time: rec.last_time,
            cp_size: rec.checkpoint_size,
            unsynced: None,
            unsynced_records: 0,
            unsynced_pushed: Vec::new(),
            covering: None,
            retained: Retained::default(),
            retry_at: None,
            last_maintenance: Instant::now(),
            last_commit: Instant::now(),
            poisoned: None,
            shared,
            index_tx: Some(index_tx),
            index_thread: Some(index_thread),
            rec: Some(rec),
        })
    }

    /// Takes the next sequence number from the queue (only while nothing else is queued: at
    /// start-up, before the thread runs).
    fn reserve(&self) -> Result<u64, EvidenceError> {
        let mut q = self
            .shared
            .queue
            .lock()
            .map_err(|_| EvidenceError::Closed)?;
        let seq = q.next_seq;
        q.next_seq += 1;
        Ok(seq)
    }

    /// Queues one of the writer's own events behind everything already queued.
    fn push_internal(&self, kind: Payload) {
        if let Ok(mut q) = self.shared.queue.lock() {
            let seq = q.next_seq;
            q.next_seq += 1;
            if q.items.is_empty() {
                q.since = Some(Instant::now());
            }
            q.urgent = true;
            q.items.push(Job::Append {
                kind,
                reply: None,
                at: Instant::now(),
                durable: true,
                seq,
                _permit: None,
            });
        }
    }

    /// Key rotation: archive the old secret (for a crash in between), install the new key
    /// files, write the rotation event with a checkpoint signed by both keys, switch, and
    /// delete the retired secret from the data dir.
    fn rotate(&mut self, seq: u64, new: KeyPair) -> Result<Appended, EvidenceError> {
        keys::archive_secret(&self.cfg.dir, &self.key)?;
        if self.cfg.persist_secret {
            keys::write_key_files(&self.cfg.dir, &new)?;
        } else {
            keys::write_public_files(&self.cfg.dir, &new)?;
        }
        let ev = event(event_record::Event::KeyRotation(KeyRotation {
            old_key_id: keys::log_key_id(&self.origin, &self.key.public_bytes()),
            new_key_id: keys::log_key_id(&self.origin, &new.public_bytes()),
            new_public_key: new.public_bytes().to_vec(),
        }));
        let done = match self.write_group(vec![(seq, ev)], true, Some(&new)) {
            Ok(d) => d,
            Err(e) => {
                // The rotation may still be retained for a rewrite: stop rather than sign
                // later checkpoints with a key the log has retired.
                let msg = format!("key rotation could not be written: {e}");
                self.poisoned = Some(msg.clone());
                self.shared.set_error(Some(msg));
                return Err(e);
            }
        };
        let old = std::mem::replace(&mut self.key, new);
        keys::remove_archived_secret(&self.cfg.dir, old.key_id())?;
        if !self.cfg.persist_secret {
            keys::remove_secret_if(&self.cfg.dir, &old)?;
        }
        done.first().copied().ok_or(EvidenceError::Closed)
    }

    /// The writer loop: take everything queued, write it as one group, reply, repeat.
    pub(crate) fn run(mut self) -> Result<(), EvidenceError> {
        loop {
            let (jobs, closing) = {
                let mut q = self
                    .shared
                    .queue
                    .lock()
                    .map_err(|_| EvidenceError::Closed)?;
                let gather = gather(self.cfg.durability);
                loop {
                    let mut take_in = q.take_in(gather);
                    // `min_commit_interval`: an awaited group waits until that long after the
                    // previous durable commit, gathering more appenders under load (fewer
                    // fsyncs and signatures, for added latency only when commits crowd).
                    if take_in == Some(Duration::ZERO) && !q.closing {
                        let hold = self.commit_hold();
                        if !hold.is_zero() {
                            take_in = Some(hold);
                        }
                    }
                    if take_in == Some(Duration::ZERO) || q.closing {
                        break;
                    }
                    let timer = self.next_timer();
                    if timer.is_zero() {
                        break;
                    }
                    q = self
                        .shared
                        .sleep(q, take_in.map_or(timer, |t| t.min(timer)))?;
                }
                (q.take(), q.closing)
            };
            self.process(jobs);
            self.timers();
            if closing {
                let more = self
                    .shared
                    .queue
                    .lock()
                    .map(|mut q| q.take())
                    .unwrap_or_default();
                if more.is_empty() {
                    return self.shutdown();
                }
                self.process(more);
            }
        }
    }

    fn process(&mut self, jobs: Vec<Job>) {
        let mut group = Group::with_capacity(jobs.len());
        for job in jobs {
            match job {
                Job::Append {
                    kind,
                    reply,
                    at,
                    durable,
                    seq,
                    _permit,
                } => {
                    group.records.push((seq, kind));
                    group.replies.push(reply.map(|r| (r, at)));
                    group.durable |= durable;
                }
                Job::Rotate { key, seq, reply } => {
                    let full = std::mem::replace(&mut group, Group::with_capacity(0));
                    self.flush_group(full);
                    let r = match &self.poisoned {
                        Some(p) => Err(EvidenceError::Write(p.clone())),
                        None => self.rotate(seq, key),
                    };
                    let _ = reply.send(r);
                }
            }
        }
        self.flush_group(group);
    }

    /// Writes one group and answers its appenders: in sync mode a group someone waits for is
    /// made durable (with its checkpoint, one fdatasync) before anyone is answered; a group of
    /// submitted records only is made durable later (see [`Core::timers`]).
    fn flush_group(&mut self, group: Group) {
        let Group {
            records,
            replies,
            durable,
        } = group;
        if records.is_empty() {
            return;
        }
        let sync = durable && self.cfg.durability == Durability::Sync;
        match self.write_group(records, sync, None) {
            Ok(done) => {
                let oldest = replies.iter().flatten().map(|(_, at)| *at).min();
                for (r, a) in replies.into_iter().zip(done) {
                    if let Some((reply, _)) = r {
                        let _ = reply.send(Ok(a));
                    }
                }
                if let Some(t) = oldest {
                    let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                    self.shared.latency_us.store(us, Ordering::Relaxed);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::error!(error = %msg, "evidence append failed");
                self.shared.set_error(Some(msg.clone()));
                for (reply, _) in replies.into_iter().flatten() {
                    let _ = reply.send(Err(EvidenceError::Write(msg.clone())));
                }
            }
        }
    }

    /// What is left of `min_commit_interval` since the last durable commit (sync mode).
    fn commit_hold(&self) -> Duration {
        let min = self.cfg.min_commit_interval;
        if min.is_zero() || self.cfg.durability != Durability::Sync {
            return Duration::ZERO;
        }
        (self.last_commit + min).saturating_duration_since(Instant::now())
    }

    /// How long the writer may sleep before a timer is due.
    fn next_timer(&self) -> Duration {
        let now = Instant::now();
        let mut due = self.last_maintenance + self.cfg.checkpoint_interval;
        if let Some(t) = self.unsynced {
            due = due.min(t + sync_delay(self.cfg.durability));
        }
        if let Some(t) = self.retry_at {
            due = due.min(t);
        }
        due.saturating_duration_since(now)
            .min(Duration::from_secs(1))
    }

    fn timers(&mut self) {
        let now = Instant::now();
        let retry = self.retry_at.is_some_and(|t| now >= t);
        let deferred = self
            .unsynced
            .is_some_and(|t| now >= t + sync_delay(self.cfg.durability));
        let many = self.unsynced_records >= self.cfg.checkpoint_every_records.max(1);
        if self.poisoned.is_none() && (retry || deferred || many) {
            if let Err(e) = self.make_durable() {
                tracing::warn!(error = %e, "deferred evidence fsync failed");
                self.shared.set_error(Some(e.to_string()));
            }
        }
        if now >= self.last_maintenance + self.cfg.checkpoint_interval {
            self.last_maintenance = now;
            self.maintenance();
        }
    }

    /// Refreshes `checkpoint.note` and runs retention (whose RetentionPrune event is queued
    /// behind the records already queued).
    fn maintenance(&mut self) {
        if let Err(e) = self.write_checkpoint_file() {
            tracing::warn!(error = %e, "evidence checkpoint file not refreshed");
        }
        if self.cfg.retention_days == 0 || self.poisoned.is_some() {
            return;
        }
        let days = i64::from(self.cfg.retention_days);
        let cutoff = now_nanos().saturating_sub(days.saturating_mul(86_400_000_000_000));
        let keep = self.active.as_ref().map(|a| a.first);
        match prune_before(&self.cfg.dir, &self.key, &self.origin, cutoff, keep) {
            Ok(Some((first, root))) => {
                let ev = event(event_record::Event::RetentionPrune(
                    crate::evidence::proto::RetentionPrune {
                        first_retained_seq: first,
                        anchor_root_hash: root.to_vec(),
                        retention_days: self.cfg.retention_days,
                    },
                ));
                self.push_internal(ev);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "evidence retention prune failed"),
        }
    }

    /// A copy of the latest durable checkpoint in `checkpoint.note`, for tools and auditors.
    fn write_checkpoint_file(&self) -> Result<(), EvidenceError> {
        let Some(note) = self.shared.latest_cp.lock().ok().and_then(|g| g.clone()) else {
            return Ok(());
        };
        let path = self.cfg.dir.join("checkpoint.note");
        if std::fs::read_to_string(&path).is_ok_and(|old| old == note) {
            return Ok(());
        }
        keys::write_atomic(&path, note.as_bytes(), false)
    }

    fn shutdown(mut self) -> Result<(), EvidenceError> {
        let r = if self.poisoned.is_none() {
            self.make_durable()
        } else {
            Ok(())
        };
        let _ = self.write_checkpoint_file();
        drop(self.index_tx.take());
        if let Some(t) = self.index_thread.take() {
            let _ = t.join();
        }
        r?;
        if !self.retained.bytes.is_empty() {
            return Err(EvidenceError::Write(format!(
                "{} records could not be written before shutdown",
                self.retained.records
            )));
        }
        if let Some(a) = self.active.as_mut() {
            a.trim()?;
            a.sync()?;
        }
        keys::write_atomic(&self.logdir.join(CLEAN_MARKER), b"", false)?;
        Ok(())
    }
}

/// A Recovery event for an unclean stop, and/or the damage `aimsgate recover` moved aside.
fn recovery_event(
    unclean: bool,
    truncated: u64,
    last: u64,
    damage: Option<Recovery>,
) -> Option<Payload> {
    if !unclean && damage.is_none() {
        return None;
    }
    let mut r = damage.unwrap_or_default();
    r.truncated_bytes = truncated;
    r.last_intact_seq = last;
    Some(event(event_record::Event::Recovery(r)))
}
