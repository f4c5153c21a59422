//! The `[[limits]]` counters of `[limits_store] backend = "memory"`: in this process only.
//!
//! A GCRA limiter per request limit ([`governor`], one state per key) and a fixed window per
//! token or money budget, started by its first charge. Memory is bounded: keys idle for a whole
//! interval are dropped once a limit holds more than [`MAX_KEYS`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::subject::{keys, refusal, Charge, Refusal, Subject};
use crate::config::LimitSettings;

/// Keys one limit holds before idle ones are dropped.
pub const MAX_KEYS: usize = 100_000;

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

/// Every configured limit with its counters in this process.
pub struct Memory {
    entries: Vec<Entry>,
    admitted: AtomicU64,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("limits", &self.entries.len())
            .finish()
    }
}

impl Memory {
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
                .map_err(|_| refusal(&e.cfg, "tokens", e.cfg.per))?;
            for key in ks {
                if let Some(w) = map.get(key) {
                    let end = w.start + e.cfg.per;
                    if now < end && e.cfg.tokens.is_some_and(|b| w.used >= b) {
                        return Err(refusal(&e.cfg, "tokens", end - now));
                    }
                    if now < end && e.cfg.cost_micros.is_some_and(|b| w.spent_micros >= b) {
                        return Err(refusal(&e.cfg, "cost", end - now));
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
                    return Err(refusal(&e.cfg, "requests", wait));
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

    /// Drop keys idle for a whole interval once a limit holds too many.
    /// The used share of each token or money budget that applies to `s`: the fullest of its
    /// keys in the current window, the larger of its token and money shares.
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
            let used = ks
                .iter()
                .filter_map(|k| map.get(k))
                .filter(|w| now < w.start + e.cfg.per)
                .map(|w| super::subject::share(&e.cfg, w.used, w.spent_micros))
                .fold(0.0, f64::max);
            out.push((e.cfg.id.clone(), used));
        }
        out
    }

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
