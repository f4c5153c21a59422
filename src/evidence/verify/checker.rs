//! Per-entry rules shared by the data dir and export verifiers: entry layout, body decoding,
//! the v1 signature (strict ed25519, one by one, optionally on a background pool), key ids,
//! the log id, the format order (v1 entries, then a FormatUpgrade record, then v2 entries)
//! and key rotations (fed to the `keychain`). Chain, sequence and tree rules are the
//! caller's (they differ for filtered exports).
use crate::evidence::entry::{decode_record, parse_entry, ENTRY_V1, ENTRY_V2};
use crate::evidence::keys::PublicKey;
use crate::evidence::proto::{event_record, record, Record};

use super::keychain::KeyChain;
use super::sigpool::{self, SigJob, SigPool};
use super::{outcome::decision_id, outcome::fault, outcome::VerifyFault};

/// Per-entry rules; see the module doc.
pub(crate) struct Checker {
    pub(crate) chain: KeyChain,
    /// Log keys that signed so far, in order (C2SP key ids).
    pub seen: Vec<String>,
    origin: Option<String>,
    /// Entry version of the previous entry.
    last_version: Option<u8>,
    deferred: Option<Vec<SigJob>>,
    pool: Option<SigPool>,
    /// Entries of each version checked.
    pub(crate) v1: u64,
    pub(crate) v2: u64,
}

impl Checker {
    /// `trusted` keys, and further untrusted candidate keys to check signatures with (keys
    /// beside the log: their authority comes only from the chain); `origin`, when known, is the
    /// log id every record must carry.
    pub(crate) fn with_candidates(
        trusted: Vec<PublicKey>,
        cands: Vec<PublicKey>,
        origin: Option<String>,
    ) -> Self {
        Self {
            chain: KeyChain::new(trusted, cands),
            seen: Vec::new(),
            origin,
            last_version: None,
            deferred: None,
            pool: None,
            v1: 0,
            v2: 0,
        }
    }

    /// Defers v1 signature checks to [`Checker::flush`], which runs them on all cores.
    pub(crate) fn deferring(mut self) -> Self {
        self.deferred = Some(Vec::new());
        self
    }

    /// The log origin, once known.
    pub(crate) fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Sets the origin (from the first checkpoint) if no record set it yet.
    pub(crate) fn set_origin(&mut self, o: &str) {
        self.origin.get_or_insert_with(|| o.to_owned());
    }

    /// Keys a checkpoint may be signed by (trust root and chain so far).
    pub(crate) fn note_keys(&self) -> Vec<PublicKey> {
        self.chain.note_keys()
    }

    /// Refreshes [`Checker::seen`] from the chain.
    pub(crate) fn refresh_seen(&mut self) {
        let o = self.origin.clone().unwrap_or_default();
        self.seen = self.chain.ids(&o);
    }

    /// Verifies every deferred signature; reports the first failing record.
    pub(crate) fn flush(&mut self) -> Result<(), VerifyFault> {
        let Some(jobs) = self.deferred.as_mut().map(std::mem::take) else {
            return Ok(());
        };
        let pool = self.pool.get_or_insert_with(SigPool::new);
        pool.submit(jobs);
        match pool.finish() {
            Some(j) => Err(VerifyFault {
                seq: Some(j.seq),
                decision_id: j.decision_id.clone(),
                location: j.loc.clone(),
                field: "signature".into(),
                problem: format!(
                    "does not verify under key {} (the body or signature was altered)",
                    j.key.key_id
                ),
            }),
            None => Ok(()),
        }
    }

    /// Hands deferred checks to the background pool once a chunk is full; fails (with the
    /// first failing record) as soon as the pool has found a bad signature.
    pub(crate) fn hand_off(&mut self) -> Result<(), VerifyFault> {
        if let Some(d) = self.deferred.as_mut().filter(|d| d.len() >= sigpool::CHUNK) {
            let jobs = std::mem::take(d);
            let pool = self.pool.get_or_insert_with(SigPool::new);
            pool.submit(jobs);
            if pool.failed() {
                return self.flush();
            }
        }
        Ok(())
    }

    /// Checks one entry's layout, body, signature (v1), key and format order; returns the
    /// decoded record and the body.
    pub(crate) fn entry<'a>(
        &mut self,
        bytes: &'a [u8],
        expect: u64,
        loc: &str,
    ) -> Result<(Record, &'a [u8]), VerifyFault> {
        let e = parse_entry(bytes)
            .map_err(|e| fault(Some(expect), None, loc, "entry", e.to_string()))?;
        let decoded = decode_record(e.body);
        let (seq, shown) = match &decoded {
            Ok(r) => (r.seq, Some(r)),
            Err(_) => (expect, None),
        };
        let f0 = |field: &str, p: String| fault(Some(seq), shown, loc, field, p);
        if let Some((kid, sig)) = e.signed {
            let origin = self
                .origin
                .clone()
                .or_else(|| shown.map(|r| r.log_id.clone()))
                .unwrap_or_default();
            if self.last_version == Some(ENTRY_V2) {
                return Err(f0(
                    "entry",
                    "a v1 (signed) entry after v2 entries: the log cannot go back to v1 (inserted or replayed record)".into(),
                ));
            }
            // The signature is checked before any body field is trusted.
            let key = self
                .chain
                .v1_signer(kid, &origin, loc)
                .map_err(|p| f0("key_id", p))?;
            if let Some(d) = self.deferred.as_mut() {
                d.push(SigJob {
                    seq,
                    decision_id: shown.and_then(decision_id),
                    loc: loc.to_owned(),
                    key,
                    body: e.body.to_vec(),
                    sig: *sig,
                });
            } else if !key.verify(e.body, sig) {
                return Err(f0(
                    "signature",
                    format!(
                        "does not verify under key {} (the body or signature was altered)",
                        key.key_id
                    ),
                ));
            }
        }
        let rec = decoded.map_err(|err| {
            fault(
                Some(expect),
                None,
                loc,
                "body",
                format!("does not decode as a Record: {err}"),
            )
        })?;
        let f = |field: &str, p: String| fault(Some(rec.seq), Some(&rec), loc, field, p);
        let version = e.version();
        if version == ENTRY_V1 && rec.key_id != e.key_id() {
            return Err(f(
                "key_id",
                format!(
                    "body names key {} but the entry is signed as {}",
                    rec.key_id,
                    e.key_id()
                ),
            ));
        }
        if version == ENTRY_V2 && !rec.key_id.is_empty() {
            return Err(f(
                "key_id",
                format!(
                    "a v2 (unsigned) entry names key {}: v2 bodies carry no key id (a v1 body re-framed as v2?)",
                    rec.key_id
                ),
            ));
        }
        match &self.origin {
            Some(o) if *o != rec.log_id => {
                return Err(f(
                    "log_id",
                    format!(
                        "is {:?}, this log is {o:?} (record from another log?)",
                        rec.log_id
                    ),
                ))
            }
            None => self.origin = Some(rec.log_id.clone()),
            _ => {}
        }
        let event = match &rec.kind {
            Some(record::Kind::Event(ev)) => ev.event.as_ref(),
            _ => None,
        };
        if version == ENTRY_V2 && self.last_version == Some(ENTRY_V1) {
            let upgrade = matches!(event, Some(event_record::Event::FormatUpgrade(u)) if u.entry_version == u32::from(ENTRY_V2));
            if !upgrade {
                return Err(f(
                    "entry",
                    "the first v2 entry after v1 entries must be a FormatUpgrade record (v1 records re-framed without their signatures?)".into(),
                ));
            }
        }
        self.last_version = Some(version);
        if version == ENTRY_V1 {
            self.v1 += 1;
        } else {
            self.v2 += 1;
        }
        if let Some(event_record::Event::KeyRotation(r)) = event {
            let o = rec.log_id.clone();
            self.chain
                .rotation(r, rec.seq, &o, version == ENTRY_V1)
                .map_err(|p| f("key_rotation", p))?;
            self.refresh_seen();
        } else if self.seen.is_empty() {
            self.refresh_seen();
        }
        Ok((rec, e.body))
    }
}
