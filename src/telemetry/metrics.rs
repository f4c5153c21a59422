//! Prometheus metrics served on the admin listener's `/metrics`.
//!
//! Owns metric names, labels and buckets. Labels carry names and outcomes only — never content,
//! principal ids or credentials. Model and AI-system labels are the [`Call`]'s label fields,
//! which the proxy fills from configured names only (`other` otherwise), so the series count is
//! bounded by the configuration, not by what callers send. Holds no business
//! logic: [`Metrics::observe`] records a finished [`Call`], the reloader and the evidence phase
//! increment their own counters.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::call::Call;

/// Longest label value kept; longer ones are cut.
const MAX_LABEL_LEN: usize = 96;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub ai_system: String,
    pub upstream: String,
    pub model: String,
    pub operation: &'static str,
    pub effect: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub ai_system: String,
    pub effect: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: String,
    /// The rule's effect, or what a monitor-mode rule would have done.
    pub effect: &'static str,
    /// `enforced` or `monitor`.
    pub mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    pub class: String,
    pub direction: &'static str,
    pub action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub ai_system: String,
    pub model: String,
    /// `input` or `output` (OTel GenAI `gen_ai.token.type`).
    pub token_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub operation: &'static str,
    pub upstream: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabels {
    pub upstream: String,
    pub model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

/// A witness exchange: the configured witness name and the result (`ok`, `conflict`,
/// `inconsistent`, `refused`, `bad_cosignature`, `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WitnessLabels {
    pub witness: String,
    pub result: String,
}

/// An upstream attempt that did not answer: the upstream and why (`connect_error`,
/// `status_503`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RetryLabels {
    pub upstream: String,
    pub reason: String,
}

/// A guardrail-mode answer to another gateway: which gateway, which hook, and the verdict
/// (`allow`, `redact`, `block`, `fail_open`, `bad_request`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GuardrailLabels {
    pub gateway: &'static str,
    pub hook: &'static str,
    pub verdict: &'static str,
}

/// A call refused by a `[[limits]]` entry: its id and what ran out (`requests`, `tokens`,
/// `cost`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub limit: String,
    pub what: &'static str,
}

/// A `[limits_store]` request that failed or timed out: `admit` or `charge`, and the store's
/// fail mode (`fail_open` / `fail_closed`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitsStoreLabels {
    pub op: &'static str,
    pub mode: &'static str,
}

/// Latency buckets from 100 µs to ~105 s, doubling.
#[derive(Clone, Copy, Debug)]
pub struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        latency_histogram()
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0001, 2.0, 21,
    ))
}

/// Label values are configured names, but a pattern can be long: cut at [`MAX_LABEL_LEN`].
fn cut(v: &str) -> &str {
    if v.len() <= MAX_LABEL_LEN {
        return v;
    }
    let mut end = MAX_LABEL_LEN;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

type Hist<L> = Family<L, Histogram, LatencyBuckets>;

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    /// Calls by AI system, upstream, model, operation, effect and HTTP status.
    pub requests: Family<CallLabels, Counter>,
    /// Decisions by AI system and effect (`allow`, `redact`, `block`, `review`, `error`).
    pub decisions: Family<DecisionLabels, Counter>,
    /// Rules that decided (or, in monitor mode, would have decided) a call.
    pub rule_matches: Family<RuleLabels, Counter>,
    /// Data class findings by direction and action.
    pub findings: Family<FindingLabels, Counter>,
    /// Tokens reported by the upstream.
    pub tokens: Family<TokenLabels, Counter>,
    /// Whole-call latency, added latency and time to first token.
    pub request_duration: Hist<RouteLabels>,
    pub added_latency: Hist<RouteLabels>,
    pub time_to_first_token: Hist<ModelLabels>,
    /// Policy reload attempts by result (`activated`, `rejected`).
    pub policy_reloads: Family<ResultLabels, Counter>,
    /// Calls refused because the evidence log could not be written (fail closed).
    pub fail_closed_refusals: Counter,
    /// Calls forwarded although the evidence log could not be written (fail open).
    pub fail_open_forwards: Counter,
    /// How long a call waited for its decision record to become durable.
    pub evidence_append: Histogram,
    /// 1 while the evidence log is writable.
    pub evidence_healthy: Gauge,
    pub evidence_queue_depth: Gauge,
    pub evidence_records: Gauge,
    /// Seconds, as a float gauge.
    pub evidence_group_commit_latency: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub evidence_last_checkpoint_age_seconds: Gauge,
    /// add-checkpoint requests to witnesses, by witness and result.
    pub witness_requests: Family<WitnessLabels, Counter>,
    /// Upstream attempts that did not answer and were retried or failed over.
    pub upstream_retries: Family<RetryLabels, Counter>,
    /// Calls refused by a `[[limits]]` entry.
    pub limit_refusals: Family<LimitLabels, Counter>,
    /// Requests to the shared limits store that failed or timed out.
    pub limits_store_errors: Family<LimitsStoreLabels, Counter>,
    /// Guardrail-mode verdicts given to other gateways.
    pub guardrail_verdicts: Family<GuardrailLabels, Counter>,
    pub evidence_checkpoint_signatures: Gauge,
    /// The SIEM push (`aimsgate_siem_*`).
    pub siem: super::siem::SiemMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        let m = Self {
            registry: Registry::with_prefix("aimsgate"),
            requests: Family::default(),
            decisions: Family::default(),
            rule_matches: Family::default(),
            findings: Family::default(),
            tokens: Family::default(),
            request_duration: Family::new_with_constructor(LatencyBuckets),
            added_latency: Family::new_with_constructor(LatencyBuckets),
            time_to_first_token: Family::new_with_constructor(LatencyBuckets),
            policy_reloads: Family::default(),
            fail_closed_refusals: Counter::default(),
            fail_open_forwards: Counter::default(),
            evidence_append: latency_histogram(),
            evidence_healthy: Gauge::default(),
            evidence_queue_depth: Gauge::default(),
            evidence_records: Gauge::default(),
            evidence_group_commit_latency: Gauge::default(),
            evidence_last_checkpoint_age_seconds: Gauge::default(),
            witness_requests: Family::default(),
            upstream_retries: Family::default(),
            limit_refusals: Family::default(),
            limits_store_errors: Family::default(),
            guardrail_verdicts: Family::default(),
            evidence_checkpoint_signatures: Gauge::default(),
            siem: super::siem::SiemMetrics::default(),
        };
        m.register()
    }
}

impl Metrics {
    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "requests",
            "Calls by AI system, upstream, model, operation, effect and status",
            self.requests.clone(),
        );
        r.register(
            "decisions",
            "Decisions by AI system and effect",
            self.decisions.clone(),
        );
        r.register(
            "rule_matches",
            "Rules that decided a call (mode=monitor: would have)",
            self.rule_matches.clone(),
        );
        r.register(
            "findings",
            "Data class findings by direction and action",
            self.findings.clone(),
        );
        r.register(
            "gen_ai_tokens",
            "Tokens used, as reported by the upstream",
            self.tokens.clone(),
        );
        r.register(
            "request_duration_seconds",
            "Whole-call latency as the caller sees it",
            self.request_duration.clone(),
        );
        r.register(
            "added_latency_seconds",
            "Latency added by aimsgate: identity, body, classification, policy, evidence commit and output enforcement",
            self.added_latency.clone(),
        );
        r.register(
            "time_to_first_token_seconds",
            "Time from request arrival to the first byte of a streamed answer",
            self.time_to_first_token.clone(),
        );
        r.register(
            "policy_reloads",
            "Policy reload attempts by result",
            self.policy_reloads.clone(),
        );
        r.register(
            "evidence_fail_closed_refusals",
            "Calls refused because evidence could not be written",
            self.fail_closed_refusals.clone(),
        );
        r.register(
            "evidence_fail_open_forwards",
            "Calls forwarded although evidence could not be written",
            self.fail_open_forwards.clone(),
        );
        r.register(
            "evidence_append_seconds",
            "Time a call waited for its decision record to be appended (durable in sync mode)",
            self.evidence_append.clone(),
        );
        r.register(
            "evidence_healthy",
            "1 while the evidence log is writable",
            self.evidence_healthy.clone(),
        );
        r.register(
            "evidence_queue_depth",
            "Evidence appends waiting for the writer",
            self.evidence_queue_depth.clone(),
        );
        r.register(
            "evidence_records",
            "Entries in the evidence log",
            self.evidence_records.clone(),
        );
        r.register(
            "evidence_group_commit_latency_seconds",
            "Enqueue-to-durable latency of the last evidence group commit",
            self.evidence_group_commit_latency.clone(),
        );
        r.register(
            "evidence_last_checkpoint_age_seconds",
            "Seconds since the last signed checkpoint",
            self.evidence_last_checkpoint_age_seconds.clone(),
        );
        r.register(
            "witness_requests",
            "add-checkpoint requests to witnesses by witness and result",
            self.witness_requests.clone(),
        );
        r.register(
            "upstream_retries",
            "Upstream attempts that did not answer and were retried or failed over, by upstream and reason",
            self.upstream_retries.clone(),
        );
        r.register(
            "limit_refusals",
            "Calls refused by a rate limit or budget, by limit and what ran out",
            self.limit_refusals.clone(),
        );
        r.register(
            "limits_store_errors",
            "Requests to the shared [limits_store] that failed or timed out, by operation and fail mode",
            self.limits_store_errors.clone(),
        );
        r.register(
            "guardrail_verdicts",
            "Guardrail-mode verdicts given to other gateways, by gateway, hook and verdict",
            self.guardrail_verdicts.clone(),
        );
        r.register(
            "evidence_checkpoint_signatures",
            "Checkpoint signatures made since start (one per durable group commit; entries are unsigned)",
            self.evidence_checkpoint_signatures.clone(),
        );
        self.siem.register(r);
        self
    }

    /// Record one finished call.
    pub fn observe(&self, c: &Call) {
        let ai_system = cut(&c.ai_system_label).to_owned();
        let model = cut(&c.model_label).to_owned();
        let upstream = c.upstream.clone().unwrap_or_else(|| "-".to_owned());
        let operation = c.operation.unwrap_or("-");
        self.requests
            .get_or_create(&CallLabels {
                ai_system: ai_system.clone(),
                upstream: upstream.clone(),
                model: model.clone(),
                operation,
                effect: c.effect,
                status: c.status,
            })
            .inc();
        self.decisions
            .get_or_create(&DecisionLabels {
                ai_system: ai_system.clone(),
                effect: c.effect,
            })
            .inc();
        for rule in &c.rules {
            self.rule(rule, c.effect, "enforced");
        }
        for (rule, would) in &c.monitored {
            self.rule(rule, would, "monitor");
        }
        for f in &c.classes {
            self.findings
                .get_or_create(&FindingLabels {
                    class: f.class.clone(),
                    direction: f.direction.as_str(),
                    action: f.action,
                })
                .inc_by(u64::from(f.count));
        }
        for (kind, n) in [("input", c.input_tokens), ("output", c.output_tokens)] {
            if let Some(n) = n.filter(|n| *n > 0) {
                self.tokens
                    .get_or_create(&TokenLabels {
                        ai_system: ai_system.clone(),
                        model: model.clone(),
                        token_type: kind,
                    })
                    .inc_by(n);
            }
        }
        let route = RouteLabels {
            operation,
            upstream: upstream.clone(),
        };
        self.request_duration
            .get_or_create(&route)
            .observe(secs(c.duration));
        self.added_latency
            .get_or_create(&route)
            .observe(secs(c.added_latency));
        if let Some(t) = c.time_to_first_token.filter(|_| c.stream) {
            self.time_to_first_token
                .get_or_create(&ModelLabels { upstream, model })
                .observe(secs(t));
        }
    }

    fn rule(&self, rule: &str, effect: &'static str, mode: &'static str) {
        self.rule_matches
            .get_or_create(&RuleLabels {
                rule: rule.to_owned(),
                effect,
                mode,
            })
            .inc();
    }

    /// Count one reload attempt.
    pub fn reload(&self, result: &str) {
        self.policy_reloads
            .get_or_create(&ResultLabels {
                result: result.to_owned(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition.
    /// The metrics in the OpenMetrics text format (what Prometheus asks for).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// The metrics in the Prometheus text format 0.0.4 (for scrapers and tools that do not
    /// ask for OpenMetrics, `promtool check metrics` among them).
    pub fn render_text(&self) -> String {
        exposition::prometheus_text(&self.render())
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

mod exposition;
#[cfg(test)]
mod tests;
