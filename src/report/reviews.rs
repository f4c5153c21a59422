//! The review workflow: calls flagged for review (in the period and in the previous one) and
//! the disposition records `aimsgate review` appends (read from the whole log, since a call is
//! often disposed after the period it was made in). [`Reviews::finish`] matches them: a call
//! is closed by its first `accepted` or `rejected` disposition (the disposal time), the newest
//! of those says how it was closed, and `escalated` alone leaves it open.
//! Bounded: at most [`MAX_FLAGGED`] flagged calls per period are remembered by id (the counts
//! stay exact). Knows nothing of records' encoding.
use std::collections::HashMap;

use super::figures::{OpenReview, ReviewFigures, MAX_OPEN_ROWS};
use super::time::rfc3339;

/// Most flagged calls remembered per period.
pub const MAX_FLAGGED: usize = 1 << 20;

const DAY_NANOS: f64 = 86_400e9;

/// A recorded disposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Accepted: closes the review.
    Accepted,
    /// Rejected: closes the review.
    Rejected,
    /// Escalated: stays open.
    Escalated,
}

#[derive(Debug)]
struct Flagged {
    id: String,
    time: i64,
    system: u32,
    /// The call is a nonconformity for another reason too (refused, unapproved...).
    other: bool,
}

#[derive(Debug, Default)]
struct Dispositions {
    /// The closing dispositions (accepted, rejected), in time order.
    closes: Vec<(i64, Disposition)>,
    /// Any escalation.
    escalated: Option<i64>,
}

/// One period's review state, per system too.
#[derive(Debug, Default)]
pub struct PeriodReviews {
    /// Figures.
    pub figures: ReviewFigures,
    /// Per system index: (open reviews, longest disposal or open age in days).
    pub by_system: HashMap<u32, (u64, f64)>,
    /// Longest disposal or open age over all systems (days).
    pub max_days: Option<f64>,
    /// Decision times of the open reviews.
    pub open_times: Vec<i64>,
    /// Open reviews of calls that are no nonconformity for another reason.
    pub open_only: u64,
}

/// Flagged calls and dispositions.
#[derive(Debug, Default)]
pub struct Reviews {
    flagged: [Vec<Flagged>; 2],
    overflow: [u64; 2],
    dispositions: HashMap<String, Dispositions>,
    records: u64,
}

impl Reviews {
    /// A call flagged for review, in period `p` (0: the period, 1: the previous one);
    /// `other`: it is a nonconformity for another reason too.
    pub fn flagged(&mut self, p: usize, id: &str, time: i64, system: u32, other: bool) {
        let Some(v) = self.flagged.get_mut(p) else {
            return;
        };
        if v.len() < MAX_FLAGGED {
            v.push(Flagged {
                id: id.to_owned(),
                time,
                system,
                other,
            });
        } else {
            self.overflow[p] += 1;
        }
    }

    /// A disposition record, whenever it was made.
    pub fn disposition(&mut self, decision_id: &str, time: i64, d: Disposition) {
        self.records += 1;
        let e = self.dispositions.entry(decision_id.to_owned()).or_default();
        match d {
            Disposition::Escalated => {
                e.escalated.get_or_insert(time);
            }
            _ => {
                let at = e.closes.partition_point(|(t, _)| *t <= time);
                e.closes.insert(at, (time, d));
            }
        }
    }

    /// The figures of period `p`, judged as of `cutoff` (report time for the period, the
    /// previous period's end for the previous one); `system_name` labels the open list.
    pub fn finish(
        &self,
        p: usize,
        cutoff: i64,
        system_name: &dyn Fn(u32) -> String,
    ) -> PeriodReviews {
        let mut out = PeriodReviews::default();
        let Some(list) = self.flagged.get(p) else {
            return out;
        };
        let f = &mut out.figures;
        f.flagged = list.len() as u64 + self.overflow[p];
        f.dispositions = self.records;
        let mut disposal = Vec::new();
        let mut open = Vec::new();
        for c in list {
            let d = self.dispositions.get(&c.id);
            // Closed at the first close; the newest close (as of the cutoff) says how.
            let closes: &[(i64, Disposition)] = d.map_or(&[], |d| &d.closes);
            let upto = &closes[..closes.partition_point(|(t, _)| *t <= cutoff)];
            let closed = upto.first().zip(upto.last()).map(|(f, l)| (f.0, l.1));
            let days = match closed {
                Some((t, kind)) => {
                    f.closed += 1;
                    match kind {
                        Disposition::Accepted => f.accepted += 1,
                        _ => f.rejected += 1,
                    }
                    let days = (t - c.time).max(0) as f64 / DAY_NANOS;
                    disposal.push(days);
                    days
                }
                None => {
                    let escalated = d.and_then(|d| d.escalated).is_some_and(|t| t <= cutoff);
                    f.open += 1;
                    f.escalated += u64::from(escalated);
                    let age = (cutoff - c.time).max(0) as f64 / DAY_NANOS;
                    open.push((c, age, escalated));
                    out.open_times.push(c.time);
                    out.open_only += u64::from(!c.other);
                    age
                }
            };
            let s = out.by_system.entry(c.system).or_default();
            s.0 += u64::from(closed.is_none());
            s.1 = s.1.max(days);
            out.max_days = Some(out.max_days.map_or(days, |m: f64| m.max(days)));
        }
        let ids: std::collections::HashSet<&str> = self
            .flagged
            .iter()
            .flatten()
            .map(|c| c.id.as_str())
            .collect();
        f.dispositions_elsewhere = self
            .dispositions
            .keys()
            .filter(|k| !ids.contains(k.as_str()))
            .count() as u64;
        disposal.sort_by(f64::total_cmp);
        f.median_disposal_days = disposal.get(disposal.len().saturating_sub(1) / 2).copied();
        f.max_disposal_days = disposal.last().copied();
        open.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        f.oldest_open_days = open.first().map(|o| o.1);
        f.open_list = open
            .iter()
            .take(MAX_OPEN_ROWS)
            .map(|(c, age, escalated)| OpenReview {
                decision_id: c.id.clone(),
                time: rfc3339(c.time),
                ai_system: system_name(c.system),
                age_days: *age,
                escalated: *escalated,
            })
            .collect();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = 86_400 * 1_000_000_000;

    #[test]
    fn dispositions_close_reviews_and_escalations_keep_them_open() {
        let mut r = Reviews::default();
        r.flagged(0, "a", 0, 0, false);
        r.flagged(0, "b", D, 1, false);
        r.flagged(0, "c", 2 * D, 1, true);
        r.flagged(0, "d", 3 * D, 0, false);
        r.flagged(1, "old", -5 * D, 0, false);
        r.disposition("a", 2 * D, Disposition::Accepted);
        r.disposition("a", 3 * D, Disposition::Rejected); // closed at 2 d, finally rejected
        r.disposition("b", 5 * D, Disposition::Escalated);
        r.disposition("c", 20 * D, Disposition::Rejected); // after the cutoff
        r.disposition("elsewhere", D, Disposition::Accepted);
        let p = r.finish(0, 10 * D, &|i| format!("sys{i}"));
        let f = &p.figures;
        assert_eq!((f.flagged, f.closed, f.accepted, f.rejected), (4, 1, 0, 1));
        assert_eq!((f.open, f.escalated), (3, 1));
        assert_eq!(f.max_disposal_days, Some(2.0));
        assert_eq!(f.median_disposal_days, Some(2.0));
        assert_eq!(
            f.oldest_open_days,
            Some(9.0),
            "b, open 9 days at the cutoff"
        );
        assert_eq!(f.open_list[0].decision_id, "b");
        assert!(f.open_list[0].escalated);
        assert_eq!(f.open_list[0].ai_system, "sys1");
        assert_eq!((f.dispositions, f.dispositions_elsewhere), (5, 1));
        assert_eq!(p.by_system[&1], (2, 9.0));
        assert_eq!(p.by_system[&0], (1, 7.0), "d open 7 days; a closed in 2");
        assert_eq!(p.max_days, Some(9.0));
        assert_eq!(p.open_only, 2, "c is refused as well: counted once");
        let prev = r.finish(1, 0, &|_| String::new());
        assert_eq!((prev.figures.flagged, prev.figures.open), (1, 1));
        assert_eq!(prev.max_days, Some(5.0));
    }
}
