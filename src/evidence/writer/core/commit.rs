//! The group commit: sequence-checked, chained v2 entries, one signed checkpoint frame after a
//! durable group, one write and one fdatasync for both; segment rollover; and what a failed
//! write leaves behind (its bytes retained and written again at the same offset, so log
//! indexes already handed out stay true; a failed fsync poisons the log).
use std::sync::atomic::Ordering;
use std::time::Instant;

use prost::Message as _;

use super::{Core, RETAIN_MAX, RETRY_EVERY};
use crate::evidence::durable::{CoveringCheckpoint, DurableRecord};
use crate::evidence::entry::{
    body_hash, encode_checkpoint_frame, encode_frame, entry_hash, ENTRY_V2,
};
use crate::evidence::index::item::IndexItem;
use crate::evidence::keys::{log_key_id, KeyPair};
use crate::evidence::note::sign_note_multi;
use crate::evidence::note::Checkpoint;
use crate::evidence::proto::Record;
use crate::evidence::segment::Active;
use crate::evidence::writer::Appended;
use crate::evidence::{common::now_nanos, error::EvidenceError, proto::Payload};

impl Core {
    /// Writes `records` (their sequence numbers must continue the log) as one group. With
    /// `durable`, a checkpoint covering them (co-signed by `cosigner` during a rotation) is
    /// written in the same write and the segment is fdatasync'd before this returns.
    pub(super) fn write_group(
        &mut self,
        records: Vec<(u64, Payload)>,
        durable: bool,
        cosigner: Option<&KeyPair>,
    ) -> Result<Vec<Appended>, EvidenceError> {
        if let Some(p) = &self.poisoned {
            return Err(EvidenceError::Write(p.clone()));
        }
        let base = self.retained.bytes.len() as u64;
        let mut buf = Vec::with_capacity(records.len() * 600);
        let mut items = Vec::with_capacity(records.len());
        let mut out = Vec::with_capacity(records.len());
        let mut pushed = Vec::new();
        let mut entry = Vec::with_capacity(1024);
        for (seq, kind) in records {
            if seq != self.next_seq {
                let msg = format!(
                    "writer sequence broken: record {seq} where {} is next",
                    self.next_seq
                );
                self.poisoned = Some(msg.clone());
                return Err(EvidenceError::Write(msg));
            }
            self.last_time = now_nanos().max(self.last_time);
            let rec = Record {
                log_id: self.origin.clone(),
                key_id: String::new(),
                seq,
                time_unix_nanos: self.last_time,
                prev_body_hash: self.prev_body.to_vec(),
                kind: Some(kind),
            };
            entry.clear();
            entry.push(ENTRY_V2);
            rec.encode(&mut entry)
                .map_err(|e| EvidenceError::Write(format!("record encoding: {e}")))?;
            self.prev_body = body_hash(&entry[1..]);
            // Offsets relative to the retained bytes; made absolute when they are written.
            items.push(IndexItem::from_record(0, base + buf.len() as u64, &rec));
            encode_frame(&entry, &mut buf);
            let h = entry_hash(&entry);
            self.range.push(h);
            self.next_seq += 1;
            out.push(Appended { seq, entry_hash: h });
            let wanted = self
                .cfg
                .durable_sink
                .as_ref()
                .is_some_and(|s| rec.kind.as_ref().is_some_and(|k| s.wants(k)));
            if wanted {
                pushed.push(DurableRecord {
                    record: rec,
                    entry_hash: h,
                });
            }
        }
        self.retained.records += out.len() as u64;
        self.retained.bytes.extend_from_slice(&buf);
        self.retained.items.extend(items);
        self.retained.pushed.extend(pushed);
        if durable {
            self.add_checkpoint(cosigner);
        }
        self.flush_retained(durable)?;
        Ok(out)
    }

    /// Appends a checkpoint frame for the current tree to the bytes about to be written.
    fn add_checkpoint(&mut self, cosigner: Option<&KeyPair>) {
        let cp = Checkpoint {
            origin: self.origin.clone(),
            size: self.range.size(),
            root: self.range.root(),
        };
        let mut keys = vec![&self.key];
        keys.extend(cosigner);
        let note = sign_note_multi(&cp.text(), &self.origin, &keys);
        self.shared
            .signatures
            .fetch_add(keys.len() as u64, Ordering::Relaxed);
        encode_checkpoint_frame(&note, &mut self.retained.bytes);
        self.retained.note = Some(note);
        self.cp_size = cp.size;
        if self.cfg.durable_sink.is_some() {
            self.covering = Some(CoveringCheckpoint {
                size: cp.size,
                root: cp.root,
                key_id: log_key_id(&self.origin, &self.key.public_bytes()),
            });
        }
    }

    /// Writes the retained bytes (and fdatasyncs with `durable`). A failed write is cut back
    /// and its bytes kept for the next attempt; a failed fsync poisons the log.
    pub(super) fn flush_retained(&mut self, durable: bool) -> Result<(), EvidenceError> {
        // A failed rollover loses nothing either: the bytes stay retained for the retry.
        if let Err(e) = self.roll_if_needed() {
            self.retry_at = Some(Instant::now() + RETRY_EVERY);
            return Err(e);
        }
        let Some(a) = self.active.as_mut() else {
            return Err(EvidenceError::Closed);
        };
        let start = a.len;
        if let Err(e) = a.write(&self.retained.bytes) {
            if let Err(e2) = a.truncate(start) {
                self.poisoned = Some(format!(
                    "{e}; cutting the failed write back also failed: {e2}"
                ));
            }
            self.retry_at = Some(Instant::now() + RETRY_EVERY);
            if self.retained.bytes.len() > RETAIN_MAX {
                self.set_refusing(true);
            }
            return Err(EvidenceError::Write(format!(
                "{e} ({} records kept in memory and written again when the disk allows)",
                self.retained.records
            )));
        }
        if durable {
            if let Err(e) = a.sync() {
                let msg = format!("evidence fsync failed: {e}");
                self.poisoned = Some(msg.clone());
                return Err(EvidenceError::Write(msg));
            }
        }
        let mut written = std::mem::take(&mut self.retained);
        for it in &mut written.items {
            it.seg = a.first;
            it.offset += start;
        }
        if let Some(tx) = &self.index_tx {
            tx.send(written.items);
        }
        self.retry_at = None;
        self.set_refusing(false);
        if durable {
            self.last_commit = Instant::now();
            self.unsynced = None;
            self.unsynced_records = 0;
            self.release_durable(written.pushed);
            if let Some(note) = written.note {
                if let Ok(mut g) = self.shared.latest_cp.lock() {
                    *g = Some(note);
                }
                if let Ok(mut t) = self.shared.last_cp.lock() {
                    *t = Instant::now();
                }
            }
        } else if written.records > 0 {
            self.unsynced.get_or_insert_with(Instant::now);
            self.unsynced_records += written.records;
            self.unsynced_pushed.extend(written.pushed);
        }
        self.shared.records.store(self.next_seq, Ordering::Relaxed);
        if !self.shared.healthy.load(Ordering::Relaxed) && self.poisoned.is_none() {
            self.shared.healthy.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Hands the durable sink the records that just became durable (those written earlier
    /// without an fsync, then `now`), with the checkpoint covering them: the newest one added,
    /// which a durable write always carries or follows.
    fn release_durable(&mut self, now: Vec<DurableRecord>) {
        let mut records = std::mem::take(&mut self.unsynced_pushed);
        records.extend(now);
        if records.is_empty() {
            return;
        }
        if let (Some(sink), Some(cp)) = (&self.cfg.durable_sink, &self.covering) {
            sink.durable(records, cp);
        }
    }

    /// Makes everything written durable: a checkpoint frame for entries not yet covered by
    /// one, then one fdatasync (nothing at all when nothing is new).
    pub(super) fn make_durable(&mut self) -> Result<(), EvidenceError> {
        if let Some(p) = &self.poisoned {
            return Err(EvidenceError::Write(p.clone()));
        }
        if self.range.size() > self.cp_size {
            self.add_checkpoint(None);
        }
        if self.retained.bytes.is_empty() && self.unsynced.is_none() {
            return Ok(());
        }
        self.flush_retained(true)
    }

    /// Starts a new segment when the active one is full and records are about to be written;
    /// it begins with the first record not yet on disk (retained bytes carry relative offsets,
    /// so they can go to either). The full segment is fsync'd: the checkpoint in the new one
    /// covers its last entries.
    fn roll_if_needed(&mut self) -> Result<(), EvidenceError> {
        let first_unwritten = self.next_seq - self.retained.records;
        let need = match &self.active {
            None => true,
            Some(a) => {
                a.len >= self.cfg.segment_bytes
                    && a.first < first_unwritten
                    && self.retained.records > 0
            }
        };
        if !need {
            return Ok(());
        }
        if let Some(a) = self.active.as_mut() {
            a.trim()?;
            a.sync()?;
        }
        self.unsynced = None;
        self.active = Some(Active::create(
            &self.logdir,
            first_unwritten,
            self.cfg.segment_bytes,
        )?);
        Ok(())
    }

    fn set_refusing(&self, on: bool) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.refusing = on;
        }
    }
}
