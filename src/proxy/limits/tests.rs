//! Unit tests of the in-process counters and of the Redis keys, arguments and replies.

use std::num::NonZeroU32;

use super::memory::Memory;
use super::*;
use crate::config::LimitScope;
use std::time::{Duration, Instant};

fn limit(id: &str, scope: LimitScope, requests: Option<u32>, tokens: Option<u64>) -> LimitSettings {
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
    let l = Memory::new(&[cfg]);
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
    let l = Memory::new(&[limit("rpm", LimitScope::Principal, Some(2), None)]);
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
    let l = Memory::new(&[limit("tpm", LimitScope::Group, None, Some(100))]);
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
    let l = Memory::new(&[cfg]);
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

mod redis_keys {
    use super::super::redis_store::{refused, slots};
    use super::*;

    fn both() -> Vec<LimitSettings> {
        let mut spend = limit("spend", LimitScope::Group, None, Some(500));
        spend.cost_micros = Some(2_000_000);
        spend.per = Duration::from_secs(3600);
        vec![limit("rpm", LimitScope::Principal, Some(4), None), spend]
    }

    #[test]
    fn every_key_of_a_call_is_one_script_argument_block() {
        let groups = ["eng".to_owned(), "ops".to_owned()];
        let s = Subject {
            principal: Some("ann"),
            groups: &groups,
            ..Subject::default()
        };
        let (got, charge) = slots("p:", &both(), &s);
        let keys: Vec<&str> = got.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["p:r:rpm:ann", "p:w:spend:eng", "p:w:spend:ops"]);
        // 4 a minute: one every 15 s, a burst of all four (tolerance = the interval).
        assert_eq!(got[0].args, ["r", "15000000.000", "60000000", "60000"]);
        assert_eq!(got[1].args, ["w", "500", "2000000", "3600000"]);
        assert_eq!(charge, vec![(1, "eng".to_owned()), (1, "ops".to_owned())]);
        // No ids in scope: nothing to ask Redis.
        let (none, charge) = slots("p:", &both(), &Subject::default());
        assert!(none.is_empty() && charge.is_empty());
        // A budget without tokens says -1.
        let mut cost_only = limit("c", LimitScope::Principal, None, None);
        cost_only.cost_micros = Some(7);
        let (got, _) = slots("", &[cost_only], &s);
        assert_eq!(got[0].args[1], "-1");
    }

    #[test]
    fn script_replies_map_back_to_the_limit_that_refused() {
        let cfg = both();
        let groups = ["eng".to_owned()];
        let s = Subject {
            principal: Some("ann"),
            groups: &groups,
            ..Subject::default()
        };
        let (got, _) = slots("p:", &cfg, &s);
        let slots = got;
        assert_eq!(refused(&cfg, &slots, &[0]), Ok(None));
        let r = refused(&cfg, &slots, &[1, 1, 15_000]).unwrap().unwrap();
        assert_eq!((r.limit.as_str(), r.what), ("rpm", "requests"));
        assert_eq!(r.retry_after, Duration::from_secs(15));
        let r = refused(&cfg, &slots, &[2, 3, 10]).unwrap().unwrap();
        assert_eq!((r.limit.as_str(), r.what), ("spend", "cost"));
        assert_eq!(r.retry_after, Duration::from_secs(1), "at least a second");
        let r = refused(&cfg, &slots, &[2, 2, 90_000]).unwrap().unwrap();
        assert_eq!(r.what, "tokens");
        for bad in [&[][..], &[3, 1, 1], &[0, 1, 1], &[1, 9, 1], &[1, 1]] {
            assert!(refused(&cfg, &slots, bad).is_err(), "{bad:?}");
        }
    }
}
