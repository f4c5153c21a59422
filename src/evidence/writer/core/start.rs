//! Start-up, run on the caller's thread before the writer thread starts: the key the log
//! expects (a rotation when the configured key changed, co-signed by the retiring key), a v1
//! log continued in v2, and the log-start / recovery / retention-policy events, written as one
//! durable group with its checkpoint.
use super::{event, recovery_event, Core};
use crate::evidence::keys::{self, KeyPair};
use crate::evidence::origin::MIN_RETENTION_DAYS;
use crate::evidence::proto::{event_record, FormatUpgrade, LogStart, RetentionPolicy};
use crate::evidence::recover::take_damage_note;
use crate::evidence::writer::OpenReport;
use crate::evidence::{error::EvidenceError, proto::Payload};

impl Core {
    pub(crate) fn start(&mut self) -> Result<OpenReport, EvidenceError> {
        let Some(rec) = self.rec.take() else {
            return Err(EvidenceError::Closed);
        };
        let created = self.next_seq == 0;
        keys::archive_public(&self.cfg.dir, &self.key.public())?;
        let retiring = self.retiring_key(&rec.checkpoint_signers, rec.authorised_key.as_deref())?;
        let new_key = retiring.map(|old| std::mem::replace(&mut self.key, old));
        if rec.last_version == 1 {
            // Continue a v1 log in v2: a checkpoint over every v1 entry, then the marker.
            self.make_durable()?;
            let ev = event(event_record::Event::FormatUpgrade(FormatUpgrade {
                entry_version: 2,
            }));
            let seq = self.reserve()?;
            self.write_group(vec![(seq, ev)], true, None)?;
        }
        if let Some(new) = new_key {
            let seq = self.reserve()?;
            self.rotate(seq, new)?;
        }
        let damage = take_damage_note(&self.cfg.dir)?;
        let mut events: Vec<Payload> = Vec::new();
        if created {
            events.push(event(event_record::Event::LogStart(LogStart {
                software_version: env!("CARGO_PKG_VERSION").into(),
            })));
        }
        let last = self.next_seq.saturating_sub(1);
        let unclean = rec.unclean && !created;
        let (damage_rec, damage_path) = match damage {
            Some((r, p)) => (Some(r), Some(p)),
            None => (None, None),
        };
        events.extend(recovery_event(unclean, rec.truncated, last, damage_rec));
        if self.cfg.retention_days > 0 && self.cfg.retention_days < MIN_RETENTION_DAYS {
            // Only an override is recorded: retention at or above the minimum needs no note.
            events.push(event(event_record::Event::RetentionPolicy(
                RetentionPolicy {
                    retention_days: self.cfg.retention_days,
                    below_minimum_override: true,
                },
            )));
        }
        let mut group = Vec::with_capacity(events.len());
        for ev in events {
            group.push((self.reserve()?, ev));
        }
        if !group.is_empty() {
            self.write_group(group, true, None)?;
        }
        if let Some(p) = damage_path {
            std::fs::remove_file(p)?;
        }
        self.make_durable()?;
        self.write_checkpoint_file()?;
        Ok(OpenReport {
            recovered: rec.unclean,
            truncated_bytes: rec.truncated,
            next_seq: self.next_seq,
            created,
        })
    }

    /// When the key given is not the one the log expects (the signers of its newest
    /// checkpoint, or for a v1 log the key of its newest entry), the expected key must sign the
    /// hand-over: it is looked up among the archived secrets and `signing.key` and returned.
    fn retiring_key(
        &self,
        signers: &[String],
        v1_key: Option<&str>,
    ) -> Result<Option<KeyPair>, EvidenceError> {
        let current_v2 = keys::log_key_id(&self.origin, &self.key.public_bytes());
        let expected: Vec<String> = if !signers.is_empty() {
            signers.to_vec()
        } else {
            v1_key.map(str::to_owned).into_iter().collect()
        };
        let is_current = |id: &String| *id == current_v2 || id == self.key.key_id();
        if expected.is_empty() || expected.iter().any(is_current) {
            return Ok(None);
        }
        let found = keys::stored_secrets(&self.cfg.dir)?.into_iter().find(|k| {
            expected.iter().any(|id| {
                *id == keys::log_key_id(&self.origin, &k.public_bytes()) || id == k.key_id()
            })
        });
        match found {
            Some(old) => Ok(Some(old)),
            None => Err(EvidenceError::Key(format!(
                "the log's newest checkpoint is signed by key {} but the key given is {current_v2}, \
                 and the old key is not available to sign the hand-over (keys/*.key or \
                 signing.key); restore the old signing.key",
                expected.join(", ")
            ))),
        }
    }
}
