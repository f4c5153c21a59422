//! The writer thread's state and loop: group commit, signing, segment rollover, rollback on a
//! failed write, checkpoints, key rotation, and the clean-shutdown marker.
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prost::Message as _;

use super::{gather, sync_delay, wait_for, Appended, Job, OpenReport, Reply, Shared};
use crate::evidence::entry::{body_hash, encode_entry, encode_frame, entry_hash};
use crate::evidence::index::{IndexFeed, IndexItem};
use crate::evidence::keys::{self, KeyPair};
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::Checkpoint;
use crate::evidence::proto::{
    event_record, record, EventRecord, KeyRotation, LogStart, Record, Recovery, RetentionPrune,
};
use crate::evidence::prune::prune_before;
use crate::evidence::recover::{Recovered, CLEAN_MARKER};
use crate::evidence::segment::{log_dir, Active};
use crate::evidence::{now_nanos, Durability, EvidenceError, LogConfig, Payload};

use super::signer::Signer;
use super::syncer::{Pending, Syncer};

/// Durable groups at least this large are fsync'd by the fsync thread even when nothing else
/// is queued yet (their appenders' successors are about to arrive).
const PIPELINE_MIN_GROUP: usize = 8;

/// Checkpoint files kept in `checkpoints/` (about 16 hours at one per minute).
const KEEP_CHECKPOINTS: usize = 1000;

pub(crate) struct Core {
    cfg: LogConfig,
    key: KeyPair,
    logdir: PathBuf,
    active: Option<Active>,
    next_seq: u64,
    prev_body: Hash,
    range: CompactRange,
    authorised_key: Option<String>,
    since_cp: u64,
    last_cp: Instant,
    unsynced: Option<Instant>,
    poisoned: Option<String>,
    shared: Arc<Shared>,
    index_tx: Option<IndexFeed>,
    index_thread: Option<JoinHandle<()>>,
    rec: Option<Recovered>,
    signer: Signer,
    /// Pipelined fsync of durable groups (`None`: fsync inline).
    syncer: Option<Syncer>,
    /// A handle on the active segment for the syncer, with the segment's first seq.
    sync_file: Option<(u64, Arc<std::fs::File>)>,
}

/// One group commit's appends, in queue order.
struct Group {
    kinds: Vec<Payload>,
    /// Per append: where to send its result, and when it was queued (`None`: submitted).
    replies: Vec<Option<(Reply, Instant)>>,
    /// Some appender waits for durability.
    durable: bool,
}

impl Group {
    fn with_capacity(n: usize) -> Self {
        Self {
            kinds: Vec::with_capacity(n),
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
        let cfg_durability = cfg.durability;
        Ok(Self {
            logdir: log_dir(&cfg.dir),
            cfg,
            key,
            active: rec.active.take(),
            next_seq: rec.next_seq,
            prev_body: rec.prev_body,
            range: rec.range.clone(),
            authorised_key: rec.authorised_key.clone(),
            since_cp: 0,
            last_cp: Instant::now(),
            unsynced: None,
            poisoned: None,
            shared,
            index_tx: Some(index_tx),
            index_thread: Some(index_thread),
            rec: Some(rec),
            signer: Signer::start(),
            syncer: match cfg_durability {
                Durability::Sync => Syncer::start(),
                Durability::Async { .. } => None,
            },
            sync_file: None,
        })
    }

    /// Start-up events, run on the caller's thread before the writer thread starts.
    pub(crate) fn start(&mut self) -> Result<OpenReport, EvidenceError> {
        let Some(rec) = self.rec.take() else {
            return Err(EvidenceError::Closed);
        };
        let created = self.next_seq == 0;
        keys::archive_public(&self.cfg.dir, &self.key.public())?;
        if let Some(expected) = self
            .authorised_key
            .clone()
            .filter(|k| k != self.key.key_id())
        {
            // The key on disk changed without a logged rotation (keygen --force, or a crash in
            // the middle of rotate_key): the old key must sign the rotation event.
            let old = keys::load_archived_secret(&self.cfg.dir, &expected)?.ok_or_else(|| {
                EvidenceError::Key(format!(
                    "signing.key is {} but the log is signed by {expected}, and keys/{expected}.key \
                     is not available to sign the rotation; restore the old signing.key",
                    self.key.key_id()
                ))
            })?;
            let new = std::mem::replace(&mut self.key, old);
            self.rotate(new)?;
        }
        if created {
            let ev = event(event_record::Event::LogStart(LogStart {
                software_version: env!("CARGO_PKG_VERSION").into(),
            }));
            self.write_batch(vec![ev], true)?;
        } else if rec.unclean {
            let ev = event(event_record::Event::Recovery(Recovery {
                truncated_bytes: rec.truncated,
                last_intact_seq: self.next_seq.saturating_sub(1),
                ..Default::default()
            }));
            self.write_batch(vec![ev], true)?;
        }
        self.checkpoint()?;
        Ok(OpenReport {
            recovered: rec.unclean,
            truncated_bytes: rec.truncated,
            next_seq: self.next_seq,
            created,
        })
    }

    /// Key rotation: archive the old secret, install the new key files, log the rotation signed
    /// by the old key, switch, and delete the archived old secret.
    fn rotate(&mut self, new: KeyPair) -> Result<Appended, EvidenceError> {
        keys::archive_secret(&self.cfg.dir, &self.key)?;
        if self.cfg.persist_secret {
            keys::write_key_files(&self.cfg.dir, &new)?;
        } else {
            keys::write_public_files(&self.cfg.dir, &new)?;
        }
        let ev = event(event_record::Event::KeyRotation(KeyRotation {
            old_key_id: self.key.key_id().into(),
            new_key_id: new.key_id().into(),
            new_public_key: new.public_bytes().to_vec(),
        }));
        let done = self.write_batch(vec![ev], true)?;
        let old = std::mem::replace(&mut self.key, new);
        self.authorised_key = Some(self.key.key_id().into());
        keys::remove_archived_secret(&self.cfg.dir, old.key_id())?;
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
                    let take_in = q.take_in(gather);
                    if take_in == Some(Duration::ZERO) || q.closing {
                        break;
                    }
                    let cp_due =
                        (self.since_cp > 0).then(|| self.last_cp + self.cfg.checkpoint_interval);
                    let timer = wait_for(self.cfg.durability, self.unsynced, cp_due);
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
                    _permit,
                } => {
                    group.kinds.push(kind);
                    group.replies.push(reply.map(|r| (r, at)));
                    group.durable |= durable;
                }
                Job::Rotate { key, reply } => {
                    let full = std::mem::replace(&mut group, Group::with_capacity(0));
                    self.flush_appends(full);
                    let r = match &self.poisoned {
                        Some(p) => Err(EvidenceError::Write(p.clone())),
                        None => self.rotate(key),
                    };
                    let _ = reply.send(r);
                }
            }
        }
        self.flush_appends(group);
    }

    /// Writes one group. In sync mode it is fsync'd before anyone is answered if any of its
    /// appenders waits for durability — by the fsync thread, while this thread goes on with
    /// the next group; a group of submitted records only is fsync'd later.
    fn flush_appends(&mut self, group: Group) {
        let Group {
            kinds,
            replies,
            durable,
        } = group;
        self.check_syncer();
        if kinds.is_empty() {
            return;
        }
        let sync = durable && self.cfg.durability == Durability::Sync;
        // Pipeline under load only (a large group, or more appends waiting): a lone small
        // group has nothing to overlap with its fsync, and the hand-over would only add a
        // thread switch to its latency.
        let pipelined = sync
            && self.syncer.is_some()
            && (kinds.len() >= PIPELINE_MIN_GROUP || self.more_queued());
        let res = match &self.poisoned {
            Some(p) => Err(EvidenceError::Write(p.clone())),
            None => self.write_batch(kinds, sync && !pipelined),
        };
        match res {
            Ok(done) => {
                let oldest = replies.iter().flatten().map(|(_, at)| *at).min();
                let answers: Vec<(Reply, Appended)> = replies
                    .into_iter()
                    .zip(done)
                    .filter_map(|(r, a)| r.map(|(reply, _)| (reply, a)))
                    .collect();
                if pipelined {
                    self.hand_to_syncer(answers, oldest);
                } else {
                    for (reply, a) in answers {
                        let _ = reply.send(Ok(a));
                    }
                    if let Some(t) = oldest {
                        let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                        self.shared.latency_us.store(us, Ordering::Relaxed);
                    }
                }
                if self.since_cp >= self.cfg.checkpoint_every_records.max(1) {
                    if let Err(e) = self.checkpoint() {
                        self.shared.set_error(Some(e.to_string()));
                    }
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

    fn more_queued(&self) -> bool {
        self.shared
            .queue
            .lock()
            .map(|q| !q.items.is_empty())
            .unwrap_or(false)
    }

    /// Passes a written group to the fsync thread (or fsyncs it here if that fails).
    fn hand_to_syncer(&mut self, answers: Vec<(Reply, Appended)>, oldest: Option<Instant>) {
        // The syncer's fsync covers everything written to this segment so far.
        self.unsynced = None;
        let pending = match self.sync_file() {
            Ok(file) => Pending {
                file,
                replies: answers,
                oldest,
            },
            Err(e) => return self.sync_inline(answers, Err(e)),
        };
        if let Some(Err(p)) = self.syncer.as_ref().map(|s| s.submit(pending)) {
            self.sync_inline(p.replies, Ok(()));
        }
    }

    /// The fallback: fsync on this thread, then answer.
    fn sync_inline(&mut self, answers: Vec<(Reply, Appended)>, before: std::io::Result<()>) {
        let r = before.and_then(|()| match self.active.as_mut() {
            Some(a) => a.sync(),
            None => Ok(()),
        });
        match r {
            Ok(()) => {
                for (reply, a) in answers {
                    let _ = reply.send(Ok(a));
                }
            }
            Err(e) => {
                let msg = format!("evidence fsync failed: {e}");
                self.poisoned = Some(msg.clone());
                self.shared.set_error(Some(msg.clone()));
                for (reply, _) in answers {
                    let _ = reply.send(Err(EvidenceError::Write(msg.clone())));
                }
            }
        }
    }

    /// A shared handle on the active segment for the fsync thread (one per segment).
    fn sync_file(&mut self) -> std::io::Result<Arc<std::fs::File>> {
        let Some(a) = self.active.as_ref() else {
            return Err(std::io::Error::other("no active segment"));
        };
        match &self.sync_file {
            Some((first, f)) if *first == a.first => Ok(f.clone()),
            _ => {
                let f = Arc::new(a.sync_handle()?);
                self.sync_file = Some((a.first, f.clone()));
                Ok(f)
            }
        }
    }

    /// Takes the fsync thread's news: its latency figure, and a failure, which poisons the log
    /// (after a failed fsync, written data cannot be trusted to reach the disk).
    fn check_syncer(&mut self) {
        let Some(s) = &self.syncer else {
            return;
        };
        let o = s.take_outcome();
        if let Some(us) = o.latency_us {
            self.shared.latency_us.store(us, Ordering::Relaxed);
        }
        if let (Some(msg), None) = (o.failed, &self.poisoned) {
            self.poisoned = Some(msg.clone());
            self.shared.set_error(Some(msg));
        }
    }

    fn timers(&mut self) {
        if let Some(t) = self.unsynced {
            if t.elapsed() >= sync_delay(self.cfg.durability) {
                if let Err(e) = self.sync() {
                    // After a failed fsync the written-but-unsynced entries cannot be trusted
                    // to reach the disk: stop accepting appends until the log is reopened.
                    let msg = format!("deferred fsync failed: {e}");
                    self.poisoned = Some(msg.clone());
                    self.unsynced = None;
                    self.shared.set_error(Some(msg));
                }
            }
        }
        if self.since_cp > 0 && self.last_cp.elapsed() >= self.cfg.checkpoint_interval {
            if let Err(e) = self.checkpoint() {
                self.last_cp = Instant::now(); // retry after another interval, not in a spin
                self.shared.set_error(Some(e.to_string()));
            }
        }
    }

    fn sync(&mut self) -> Result<(), EvidenceError> {
        if self.unsynced.is_some() {
            if let Some(a) = self.active.as_mut() {
                a.sync()?;
            }
            self.unsynced = None;
        }
        Ok(())
    }

    /// Sequences, signs and writes one group; fsyncs it if `sync`. On failure the segment is
    /// cut back and the state restored, so a later group can succeed (e.g. after disk space
    /// is freed); if even that fails, the log is poisoned until reopened.
    fn write_batch(
        &mut self,
        kinds: Vec<Payload>,
        sync: bool,
    ) -> Result<Vec<Appended>, EvidenceError> {
        let need_roll = match &self.active {
            None => true,
            Some(a) => a.len >= self.cfg.segment_bytes && a.first < self.next_seq,
        };
        if need_roll {
            if let Some(a) = self.active.as_mut() {
                a.trim()?;
                a.sync()?;
            }
            self.unsynced = None;
            self.active = Some(Active::create(
                &self.logdir,
                self.next_seq,
                self.cfg.segment_bytes,
            )?);
        }
        let (seq0, prev0, range0) = (self.next_seq, self.prev_body, self.range.clone());
        let (seg, start_len) = match &self.active {
            Some(a) => (a.first, a.len),
            None => return Err(EvidenceError::Closed),
        };
        // Sequence and chain the bodies (cheap), then sign them (the costly part).
        let mut bodies = Vec::with_capacity(kinds.len());
        let mut items = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let rec = Record {
                log_id: self.cfg.origin.clone(),
                key_id: self.key.key_id().into(),
                seq: self.next_seq,
                time_unix_nanos: now_nanos(),
                prev_body_hash: self.prev_body.to_vec(),
                kind: Some(kind),
            };
            let body = rec.encode_to_vec();
            self.prev_body = body_hash(&body);
            self.next_seq += 1;
            items.push(IndexItem::from_record(seg, 0, &rec));
            bodies.push(body);
        }
        let (bodies, sigs) = self.signer.sign_all(&self.key, bodies);
        let mut buf = Vec::with_capacity(bodies.iter().map(|b| b.len() + 100).sum());
        let mut entry = Vec::with_capacity(512);
        let mut out = Vec::with_capacity(bodies.len());
        for ((body, sig), item) in bodies.iter().zip(&sigs).zip(items.iter_mut()) {
            entry.clear();
            encode_entry(self.key.key_id(), sig, body, &mut entry);
            item.offset = start_len + buf.len() as u64;
            encode_frame(&entry, &mut buf);
            let h = entry_hash(&entry);
            self.range.push(h);
            out.push(Appended {
                seq: item.seq,
                entry_hash: h,
            });
        }
        let written = match self.active.as_mut() {
            Some(a) => a
                .write(&buf)
                .and_then(|()| if sync { a.sync() } else { Ok(()) }),
            None => return Err(EvidenceError::Closed),
        };
        if let Err(e) = written {
            (self.next_seq, self.prev_body, self.range) = (seq0, prev0, range0);
            if let Some(a) = self.active.as_mut() {
                if let Err(e2) = a.truncate(start_len) {
                    self.poisoned = Some(format!("{e}; rollback also failed: {e2}"));
                }
            }
            return Err(EvidenceError::Write(e.to_string()));
        }
        if sync {
            self.unsynced = None;
        } else if self.unsynced.is_none() {
            self.unsynced = Some(Instant::now());
        }
        let n = out.len() as u64;
        self.since_cp += n;
        self.shared.records.store(self.next_seq, Ordering::Relaxed);
        if !self.shared.healthy.load(Ordering::Relaxed) && self.poisoned.is_none() {
            self.shared.healthy.store(true, Ordering::Release);
        }
        if let Some(tx) = &self.index_tx {
            tx.send(items);
        }
        Ok(out)
    }

    /// fsyncs pending data, then writes `checkpoints/<size>.note` and `checkpoint.note`.
    fn checkpoint(&mut self) -> Result<(), EvidenceError> {
        // Always fsync here: groups handed to the fsync thread may not be durable yet, and a
        // checkpoint must never cover entries that are not.
        if let Some(a) = self.active.as_mut() {
            a.sync()?;
        }
        self.unsynced = None;
        let cp = Checkpoint {
            origin: self.cfg.origin.clone(),
            size: self.range.size(),
            root: self.range.root(),
        };
        let note = cp.sign(&self.key);
        let cdir = self.cfg.dir.join("checkpoints");
        std::fs::create_dir_all(&cdir)?;
        keys::write_atomic(
            &cdir.join(format!("{:020}.note", cp.size)),
            note.as_bytes(),
            false,
        )?;
        keys::write_atomic(
            &self.cfg.dir.join("checkpoint.note"),
            note.as_bytes(),
            false,
        )?;
        trim_checkpoints(&cdir);
        self.since_cp = 0;
        self.last_cp = Instant::now();
        if let Ok(mut t) = self.shared.last_cp.lock() {
            *t = self.last_cp;
        }
        if self.cfg.retention_days > 0 {
            let days = i64::from(self.cfg.retention_days);
            let cutoff = now_nanos().saturating_sub(days.saturating_mul(86_400_000_000_000));
            let keep = self.active.as_ref().map(|a| a.first);
            match prune_before(&self.cfg.dir, &self.key, &self.cfg.origin, cutoff, keep) {
                Ok(Some((first, root))) => {
                    let ev = event(event_record::Event::RetentionPrune(RetentionPrune {
                        first_retained_seq: first,
                        anchor_root_hash: root.to_vec(),
                        retention_days: self.cfg.retention_days,
                    }));
                    self.write_batch(vec![ev], true)?;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "evidence retention prune failed"),
            }
        }
        Ok(())
    }

    fn shutdown(mut self) -> Result<(), EvidenceError> {
        // Answer every group still waiting for its fsync first.
        if let Some(s) = self.syncer.as_mut() {
            s.drain();
        }
        self.check_syncer();
        let r = if self.poisoned.is_none() {
            self.checkpoint()
        } else {
            Ok(())
        };
        drop(self.index_tx.take());
        if let Some(t) = self.index_thread.take() {
            let _ = t.join();
        }
        r?;
        if let Some(a) = self.active.as_mut() {
            a.trim()?;
            a.sync()?;
        }
        keys::write_atomic(&self.logdir.join(CLEAN_MARKER), b"", false)?;
        Ok(())
    }
}

/// Keeps the newest `KEEP_CHECKPOINTS` checkpoint files (the latest is also `checkpoint.note`).
fn trim_checkpoints(cdir: &std::path::Path) {
    let Ok(rd) = std::fs::read_dir(cdir) else {
        return;
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "note"))
        .collect();
    if files.len() <= KEEP_CHECKPOINTS {
        return;
    }
    files.sort(); // zero-padded sizes sort numerically
    for p in &files[..files.len() - KEEP_CHECKPOINTS] {
        let _ = std::fs::remove_file(p);
    }
}
