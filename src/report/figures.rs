//! The Clause 9 figures as plain, serde-serialisable data: what `--format json` emits and what
//! the HTML page renders. Owns the field names and their meaning (documented per field);
//! computing them is `collect`'s, drawing them is `html`'s. Every figure is derived from
//! evidence record fields only; labels are AI system ids, models, upstreams, rule ids, data
//! classes and Annex A control ids — never prompt text, credentials or principals.
use serde::{Deserialize, Serialize};

use crate::evidence::proto::Effect;

mod evaluation;
pub use evaluation::*;

/// Format tag of the JSON document.
pub const FORMAT: &str = "aimsgate-clause9-report v2";

/// Everything the report shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the report was built (RFC 3339, UTC).
    pub generated_at: String,
    /// Requested and observed time range.
    pub period: Period,
    /// The time zone the page shows times in (the figures keep RFC 3339 UTC).
    pub time_zone: String,
    /// True only when every node's log verified; otherwise every figure is unverified.
    pub verified: bool,
    /// Integrity and coverage of each node's log, in the order given.
    pub nodes: Vec<NodeStatus>,
    /// Whole-report totals.
    pub totals: Totals,
    /// Decision volume over time.
    pub volume: Volume,
    /// Decision mix and violation rate per policy bundle version.
    pub policies: Vec<PolicyFigures>,
    /// Data classes found in requests (and answers) and what was done about them.
    pub data_classes: Vec<ClassFigures>,
    /// Every rule that decided at least one call.
    pub rules: Vec<RuleFigures>,
    /// Refused calls (effect block) per deciding rule.
    pub refusals: Vec<Count>,
    /// Calls flagged for review (enforced review, or review beside a redaction) per rule.
    pub flagged: Vec<Count>,
    /// Monitor-mode rules: what they would have done, and how often.
    pub monitor: Vec<MonitorFigures>,
    /// Calls from AI systems not in the inventory, per claimed system id (`(none)` when the
    /// call named no system).
    pub unregistered_systems: Vec<Count>,
    /// Calls to models not approved for their system or not routable.
    pub unapproved_models: UnapprovedModels,
    /// Latency of forwarded calls, from outcome records.
    pub latency: Latency,
    /// Upstream failures and HTTP error rates.
    pub errors: ErrorFigures,
    /// Token usage reported by the upstreams.
    pub tokens: Tokens,
    /// ISO/IEC 42001 Annex A controls evidenced by the deciding rules.
    pub annex_a: Vec<ControlFigures>,
    /// Log events in the period: starts, recoveries, policy activations, key rotations,
    /// retention prunes and fail-mode changes.
    pub events: EventFigures,
    /// The keys the logs were verified against.
    pub trust: TrustFigures,
    /// The policy whose objectives and inventory the report uses.
    pub policy: PolicySource,
    /// 9.1: objectives measured against their thresholds, with the previous period's value.
    pub objectives: Vec<ObjectiveFigures>,
    /// Per AI system: inventory facts, decision mix, data, models and suppliers.
    pub systems: Vec<SystemFigures>,
    /// Controls operating (redactions) against nonconformities, with weekly trends.
    pub conformity: Conformity,
    /// Calls flagged for review and their dispositions.
    pub reviews: ReviewFigures,
    /// Anomalies found in the logs and the process.
    pub anomalies: Vec<Anomaly>,
    /// 9.2: the reproducible audit sample with its inclusion proofs.
    pub sample: SampleFigures,
    /// 9.3: management-review inputs.
    pub review_inputs: ReviewInputs,
    /// What the figures cannot show and how some are derived.
    pub notes: Vec<String>,
}

/// The time range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// `--since` (RFC 3339), if given.
    pub since: Option<String>,
    /// `--until` (RFC 3339, exclusive), if given.
    pub until: Option<String>,
    /// Oldest record in the report.
    pub first_record: Option<String>,
    /// Newest record in the report.
    pub last_record: Option<String>,
}

/// Integrity and coverage of one node's log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The data dir as given.
    pub data_dir: String,
    /// Log id (checkpoint origin) from the records.
    pub log_id: String,
    /// True when signatures, chain and every signed checkpoint verified.
    pub verified: bool,
    /// The verifier's one-line summary, or its first fault.
    pub summary: String,
    /// `none` when verified (the verifier requires a gap-free sequence), else the fault.
    pub gaps: String,
    /// Records the verifier checked.
    pub records_verified: u64,
    /// First retained seq (records before it were pruned by retention).
    pub first_seq: u64,
    /// Last seq verified.
    pub last_seq: Option<u64>,
    /// Size of the latest signed checkpoint the log matched.
    pub checkpoint_size: u64,
    /// Root hash of that checkpoint (hex).
    pub checkpoint_root: String,
    /// Signed checkpoint notes found and verified against the log.
    pub checkpoints_verified: u64,
    /// Signing keys, in order of use.
    pub keys: Vec<String>,
    /// Newest records not yet covered by a checkpoint (left out of the figures).
    pub uncheckpointed: u64,
    /// Records of this node read into the report (before the time filter).
    pub records_read: u64,
    /// Records of this node inside the report's time range.
    pub records_in_period: u64,
    /// Oldest retained record of this node.
    pub oldest_record: Option<String>,
    /// Newest record of this node.
    pub newest_record: Option<String>,
    /// Retention period from the latest retention prune event, if any.
    pub retention_days: Option<u32>,
    /// Why the node's records could not be read, if they could not.
    pub read_error: Option<String>,
    /// No trust root was given: the log was verified with the keys found beside it.
    #[serde(default)]
    pub trusted_data_dir_keys: bool,
    /// Duplicate origins and forks with other nodes of the report.
    #[serde(default)]
    pub conflicts: Vec<String>,
}

/// Counts by enforced effect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectMix {
    /// Forwarded unchanged.
    pub allow: u64,
    /// Forwarded with redactions.
    pub redact: u64,
    /// Refused by policy.
    pub block: u64,
    /// Forwarded, flagged for review.
    pub review: u64,
    /// Answered by aimsgate with an error (bad credential, malformed body, upstream down...).
    pub error: u64,
    /// Flagged for review, including redactions with a review rule beside them.
    pub flagged: u64,
}

impl EffectMix {
    /// Counts one decision of effect `e`.
    pub(crate) fn add(&mut self, e: Option<Effect>, flagged: bool) {
        match e {
            Some(Effect::Allow) => self.allow += 1,
            Some(Effect::Redact) => self.redact += 1,
            Some(Effect::Block) => self.block += 1,
            Some(Effect::Review) => self.review += 1,
            _ => self.error += 1,
        }
        if flagged {
            self.flagged += 1;
        }
    }
}

/// Whole-report totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Decision records.
    pub decisions: u64,
    /// Outcome records.
    pub outcomes: u64,
    /// Event records.
    pub events: u64,
    /// Decisions where the policy was evaluated (a rule or the default decided).
    pub evaluated: u64,
    /// Effect mix of all decisions.
    pub mix: EffectMix,
    /// Evaluated decisions that were blocked, redacted or flagged (the rules acting; see
    /// [`Conformity`] for redactions as controls operating and the nonconformities).
    pub violations: u64,
    /// `violations / evaluated` (0 when nothing was evaluated).
    pub violation_rate: f64,
}

/// Time buckets and series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Bucket width in seconds (UTC-aligned).
    pub bucket_seconds: u64,
    /// Bucket start times (RFC 3339).
    pub buckets: Vec<String>,
    /// Decisions per AI system (top series, the rest summed as `(other)`).
    pub by_system: Vec<Series>,
    /// Decisions per requested model.
    pub by_model: Vec<Series>,
    /// Decisions per upstream.
    pub by_upstream: Vec<Series>,
    /// Decisions per enforced effect.
    pub by_effect: Vec<Series>,
}

/// One labelled series over the buckets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Label.
    pub label: String,
    /// Sum over all buckets.
    pub total: u64,
    /// One count per bucket.
    pub counts: Vec<u64>,
}

/// Figures of one policy bundle version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyFigures {
    /// Bundle id (`(none)` for calls refused before a policy applied).
    pub bundle_id: String,
    /// Bundle version.
    pub version: String,
    /// Content hash of the bundle.
    pub content_hash: String,
    /// Decisions under this version.
    pub decisions: u64,
    /// Effect mix.
    pub mix: EffectMix,
    /// Evaluated decisions blocked, redacted or flagged, over evaluated decisions.
    pub violation_rate: f64,
}

/// One data class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassFigures {
    /// Taxonomy name.
    pub class: String,
    /// Requests containing it.
    pub requests: u64,
    /// Findings in requests (sum of counts).
    pub found: u64,
    /// Of those, left in place.
    pub allowed: u64,
    /// Of those, redacted before forwarding.
    pub redacted: u64,
    /// Of those, in refused requests.
    pub blocked: u64,
    /// Findings in answers.
    pub output_found: u64,
    /// Answer findings redacted.
    pub output_redacted: u64,
    /// Answer findings that ended the answer.
    pub output_blocked: u64,
}

/// One deciding rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// Rule id (`default` is the bundle default).
    pub rule_id: String,
    /// Annex A controls the rule cites.
    pub controls: Vec<String>,
    /// Decisions it took part in.
    pub decisions: u64,
    /// Effect mix of those decisions.
    pub mix: EffectMix,
}

/// A labelled count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Label.
    pub label: String,
    /// Count.
    pub count: u64,
}

/// A monitor-mode rule's would-have effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorFigures {
    /// Rule id.
    pub rule_id: String,
    /// What it would have done (allow, redact, block, review).
    pub would_have: String,
    /// How often.
    pub count: u64,
}

/// Unapproved-model attempts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnapprovedModels {
    /// Refused by routing (`model_not_allowed`: the model is on no upstream's list).
    pub routing_refusals: u64,
    /// Decided by a rule whose id names unapproved models or suppliers.
    pub policy_matches: u64,
    /// Those rules, with counts.
    pub rules: Vec<Count>,
    /// Models involved, with counts.
    pub models: Vec<Count>,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Label (upstream, or `all`). Percentiles are nearest-rank from a histogram with three
    /// significant digits: never below the exact value and at most 0.1% above it.
    pub label: String,
    /// Samples.
    pub samples: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// Latency of forwarded calls (outcome `latency_us`, `time_to_first_byte_us`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Total call latency, all upstreams.
    pub total: Percentiles,
    /// Time to the upstream's first byte, all upstreams (calls that got one).
    pub first_byte: Percentiles,
    /// Total call latency per upstream.
    pub by_upstream: Vec<Percentiles>,
}

/// Errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorFigures {
    /// Forwarded calls with an outcome record.
    pub forwarded: u64,
    /// Upstream answered 2xx/3xx.
    pub upstream_ok: u64,
    /// Upstream answered 4xx.
    pub upstream_4xx: u64,
    /// Upstream answered 5xx.
    pub upstream_5xx: u64,
    /// No upstream answer (unreachable, timeout) or the answer broke off.
    pub upstream_failures: u64,
    /// `(upstream_5xx + upstream_failures) / forwarded`.
    pub upstream_error_rate: f64,
    /// Outcome error kinds (`upstream_timeout`, `client_gone`, ...), with counts.
    pub error_kinds: Vec<Count>,
    /// Calls aimsgate answered itself with a 4xx (policy refusals, bad credentials...).
    pub answered_4xx: u64,
    /// Calls aimsgate answered itself with a 5xx (upstream down, evidence unavailable...).
    pub answered_5xx: u64,
    /// Statuses aimsgate answered with, with counts.
    pub answered_statuses: Vec<Count>,
    /// Decisions with effect `error` over all decisions.
    pub error_rate: f64,
}

/// Token usage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    /// Outcomes that reported usage.
    pub calls_with_usage: u64,
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
}

/// One Annex A control.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlFigures {
    /// Control id, e.g. `A.9.2`.
    pub control: String,
    /// Its title in ISO/IEC 42001:2023 Annex A.
    pub title: String,
    /// `records`, `partly` or `none`: how far the log can evidence it.
    pub coverage: String,
    /// Which records evidence it.
    pub evidenced_by: String,
    /// What to ask for elsewhere.
    pub ask_for: String,
    /// Objectives that cite it.
    pub objectives: Vec<String>,
    /// Decisions whose deciding rules cite it.
    pub decisions: u64,
    /// Those rules.
    pub rules: Vec<String>,
}

/// A log event worth listing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// When (RFC 3339).
    pub time: String,
    /// Log id of the node.
    pub log_id: String,
    /// Kind: `log_start`, `recovery`, `policy_activation`, `key_rotation`, `retention_prune`,
    /// `fail_mode`.
    pub kind: String,
    /// What happened.
    pub detail: String,
}

/// Log events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFigures {
    /// Counts per kind.
    pub counts: Vec<Count>,
    /// The events (oldest first, at most [`MAX_EVENT_ROWS`]).
    pub rows: Vec<EventRow>,
    /// Fail-open periods began: calls may have been forwarded without evidence.
    pub fail_open_started: u64,
}

/// Most event rows listed.
pub const MAX_EVENT_ROWS: usize = 200;
