//! Rate limits, token and money budgets (`[[limits]]`): calls, tokens and spend per interval,
//! counted per principal, group, AI system or upstream.
//!
//! Owns the question "may this call go?" and the charge after it: which keys a call counts
//! under ([`keys`]), and the store the counters live in — this process ([`memory`]) or one Redis
//! shared by every replica ([`redis_store`], one round trip to admit, one fire-and-forget batch
//! to charge). Token and money budgets are charged after each call with the usage the provider
//! reported, priced by `[[prices]]` (a call admitted under budget may end over it; the next one
//! is refused until the window ends). When the shared store does not answer, the configured
//! [`FailMode`] decides and the verdict says so. It does not decide anything else about a call.

mod memory;
mod redis_store;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

pub use memory::MAX_KEYS;

use crate::config::{FailMode, LimitScope, LimitSettings, LimitsStore};
use crate::telemetry::metrics::{LimitsStoreLabels, Metrics};

/// The ids a call counts under.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub principal: Option<&'a str>,
    pub groups: &'a [String],
    pub ai_system: Option<&'a str>,
    pub upstream: Option<&'a str>,
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The limit's id.
    pub limit: String,
    pub scope: LimitScope,
    /// `requests`, `tokens` or `cost`.
    pub what: &'static str,
    /// When the call would be admitted again (at least one second, as `retry-after` counts).
    pub retry_after: Duration,
}

/// The token windows a call is charged to after it ends: (limit index, key).
pub type Charge = Vec<(usize, String)>;

/// What [`Limits::admit`] says about a call.
#[derive(Debug)]
pub enum Verdict {
    Admit(Charge),
    Refuse(Refusal),
    /// The shared store did not answer in time: `mode` says what the call gets (admitted with
    /// `charge` when fail-open, refused when fail-closed).
    StoreDown {
        mode: FailMode,
        charge: Charge,
    },
}

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

    /// Charge `tokens` (input plus output) and `cost_micros` (millionths of the price unit) to
    /// the windows of an admitted call. With Redis the batch is sent without waiting for it.
    pub fn charge(&self, charge: &Charge, tokens: u64, cost_micros: u64, now: Instant) {
        match &self.store {
            Store::Memory(m) => m.charge(charge, tokens, cost_micros, now),
            Store::Redis(r) => r.charge(&self.cfg, charge, tokens, cost_micros),
        }
    }
}

impl LimitsStoreLabels {
    fn new(op: &'static str, mode: FailMode) -> Self {
        Self {
            op,
            mode: mode.as_str(),
        }
    }
}

fn refusal(cfg: &LimitSettings, what: &'static str, wait: Duration) -> Refusal {
    Refusal {
        limit: cfg.id.clone(),
        scope: cfg.scope,
        what,
        retry_after: wait.max(Duration::from_secs(1)),
    }
}

/// The keys of `s` that limit `cfg` counts: one per matching id of its scope.
fn keys(cfg: &LimitSettings, s: &Subject<'_>) -> Vec<String> {
    let ids: Vec<&str> = match cfg.scope {
        LimitScope::Principal => s.principal.into_iter().collect(),
        LimitScope::Group => s.groups.iter().map(String::as_str).collect(),
        LimitScope::AiSystem => s.ai_system.into_iter().collect(),
        LimitScope::Upstream => s.upstream.into_iter().collect(),
    };
    ids.into_iter()
        .filter(|id| cfg.applies_to(id))
        .map(str::to_owned)
        .collect()
}
