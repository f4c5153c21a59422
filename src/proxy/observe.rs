//! The telemetry end of the record phase: one access-log line, the Prometheus counters and
//! histograms, and the OpenTelemetry span of a finished call, all from the same
//! [`Call`](crate::telemetry::call::Call).
//!
//! Owns the mapping from the pipeline's [`OutcomeCtx`] to the telemetry core's plain `Call`.
//! Copies ids, names, counts and rule ids only — never prompt text, credentials or principal ids
//! (the access log names the principal, as access logs do; metrics and spans do not). Metric
//! labels for the model and AI system come from configured names only (see [`caller`]).

use std::time::Duration;

use crate::evidence::proto::ClassAction;
use crate::providers::Operation;
use crate::telemetry::call::{Call, ClassCount, Direction, TraceIds};

use super::body::BodyStats;
use super::caller;
use super::inspect::InspectReport;
use super::pipeline::{OutcomeCtx, Pipeline};

fn action(a: ClassAction) -> &'static str {
    match a {
        ClassAction::Redacted => "redacted",
        ClassAction::Blocked => "blocked",
        ClassAction::Allowed | ClassAction::Unspecified => "allowed",
    }
}

fn counts(
    items: &[(String, u32, ClassAction)],
    direction: Direction,
) -> impl Iterator<Item = ClassCount> + '_ {
    items.iter().map(move |(class, count, a)| ClassCount {
        class: class.clone(),
        count: *count,
        action: action(*a),
        direction,
    })
}

impl Pipeline {
    /// Log, count and trace one finished call. `report` is the answer's inspection, if any.
    pub(super) fn observe(
        &self,
        mut o: OutcomeCtx,
        stats: &BodyStats,
        report: Option<&InspectReport>,
    ) {
        let duration = o.started.elapsed();
        let effect = if o.effect == "-" {
            if o.error_code.is_some() {
                "error"
            } else {
                "allow"
            }
        } else {
            o.effect
        };
        let upstream = o.upstream.map(|i| &self.shared.upstreams[i].config);
        self.access_log(&o, stats, duration, effect);
        let mut classes: Vec<ClassCount> = counts(&o.classes, Direction::Request).collect();
        if let Some(r) = report {
            classes.extend(counts(&r.findings, Direction::Response));
        }
        let system = registered_system(&o);
        let model_label = caller::model_label(
            o.model.as_deref(),
            system
                .zip(o.model.as_deref())
                .and_then(|(s, m)| s.model_pattern(m)),
            &self.shared.config.routing,
        );
        let ai_system_label = ai_system_label(o.ai_system.as_deref(), system);
        let call = Call {
            decision_id: std::mem::take(&mut o.decision_id),
            trace: TraceIds {
                trace_id: o.trace.trace_id,
                span_id: o.trace.span_id,
                parent_span_id: o.trace.parent_span_id,
                sampled: o.trace.sampled,
            },
            start: o.received_at,
            duration,
            operation: o.op.map(Operation::as_str),
            upstream: upstream.map(|u| u.name.clone()),
            upstream_kind: upstream.map(|u| u.kind.as_str()),
            server_address: upstream.and_then(|u| u.base_url.host().map(str::to_owned)),
            server_port: upstream.and_then(|u| {
                u.base_url.port_u16().or(match u.base_url.scheme_str() {
                    Some("https") => Some(443),
                    Some("http") => Some(80),
                    _ => None,
                })
            }),
            model_label,
            ai_system_label,
            model: o.model.take(),
            ai_system: o.ai_system.take(),
            effect,
            rules: std::mem::take(&mut o.rule_ids),
            monitored: std::mem::take(&mut o.monitored),
            policy_version: o.policy_version.take(),
            classes,
            status: o.status.unwrap_or(0),
            error: o.error_code,
            stream: o.stream,
            added_latency: match o.forwarded_after {
                Some(before) => before + o.output_enforcement,
                None => duration,
            },
            time_to_first_token: stats.first_byte,
            input_tokens: report.and_then(|r| r.usage.input_tokens),
            output_tokens: report.and_then(|r| r.usage.output_tokens),
        };
        self.shared.metrics.observe(&call);
        if let (Some(traces), Some(span)) = (&self.shared.traces, o.span.take()) {
            traces.finish(span, &call);
        }
    }

    fn access_log(&self, o: &OutcomeCtx, stats: &BodyStats, latency: Duration, effect: &str) {
        let upstream = o
            .upstream
            .map(|i| self.shared.upstreams[i].config.name.as_str())
            .unwrap_or("-");
        tracing::info!(
            target: "aimsgate::access",
            decision_id = %o.decision_id,
            request_id = %o.request_id,
            trace_id = %o.trace.trace_id_hex(),
            principal = %o.principal.as_deref().unwrap_or("-"),
            ai_system = %o.ai_system.as_deref().unwrap_or("-"),
            op = o.op.map(Operation::as_str).unwrap_or("-"),
            upstream,
            model = %o.model.as_deref().unwrap_or("-"),
            effect,
            rules = %o.rule_ids.join(","),
            status = o.status.unwrap_or(0),
            error = o.error_code.unwrap_or("-"),
            stream = o.stream,
            end = ?stats.end,
            bytes = stats.bytes,
            latency_us = latency.as_micros() as u64,
            "call"
        );
    }
}

/// The bound AI system's inventory entry, when the system is registered.
fn registered_system(o: &OutcomeCtx) -> Option<&crate::policy::System> {
    o.bundle.as_deref()?.system(o.ai_system.as_deref()?)
}

/// The metric label of the call's AI system: its inventory id when registered, else `other`.
fn ai_system_label(id: Option<&str>, system: Option<&crate::policy::System>) -> String {
    match (id, system) {
        (None, _) => "-".to_owned(),
        (Some(_), Some(s)) => s.id.to_string(),
        (Some(_), None) => caller::OTHER.to_owned(),
    }
}
