//! What verification reports: [`VerifyFault`] (the first fault, precisely located),
//! [`VerifySummary`] (what an intact log proved), the retention minimum and the helpers that
//! build faults.
//!
//! A leaf of `verify`: imports only the record schema, so the verifier's parts (`dir`,
//! `checker`, `kept`, `prove`, `rules`, `export_check`) and `evidence::error` share these types
//! without importing `verify` itself. Re-exported from `verify` and [`crate::evidence`].

use std::fmt;

use super::super::proto::{record, Record};

/// Shortest retention the EU AI Act allows for these logs (Art. 19/26: at least six months).
pub const MIN_RETENTION_DAYS: u32 = 183;

/// What is wrong, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct VerifyFault {
    /// Sequence number of the record at fault (or the one expected there).
    pub seq: Option<u64>,
    /// Decision id of that record, when it decodes and has one.
    pub decision_id: Option<String>,
    /// Where it was found (segment file and offset, checkpoint file, or export line).
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifySummary {
    /// Records checked.
    pub records: u64,
    /// First seq checked.
    pub first_seq: u64,
    /// Last seq checked (`None` if empty).
    pub last_seq: Option<u64>,
    /// Size of the latest signed checkpoint the log matched.
    pub checkpoint_size: u64,
    /// Root hash of that checkpoint (hex).
    pub root: String,
    /// Log keys that signed, in order (C2SP key hash, hex).
    pub keys: Vec<String>,
    /// Records after the latest checkpoint: not covered by any signature.
    pub uncheckpointed: u64,
    /// False for a filtered export: what it contains is proven, not that nothing is missing.
    pub complete: bool,
    /// Bytes of an incomplete last frame past every checkpoint (an append in progress, or a
    /// crash not yet recovered); not verified, not a fault.
    pub torn_tail_bytes: u64,
    /// The log's origin (checkpoint origin line).
    pub origin: String,
    /// No trust root was given: the keys found beside the log were trusted.
    pub trusted_data_dir_keys: bool,
    /// Signed checkpoints checked against the tree (frames and files).
    pub checkpoints_verified: u64,
    /// Checkpoints the auditor kept (`--checkpoint`) that the log extends.
    pub kept_checkpoints: u64,
    /// Size of the witness-cosigned checkpoint the log extends, and how many trusted witnesses
    /// cosigned it.
    pub cosigned: Option<(u64, usize)>,
    /// Records dated after the verification time, and the first of them.
    pub future_records: u64,
    /// Seq of the first record dated after the verification time.
    pub first_future_seq: Option<u64>,
    /// Retention below [`MIN_RETENTION_DAYS`] allowed by a recorded override (days).
    pub retention_override: Option<u32>,
    /// Seq of an offline prune (retention_days 0) that removed records younger than the
    /// minimum retention.
    pub premature_prune: Option<u64>,
    /// Records in format v1 (signed one by one) and v2 (hash-only).
    pub v1_records: u64,
    /// Records in format v2.
    pub v2_records: u64,
}

impl fmt::Display for VerifySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = match self.last_seq {
            Some(l) => format!("seq {}..={l}", self.first_seq),
            None => "empty".into(),
        };
        write!(
            f,
            "OK: {} records ({range}) verified{}; chain and Merkle root match the signed checkpoint of size {} (root {}); keys {}",
            self.records,
            if self.complete { "" } else { " (filtered export: inclusion proven, completeness not claimed)" },
            self.checkpoint_size,
            self.root,
            self.keys.join(", ")
        )?;
        if self.checkpoints_verified > 0 {
            write!(f, "; {} checkpoints checked", self.checkpoints_verified)?;
        }
        if self.kept_checkpoints > 0 {
            write!(f, "; extends {} kept checkpoint(s)", self.kept_checkpoints)?;
        }
        if let Some((size, n)) = self.cosigned {
            write!(
                f,
                "; extends the cosigned checkpoint of size {size} ({n} witness cosignature(s))"
            )?;
        }
        if self.torn_tail_bytes > 0 {
            write!(f, "; ignored {} bytes of an incomplete entry at the tail (append in progress or unrecovered crash)", self.torn_tail_bytes)?;
        }
        if self.uncheckpointed > 0 {
            write!(
                f,
                "; {} newest records are not yet covered by a signed checkpoint (not authenticated)",
                self.uncheckpointed
            )?;
        }
        if let Some(s) = self.first_future_seq {
            write!(
                f,
                "; FLAGGED: {} record(s) dated after the verification time (first: seq {s})",
                self.future_records
            )?;
        }
        if let Some(d) = self.retention_override {
            write!(
                f,
                "; FLAGGED: retention of {d} days, below the {MIN_RETENTION_DAYS}-day minimum, by a recorded override"
            )?;
        }
        if let Some(s) = self.premature_prune {
            write!(
                f,
                "; FLAGGED: the offline prune recorded at seq {s} removed records younger than the minimum retention"
            )?;
        }
        if self.trusted_data_dir_keys {
            write!(f, "; WARNING: {TRUSTED_DIR_KEYS_WARNING}")?;
        }
        Ok(())
    }
}

/// What `verify` and `report` say when no trust root was given.
pub const TRUSTED_DIR_KEYS_WARNING: &str = "no --public-key or --trust given: the keys found in the data dir were trusted, so whoever can write the data dir could have re-signed it; pin the log key for an audit";

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
