//! AIMS objectives (ISO/IEC 42001 clause 6.2) declared in a bundle's `objectives.toml`: what
//! the organisation measures its AI use against, and the threshold each must meet.
//!
//! Owns the objective types and the metric names. Deliberately does not measure anything: the
//! policy core never sees evidence. The Clause 9 report is to compute each metric from the
//! records and compare it with the threshold here ([`Objective::met`]); that part is not built yet.
use std::sync::Arc;

use crate::taxonomy::ClassPattern;

/// What an objective measures, over the report period (per AI system when the objective lists
/// systems).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Findings of the objective's classes left in place in forwarded requests (count).
    FindingsForwarded,
    /// Refused calls over decisions (0–1).
    RefusalRate,
    /// Calls to a model or upstream the AI system is not approved for (count).
    UnapprovedUse,
    /// Calls from AI systems the inventory does not know (count; all calls only).
    UnregisteredCalls,
    /// Median total latency of forwarded calls (ms).
    LatencyP50Ms,
    /// 95th-percentile total latency of forwarded calls (ms).
    LatencyP95Ms,
    /// 99th-percentile total latency of forwarded calls (ms).
    LatencyP99Ms,
    /// Upstream failures and 5xx over forwarded calls (0–1).
    UpstreamErrorRate,
    /// Longest time from a call's review flag to its disposition, open reviews counted at
    /// their age when the period ends (days).
    ReviewDisposalDays,
    /// Flagged calls with no recorded disposition at the period's end (count).
    OpenReviews,
}

impl Metric {
    /// Every metric, in documentation order.
    pub const ALL: [Metric; 10] = [
        Metric::FindingsForwarded,
        Metric::RefusalRate,
        Metric::UnapprovedUse,
        Metric::UnregisteredCalls,
        Metric::LatencyP50Ms,
        Metric::LatencyP95Ms,
        Metric::LatencyP99Ms,
        Metric::UpstreamErrorRate,
        Metric::ReviewDisposalDays,
        Metric::OpenReviews,
    ];

    /// The name used in `objectives.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::FindingsForwarded => "findings_forwarded",
            Metric::RefusalRate => "refusal_rate",
            Metric::UnapprovedUse => "unapproved_use",
            Metric::UnregisteredCalls => "unregistered_calls",
            Metric::LatencyP50Ms => "latency_p50_ms",
            Metric::LatencyP95Ms => "latency_p95_ms",
            Metric::LatencyP99Ms => "latency_p99_ms",
            Metric::UpstreamErrorRate => "upstream_error_rate",
            Metric::ReviewDisposalDays => "review_disposal_days",
            Metric::OpenReviews => "open_reviews",
        }
    }

    /// The metric named `s`.
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The unit shown beside a measured value.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::FindingsForwarded
            | Metric::UnapprovedUse
            | Metric::UnregisteredCalls
            | Metric::OpenReviews => "count",
            Metric::RefusalRate | Metric::UpstreamErrorRate => "ratio",
            Metric::LatencyP50Ms | Metric::LatencyP95Ms | Metric::LatencyP99Ms => "ms",
            Metric::ReviewDisposalDays => "days",
        }
    }
}

/// The threshold an objective must meet.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Met when the measured value is at most this.
    Max(f64),
    /// Met when the measured value is at least this.
    Min(f64),
}

impl Threshold {
    /// `≤ 0` / `≥ 0.99` for display.
    pub fn describe(self) -> String {
        match self {
            Threshold::Max(v) => format!("≤ {v}"),
            Threshold::Min(v) => format!("≥ {v}"),
        }
    }
}

/// One validated objective.
#[derive(Clone, Debug)]
pub struct Objective {
    /// Stable id.
    pub id: String,
    /// What it promises, in words ("No credential reaches a provider").
    pub title: String,
    /// What is measured.
    pub metric: Metric,
    /// The bar.
    pub threshold: Threshold,
    /// `findings_forwarded`: the classes counted.
    pub classes: Vec<ClassPattern>,
    /// Systems measured one by one; empty: all calls together.
    pub ai_systems: Vec<Arc<str>>,
    /// Annex A controls the objective evidences.
    pub controls: Arc<[String]>,
}

impl Objective {
    /// Does `measured` meet the threshold? (`None`: nothing to measure, e.g. a latency
    /// percentile without a forwarded call.)
    pub fn met(&self, measured: Option<f64>) -> Option<bool> {
        let v = measured?;
        Some(match self.threshold {
            Threshold::Max(m) => v <= m,
            Threshold::Min(m) => v >= m,
        })
    }

    /// Does a finding of `class` count towards this objective?
    pub fn counts_class(&self, class: &str) -> bool {
        self.classes.iter().any(|p| p.matches(class))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_name_round_trips_and_thresholds_compare_inclusively() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        assert_eq!(Metric::parse("latency_p95"), None);
        let o = Objective {
            id: "o".into(),
            title: "t".into(),
            metric: Metric::LatencyP95Ms,
            threshold: Threshold::Max(800.0),
            classes: vec![],
            ai_systems: vec![],
            controls: Arc::from(vec![]),
        };
        assert_eq!(o.met(Some(800.0)), Some(true));
        assert_eq!(o.met(Some(800.5)), Some(false));
        assert_eq!(o.met(None), None);
        let min = Objective {
            threshold: Threshold::Min(0.5),
            ..o
        };
        assert_eq!(min.met(Some(0.4)), Some(false));
        assert_eq!(min.met(Some(0.5)), Some(true));
    }
}
