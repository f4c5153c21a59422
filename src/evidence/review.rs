//! Review dispositions: a reviewer's verdict on a call flagged for review, recorded as a
//! `ReviewDisposition` event. Owns the rules for a valid disposition ([`Review::new`]: who, what,
//! why), the lookup of the reviewed decision in the segments ([`find_decision`]) and the event
//! payload ([`Review::payload`]).
//!
//! Does not append (the caller does, through its [`EvidenceLog`](super::EvidenceLog): the
//! proxy's control socket or `aimsgate review` on a stopped log) and does not authenticate the
//! reviewer: the name is what the caller says; the log's signature proves only that the gateway
//! recorded it.
use std::path::Path;

use super::anchor::read_anchor;
use super::entry::{decode_record, parse_stored, Stored};
use super::error::EvidenceError;
use super::proto::{
    event_record, record::Kind, Disposition, Effect, EventRecord, Payload, ReviewDisposition,
};
use super::segment::{log_dir, scan_frames};

/// Longest reviewer name, in characters.
pub const MAX_REVIEWER_CHARS: usize = 200;
/// Longest note, in characters (the schema's limit).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest decision id accepted, in characters (ids the proxy issues are UUIDs).
pub const MAX_DECISION_ID_CHARS: usize = 200;

/// Why a disposition was refused before anything was looked up or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidReview(pub String);

/// A validated disposition, not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub decision_id: String,
    pub disposition: Disposition,
    pub reviewer: String,
    pub note: String,
}

/// The reviewed decision record, as found in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionRef {
    /// Its seq (log index).
    pub seq: u64,
    /// Its record time, unix nanoseconds.
    pub time_unix_nanos: i64,
    /// Was it flagged for review (effect REVIEW, or a review rule fired)?
    pub flagged: bool,
}

/// `accepted`, `rejected` or `escalated` (the CLI's and the control socket's spelling).
pub fn parse_disposition(s: &str) -> Option<Disposition> {
    match s {
        "accepted" => Some(Disposition::Accepted),
        "rejected" => Some(Disposition::Rejected),
        "escalated" => Some(Disposition::Escalated),
        _ => None,
    }
}

/// The spelling [`parse_disposition`] reads.
pub fn disposition_name(d: Disposition) -> &'static str {
    match d {
        Disposition::Accepted => "accepted",
        Disposition::Rejected => "rejected",
        Disposition::Escalated => "escalated",
        Disposition::Unspecified => "unspecified",
    }
}

fn check_text(
    what: &str,
    s: &str,
    max: usize,
    allow: fn(char) -> bool,
) -> Result<(), InvalidReview> {
    if s.trim().is_empty() {
        return Err(InvalidReview(format!("{what} must not be empty")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(InvalidReview(format!(
            "{what} is {n} characters long; at most {max} are allowed"
        )));
    }
    if let Some(c) = s.chars().find(|&c| c.is_control() && !allow(c)) {
        return Err(InvalidReview(format!(
            "{what} contains the control character {c:?}"
        )));
    }
    Ok(())
}

impl Review {
    /// Checks a disposition: a decision id (≤ 200 characters, no control characters), one of
    /// `accepted` / `rejected` / `escalated`, a reviewer name (≤ 200 characters, no control
    /// characters) and a note saying why (≤ 2000 characters; line breaks and tabs allowed, no
    /// other control characters). None may be empty.
    pub fn new(
        decision_id: &str,
        disposition: &str,
        reviewer: &str,
        note: &str,
    ) -> Result<Self, InvalidReview> {
        check_text(
            "the decision id",
            decision_id,
            MAX_DECISION_ID_CHARS,
            |_| false,
        )?;
        let disposition = parse_disposition(disposition).ok_or_else(|| {
            InvalidReview(format!(
                "disposition {:?} is not one of accepted, rejected, escalated",
                disposition.chars().take(40).collect::<String>()
            ))
        })?;
        check_text("the reviewer (--by)", reviewer, MAX_REVIEWER_CHARS, |_| {
            false
        })?;
        check_text("the note (--note)", note, MAX_NOTE_CHARS, |c| {
            matches!(c, '\n' | '\r' | '\t')
        })?;
        Ok(Self {
            decision_id: decision_id.to_owned(),
            disposition,
            reviewer: reviewer.to_owned(),
            note: note.to_owned(),
        })
    }

    /// The event to append for this disposition of `decision`.
    pub fn payload(&self, decision: &DecisionRef) -> Payload {
        Kind::Event(EventRecord {
            event: Some(event_record::Event::ReviewDisposition(ReviewDisposition {
                decision_id: self.decision_id.clone(),
                disposition: self.disposition as i32,
                reviewer: self.reviewer.clone(),
                note: self.note.clone(),
                decision_time_unix_nanos: decision.time_unix_nanos,
                decision_seq: decision.seq,
            })),
        })
    }
}

/// The decision record with `decision_id` among the retained entries of the log in `dir`,
/// read from the segments (read-only: safe beside a running writer, whose unfinished tail
/// frame ends the scan). `None` when no decision record has that id.
pub fn find_decision(dir: &Path, decision_id: &str) -> Result<Option<DecisionRef>, EvidenceError> {
    let first = read_anchor(dir)?.map_or(0, |(a, _)| a.first);
    let mut found = None;
    scan_frames(&log_dir(dir), first, |_, _, bytes| {
        if found.is_some() {
            return Ok(());
        }
        let Ok(Stored::Entry(e)) = parse_stored(bytes) else {
            return Ok(());
        };
        let rec = decode_record(e.body).map_err(|e| e.to_string())?;
        if let Some(Kind::Decision(d)) = &rec.kind {
            if d.decision_id == decision_id {
                found = Some(DecisionRef {
                    seq: rec.seq,
                    time_unix_nanos: rec.time_unix_nanos,
                    flagged: d.review_flagged || d.effect == Effect::Review as i32,
                });
            }
        }
        Ok(())
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests;
