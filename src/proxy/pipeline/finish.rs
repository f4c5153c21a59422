//! The record phase: the outcome evidence record, the telemetry of a finished call, and the
//! [`OutcomeCtx`] that outlives the request for streamed answers.
//!
//! Runs for every call, refused, failed or answered; never fails the call itself.

use super::*;

impl Pipeline {
    /// Phase 12 (error path) — the last phase for calls refused or failed before or while
    /// forwarding: the decision record (durable before the response is sent) and the log line.
    pub(super) async fn record(&self, ctx: &mut Ctx, err: Option<&Error>) {
        if !ctx.decision_committed {
            let status = ctx.status.unwrap_or(0);
            match self
                .shared
                .evidence
                .append(record::decision(ctx, status, err))
                .await
            {
                Ok(a) => ctx.log_index = Some(a.seq),
                Err(e) => {
                    tracing::error!(error = %e, decision_id = %ctx.decision_id, "could not record the refusal in the evidence log");
                }
            }
            let stats = BodyStats {
                end: StreamEnd::Complete,
                bytes: 0,
                first_byte: None,
            };
            self.observe(OutcomeCtx::take(ctx), &stats, None);
        } else {
            // Forwarded, then failed (upstream down or slow, answer withheld): the outcome says so.
            let stats = BodyStats {
                end: StreamEnd::UpstreamError,
                bytes: 0,
                first_byte: None,
            };
            let mut o = OutcomeCtx::take(ctx);
            o.upstream_status = None;
            self.record_outcome(o, stats, InspectReport::default());
        }
    }

    /// Phase 12 — the last phase of a forwarded call: the outcome record and the log line.
    pub(super) fn record_outcome(&self, o: OutcomeCtx, stats: BodyStats, report: InspectReport) {
        let payload = record::outcome(&o, &stats, &report);
        self.observe(o, &stats, Some(&report));
        // Nobody waits for an outcome: queue it without a task, unless the queue is full.
        let Err(payload) = self.shared.evidence.submit(payload) else {
            return;
        };
        let log = self.shared.evidence.clone();
        let append = async move {
            if let Err(e) = log.append(payload).await {
                tracing::error!(error = %e, "could not record a call outcome in the evidence log");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(append);
            }
            Err(_) => tracing::error!("no runtime to record a call outcome"),
        }
    }
}

/// What the record phase needs after the context is gone (streamed bodies outlive `handle`).
#[derive(Debug)]
pub struct OutcomeCtx {
    pub decision_id: String,
    pub request_id: String,
    pub trace: TraceContext,
    pub received_at: SystemTime,
    pub span: Option<CallSpan>,
    pub forwarded_after: Option<Duration>,
    pub output_enforcement: Duration,
    /// Request-side data classes, counts and actions.
    pub classes: Vec<(String, u32, ClassAction)>,
    pub rule_ids: Vec<String>,
    /// Monitor-mode rules and what they would have done.
    pub monitored: Vec<(String, &'static str)>,
    pub policy_version: Option<String>,
    pub principal: Option<String>,
    pub op: Option<Operation>,
    pub upstream: Option<usize>,
    pub model: Option<String>,
    pub status: Option<u16>,
    pub error_code: Option<&'static str>,
    pub stream: bool,
    pub started: Instant,
    pub ai_system: Option<String>,
    /// The bundle the call was decided under (for metric labels from configured names).
    pub bundle: Option<Arc<Bundle>>,
    pub effect: &'static str,
    /// The upstream's status, when an answer arrived.
    pub upstream_status: Option<u16>,
}

impl OutcomeCtx {
    pub(super) fn take(ctx: &mut Ctx) -> Self {
        let d = ctx.decision.as_ref();
        Self {
            upstream_status: ctx.status,
            ai_system: d.and_then(|d| d.system.id.as_deref().map(str::to_owned)),
            effect: d.map(|d| d.effect.kind()).unwrap_or("-"),
            rule_ids: d
                .map(|d| d.rules.iter().map(|r| r.id.to_string()).collect())
                .unwrap_or_default(),
            monitored: d
                .map(|d| {
                    d.monitored
                        .iter()
                        .map(|(r, e)| (r.id.to_string(), e.kind()))
                        .collect()
                })
                .unwrap_or_default(),
            policy_version: ctx.bundle.as_deref().map(|b| b.version().to_owned()),
            bundle: ctx.bundle.clone(),
            classes: ctx.class_actions.clone(),
            received_at: ctx.received_at,
            span: ctx.span.take(),
            forwarded_after: ctx.forwarded_after,
            output_enforcement: ctx.output_enforcement,
            decision_id: ctx.decision_id.clone(),
            request_id: ctx.request_id.clone(),
            trace: ctx.trace.clone(),
            principal: ctx.principal.as_ref().map(|p| p.id.clone()),
            op: ctx.op,
            upstream: ctx.upstream,
            model: ctx.model.clone(),
            status: ctx.status,
            error_code: ctx.error_code,
            stream: ctx.stream,
            started: ctx.started,
        }
    }
}
