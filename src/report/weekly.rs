//! Weekly counts for the trend tables: weeks start on Monday 00:00 in the report's time zone
//! ([`Zone::week_start`]); the last week looked up is cached, so the zone is consulted about
//! once per week of records, not once per record. Owns the week keys; the collector says what
//! to count.
use std::collections::BTreeMap;

use super::figures::Series;
use super::time::rfc3339;
use super::zone::Zone;

/// Counted per week.
pub const SERIES: [&str; 6] = [
    "redacted calls",
    "redacted findings",
    "refused by policy",
    "unapproved use",
    "unregistered AI system",
    "undisposed review",
];

/// Index of each series in [`SERIES`].
pub mod ix {
    /// Requests forwarded with redactions.
    pub const REDACTED_CALLS: usize = 0;
    /// Findings redacted.
    pub const REDACTED_FINDINGS: usize = 1;
    /// Refused by policy.
    pub const REFUSED: usize = 2;
    /// Unapproved model or upstream.
    pub const UNAPPROVED: usize = 3;
    /// Unregistered system.
    pub const UNREGISTERED: usize = 4;
    /// Flagged, not disposed.
    pub const UNDISPOSED: usize = 5;
}

/// Counts per week.
#[derive(Debug, Default)]
pub struct Weekly {
    zone: Zone,
    weeks: BTreeMap<i64, [u64; SERIES.len()]>,
    cached: Option<(i64, i64)>,
}

impl Weekly {
    /// Weeks in `zone`.
    pub fn new(zone: Zone) -> Self {
        Self {
            zone,
            ..Self::default()
        }
    }

    fn week(&mut self, t: i64) -> i64 {
        if let Some((s, e)) = self.cached {
            if (s..e).contains(&t) {
                return s;
            }
        }
        let s = self.zone.week_start(t);
        self.cached = Some((s, self.zone.next_week(s)));
        s
    }

    /// Adds `n` to series `i` in the week of `t`.
    pub fn add(&mut self, t: i64, i: usize, n: u64) {
        let w = self.week(t);
        if let Some(c) = self.weeks.entry(w).or_default().get_mut(i) {
            *c += n;
        }
    }

    /// Makes sure every week from `start` to `end` (exclusive) has a row, so quiet weeks show
    /// as zeros (capped at 520 weeks).
    pub fn span(&mut self, start: i64, end: i64) {
        let mut w = self.zone.week_start(start);
        for _ in 0..520 {
            if w >= end {
                break;
            }
            self.weeks.entry(w).or_default();
            w = self.zone.next_week(w);
        }
    }

    /// Week starts (RFC 3339) and the series `which` over them.
    pub fn finish(&self, which: &[usize]) -> (Vec<String>, Vec<Series>) {
        let starts = self.weeks.keys().map(|w| rfc3339(*w)).collect();
        let series = which
            .iter()
            .filter_map(|i| {
                let label = SERIES.get(*i)?;
                let counts: Vec<u64> = self.weeks.values().map(|c| c[*i]).collect();
                Some(Series {
                    label: (*label).to_owned(),
                    total: counts.iter().sum(),
                    counts,
                })
            })
            .collect();
        (starts, series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400 * 1_000_000_000;
    // 2026-11-30 (a Monday) 00:00 UTC.
    const MON: i64 = 1_795_996_800 * 1_000_000_000;

    #[test]
    fn counts_fall_in_their_week_and_quiet_weeks_are_zero() {
        let mut w = Weekly::new(Zone::utc());
        w.add(MON + DAY, ix::REFUSED, 1);
        w.add(MON + 6 * DAY, ix::REFUSED, 2);
        w.add(MON + 7 * DAY, ix::REFUSED, 4); // next Monday
        w.add(MON + 21 * DAY, ix::UNAPPROVED, 1);
        w.span(MON, MON + 22 * DAY);
        let (weeks, s) = w.finish(&[ix::REFUSED, ix::UNAPPROVED]);
        assert_eq!(weeks.len(), 4);
        assert_eq!(weeks[0], "2026-11-30T00:00:00Z");
        assert_eq!(s[0].counts, [3, 4, 0, 0]);
        assert_eq!(s[1].counts, [0, 0, 0, 1]);
        assert_eq!((s[0].total, s[0].label.as_str()), (7, "refused by policy"));
    }
}
