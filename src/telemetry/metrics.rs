//! Prometheus metrics served on the admin listener's `/metrics`.
//!
//! Owns metric names and labels. Labels carry names and outcomes only — never content, principal
//! ids or credentials. Holds no business logic: the pipeline and the reloader increment counters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EffectLabels {
    pub effect: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    /// Decisions by effect (`allow`, `redact`, `block`, `review`, `error`).
    pub decisions: Family<EffectLabels, Counter>,
    /// Policy reload attempts by result (`activated`, `rejected`).
    pub policy_reloads: Family<ResultLabels, Counter>,
    /// Calls refused because the evidence log could not be written (fail closed).
    pub fail_closed_refusals: Counter,
    /// Calls forwarded although the evidence log could not be written (fail open).
    pub fail_open_forwards: Counter,
    /// 1 while the evidence log is writable.
    pub evidence_healthy: Gauge,
    pub evidence_queue_depth: Gauge,
    pub evidence_append_latency_us: Gauge,
    pub evidence_last_checkpoint_age_seconds: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("aimsgate");
        let m = Self {
            decisions: Family::default(),
            policy_reloads: Family::default(),
            fail_closed_refusals: Counter::default(),
            fail_open_forwards: Counter::default(),
            evidence_healthy: Gauge::default(),
            evidence_queue_depth: Gauge::default(),
            evidence_append_latency_us: Gauge::default(),
            evidence_last_checkpoint_age_seconds: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("decisions", "Decisions by effect", m.decisions.clone());
        registry.register(
            "policy_reloads",
            "Policy reload attempts by result",
            m.policy_reloads.clone(),
        );
        registry.register(
            "evidence_fail_closed_refusals",
            "Calls refused because evidence could not be written",
            m.fail_closed_refusals.clone(),
        );
        registry.register(
            "evidence_fail_open_forwards",
            "Calls forwarded although evidence could not be written",
            m.fail_open_forwards.clone(),
        );
        registry.register(
            "evidence_healthy",
            "1 while the evidence log is writable",
            m.evidence_healthy.clone(),
        );
        registry.register(
            "evidence_queue_depth",
            "Evidence appends waiting for the writer",
            m.evidence_queue_depth.clone(),
        );
        registry.register(
            "evidence_append_latency_us",
            "Latency of the last evidence group commit (µs)",
            m.evidence_append_latency_us.clone(),
        );
        registry.register(
            "evidence_last_checkpoint_age_seconds",
            "Seconds since the last signed checkpoint",
            m.evidence_last_checkpoint_age_seconds.clone(),
        );
        Self { registry, ..m }
    }
}

impl Metrics {
    /// Count one decision.
    pub fn decision(&self, effect: &str) {
        self.decisions
            .get_or_create(&EffectLabels {
                effect: effect.to_owned(),
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
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
