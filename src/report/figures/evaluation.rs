//! The performance-evaluation figures of the report (ISO/IEC 42001 9.1 objectives, per-system
//! risk view, controls operating against nonconformities, review workflow, anomalies, the 9.2
//! sample and the 9.3 review inputs) as plain serde data. Owns their field names and meaning;
//! computing them is `collect`'s and `evaluate`'s.
use serde::{Deserialize, Serialize};

use super::{Count, EventRow, Series};

/// Where the policy the objectives and the inventory come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicySource {
    /// Content hash of the bundle read (empty when none could be read).
    pub content_hash: String,
    /// Bundle id and version.
    pub bundle_id: String,
    /// Bundle version.
    pub version: String,
    /// `archive` (the bundle text archived beside the log), `--policy` (given by the auditor)
    /// or `none`.
    pub source: String,
    /// Approver named in the bundle (empty: none).
    pub approved_by: String,
    /// Change reference named in the bundle (empty: none).
    pub change_ref: String,
    /// Why this bundle, or why none could be read.
    pub detail: String,
}

/// One objective measured over the period (one row per listed AI system).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveFigures {
    /// Objective id.
    pub id: String,
    /// What it promises.
    pub title: String,
    /// Metric name (as in `objectives.toml`).
    pub metric: String,
    /// Unit of the measured value.
    pub unit: String,
    /// `≤ 0`, `≥ 0.99`.
    pub threshold: String,
    /// The AI system measured (`None`: all calls).
    pub ai_system: Option<String>,
    /// Annex A controls the objective evidences.
    pub controls: Vec<String>,
    /// Measured value in the period (`None`: nothing to measure).
    pub measured: Option<f64>,
    /// Met in the period (`None`: nothing to measure).
    pub met: Option<bool>,
    /// Measured value in the previous period of the same length (`None`: no previous period,
    /// or nothing to measure in it).
    pub previous: Option<f64>,
    /// Met in the previous period.
    pub previous_met: Option<bool>,
}

/// One AI system seen in the period (registered or not).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemFigures {
    /// System id as claimed by the calls (`(none)`: the call named none).
    pub id: String,
    /// In the inventory of the policy that decided its calls.
    pub registered: bool,
    /// Name, owner, intended use and impact-assessment reference from the inventory (empty
    /// when the system is not registered or the policy text is not available).
    pub name: String,
    /// Accountable owner.
    pub owner: String,
    /// Intended use.
    pub purpose: String,
    /// Risk tier (from the decision records; the inventory's when they carry none).
    pub risk_tier: String,
    /// Impact-assessment reference.
    pub impact_assessment: String,
    /// Decisions and their effect mix.
    pub decisions: u64,
    /// Effect mix.
    pub mix: super::EffectMix,
    /// Data classes found in its requests (findings).
    pub classes: Vec<Count>,
    /// Models requested.
    pub models: Vec<Count>,
    /// Suppliers: `provider / upstream` of its forwarded calls.
    pub suppliers: Vec<Count>,
    /// Calls to a model or upstream it is not approved for.
    pub unapproved_use: u64,
    /// Its calls flagged for review and not yet disposed.
    pub open_reviews: u64,
}

/// Controls operating against nonconformities, with weekly trends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conformity {
    /// Requests forwarded with redactions: the data-protection controls operating.
    pub redacted_calls: u64,
    /// Findings redacted (requests and answers).
    pub redacted_findings: u64,
    /// Decisions with at least one nonconformity.
    pub nonconforming_calls: u64,
    /// `nonconforming_calls / decisions where the policy was evaluated`.
    pub nonconformity_rate: f64,
    /// Calls refused by policy.
    pub refusals: u64,
    /// Calls to a model or upstream not approved for their registered system.
    pub unapproved_use: u64,
    /// Calls from AI systems the inventory does not know.
    pub unregistered: u64,
    /// Calls flagged for review without an accepted or rejected disposition.
    pub undisposed_reviews: u64,
    /// Week starts (RFC 3339; Monday 00:00 in the report's time zone).
    pub weeks: Vec<String>,
    /// Per week: `redacted calls`, `redacted findings`.
    pub operating: Vec<Series>,
    /// Per week: `refused by policy`, `unapproved use`, `unregistered AI system`,
    /// `undisposed review`.
    pub nonconformities: Vec<Series>,
}

/// A flagged call still open.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenReview {
    /// Decision id.
    pub decision_id: String,
    /// When the call was decided (RFC 3339).
    pub time: String,
    /// AI system.
    pub ai_system: String,
    /// Days open when the report was built.
    pub age_days: f64,
    /// Escalated, not yet accepted or rejected.
    pub escalated: bool,
}

/// The review workflow (`aimsgate review` dispositions against flagged calls).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewFigures {
    /// Calls flagged for review in the period.
    pub flagged: u64,
    /// Of those, accepted or rejected (closed).
    pub closed: u64,
    /// Closed as accepted.
    pub accepted: u64,
    /// Closed as rejected.
    pub rejected: u64,
    /// Open, with an escalation recorded.
    pub escalated: u64,
    /// Open (no accepted or rejected disposition yet), escalated ones included.
    pub open: u64,
    /// Age of the oldest open review in days.
    pub oldest_open_days: Option<f64>,
    /// Median days from the flag to the closing disposition.
    pub median_disposal_days: Option<f64>,
    /// Longest days from the flag to the closing disposition.
    pub max_disposal_days: Option<f64>,
    /// Disposition records read (any time; they close calls of this period or earlier ones).
    pub dispositions: u64,
    /// Dispositions of decisions not in this report (earlier periods, other logs).
    pub dispositions_elsewhere: u64,
    /// Open reviews, oldest first (at most [`MAX_OPEN_ROWS`]).
    pub open_list: Vec<OpenReview>,
}

/// Most open reviews listed.
pub const MAX_OPEN_ROWS: usize = 100;

/// Something an auditor must look at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// `unverified`, `retention_below_policy`, `records_pruned_in_period`, `time_gap`,
    /// `restart`, `clock_backwards`, `future_records`, `open_reviews`, `no_checkpoint`,
    /// `uncheckpointed_records`, `activation_without_approver`, `policy_not_archived`,
    /// `policy_archive_mismatch`, `fail_open`.
    pub kind: String,
    /// `high` (the evidence may be incomplete or wrong) or `medium` (a process gap).
    pub severity: String,
    /// Data dir it concerns (empty: the whole report).
    pub node: String,
    /// What was found, with times and counts.
    pub detail: String,
}

/// One sampled decision.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// Decision id.
    pub decision_id: String,
    /// Data dir holding it.
    pub node: String,
    /// Log id.
    pub log_id: String,
    /// Log index.
    pub seq: u64,
    /// When (RFC 3339).
    pub time: String,
    /// AI system.
    pub ai_system: String,
    /// Enforced effect.
    pub effect: String,
    /// File name the proof is exported under (`--proof-dir`).
    pub proof_file: String,
    /// The C2SP tlog-proof text, checkable with `aimsgate verify --proof`.
    pub proof: Option<String>,
    /// Why no proof could be made.
    pub proof_error: Option<String>,
}

/// The 9.2 audit sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleFigures {
    /// The seed (printed so anyone can draw the same sample again with `--sample-seed`).
    pub seed: String,
    /// Sample size asked for.
    pub requested: u64,
    /// Decisions in the period (the population).
    pub population: u64,
    /// How the sample is drawn.
    pub method: String,
    /// The sample, in decision-time order.
    pub rows: Vec<SampleRow>,
}

/// The keys the logs were verified against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrustFigures {
    /// The auditor gave the trust root (`--public-key` / `--trust`).
    pub pinned: bool,
    /// What the trust root is.
    pub source: String,
    /// Keys that signed the logs (C2SP key ids), per node.
    pub keys: Vec<String>,
}

/// A figure against its value in the previous period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What.
    pub figure: String,
    /// Previous period.
    pub previous: Option<f64>,
    /// This period.
    pub current: f64,
}

/// A policy activation with its approval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// When (RFC 3339).
    pub time: String,
    /// Log id.
    pub log_id: String,
    /// Bundle id.
    pub bundle_id: String,
    /// Version.
    pub version: String,
    /// Content hash.
    pub content_hash: String,
    /// Approver (empty: none recorded).
    pub approved_by: String,
    /// Change reference (empty: none recorded).
    pub change_ref: String,
    /// Its text is archived beside the log and re-hashes to `content_hash`.
    pub archived: bool,
}

/// 9.3 management-review inputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewInputs {
    /// The previous period compared against (RFC 3339 `since`, `until`), if any.
    pub previous_period: Option<(String, String)>,
    /// The previous period that was not compared because the logs hold no record of it.
    pub previous_uncovered: Option<(String, String)>,
    /// Key figures against the previous period.
    pub changes: Vec<Change>,
    /// Objectives not met (ids, with the system).
    pub objectives_not_met: Vec<String>,
    /// Policy activations in the period.
    pub activations: Vec<Activation>,
    /// Key rotations, retention changes and fail-mode changes in the period.
    pub other_changes: Vec<EventRow>,
    /// Changes since the last report, when it was given.
    #[serde(default)]
    pub since_last_report: Option<LastReport>,
}

/// What changed since the last report (`--previous-report`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LastReport {
    /// When the last report was built.
    pub generated_at: String,
    /// Its period (`since`, `until`).
    pub period: (Option<String>, Option<String>),
    /// Key figures, then and now.
    pub changes: Vec<Change>,
    /// Objectives whose status changed, were added or removed.
    pub objectives_changed: Vec<String>,
    /// Anomaly kinds present now and not then.
    pub new_anomalies: Vec<String>,
    /// Anomaly kinds present then and not now.
    pub resolved_anomalies: Vec<String>,
    /// Policy activations recorded after the last report was built.
    pub activations_since: Vec<Activation>,
}
