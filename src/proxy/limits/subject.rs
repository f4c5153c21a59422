//! What the limits talk about: the ids a call counts under ([`Subject`]) and the keys each
//! limit takes from them ([`keys`]), a refusal, the charge left for after the call, and the
//! verdict of an admission. Shared by both stores; decides nothing.

use std::time::Duration;

use crate::config::{FailMode, LimitScope, LimitSettings};

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

pub(super) fn refusal(cfg: &LimitSettings, what: &'static str, wait: Duration) -> Refusal {
    Refusal {
        limit: cfg.id.clone(),
        scope: cfg.scope,
        what,
        retry_after: wait.max(Duration::from_secs(1)),
    }
}

/// The keys of `s` that limit `cfg` counts: one per matching id of its scope.
pub(super) fn keys(cfg: &LimitSettings, s: &Subject<'_>) -> Vec<String> {
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

/// A window's used share of `l`'s budgets: the larger of tokens and money (0 without budgets).
pub(super) fn share(l: &LimitSettings, tokens: u64, cost_micros: u64) -> f64 {
    let of = |used: u64, budget: Option<u64>| budget.map_or(0.0, |b| used as f64 / b.max(1) as f64);
    of(tokens, l.tokens).max(of(cost_micros, l.cost_micros))
}
