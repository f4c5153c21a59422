//! Time and retention rules over the records of one log, in order: record time never runs
//! backwards; records dated after the verification time are counted (flagged, not a fault);
//! a RetentionPolicy below [`MIN_RETENTION_DAYS`] needs `below_minimum_override` (then it is
//! flagged); a RetentionPrune below the minimum needs such a policy before it; the prune
//! anchor must be backed by a RetentionPrune record with the same first seq and anchor root
//! (its coverage by a checkpoint is checked by `dir` at the end). Owns no tree or key rules.
use crate::evidence::common::hex;
use crate::evidence::merkle::Hash;
use crate::evidence::proto::{event_record::Event, record, Record};

use super::{outcome::fault, outcome::VerifyFault, outcome::MIN_RETENTION_DAYS};

/// State of the rules across records.
#[derive(Default)]
pub(crate) struct Rules {
    now: i64,
    /// `(seq, time)` of the previous record.
    last: Option<(u64, i64)>,
    pub(crate) future: u64,
    pub(crate) first_future: Option<u64>,
    /// Retention days of the latest RetentionPolicy, and whether it was overridden.
    policy: Option<(u32, bool)>,
    pub(crate) override_days: Option<u32>,
    /// `(first retained seq, anchor root)` the anchor file says, if there is one.
    anchor: Option<(u64, Hash)>,
    /// Seq of the RetentionPrune record backing the anchor.
    pub(crate) anchor_backed_at: Option<u64>,
    /// `(seq, time)` of the first record checked (the first retained one).
    first: Option<(u64, i64)>,
    /// An offline prune (retention_days 0) that removed records younger than the minimum.
    pub(crate) premature_prune: Option<u64>,
}

/// Nanoseconds in a day.
const DAY: i64 = 86_400 * 1_000_000_000;

impl Rules {
    pub(crate) fn new(now: i64, anchor: Option<(u64, Hash)>) -> Self {
        Self {
            now,
            anchor,
            ..Self::default()
        }
    }

    /// Applies the rules to one record found at `loc`.
    pub(crate) fn record(&mut self, rec: &Record, loc: &str) -> Result<(), VerifyFault> {
        let f = |field: &str, p: String| fault(Some(rec.seq), Some(rec), loc, field, p);
        let t = rec.time_unix_nanos;
        if let Some((ps, pt)) = self.last {
            if t < pt {
                return Err(f(
                    "time_unix_nanos",
                    format!(
                        "time runs backwards: seq {} is dated {} but the previous record, seq {ps}, is dated {} (backdated or reordered record)",
                        rec.seq,
                        show(t),
                        show(pt)
                    ),
                ));
            }
        }
        self.last = Some((rec.seq, t));
        self.first.get_or_insert((rec.seq, t));
        if t > self.now {
            self.future += 1;
            self.first_future.get_or_insert(rec.seq);
        }
        let Some(record::Kind::Event(ev)) = &rec.kind else {
            return Ok(());
        };
        match &ev.event {
            Some(Event::RetentionPolicy(p)) => {
                let low = p.retention_days != 0 && p.retention_days < MIN_RETENTION_DAYS;
                if low && !p.below_minimum_override {
                    return Err(f(
                        "retention_days",
                        format!(
                            "retention of {} days is below the {MIN_RETENTION_DAYS}-day minimum (EU AI Act Art. 19/26) and no override is recorded",
                            p.retention_days
                        ),
                    ));
                }
                if low {
                    self.override_days = Some(p.retention_days);
                }
                self.policy = Some((p.retention_days, p.below_minimum_override));
            }
            Some(Event::RetentionPrune(p)) => {
                // 0: an offline prune with an explicit cutoff (checked by its age below).
                let low = p.retention_days != 0 && p.retention_days < MIN_RETENTION_DAYS;
                let covered = matches!(self.policy, Some((d, true)) if d == p.retention_days);
                if low && !covered {
                    return Err(f(
                        "retention_days",
                        format!(
                            "pruned with retention of {} days, below the {MIN_RETENTION_DAYS}-day minimum, without a RetentionPolicy record overriding it",
                            p.retention_days
                        ),
                    ));
                }
                if let Some((first, root)) = self.anchor {
                    if p.first_retained_seq == first {
                        if p.anchor_root_hash != root {
                            return Err(f(
                                "anchor_root_hash",
                                format!(
                                    "the RetentionPrune record says the pruned prefix hashes to {} but log/anchor.note gives {} (a forged anchor)",
                                    hex(&p.anchor_root_hash),
                                    hex(&root)
                                ),
                            ));
                        }
                        self.anchor_backed_at.get_or_insert(rec.seq);
                        self.prune_age(rec, p.retention_days, loc)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Rules {
    /// Whole-segment pruning keeps the segment holding the cutoff, so the first retained record
    /// is older than `prune time - retention`: a younger one means records younger than the
    /// retention were pruned. A fault for a writer prune (`days > 0`); flagged for an offline
    /// prune with an explicit cutoff (`days == 0`), checked against the minimum.
    fn prune_age(&mut self, rec: &Record, days: u32, loc: &str) -> Result<(), VerifyFault> {
        let Some((fs, ft)) = self.first else {
            return Ok(());
        };
        let floor = match (days, self.policy) {
            (0, Some((d, true))) if d > 0 => d,
            (0, _) => MIN_RETENTION_DAYS,
            (d, _) => d,
        };
        if rec.time_unix_nanos.saturating_sub(ft) >= i64::from(floor).saturating_mul(DAY) {
            return Ok(());
        }
        if days == 0 {
            self.premature_prune.get_or_insert(rec.seq);
            return Ok(());
        }
        Err(fault(Some(rec.seq), Some(rec), loc, "retention_days", format!(
            "the prune recorded here claims a retention of {days} days, but the first retained record (seq {fs}) is dated {} and the prune {}: records younger than {days} days were pruned",
            show(ft), show(rec.time_unix_nanos))))
    }
}

/// A record time for messages: RFC 3339 and nanoseconds.
fn show(nanos: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    format!("{t} ({nanos} ns)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::proto::{EventRecord, RetentionPolicy, RetentionPrune};

    fn at(seq: u64, t: i64, ev: Option<Event>) -> Record {
        Record {
            seq,
            time_unix_nanos: t,
            kind: ev.map(|e| record::Kind::Event(EventRecord { event: Some(e) })),
            ..Default::default()
        }
    }

    #[test]
    fn time_backwards_names_both_seqs_and_future_is_counted() {
        let mut r = Rules::new(100, None);
        r.record(&at(0, 10, None), "x").unwrap();
        r.record(&at(1, 10, None), "x").unwrap();
        let e = r.record(&at(2, 9, None), "seg 3").unwrap_err();
        assert!(
            e.problem.contains("seq 2") && e.problem.contains("seq 1"),
            "{e}"
        );
        assert_eq!((e.seq, e.location.as_str()), (Some(2), "seg 3"));
        let mut r = Rules::new(100, None);
        r.record(&at(0, 101, None), "x").unwrap();
        r.record(&at(1, 200, None), "x").unwrap();
        assert_eq!((r.future, r.first_future), (2, Some(0)));
    }

    #[test]
    fn retention_below_minimum_needs_a_recorded_override() {
        let pol = |d, o| {
            Some(Event::RetentionPolicy(RetentionPolicy {
                retention_days: d,
                below_minimum_override: o,
            }))
        };
        let prune = |d, first, root: Vec<u8>| {
            Some(Event::RetentionPrune(RetentionPrune {
                first_retained_seq: first,
                anchor_root_hash: root,
                retention_days: d,
            }))
        };
        let mut r = Rules::new(100, None);
        let e = r.record(&at(0, 1, pol(1, false)), "x").unwrap_err();
        assert_eq!(e.field, "retention_days");
        r.record(&at(0, 1, pol(400, false)), "x").unwrap();
        r.record(&at(1, 1, pol(0, false)), "x").unwrap();
        let e = r.record(&at(2, 1, prune(1, 5, vec![])), "x").unwrap_err();
        assert!(e.problem.contains("without a RetentionPolicy"), "{e}");
        let mut r = Rules::new(100, Some((5, [7; 32])));
        r.record(&at(0, 1, pol(30, true)), "x").unwrap();
        assert_eq!(r.override_days, Some(30));
        let e = r
            .record(&at(1, 1, prune(30, 5, vec![8; 32])), "x")
            .unwrap_err();
        assert_eq!(e.field, "anchor_root_hash");
        r.record(&at(1, 1, prune(30, 4, vec![8; 32])), "x").unwrap();
        assert_eq!(r.anchor_backed_at, None);
        let e = r
            .record(&at(2, 1, prune(30, 5, vec![7; 32])), "x")
            .unwrap_err();
        assert!(e.problem.contains("younger than 30 days"), "{e}");
        r.record(&at(3, 31 * DAY, prune(30, 5, vec![7; 32])), "x")
            .unwrap();
        assert_eq!(r.anchor_backed_at, Some(2));
        // An offline prune (0 days) of young records is flagged, not refused.
        let mut r = Rules::new(100, Some((5, [7; 32])));
        r.record(&at(0, 1, None), "x").unwrap();
        r.record(&at(1, 2, prune(0, 5, vec![7; 32])), "x").unwrap();
        assert_eq!(r.premature_prune, Some(1));
    }
}
