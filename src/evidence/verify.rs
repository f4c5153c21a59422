//! Offline verification of a data dir ([`verify_dir`]) and the shared per-entry rules that the
//! export verifier also applies: entry layout, body decoding, sequence continuity, key
//! authorisation (first key trusted, later keys only via logged rotations), signature over
//! the exact stored body, the body hash chain, and the Merkle root against every signed
//! checkpoint. Also [`prove`]. Reports the first fault precisely; owns no writing.
use std::fmt;
use std::path::Path;

use super::entry::{body_hash, decode_record, entry_hash, parse_entry};
use super::hex;
use super::keys::{dir_public_keys, PublicKey};
use super::merkle::{CompactRange, Hash};
use super::note::{open_note, Checkpoint};
use super::proto::{event_record, record, Record};
use super::recover::read_anchor;
use super::segment::{log_dir, scan, CUT_SHORT};

mod export_check;
mod prove;
mod sigpool;
pub use export_check::{verify_export, verify_export_with, ExportTrust, ExportVerified};
pub(crate) use prove::load_view;
pub use prove::prove;
use sigpool::SigPool;

/// What is wrong, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct VerifyFault {
    /// Sequence number of the record at fault (or the one expected there).
    pub seq: Option<u64>,
    /// Decision id of that record, when it decodes and has one.
    pub decision_id: Option<String>,
    /// Where it was found (segment file and offset, or export line).
    pub location: String,
    /// The field at fault, e.g. `signature`, `prev_body_hash`, `seq`, `checkpoint`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for VerifyFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(s) => write!(f, "record seq {s}")?,
            None => write!(f, "log")?,
        }
        if let Some(d) = &self.decision_id {
            write!(f, " (decision {d})")?;
        }
        write!(
            f,
            " at {}: field `{}`: {}",
            self.location, self.field, self.problem
        )
    }
}

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySummary {
    /// Records checked.
    pub records: u64,
    /// First and last seq checked.
    pub first_seq: u64,
    /// Last seq checked (`None` if empty).
    pub last_seq: Option<u64>,
    /// Size of the latest signed checkpoint the log matched.
    pub checkpoint_size: u64,
    /// Root hash of that checkpoint (hex).
    pub root: String,
    /// Signing keys seen, in order.
    pub keys: Vec<String>,
    /// Records after the latest checkpoint (verified by chain and signature only).
    pub uncheckpointed: u64,
    /// False for a filtered export: what it contains is proven, not that nothing is missing.
    pub complete: bool,
    /// Bytes of an incomplete last frame past every checkpoint (an append in progress, or a
    /// crash not yet recovered); not verified, not a fault.
    pub torn_tail_bytes: u64,
}

impl fmt::Display for VerifySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = match self.last_seq {
            Some(l) => format!("seq {}..={l}", self.first_seq),
            None => "empty".into(),
        };
        write!(
            f,
            "OK: {} records ({range}) verified{}; signatures, chain and Merkle root match the signed checkpoint of size {} (root {}); keys {}",
            self.records,
            if self.complete { "" } else { " (filtered export: inclusion proven, completeness not claimed)" },
            self.checkpoint_size,
            self.root,
            self.keys.join(", ")
        )?;
        if self.torn_tail_bytes > 0 {
            write!(f, "; ignored {} bytes of an incomplete entry at the tail (append in progress or unrecovered crash)", self.torn_tail_bytes)?;
        }
        if self.uncheckpointed > 0 {
            write!(
                f,
                "; {} newest records are not yet covered by a checkpoint",
                self.uncheckpointed
            )?;
        }
        Ok(())
    }
}

pub(crate) fn fault(
    seq: Option<u64>,
    rec: Option<&Record>,
    loc: &str,
    field: &str,
    problem: impl Into<String>,
) -> VerifyFault {
    VerifyFault {
        seq,
        decision_id: rec.and_then(decision_id),
        location: loc.to_owned(),
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// Decision id carried by a decision or outcome record.
pub(crate) fn decision_id(r: &Record) -> Option<String> {
    match &r.kind {
        Some(record::Kind::Decision(d)) => Some(d.decision_id.clone()),
        Some(record::Kind::Outcome(o)) => Some(o.decision_id.clone()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// Per-entry rules shared by the directory and export verifiers.
pub(crate) struct Checker {
    /// Keys trusted to sign the first record checked.
    roots: Vec<PublicKey>,
    /// The key that must sign the next record (after the first).
    authorised: Option<PublicKey>,
    /// Every key seen signing, in order.
    pub seen: Vec<String>,
    origin: Option<String>,
    /// Signature checks deferred for parallel verification (directory mode).
    deferred: Option<Vec<SigJob>>,
    /// Verifies deferred checks in the background.
    pool: Option<SigPool>,
}

/// One signature check, with what a fault report needs.
pub(crate) struct SigJob {
    seq: u64,
    decision_id: Option<String>,
    loc: String,
    key: PublicKey,
    body: Vec<u8>,
    sig: [u8; 64],
}

/// Most signatures checked in one batch.
const SIG_BATCH: usize = 8192;

/// Index of the first job whose signature does not verify: runs of jobs signed by the same
/// key are batch-checked (see `keys/batch.rs`), a failing run one by one.
fn first_invalid(jobs: &[SigJob]) -> Option<usize> {
    let mut at = 0;
    while let Some(head) = jobs.get(at) {
        let run = jobs[at..]
            .iter()
            .take(SIG_BATCH)
            .take_while(|j| j.key.key_id == head.key.key_id)
            .map(|j| (&j.body[..], &j.sig))
            .collect::<Vec<_>>();
        if let Some(i) = head.key.first_invalid(&run) {
            return Some(at + i);
        }
        at += run.len();
    }
    None
}

impl Checker {
    pub(crate) fn new(roots: Vec<PublicKey>, origin: Option<String>) -> Self {
        Self {
            roots,
            authorised: None,
            seen: Vec::new(),
            origin,
            deferred: None,
            pool: None,
        }
    }

    /// Defers signature checks to [`Checker::flush`], which runs them on all cores.
    pub(crate) fn deferring(mut self) -> Self {
        self.deferred = Some(Vec::new());
        self
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

    /// Keys a checkpoint may be signed by: every key that signed in this log so far.
    pub(crate) fn note_keys(&self) -> Vec<PublicKey> {
        let mut k = self.roots.clone();
        k.extend(self.authorised.iter().cloned());
        k
    }

    /// Checks one entry's layout, body, signature and key; returns the decoded record and the
    /// body. Chain and sequence rules are the caller's (they differ for filtered exports).
    pub(crate) fn entry<'a>(
        &mut self,
        bytes: &'a [u8],
        expect: u64,
        loc: &str,
    ) -> Result<(Record, &'a [u8]), VerifyFault> {
        let e = parse_entry(bytes)
            .map_err(|e| fault(Some(expect), None, loc, "entry", e.to_string()))?;
        // The signature is checked before any body field is trusted or reported on.
        let decoded = decode_record(e.body);
        let (seq, shown) = match &decoded {
            Ok(r) => (Some(r.seq), Some(r)),
            Err(_) => (Some(expect), None),
        };
        let key = match &self.authorised {
            Some(k) if k.key_id == e.key_id() => k.clone(),
            Some(k) => {
                return Err(fault(
                    seq,
                    shown,
                    loc,
                    "key_id",
                    format!(
                        "signed by key {} but key {} is the authorised signer here (substituted key or forged record)",
                        e.key_id(), k.key_id
                    ),
                ))
            }
            None => self.roots.iter().find(|k| k.key_id == e.key_id()).cloned().ok_or_else(|| {
                fault(seq, shown, loc, "key_id", format!("signed by key {} which is not a trusted public key", e.key_id()))
            })?,
        };
        if let Some(d) = self.deferred.as_mut() {
            d.push(SigJob {
                seq: seq.unwrap_or(expect),
                decision_id: shown.and_then(decision_id),
                loc: loc.to_owned(),
                key: key.clone(),
                body: e.body.to_vec(),
                sig: *e.signature().unwrap_or(&[0u8; 64]),
            });
        } else if !key.verify(e.body, e.signature().unwrap_or(&[0u8; 64])) {
            return Err(fault(
                seq,
                shown,
                loc,
                "signature",
                format!(
                    "does not verify under key {} (the body or signature was altered)",
                    key.key_id
                ),
            ));
        }
        let rec = decoded.map_err(|err| {
            fault(
                Some(expect),
                None,
                loc,
                "body",
                format!("signed, but does not decode as a Record: {err}"),
            )
        })?;
        let seq = Some(rec.seq);
        let f = |field: &str, p: String| fault(seq, Some(&rec), loc, field, p);
        if rec.key_id != e.key_id() {
            return Err(f(
                "key_id",
                format!(
                    "body names key {} but the entry is signed as {}",
                    rec.key_id,
                    e.key_id()
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
        if self.seen.last() != Some(&key.key_id) {
            self.seen.push(key.key_id.clone());
        }
        self.authorised = Some(key);
        if let Some(record::Kind::Event(ev)) = &rec.kind {
            if let Some(event_record::Event::KeyRotation(r)) = &ev.event {
                let new = PublicKey::from_bytes(&r.new_public_key)
                    .filter(|k| k.key_id == r.new_key_id)
                    .ok_or_else(|| {
                        f(
                            "key_rotation",
                            "new public key is invalid or does not match new_key_id".into(),
                        )
                    })?;
                self.authorised = Some(new);
            }
        }
        Ok((rec, e.body))
    }
}

/// Verifies a data dir using the public keys found in it.
pub fn verify_dir(dir: &Path) -> Result<VerifySummary, VerifyFault> {
    verify_dir_with_key(dir, None)
}

/// Verifies a data dir; with `pinned` (a public key in text form) only that key is trusted
/// to sign the first record, instead of the keys stored in the dir.
pub fn verify_dir_with_key(dir: &Path, pinned: Option<&str>) -> Result<VerifySummary, VerifyFault> {
    let io = |what: &str, e: &dyn fmt::Display| {
        fault(None, None, &dir.display().to_string(), what, e.to_string())
    };
    let roots = match pinned {
        Some(t) => vec![PublicKey::parse(t).map_err(|e| io("public key", &e))?],
        None => dir_public_keys(dir).map_err(|e| io("public key", &e))?,
    };
    if roots.is_empty() {
        return Err(io(
            "public key",
            &"no signing.pub or keys/*.pub in the data dir",
        ));
    }
    let anchor = read_anchor(dir).map_err(|e| io("anchor", &e))?;
    let (mut next, mut prev, mut range) = match &anchor {
        Some((a, note)) => {
            open_note(note, &roots).map_err(|e| io("log/anchor.note", &e))?;
            (a.first, a.prev, a.range().unwrap_or_default())
        }
        None => (0, [0u8; 32], CompactRange::default()),
    };
    let first = next;
    let mut cps = read_checkpoints(dir).map_err(|e| io("checkpoints", &e))?;
    cps.retain(|(size, _, _)| *size >= first);
    let mut checker = Checker::new(roots, None).deferring();
    let mut matched: Option<(u64, Hash)> = None;
    let mut ci = 0usize;
    let mut err: Option<VerifyFault> = None;
    let check_cp = |checker: &Checker,
                    range: &CompactRange,
                    ci: &mut usize,
                    matched: &mut Option<(u64, Hash)>|
     -> Result<(), VerifyFault> {
        while let Some((size, file, note)) = cps.get(*ci) {
            if *size != range.size() {
                break;
            }
            let loc = format!("checkpoints/{file}");
            let v = open_note(note, &checker.note_keys())
                .map_err(|e| fault(None, None, &loc, "checkpoint signature", e))?;
            let cp =
                Checkpoint::parse(&v.text).map_err(|e| fault(None, None, &loc, "checkpoint", e))?;
            if cp.root != range.root() {
                return Err(fault(
                    size.checked_sub(1),
                    None,
                    &loc,
                    "checkpoint root",
                    format!("signed root for the first {size} records is {} but the log hashes to {} (a record before seq {size} was altered, inserted or removed)", hex(&cp.root), hex(&range.root())),
                ));
            }
            *matched = Some((cp.size, cp.root));
            *ci += 1;
        }
        Ok(())
    };
    check_cp(&checker, &range, &mut ci, &mut matched)?;
    let logdir = log_dir(dir);
    let torn = scan(&logdir, first, |seg, off, bytes| {
        let loc = format!("log/{seg:020}.seg offset {off}");
        let r = (|| {
            let (rec, body) = checker.entry(bytes, next, &loc)?;
            if rec.seq != next {
                let p = if rec.seq > next {
                    format!("is {} but {next} was expected: records {next}..{} are missing (deleted)", rec.seq, rec.seq - 1)
                } else {
                    format!("is {} but {next} was expected (records reordered, duplicated or inserted)", rec.seq)
                };
                return Err(fault(Some(rec.seq), Some(&rec), &loc, "seq", p));
            }
            if rec.prev_body_hash != prev {
                return Err(fault(Some(rec.seq), Some(&rec), &loc, "prev_body_hash", "does not match the hash of the previous record's body (a record was inserted, deleted or reordered before this one)"));
            }
            prev = body_hash(body);
            range.push(entry_hash(bytes));
            next += 1;
            check_cp(&checker, &range, &mut ci, &mut matched)?;
            checker.hand_off()?;
            Ok(())
        })();
        r.map_err(|f| {
            // A bad signature at or before this record is the more precise first fault.
            let f = checker.flush().err().unwrap_or(f);
            let s = f.to_string();
            err = Some(f);
            s
        })
    })
    .map_err(|e| io("log", &e))?;
    if let Some(e) = err {
        return Err(e);
    }
    checker.flush()?;
    let mut torn_tail = 0;
    if let Some(t) = torn {
        // A frame cut short at the very end of the newest segment, past every checkpoint, is
        // an append in progress (or a crash that recovery will truncate), not tampering.
        let in_flight = t.last && t.reason == CUT_SHORT && ci == cps.len();
        if !in_flight {
            return Err(fault(
                Some(next),
                None,
                &format!("log/{:020}.seg offset {}", t.seg, t.offset),
                "frame",
                format!("{} (the stored entry bytes were altered or cut)", t.reason),
            ));
        }
        torn_tail = t.used_len - t.offset;
    }
    if let Some((size, file, _)) = cps.get(ci) {
        return Err(fault(
            Some(next),
            None,
            &format!("checkpoints/{file}"),
            "tail",
            format!("the log ends after {next} records but a signed checkpoint covers {size}: records {next}..{} were removed from the tail", size - 1),
        ));
    }
    let Some((cp_size, root)) = matched else {
        return Err(fault(
            None,
            None,
            &dir.display().to_string(),
            "checkpoint",
            "no signed checkpoint found",
        ));
    };
    Ok(VerifySummary {
        records: next - first,
        first_seq: first,
        last_seq: next.checked_sub(1).filter(|l| *l >= first),
        checkpoint_size: cp_size,
        root: hex(&root),
        keys: checker.seen,
        uncheckpointed: next - cp_size,
        complete: true,
        torn_tail_bytes: torn_tail,
    })
}

/// All checkpoint notes as `(size, file name, text)`, ascending by size.
fn read_checkpoints(dir: &Path) -> std::io::Result<Vec<(u64, String, String)>> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("checkpoints")) {
        for e in rd {
            let p = e?.path();
            let size = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            if let (Some(size), Some(name)) = (size, p.file_name().and_then(|n| n.to_str())) {
                if p.extension().is_some_and(|x| x == "note") {
                    out.push((size, name.to_owned(), std::fs::read_to_string(&p)?));
                }
            }
        }
    }
    if let Ok(latest) = std::fs::read_to_string(dir.join("checkpoint.note")) {
        let text = latest.split("\n\n").next().unwrap_or_default();
        if let Ok(cp) = Checkpoint::parse(&format!("{text}\n")) {
            if !out.iter().any(|(s, _, n)| *s == cp.size && *n == latest) {
                out.push((cp.size, "../checkpoint.note".into(), latest));
            }
        }
    }
    out.sort_by_key(|(s, _, _)| *s);
    Ok(out)
}
