//! Anomaly flags: what an auditor must look at before trusting the figures. [`Watch`] sees each
//! node's in-period records in log order and flags time gaps longer than the allowed quiet time,
//! restarts (with the downtime before them), clocks stepping back and records dated after the
//! report; [`node_flags`] adds what the node statuses show (unverified logs, retention below the
//! policy minimum, records pruned inside the period, missing or lagging checkpoints). The
//! process flags (open reviews, activations without approver, policy text not archived) are
//! added by `evaluate`, which knows the policy. Owns the wording and the thresholds' use; knows
//! nothing of records' encoding.
use std::collections::BTreeMap;

use super::figures::{Anomaly, NodeStatus};
use super::zone::Zone;

/// Most flags of one kind per node listed one by one; the rest are summarised.
const MAX_PER_KIND: usize = 20;

/// Records may be dated this far after the report time (clock skew between hosts).
const FUTURE_SKEW_NANOS: i64 = 300 * 1_000_000_000;

/// A flag.
pub fn flag(kind: &str, severity: &str, node: &str, detail: String) -> Anomaly {
    Anomaly {
        kind: kind.into(),
        severity: severity.into(),
        node: node.into(),
        detail,
    }
}

/// A duration in words (`3 h 12 min`, `2 d 4 h`).
pub fn duration(nanos: i64) -> String {
    let s = nanos.max(0) / 1_000_000_000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{s} s")
    }
}

#[derive(Debug, Default)]
struct NodeWatch {
    last: Option<i64>,
    counts: BTreeMap<&'static str, usize>,
    future: u64,
    future_latest: i64,
}

/// Per-node watch over the records in log order.
#[derive(Debug, Default)]
pub struct Watch {
    zone: Zone,
    max_gap: i64,
    generated_at: i64,
    nodes: Vec<NodeWatch>,
    names: Vec<String>,
    flags: Vec<Anomaly>,
}

impl Watch {
    /// Flags gaps longer than `max_gap` (nanoseconds; 0 never flags) and records after
    /// `generated_at`; times in the flags are shown in `zone`.
    pub fn new(max_gap: i64, generated_at: i64, zone: Zone) -> Self {
        Self {
            zone,
            max_gap,
            generated_at,
            ..Self::default()
        }
    }

    /// Names node `i` (its data dir).
    pub fn node(&mut self, i: usize, name: &str) {
        while self.nodes.len() <= i {
            self.nodes.push(NodeWatch::default());
            self.names.push(String::new());
        }
        name.clone_into(&mut self.names[i]);
    }

    fn push(&mut self, i: usize, kind: &'static str, severity: &str, detail: String) {
        let n = self.nodes[i].counts.entry(kind).or_default();
        *n += 1;
        if *n <= MAX_PER_KIND {
            let node = self.names[i].clone();
            self.flags.push(flag(kind, severity, &node, detail));
        }
    }

    /// One in-period record of node `i` at `t`; `start` names a log start (`log_start`) or an
    /// unclean-stop recovery (`recovery`).
    pub fn record(&mut self, i: usize, t: i64, start: Option<&str>) {
        if i >= self.nodes.len() {
            self.node(i, "");
        }
        if t > self.generated_at.saturating_add(FUTURE_SKEW_NANOS) {
            let w = &mut self.nodes[i];
            w.future += 1;
            w.future_latest = w.future_latest.max(t);
        }
        let last = self.nodes[i].last;
        if let Some(l) = last {
            if t < l {
                self.push(
                    i,
                    "clock_backwards",
                    "high",
                    format!(
                        "a record at {} follows one at {}: the clock stepped back {} (record times are not monotonic)",
                        self.zone.human_nanos(t),
                        self.zone.human_nanos(l),
                        duration(l - t)
                    ),
                );
            }
            match start {
                Some(kind) => {
                    let how = if kind == "recovery" {
                        "after an unclean stop (torn tail recovered)"
                    } else {
                        "after a stop"
                    };
                    self.push(
                        i,
                        "restart",
                        if kind == "recovery" { "high" } else { "medium" },
                        format!(
                            "the log restarted at {} {how}; no records for {} before it (downtime: calls made meanwhile went around this node or failed)",
                            self.zone.human_nanos(t),
                            duration(t - l)
                        ),
                    );
                }
                None if self.max_gap > 0 && t - l > self.max_gap => {
                    self.push(
                        i,
                        "time_gap",
                        "medium",
                        format!(
                            "no records from {} to {} ({}, longer than the allowed {})",
                            self.zone.human_nanos(l),
                            self.zone.human_nanos(t),
                            duration(t - l),
                            duration(self.max_gap)
                        ),
                    );
                }
                None => {}
            }
        }
        let w = &mut self.nodes[i];
        w.last = Some(last.map_or(t, |l| l.max(t)));
    }

    /// The flags, with one summary line per kind that had more than could be listed.
    pub fn finish(mut self) -> Vec<Anomaly> {
        for (i, w) in self.nodes.iter().enumerate() {
            let name = &self.names[i];
            for (kind, n) in &w.counts {
                if *n > MAX_PER_KIND {
                    self.flags.push(flag(
                        kind,
                        "medium",
                        name,
                        format!("{} more {kind} flags not listed", n - MAX_PER_KIND),
                    ));
                }
            }
            if w.future > 0 {
                self.flags.push(flag(
                    "future_records",
                    "high",
                    name,
                    format!(
                        "{} record(s) dated after the report was generated (latest {}): the node's clock is wrong or the records are not what they claim",
                        w.future,
                        self.zone.human_nanos(w.future_latest)
                    ),
                ));
            }
        }
        self.flags
    }
}

/// Flags from the nodes' integrity and retention statuses; `min_retention_days` is the
/// policy minimum, `since` the period start.
pub fn node_flags(
    nodes: &[NodeStatus],
    min_retention_days: u32,
    since: Option<i64>,
) -> Vec<Anomaly> {
    let mut v = Vec::new();
    for n in nodes {
        let d = n.data_dir.as_str();
        if !n.verified {
            v.push(flag(
                "unverified",
                "high",
                d,
                format!("the log does not verify: {}", n.summary),
            ));
        }
        if let Some(days) = n.retention_days.filter(|r| *r < min_retention_days) {
            v.push(flag(
                "retention_below_policy",
                "high",
                d,
                format!("retention is {days} days, below the {min_retention_days}-day minimum: evidence an auditor may ask for is deleted early"),
            ));
        }
        if let (Some(s), Some(oldest)) = (since, n.oldest_record.as_deref()) {
            let pruned = n.first_seq > 0
                && super::time::parse_time(oldest, super::time::Bound::Since).is_ok_and(|o| o > s);
            if pruned {
                v.push(flag(
                    "records_pruned_in_period",
                    "high",
                    d,
                    format!("the period starts before the oldest retained record ({oldest}): records 0..{} were pruned, so the start of the period is not covered", n.first_seq),
                ));
            }
        }
        if n.verified && n.checkpoints_verified == 0 {
            v.push(flag(
                "no_checkpoint",
                "high",
                d,
                "no signed checkpoint: nothing in this log is committed to a signed tree head"
                    .into(),
            ));
        }
        if n.uncheckpointed > 0 {
            v.push(flag(
                "uncheckpointed_records",
                "medium",
                d,
                format!("{} newest record(s) are not covered by a signed checkpoint and are left out (the node may still be running; a stopped node has none)", n.uncheckpointed),
            ));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn gaps_restarts_backwards_clocks_and_future_records_are_flagged() {
        let mut w = Watch::new(3_600 * S, 10_000 * S, Zone::utc());
        w.node(0, "n0");
        w.record(0, 0, Some("log_start"));
        w.record(0, 100 * S, None);
        w.record(0, 5_000 * S, None); // gap of 4,900 s
        w.record(0, 5_010 * S, Some("recovery"));
        w.record(0, 5_005 * S, None); // backwards
        w.record(0, 20_000 * S, None); // future (and a gap)
        let flags = w.finish();
        let kinds: Vec<&str> = flags.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "time_gap",
                "restart",
                "clock_backwards",
                "time_gap",
                "future_records"
            ]
        );
        assert!(
            flags[0].detail.contains("1 h 21 min"),
            "{}",
            flags[0].detail
        );
        assert_eq!(flags[1].severity, "high", "an unclean stop");
        assert!(flags[4].detail.starts_with("1 record(s)"));
        assert!(flags.iter().all(|f| f.node == "n0"));
    }

    #[test]
    fn many_flags_of_a_kind_are_summarised() {
        let mut w = Watch::new(S, i64::MAX / 2, Zone::utc());
        for i in 0..100 {
            w.record(0, i * 10 * S, None);
        }
        let flags = w.finish();
        assert_eq!(flags.len(), MAX_PER_KIND + 1);
        assert!(flags[MAX_PER_KIND].detail.starts_with("79 more time_gap"));
        assert_eq!(Watch::new(0, 0, Zone::utc()).finish(), vec![]);
    }
}
