//! Rate limits, token and money budgets (`[[limits]]`): calls, tokens and spend per interval,
//! counted per principal, group, AI system or upstream.
//!
//! Owns the question "may this call go?" and the charge after it: which keys a call counts
//! under ([`keys`]), and the store the counters live in — this process ([`memory`]) or one Redis
//! shared by every replica ([`redis_store`], one round trip to admit, one fire-and-forget batch
//! to charge). Token and money budgets are charged after each call with the usage the provider
//! reported, priced by `[[prices]]` (a call admitted under budget may end over it; the next one
//! is refused until the window ends). When the shared store does not answer, the configured
//! [`crate::config::FailMode`] decides and the verdict says so. It does not decide anything else about a call.

mod memory;
mod redis_store;
mod subject;
#[cfg(test)]
mod tests;

use std::time::Instant;

pub use memory::MAX_KEYS;
pub use subject::{Charge, Refusal, Subject, Verdict};

use crate::config::{LimitSettings, LimitsStore};
use crate::telemetry::metrics::Metrics;

enum Store {
    Memory(memory::Memory),
    Redis(redis_store::RedisStore),
}

/// Every configured limit with its counters.
pub struct Limits {
    cfg: Vec<LimitSettings>,
    store: Store,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = match self.store {
            Store::Memory(_) => "memory",
            Store::Redis(_) => "redis",
        };
        f.debug_struct("Limits")
            .field("limits", &self.cfg.len())
            .field("store", &store)
            .finish()
    }
}

impl Limits {
    /// The limits `cfg` with their counters in `store`; store errors are counted in `metrics`.
    pub fn new(cfg: &[LimitSettings], store: &LimitsStore, metrics: &Metrics) -> Self {
        let store = match store {
            LimitsStore::Redis(r) if !cfg.is_empty() => Store::Redis(redis_store::RedisStore::new(
                r,
                metrics.limits_store_errors.clone(),
            )),
            _ => Store::Memory(memory::Memory::new(cfg)),
        };
        Self {
            cfg: cfg.to_vec(),
            store,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cfg.is_empty()
    }

    /// Admit a call, say which limit refuses it, or that the shared store could not be asked.
    pub async fn admit(&self, s: &Subject<'_>, now: Instant) -> Verdict {
        match &self.store {
            Store::Memory(m) => match m.admit(s, now) {
                Ok(c) => Verdict::Admit(c),
                Err(r) => Verdict::Refuse(r),
            },
            Store::Redis(r) => r.admit(&self.cfg, s).await,
        }
    }

    /// The used share of each token or money budget that applies to `s`, by limit id — the
    /// fullest of its keys in the current window, the larger of its token and money shares:
    /// the policy's `limit_used` facts. Request rates are not shares (a GCRA has no window) and
    /// are left out. Reads only (with Redis: one pipelined read, asked only for bundles that
    /// read the facts); `admit` still decides refusals.
    pub async fn usage(&self, s: &Subject<'_>, now: Instant) -> Vec<(String, f64)> {
        match &self.store {
            Store::Memory(m) => m.usage(s, now),
            Store::Redis(r) => r.usage(&self.cfg, s).await,
        }
    }

    /// Charge `tokens` (input plus output) and `cost_micros` (millionths of the price unit) to
    /// the windows of an admitted call. With Redis the batch is sent without waiting for it.
    pub fn charge(&self, charge: &Charge, tokens: u64, cost_micros: u64, now: Instant) {
        match &self.store {
            Store::Memory(m) => m.charge(charge, tokens, cost_micros, now),
            Store::Redis(r) => r.charge(&self.cfg, charge, tokens, cost_micros),
        }
    }
}
