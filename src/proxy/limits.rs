//! Rate limits, token and money budgets (`[[limits]]`): calls, tokens and spend per interval,
//! counted per principal, group, AI system or upstream, in this process.
//!
//! Owns the counters: a GCRA limiter per request limit ([`governor`], one state per key) and a
//! fixed window per token or money budget, charged after each call with the usage the provider
//! reported, priced by `[[prices]]` (a call admitted under budget may end over it; the next one
//! is refused until the window ends). It does not decide anything else about a call, and it shares no counters across
//! replicas. Memory is bounded: keys idle for a whole interval are dropped once a limit holds
//! more than [`MAX_KEYS`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::{LimitScope, LimitSettings};

/// Keys one limit holds before idle ones are dropped.
pub const MAX_KEYS: usize = 100_000;

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

struct Window {
    start: Instant,
    used: u64,
    /// Spend in millionths of the price table's unit.
    spent_micros: u64,
}

struct Entry {
    cfg: LimitSettings,
    requests: Option<DefaultKeyedRateLimiter<String>>,
    tokens: Mutex<HashMap<String, Window>>,
}

/// Every configured limit with its counters.
pub struct Limits {
    entries: Vec<Entry>,
    admitted: AtomicU64,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("limits", &self.entries.len())
            .finish()
    }
}

impl Limits {
    pub fn new(cfg: &[LimitSettings]) -> Self {
        let entries = cfg
            .iter()
            .map(|c| Entry {
                requests: c.requests.and_then(|n| {
                    // n calls per `per`, all of them at once if they come at once.
                    Quota::with_period(c.per / n.get())
                        .map(|q| DefaultKeyedRateLimiter::keyed(q.allow_burst(n)))
                }),
                tokens: Mutex::new(HashMap::new()),
                cfg: c.clone(),
            })
            .collect();
        Self {
            entries,
            admitted: AtomicU64::new(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Admit a call or say which limit refuses it. Token budgets are checked first, then each
    /// request limit takes one call (a call refused by a later limit has been counted by the
    /// earlier ones).
    pub fn admit(&self, s: &Subject<'_>, now: Instant) -> Result<Charge, Refusal> {
        // Each limit's keys for this call, computed once for both passes.
        let keyed: Vec<Vec<String>> = self.entries.iter().map(|e| keys(&e.cfg, s)).collect();
        let mut charge = Charge::new();
        for (i, (e, ks)) in self.entries.iter().zip(&keyed).enumerate() {
            if ks.is_empty() || (e.cfg.tokens.is_none() && e.cfg.cost_micros.is_none()) {
                continue;
            }
            let map = e
                .tokens
                .lock()
                .map_err(|_| refusal(e, "tokens", e.cfg.per))?;
            for key in ks {
                if let Some(w) = map.get(key) {
                    let end = w.start + e.cfg.per;
                    if now < end && e.cfg.tokens.is_some_and(|b| w.used >= b) {
                        return Err(refusal(e, "tokens", end - now));
                    }
                    if now < end && e.cfg.cost_micros.is_some_and(|b| w.spent_micros >= b) {
                        return Err(refusal(e, "cost", end - now));
                    }
                }
                charge.push((i, key.clone()));
            }
        }
        for (e, ks) in self.entries.iter().zip(&keyed) {
            let Some(limiter) = &e.requests else { continue };
            for key in ks {
                if let Err(not_until) = limiter.check_key(key) {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    return Err(refusal(e, "requests", wait));
                }
            }
        }
        if self.admitted.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.trim(now);
        }
        Ok(charge)
    }

    /// Charge `tokens` (input plus output) and `cost_micros` (millionths of the price unit) to
    /// the windows of an admitted call.
    pub fn charge(&self, charge: &Charge, tokens: u64, cost_micros: u64, now: Instant) {
        for (i, key) in charge {
            let Some(e) = self.entries.get(*i) else {
                continue;
            };
            let Ok(mut map) = e.tokens.lock() else {
                continue;
            };
            let per = e.cfg.per;
            let fresh = Window {
                start: now,
                used: 0,
                spent_micros: 0,
            };
            let w = map.entry(key.clone()).or_insert(fresh);
            if now >= w.start + per {
                *w = Window {
                    start: now,
                    used: 0,
                    spent_micros: 0,
                };
            }
            w.used = w.used.saturating_add(tokens);
            w.spent_micros = w.spent_micros.saturating_add(cost_micros);
        }
    }

    /// The used share of each token or money budget that applies to `s` — the fullest of its
    /// keys in the current window, the larger of its token and money shares — by limit id: the
    /// policy's `limit_used` facts. Request rates are not shares (a GCRA has no window) and are
    /// left out. Reads only; `admit` still decides refusals.
    pub fn usage(&self, s: &Subject<'_>, now: Instant) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for e in &self.entries {
            if e.cfg.tokens.is_none() && e.cfg.cost_micros.is_none() {
                continue;
            }
            let ks = keys(&e.cfg, s);
            if ks.is_empty() {
                continue;
            }
            let Ok(map) = e.tokens.lock() else { continue };
            let share = |used: u64, budget: Option<u64>| {
                budget.map_or(0.0, |b| used as f64 / b.max(1) as f64)
            };
            let used = ks
                .iter()
                .filter_map(|k| map.get(k))
                .filter(|w| now < w.start + e.cfg.per)
                .map(|w| share(w.used, e.cfg.tokens).max(share(w.spent_micros, e.cfg.cost_micros)))
                .fold(0.0, f64::max);
            out.push((e.cfg.id.clone(), used));
        }
        out
    }

    /// Drop keys idle for a whole interval once a limit holds too many.
    fn trim(&self, now: Instant) {
        for e in &self.entries {
            if let Some(l) = &e.requests {
                if l.len() > MAX_KEYS {
                    l.retain_recent();
                }
            }
            if let Ok(mut map) = e.tokens.lock() {
                if map.len() > MAX_KEYS {
                    map.retain(|_, w| now < w.start + e.cfg.per);
                }
            }
        }
    }
}

fn refusal(e: &Entry, what: &'static str, wait: Duration) -> Refusal {
    Refusal {
        limit: e.cfg.id.clone(),
        scope: e.cfg.scope,
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

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn limit(
        id: &str,
        scope: LimitScope,
        requests: Option<u32>,
        tokens: Option<u64>,
    ) -> LimitSettings {
        LimitSettings {
            id: id.into(),
            scope,
            matches: vec!["*".into()],
            requests: requests.and_then(NonZeroU32::new),
            tokens,
            cost_micros: None,
            per: Duration::from_secs(60),
        }
    }

    #[test]
    fn money_budgets_refuse_once_spent() {
        let mut cfg = limit("spend", LimitScope::Principal, None, None);
        cfg.cost_micros = Some(1_000_000);
        let l = Limits::new(&[cfg]);
        let s = Subject {
            principal: Some("ann"),
            ..Subject::default()
        };
        let t0 = Instant::now();
        let c = l.admit(&s, t0).unwrap();
        l.charge(&c, 1000, 600_000, t0);
        let c = l.admit(&s, t0).unwrap();
        l.charge(&c, 1000, 600_000, t0);
        let r = l.admit(&s, t0).unwrap_err();
        assert_eq!((r.limit.as_str(), r.what), ("spend", "cost"));
    }

    #[test]
    fn request_limits_count_each_key_alone() {
        let l = Limits::new(&[limit("rpm", LimitScope::Principal, Some(2), None)]);
        let now = Instant::now();
        let (ann, bob) = (
            Subject {
                principal: Some("ann"),
                ..Subject::default()
            },
            Subject {
                principal: Some("bob"),
                ..Subject::default()
            },
        );
        assert!(l.admit(&ann, now).is_ok());
        assert!(l.admit(&ann, now).is_ok());
        let r = l.admit(&ann, now).unwrap_err();
        assert_eq!((r.limit.as_str(), r.what), ("rpm", "requests"));
        assert!(
            r.retry_after >= Duration::from_secs(1) && r.retry_after <= Duration::from_secs(31),
            "{r:?}"
        );
        assert!(l.admit(&bob, now).is_ok(), "bob has his own count");
        // No principal: the limit does not apply.
        assert!(l.admit(&Subject::default(), now).is_ok());
    }

    #[test]
    fn token_budgets_refuse_once_spent_until_the_window_ends() {
        let l = Limits::new(&[limit("tpm", LimitScope::Group, None, Some(100))]);
        let groups = ["eng".to_owned(), "ops".to_owned()];
        let s = Subject {
            groups: &groups,
            ..Subject::default()
        };
        let t0 = Instant::now();
        let charge = l.admit(&s, t0).unwrap();
        assert_eq!(charge.len(), 2, "one window per group");
        l.charge(&charge, 60, 0, t0);
        assert!(l.admit(&s, t0).is_ok(), "60 of 100");
        l.charge(&charge, 50, 0, t0);
        let r = l.admit(&s, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(r.what, "tokens");
        assert_eq!(r.retry_after, Duration::from_secs(50));
        let later = t0 + Duration::from_secs(61);
        let charge = l.admit(&s, later).unwrap();
        l.charge(&charge, 10, 0, later);
        assert!(l.admit(&s, later).is_ok(), "a new window");
    }

    #[test]
    fn matches_select_the_ids_a_limit_counts() {
        let mut cfg = limit("team", LimitScope::AiSystem, Some(1), None);
        cfg.matches = vec!["support-*".into()];
        let l = Limits::new(&[cfg]);
        let now = Instant::now();
        let sys = |id| Subject {
            ai_system: Some(id),
            ..Subject::default()
        };
        assert!(l.admit(&sys("support-bot"), now).is_ok());
        assert!(l.admit(&sys("support-bot"), now).is_err());
        for _ in 0..5 {
            assert!(
                l.admit(&sys("finance-bot"), now).is_ok(),
                "not matched, not limited"
            );
        }
    }
}
