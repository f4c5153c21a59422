//! The last phase, [`Pipeline::finish`]: the outcome evidence record of a forwarded call and
//! the telemetry (access-log line, metrics, span) of every call. It takes the [`Call`] by value,
//! so it runs exactly once per call, whichever way the call ended.
//!
//! Also [`Pipeline::fail`], where an error from any phase becomes the provider-shaped response
//! and, when the call never reached the evidence log, its decision record. Neither ever fails
//! the call itself.

use super::*;

impl Pipeline {
    /// End a call with `err`: the provider-shaped response (the one place errors become
    /// responses), the decision record of a call refused or failed before its decision was
    /// committed (durable before the response is sent), then the last phase.
    pub(crate) async fn fail(&self, mut call: Call, err: Error) -> Response<ProxyBody> {
        let mut resp = respond::error_response(call.family, &err);
        let status = resp.status().as_u16();
        call.status = Some(status);
        call.error_code = Some(err.code());
        let end = if call.forwarded_or_kept() {
            // Forwarded, then failed (upstream down or slow, answer unreadable), or refused
            // with its decision record kept for later: the outcome record says how it ended.
            call.upstream_status = None;
            StreamEnd::UpstreamError
        } else {
            let record = record::decision(&call, status, Some(&err));
            match self.shared.evidence.append(record).await {
                Ok(a) => call.log_index = Some(a.seq),
                Err(e) => {
                    tracing::error!(error = %e, decision_id = %call.decision_id, "could not record the refusal in the evidence log");
                }
            }
            StreamEnd::Complete
        };
        respond::stamp(&call, resp.headers_mut());
        self.finish(call, BodyStats::none(end), None);
        resp
    }

    /// Phase 12 — the last phase of every call: the outcome record when the call was forwarded
    /// (or its decision record kept), queued first, then the log line, metrics and span. `report` is what the
    /// answer's inspection learned, when an answer was relayed.
    pub(super) fn finish(&self, call: Call, stats: BodyStats, report: Option<InspectReport>) {
        if !call.forwarded_or_kept() {
            self.shared.observe(call, &stats, None);
            return;
        }
        let report = report.unwrap_or_default();
        if !call.limit_charge.is_empty() {
            // Token budgets are charged what the provider reported.
            let u = report.usage;
            let (input, output) = (u.input_tokens.unwrap_or(0), u.output_tokens.unwrap_or(0));
            let cost = crate::config::cost_micros(
                &self.shared.config.prices,
                call.model.as_deref(),
                input,
                output,
            );
            self.shared.limits.charge(
                &call.limit_charge,
                input.saturating_add(output),
                cost,
                Instant::now(),
            );
        }
        // The outcome is queued (and so takes its place in the log) before the log line and
        // metrics say the call ended. Nobody waits for it: no task, unless the queue is full.
        let payload = record::outcome(&call, &stats, &report);
        if let Err(payload) = self.shared.evidence.submit(payload) {
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
        self.shared.observe(call, &stats, Some(&report));
    }
}
