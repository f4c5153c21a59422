//! Retries and failover: which upstream answers are worth another attempt, how long to wait
//! before it, and the process-wide retry budget that keeps an outage from multiplying the load
//! on what is left.
//!
//! Pure policy over statuses, headers and settings; the attempt loop that sends is the
//! pipeline's (`pipeline/answer.rs`), which also decides which upstreams a call may move to
//! (approved for its AI system, holding a credential for it). Only answers whose headers have
//! not been relayed are ever retried, so a stream whose bytes reached the client never is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::config::RetrySettings;
use crate::error::Error;

/// Why an attempt did not give the answer, when it is worth another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retryable {
    /// `connect_error` or `status_<code>`.
    pub reason: String,
    /// The upstream's status; 0 when it gave none.
    pub status: u16,
    /// The upstream's `retry-after`, when it sent one in seconds.
    pub retry_after: Option<Duration>,
}

/// An upstream answer (status and headers) that another attempt may fix: 429 and the
/// transient 5xx (500, 502, 503, 504). Anything else is the answer.
pub fn judge_answer(status: StatusCode, headers: &HeaderMap) -> Option<Retryable> {
    let s = status.as_u16();
    matches!(s, 429 | 500 | 502 | 503 | 504).then(|| Retryable {
        reason: format!("status_{s}"),
        status: s,
        retry_after: retry_after(headers),
    })
}

/// A failure to get an answer that another attempt may fix: the connection could not be made,
/// so the upstream never saw the request. A timeout after sending is not retried (the upstream
/// may be generating, and billing, the answer).
pub fn judge_error(err: &Error) -> Option<Retryable> {
    matches!(err, Error::UpstreamUnreachable { .. }).then(|| Retryable {
        reason: "connect_error".to_owned(),
        status: 0,
        retry_after: None,
    })
}

/// `retry-after` in delay-seconds (the HTTP-date form is not used by the providers).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The wait before retry number `n` (1 = the first retry) of the same upstream: the upstream's
/// `retry-after` when it gave one, else `backoff` doubled per retry, capped at `max_backoff`.
/// `None` when the upstream asks for a longer wait than `max_backoff` allows.
pub fn wait_before(
    settings: &RetrySettings,
    n: u32,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    match retry_after {
        Some(d) if d > settings.max_backoff => None,
        Some(d) => Some(d),
        None => {
            let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
            Some(
                settings
                    .backoff
                    .saturating_mul(factor)
                    .min(settings.max_backoff),
            )
        }
    }
}

/// Retry tokens, in thousandths: every forwarded call earns `budget_ratio` of a token, every
/// retry spends one, and at most [`RetryBudget::CAP`] tokens are banked.
#[derive(Debug)]
pub struct RetryBudget {
    milli: AtomicU64,
}

impl Default for RetryBudget {
    fn default() -> Self {
        // A fresh process may retry its first calls.
        Self {
            milli: AtomicU64::new(10 * 1000),
        }
    }
}

impl RetryBudget {
    /// Most tokens banked.
    pub const CAP: u64 = 100;

    /// A forwarded call earns `ratio` of a token.
    pub fn earn(&self, ratio: f64) {
        let add = (ratio.clamp(0.0, 1.0) * 1000.0) as u64;
        let cap = Self::CAP * 1000;
        let _ = self
            .milli
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                Some(m.saturating_add(add).min(cap))
            });
    }

    /// Spend one token for a retry; false when the budget is exhausted.
    pub fn spend(&self) -> bool {
        self.milli
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                m.checked_sub(1000)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RetrySettings {
        RetrySettings {
            max_attempts: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            budget_ratio: 0.5,
        }
    }

    #[test]
    fn only_transient_answers_and_connect_errors_are_retried() {
        let mut h = HeaderMap::new();
        for s in [200u16, 400, 401, 403, 404, 413, 501] {
            assert_eq!(
                judge_answer(StatusCode::from_u16(s).unwrap(), &h),
                None,
                "{s}"
            );
        }
        h.insert(http::header::RETRY_AFTER, "3".parse().unwrap());
        let r = judge_answer(StatusCode::TOO_MANY_REQUESTS, &h).unwrap();
        assert_eq!((r.reason.as_str(), r.status), ("status_429", 429));
        assert_eq!(r.retry_after, Some(Duration::from_secs(3)));
        assert!(judge_answer(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new()).is_some());
        let unreachable = Error::UpstreamUnreachable {
            upstream: "u".into(),
            reason: "refused".into(),
        };
        assert_eq!(judge_error(&unreachable).unwrap().reason, "connect_error");
        let timeout = Error::UpstreamTimeout {
            upstream: "u".into(),
            secs: 1,
        };
        assert_eq!(judge_error(&timeout), None);
    }

    #[test]
    fn waits_double_up_to_the_cap_and_honour_retry_after() {
        let s = settings();
        let ms = |n, ra| wait_before(&s, n, ra).map(|d: Duration| d.as_millis());
        assert_eq!(ms(1, None), Some(100));
        assert_eq!(ms(2, None), Some(200));
        assert_eq!(ms(4, None), Some(800));
        assert_eq!(ms(5, None), Some(1000));
        assert_eq!(ms(40, None), Some(1000));
        assert_eq!(ms(1, Some(Duration::from_millis(500))), Some(500));
        assert_eq!(
            ms(1, Some(Duration::from_secs(30))),
            None,
            "too long a retry-after"
        );
    }

    #[test]
    fn the_budget_is_earned_by_calls_and_spent_by_retries() {
        let b = RetryBudget::default();
        for _ in 0..10 {
            assert!(b.spend());
        }
        assert!(!b.spend(), "the starting tokens are spent");
        b.earn(0.5);
        assert!(!b.spend(), "half a token is not a retry");
        b.earn(0.5);
        assert!(b.spend());
        for _ in 0..1000 {
            b.earn(1.0);
        }
        let mut n = 0;
        while b.spend() {
            n += 1;
        }
        assert_eq!(n, RetryBudget::CAP);
    }
}
