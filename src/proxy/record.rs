//! Evidence records from the call context: the decision record (written before anything
//! leaves the proxy, or in the last phase when a call was refused or failed first) and the
//! outcome record (written when the response ends).
//!
//! Owns the mapping from [`Call`] to the evidence schema. It copies ids, names, counts and rule
//! references only — never prompt text or credentials. Storage is [`crate::evidence`]'s.

use crate::evidence::proto::{
    self, record::Kind, ClassFinding, DecisionRecord, MatchedRule, MonitorEffect, OutcomeRecord,
};
use crate::policy::Effect;

use super::call::Call;
use super::outcome::{BodyStats, ClassTally, InspectReport, StreamEnd};

fn effect(e: &Effect) -> proto::Effect {
    match e {
        Effect::Allow => proto::Effect::Allow,
        Effect::Redact { .. } => proto::Effect::Redact,
        Effect::Block { .. } => proto::Effect::Block,
        Effect::Review => proto::Effect::Review,
    }
}

/// The decision record for `call`. `status` is the HTTP status when the call was answered by
/// aimsgate itself (refused or failed before forwarding), 0 when it is being forwarded.
pub fn decision(call: &Call, status: u16, error: Option<&crate::error::Error>) -> Kind {
    let ctx = call;
    let principal = ctx.principal.as_ref();
    let bundle = ctx.bundle();
    let d = ctx.decision.as_ref();
    let (effect, reason) = match (error, d) {
        // A policy refusal is the decision itself.
        (Some(crate::error::Error::Refused { .. }), Some(d)) => {
            (effect(&d.effect), d.reason.clone())
        }
        // A gateway rule refused before the policy ran (e.g. credential binding): still a block.
        (Some(e @ crate::error::Error::Refused { .. }), None) => {
            (proto::Effect::Block, format!("{}: {e}", e.code()))
        }
        (Some(e), _) => (proto::Effect::Error, format!("{}: {e}", e.code())),
        (None, Some(d)) => (effect(&d.effect), d.reason.clone()),
        (None, None) => (
            proto::Effect::Allow,
            "no policy decision needed for this operation".to_owned(),
        ),
    };
    let upstream = ctx.upstream_name.clone().unwrap_or_default();
    Kind::Decision(DecisionRecord {
        decision_id: ctx.decision_id.clone(),
        trace_id: ctx.trace.trace_id_hex(),
        principal_id: principal.map(|p| p.id.clone()).unwrap_or_default(),
        auth_method: principal
            .map(|p| p.kind.as_str().to_owned())
            .unwrap_or_default(),
        credential_fingerprint: principal.map(|p| p.fingerprint.clone()).unwrap_or_default(),
        client_address: ctx.peer.ip().to_string(),
        ai_system_id: d
            .and_then(|d| d.system.id.as_deref().map(str::to_owned))
            .unwrap_or_default(),
        ai_system_risk_tier: d
            .map(|d| d.system.risk_tier.as_str().to_owned())
            .unwrap_or_default(),
        ai_system_registered: d.is_some_and(|d| d.system.registered),
        provider: ctx.upstream_kind.unwrap_or_default().to_owned(),
        upstream,
        operation: ctx.op.map(|o| o.as_str().to_owned()).unwrap_or_default(),
        requested_model: ctx
            .routed_from
            .clone()
            .or_else(|| ctx.model.clone())
            .unwrap_or_default(),
        routed_model: ctx
            .routed_from
            .as_ref()
            .and(ctx.model.clone())
            .unwrap_or_default(),
        stream: ctx.stream,
        findings: findings(&ctx.class_actions),
        unscanned_bytes: ctx.unscanned_bytes,
        fingerprints: ctx.fingerprints.clone(),
        policy_bundle_id: bundle.map(|b| b.id().to_owned()).unwrap_or_default(),
        policy_version: bundle.map(|b| b.version().to_owned()).unwrap_or_default(),
        policy_content_hash: bundle
            .map(|b| b.content_hash().to_owned())
            .unwrap_or_default(),
        matched_rules: d
            .map(|d| {
                d.rules
                    .iter()
                    .map(|r| MatchedRule {
                        rule_id: r.id.to_string(),
                        annex_a_controls: r.controls.to_vec(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        monitor_effects: d
            .map(|d| {
                d.monitored
                    .iter()
                    .map(|(r, e)| MonitorEffect {
                        rule_id: r.id.to_string(),
                        would_have: self::effect(e) as i32,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        effect: effect as i32,
        reason,
        http_status: u32::from(status),
        model_approved: d.map(|d| d.system.model_approved),
        upstream_approved: d.map(|d| d.system.upstream_approved),
        review_flagged: d.is_some_and(|d| d.review),
        ai_system_refused_selection: ctx.ai_system_refused.clone().unwrap_or_default(),
        guardrail_gateway: ctx.guard.map(|g| g.gateway.to_owned()).unwrap_or_default(),
        guardrail_hook: ctx.guard.map(|g| g.hook.to_owned()).unwrap_or_default(),
        limits_fail_mode: ctx
            .limits_fail_mode
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
    })
}

/// The outcome record of a forwarded call.
pub fn outcome(o: &Call, stats: &BodyStats, report: &InspectReport) -> Kind {
    let error_kind = match stats.end {
        _ if o.error_code.is_some() => o.error_code.unwrap_or_default(),
        StreamEnd::Complete => "",
        StreamEnd::ClientGone => "client_gone",
        StreamEnd::UpstreamError => "upstream_error",
        StreamEnd::UpstreamIdle => "upstream_idle_timeout",
        StreamEnd::Blocked => "output_blocked",
    };
    Kind::Outcome(OutcomeRecord {
        decision_id: o.decision_id.clone(),
        upstream_status: u32::from(o.upstream_status.unwrap_or(0)),
        latency_us: o.started.elapsed().as_micros() as u64,
        time_to_first_byte_us: stats.first_byte.map(|d| d.as_micros() as u64).unwrap_or(0),
        input_tokens: report.usage.input_tokens,
        output_tokens: report.usage.output_tokens,
        stream: o.stream,
        output_scan: report.scan as i32,
        output_scanned_bytes: report.scanned_bytes,
        output_findings: findings(&report.findings),
        error_kind: error_kind.to_owned(),
        hops: o.hops.clone(),
        answered_by: o.answered_by.clone().unwrap_or_default(),
    })
}

fn findings(tallies: &[ClassTally]) -> Vec<ClassFinding> {
    tallies
        .iter()
        .map(|t| ClassFinding {
            class: t.class.clone(),
            count: t.count,
            action: t.action as i32,
            test_values: t.test_values,
        })
        .collect()
}
