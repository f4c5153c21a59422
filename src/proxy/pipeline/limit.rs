//! Phase 7b, admit: the call against the `[[limits]]` of its principal, groups, AI system and
//! upstream (see [`crate::proxy::limits`]), after the policy allowed it and before anything is
//! forwarded. A refusal is a 429 with `retry-after` in the provider's shape, recorded like every
//! refusal; the tokens an admitted call used are charged when it ends (`finish`). When the
//! shared `[limits_store]` does not answer, its fail mode decides: fail-open admits, fail-closed
//! refuses with 503 ([`Error::LimitsUnavailable`]); either way the decision record says so.
//!
//! Does not decide anything else; the counters are the limiter's.

use super::*;
use crate::config::FailMode;
use crate::proxy::limits::{Subject, Verdict};

impl Pipeline {
    /// Phase 7b — admit the call under the configured limits.
    pub(super) async fn admit(&self, call: &mut Call) -> Result<(), Error> {
        let limits = &self.shared.limits;
        if limits.is_empty() {
            return Ok(());
        }
        let principal = call.principal.as_ref();
        let subject = Subject {
            principal: principal.map(|p| p.id.as_str()),
            groups: principal.map(|p| p.groups.as_slice()).unwrap_or_default(),
            ai_system: call.ai_system(),
            upstream: call.upstream_name.as_deref(),
        };
        match limits.admit(&subject, Instant::now()).await {
            Verdict::Admit(charge) => {
                call.limit_charge = charge;
                Ok(())
            }
            Verdict::StoreDown { mode, charge } => {
                call.limits_fail_mode = Some(mode);
                match mode {
                    FailMode::FailOpen => {
                        call.limit_charge = charge;
                        Ok(())
                    }
                    FailMode::FailClosed => Err(Error::LimitsUnavailable),
                }
            }
            Verdict::Refuse(r) => {
                self.shared
                    .metrics
                    .limit_refusals
                    .get_or_create(&crate::telemetry::metrics::LimitLabels {
                        limit: r.limit.clone(),
                        what: r.what,
                    })
                    .inc();
                Err(Error::RateLimited {
                    limit: r.limit,
                    scope: r.scope.as_str(),
                    what: r.what,
                    retry_after_secs: r.retry_after.as_secs_f64().ceil() as u64,
                })
            }
        }
    }
}
