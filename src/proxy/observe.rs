//! The telemetry end of the last phase (`finish`): one access-log line, the Prometheus counters and
//! histograms, and the OpenTelemetry span of a finished call, all from the same
//! [`Call`](crate::telemetry::call::Call).
//!
//! Owns the mapping from the proxy's call context ([`super::call::Call`]) to the telemetry
//! core's plain `Call`.
//! Copies ids, names, counts and rule ids only — never prompt text, credentials or principal ids
//! (the access log names the principal, as access logs do; metrics and spans do not). Metric
//! labels for the model and AI system come from configured names only (see [`caller`]).

use std::time::Duration;

use crate::evidence::proto::ClassAction;
use crate::providers::Operation;
use crate::telemetry::call::{Call, ClassCount, Direction, TraceIds};

use super::call::Call as ProxyCall;
use super::caller;
use super::outcome::{BodyStats, ClassTally, InspectReport};
use super::shared::Shared;

fn action(a: ClassAction) -> &'static str {
    match a {
        ClassAction::Redacted => "redacted",
        ClassAction::Blocked => "blocked",
        ClassAction::Allowed | ClassAction::Unspecified => "allowed",
    }
}

fn counts(items: &[ClassTally], direction: Direction) -> impl Iterator<Item = ClassCount> + '_ {
    items.iter().map(move |t| ClassCount {
        class: t.class.clone(),
        count: t.count,
        action: action(t.action),
        direction,
    })
}

impl Shared {
    /// Log, count and trace one finished call. `report` is the answer's inspection, if any.
    pub(super) fn observe(
        &self,
        mut o: ProxyCall,
        stats: &BodyStats,
        report: Option<&InspectReport>,
    ) {
        let duration = o.started.elapsed();
        let effect = match o.effect() {
            Some(e) => e,
            None if o.error_code.is_some() => "error",
            None => "allow",
        };
        let upstream = o.upstream.map(|i| &self.upstreams[i].config);
        let d = o.decision.as_ref();
        let rules: Vec<String> = d
            .map(|d| d.rules.iter().map(|r| r.id.to_string()).collect())
            .unwrap_or_default();
        self.access_log(&o, stats, duration, effect, &rules);
        let mut classes: Vec<ClassCount> = counts(&o.class_actions, Direction::Request).collect();
        if let Some(r) = report {
            classes.extend(counts(&r.findings, Direction::Response));
        }
        let system = o.registered_system();
        let model_label = caller::model_label(
            o.model.as_deref(),
            system
                .zip(o.model.as_deref())
                .and_then(|(s, m)| s.model_pattern(m)),
            &self.config.routing,
        );
        let ai_system_label = ai_system_label(o.ai_system(), system);
        let monitored: Vec<(String, &'static str)> = d
            .map(|d| {
                d.monitored
                    .iter()
                    .map(|(r, e)| (r.id.to_string(), e.kind()))
                    .collect()
            })
            .unwrap_or_default();
        let ai_system = o.ai_system().map(str::to_owned);
        let policy_version = o.bundle().map(|b| b.version().to_owned());
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
            gen_ai_operation: o.op.map(Operation::gen_ai_name),
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
            ai_system,
            effect,
            rules,
            monitored,
            policy_version,
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
        self.metrics.observe(&call);
        if let (Some(traces), Some(span)) = (&self.traces, o.span.take()) {
            traces.finish(span, &call);
        }
    }

    fn access_log(
        &self,
        o: &ProxyCall,
        stats: &BodyStats,
        latency: Duration,
        effect: &str,
        rules: &[String],
    ) {
        let upstream = o
            .upstream
            .map(|i| self.upstreams[i].config.name.as_str())
            .unwrap_or("-");
        tracing::info!(
            target: "aimsgate::access",
            decision_id = %o.decision_id,
            request_id = %o.request_id,
            trace_id = %o.trace.trace_id_hex(),
            principal = %o.principal.as_ref().map_or("-", |p| p.id.as_str()),
            ai_system = %o.ai_system().unwrap_or("-"),
            op = o.op.map(Operation::as_str).unwrap_or("-"),
            upstream,
            model = %o.model.as_deref().unwrap_or("-"),
            effect,
            rules = %rules.join(","),
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

/// The metric label of the call's AI system: its inventory id when registered, else `other`.
fn ai_system_label(id: Option<&str>, system: Option<&crate::policy::System>) -> String {
    match (id, system) {
        (None, _) => "-".to_owned(),
        (Some(_), Some(s)) => s.id.to_string(),
        (Some(_), None) => caller::OTHER.to_owned(),
    }
}
