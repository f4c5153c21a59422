//! Performance-evaluation figures from generated records with known contents: objectives (this
//! period and the previous one), per-system view with the inventory, controls operating against
//! nonconformities per week, the review workflow, anomalies and the audit sample. Every
//! expected figure is computed here from the generator's own list, not by the collector's code.
use std::sync::Arc;

use crate::evidence::proto::{
    event_record::Event, record::Kind, ClassAction, ClassFinding, DecisionRecord, Disposition,
    Effect, EventRecord, LogStart, MatchedRule, OutcomeRecord, PolicyActivation, Record,
    ReviewDisposition,
};

use super::super::figures::*;
use super::super::policies::Texts;
use super::super::time::TimeRange;
use super::super::zone::Zone;
use super::super::{Collector, Settings};

const S: i64 = 1_000_000_000;
const DAY: i64 = 86_400 * S;
/// 2026-11-30 (a Monday) 00:00 UTC: the period is two weeks from here.
const T0: i64 = 1_795_996_800 * S;

const OBJECTIVES: &str = r#"
[[objective]]
id = "no-secret"
title = "No credential reaches a provider"
metric = "findings_forwarded"
classes = ["secret.*"]
max = 0
controls = ["A.2.2"]

[[objective]]
id = "refusals-below-30pct"
title = "Refusals stay below 30%"
metric = "refusal_rate"
max = 0.3
controls = ["A.9.2"]

[[objective]]
id = "approved-models"
title = "Only approved models"
metric = "unapproved_use"
max = 0
ai_systems = ["general-assistant", "claims-triage"]
controls = ["A.6.2.5"]

[[objective]]
id = "no-shadow"
title = "No unregistered AI"
metric = "unregistered_calls"
max = 0
controls = ["A.4.2"]

[[objective]]
id = "p95"
title = "p95 under 250 ms"
metric = "latency_p95_ms"
max = 250
ai_systems = ["general-assistant"]
controls = ["A.6.2.6"]

[[objective]]
id = "upstream-errors"
title = "Upstream errors under 10%"
metric = "upstream_error_rate"
max = 0.1
controls = ["A.10.3"]

[[objective]]
id = "disposal"
title = "Reviews disposed within 2 days"
metric = "review_disposal_days"
max = 2
controls = ["A.3.3"]

[[objective]]
id = "open"
title = "No open review"
metric = "open_reviews"
max = 0
controls = ["A.3.3"]
"#;

const EXTRA_SYSTEMS: &str = r#"
[[system]]
id = "claims-triage"
name = "Claims triage"
owner = "claims-ops"
purpose = "Sorts incoming insurance claims for human handlers."
risk_tier = "high"
impact_assessment = "AIIA-2026-014"
principals = ["*"]
"#;

fn bundle() -> crate::policy::Bundle {
    let files: Vec<(String, String)> = crate::policy::baseline_files()
        .into_iter()
        .map(|(n, t)| match n.as_str() {
            "objectives.toml" => (n, OBJECTIVES.to_owned()),
            "systems.toml" => (n, t + EXTRA_SYSTEMS),
            _ => (n, t),
        })
        .collect();
    crate::policy::load_files(&files).unwrap()
}

/// One generated call.
#[derive(Clone, Debug)]
struct Call {
    id: String,
    time: i64,
    system: &'static str,
    registered: bool,
    effect: Effect,
    secret_left: u32,
    secret_redacted: u32,
    unapproved: bool,
    flagged: bool,
    latency_ms: u64,
    failed: bool,
}

/// Deterministic calls: `n` per period, spread over `[start, start + len)`.
fn calls(start: i64, len: i64, n: u64, tag: &str) -> Vec<Call> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ start as u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let r = next();
            let system = match r % 10 {
                0 => "shadow-bot",
                1..=3 => "claims-triage",
                _ => "general-assistant",
            };
            let effect = match (r >> 8) % 10 {
                0 | 1 => Effect::Block,
                2 | 3 => Effect::Redact,
                4 => Effect::Review,
                _ => Effect::Allow,
            };
            Call {
                id: format!("{tag}-{i}"),
                time: start + (len / n as i64) * i as i64,
                system,
                registered: system != "shadow-bot",
                effect,
                secret_left: u32::from(effect == Effect::Allow && (r >> 16) % 7 == 0),
                secret_redacted: u32::from(effect == Effect::Redact),
                unapproved: system != "shadow-bot" && (r >> 20) % 9 == 0,
                flagged: effect == Effect::Review
                    || (effect == Effect::Redact && (r >> 24) % 3 == 0),
                latency_ms: 50 + (r >> 28) % 400,
                failed: (r >> 40) % 13 == 0,
            }
        })
        .collect()
}

fn records(calls: &[Call], hash: &str, seq0: u64) -> Vec<Record> {
    let mut out = Vec::new();
    let mut seq = seq0;
    for c in calls {
        let mut findings = Vec::new();
        if c.secret_left > 0 {
            findings.push(ClassFinding {
                class: "secret.aws_access_key".into(),
                count: c.secret_left,
                action: ClassAction::Allowed as i32,
                test_values: 0,
            });
        }
        if c.secret_redacted > 0 {
            findings.push(ClassFinding {
                class: "secret.github_token".into(),
                count: c.secret_redacted,
                action: ClassAction::Redacted as i32,
                test_values: 0,
            });
        }
        let d = DecisionRecord {
            decision_id: c.id.clone(),
            ai_system_id: c.system.into(),
            ai_system_registered: c.registered,
            ai_system_risk_tier: match c.system {
                "claims-triage" => "high",
                "general-assistant" => "limited",
                _ => "unknown",
            }
            .into(),
            provider: "openai".into(),
            upstream: "openai".into(),
            requested_model: "gpt-4o".into(),
            policy_bundle_id: "aimsgate-baseline".into(),
            policy_version: "1.0.0".into(),
            policy_content_hash: hash.into(),
            matched_rules: vec![MatchedRule {
                rule_id: "r".into(),
                annex_a_controls: vec!["A.2.2".into()],
            }],
            effect: c.effect as i32,
            findings,
            model_approved: c.registered.then_some(!c.unapproved),
            review_flagged: c.flagged,
            ..DecisionRecord::default()
        };
        out.push(Record {
            log_id: "node-a".into(),
            seq,
            time_unix_nanos: c.time,
            kind: Some(Kind::Decision(d)),
            ..Record::default()
        });
        seq += 1;
        if c.effect != Effect::Block {
            out.push(Record {
                log_id: "node-a".into(),
                seq,
                time_unix_nanos: c.time + S,
                kind: Some(Kind::Outcome(OutcomeRecord {
                    decision_id: c.id.clone(),
                    upstream_status: if c.failed { 502 } else { 200 },
                    latency_us: c.latency_ms * 1000,
                    ..OutcomeRecord::default()
                })),
                ..Record::default()
            });
            seq += 1;
        }
    }
    out
}

fn event(seq: u64, t: i64, e: Event) -> Record {
    Record {
        log_id: "node-a".into(),
        seq,
        time_unix_nanos: t,
        kind: Some(Kind::Event(EventRecord { event: Some(e) })),
        ..Record::default()
    }
}

fn disposition(seq: u64, t: i64, id: &str, d: Disposition) -> Record {
    event(
        seq,
        t,
        Event::ReviewDisposition(ReviewDisposition {
            decision_id: id.into(),
            disposition: d as i32,
            reviewer: "r.auditor".into(),
            note: "checked".into(),
            ..ReviewDisposition::default()
        }),
    )
}

fn node() -> NodeStatus {
    NodeStatus {
        data_dir: "/data/a".into(),
        log_id: "node-a".into(),
        verified: true,
        checkpoints_verified: 3,
        ..NodeStatus::default()
    }
}

struct World {
    prev: Vec<Call>,
    now: Vec<Call>,
    figures: Figures,
    generated_at: i64,
}

/// Two periods of 14 days, reviews disposed for some flagged calls, one activation before the
/// period (with an approver) and one inside it (without).
fn world() -> World {
    let b = bundle();
    let hash = b.content_hash().to_owned();
    let prev = calls(T0 - 14 * DAY, 14 * DAY, 300, "p");
    let now = calls(T0, 14 * DAY, 400, "n");
    let generated_at = T0 + 15 * DAY;
    let mut recs = vec![event(
        0,
        T0 - 20 * DAY,
        Event::PolicyActivation(PolicyActivation {
            new_content_hash: hash.clone(),
            bundle_id: "aimsgate-baseline".into(),
            version: "1.0.0".into(),
            approved_by: "CISO".into(),
            change_ref: "CHG-1".into(),
            ..PolicyActivation::default()
        }),
    )];
    recs.extend(records(&prev, &hash, 1));
    recs.extend(records(&now, &hash, 10_000));
    recs.push(event(
        20_000,
        T0 + DAY / 2,
        Event::PolicyActivation(PolicyActivation {
            new_content_hash: hash.clone(),
            bundle_id: "aimsgate-baseline".into(),
            version: "1.0.0".into(),
            ..PolicyActivation::default()
        }),
    ));
    // Dispositions: the flagged calls of this period with an even index are accepted one day
    // later, those divisible by 3 (and odd) rejected 4 days later; every 5th flagged call
    // of the previous period is escalated, the others accepted at once.
    let mut seq = 30_000;
    for (i, c) in now.iter().filter(|c| c.flagged).enumerate() {
        let d = if i % 2 == 0 {
            Some((DAY, Disposition::Accepted))
        } else if i % 3 == 0 {
            Some((4 * DAY, Disposition::Rejected))
        } else {
            None
        };
        if let Some((after, d)) = d {
            recs.push(disposition(seq, c.time + after, &c.id, d));
            seq += 1;
        }
    }
    for (i, c) in prev.iter().filter(|c| c.flagged).enumerate() {
        let d = if i % 5 == 0 {
            Disposition::Escalated
        } else {
            Disposition::Accepted
        };
        recs.push(disposition(seq, c.time + S, &c.id, d));
        seq += 1;
    }
    recs.push(disposition(seq, T0 + DAY, "ghost", Disposition::Accepted));
    let mut c = Collector::with(
        TimeRange {
            since: Some(T0),
            until: Some(T0 + 14 * DAY),
        },
        Settings {
            previous: Some(TimeRange {
                since: Some(T0 - 14 * DAY),
                until: Some(T0),
            }),
            zone: Zone::utc(),
            seed: "audit-2026".into(),
            sample: 20,
            max_gap: 0,
            generated_at,
        },
    );
    c.node(0, "/data/a");
    for r in &recs {
        c.add(r);
    }
    let texts = Texts {
        given: Some(("test-policy".into(), Arc::new(b))),
        ..Texts::default()
    };
    let figures = c.finish_with(vec![node()], "gen".into(), &texts);
    World {
        prev,
        now,
        figures,
        generated_at,
    }
}

/// The calls of this period flagged for review with their closing time as of the report
/// (the generator's rule: even index accepted after a day, odd multiples of 3 rejected after
/// four days; a close after the report time does not count).
fn closing(w: &World) -> Vec<(&Call, Option<(i64, bool)>)> {
    w.now
        .iter()
        .filter(|c| c.flagged)
        .enumerate()
        .map(|(i, c)| {
            let close = if i % 2 == 0 {
                Some((c.time + DAY, true))
            } else if i % 3 == 0 {
                Some((c.time + 4 * DAY, false))
            } else {
                None
            };
            (c, close.filter(|(t, _)| *t <= w.generated_at))
        })
        .collect()
}

fn open_ids(w: &World) -> Vec<&str> {
    closing(w)
        .into_iter()
        .filter(|(_, c)| c.is_none())
        .map(|(c, _)| c.id.as_str())
        .collect()
}

fn objective<'a>(f: &'a Figures, id: &str, system: Option<&str>) -> &'a ObjectiveFigures {
    f.objectives
        .iter()
        .find(|o| o.id == id && o.ai_system.as_deref() == system)
        .unwrap_or_else(|| panic!("objective {id} {system:?}"))
}

/// Nearest-rank percentile (ms), as the histogram reports it (within 0.1% above).
fn p95(mut v: Vec<u64>) -> f64 {
    v.sort_unstable();
    let rank = ((0.95 * v.len() as f64).ceil() as usize).max(1);
    v[rank - 1] as f64
}

#[test]
fn objectives_are_measured_in_both_periods_against_their_thresholds() {
    let w = world();
    let f = &w.figures;
    assert_eq!(f.policy.source, "--policy");
    for (period, calls, measured) in [(0, &w.now, true), (1, &w.prev, false)] {
        let pick = |o: &ObjectiveFigures| if measured { o.measured } else { o.previous };
        let secrets: u32 = calls.iter().map(|c| c.secret_left).sum();
        assert_eq!(
            pick(objective(f, "no-secret", None)),
            Some(f64::from(secrets)),
            "period {period}"
        );
        let refused = calls.iter().filter(|c| c.effect == Effect::Block).count();
        let rate = pick(objective(f, "refusals-below-30pct", None)).unwrap();
        assert!((rate - refused as f64 / calls.len() as f64).abs() < 1e-12);
        for sys in ["general-assistant", "claims-triage"] {
            let n = calls
                .iter()
                .filter(|c| c.system == sys && c.unapproved)
                .count();
            assert_eq!(
                pick(objective(f, "approved-models", Some(sys))),
                Some(n as f64),
                "{sys}"
            );
        }
        let shadow = calls.iter().filter(|c| !c.registered).count();
        assert_eq!(pick(objective(f, "no-shadow", None)), Some(shadow as f64));
        let lat: Vec<u64> = calls
            .iter()
            .filter(|c| c.system == "general-assistant" && c.effect != Effect::Block)
            .map(|c| c.latency_ms)
            .collect();
        let got = pick(objective(f, "p95", Some("general-assistant"))).unwrap();
        let want = p95(lat);
        assert!(got >= want && got <= want * 1.001, "{got} vs {want}");
        let fwd: Vec<&Call> = calls.iter().filter(|c| c.effect != Effect::Block).collect();
        let failed = fwd.iter().filter(|c| c.failed).count();
        let e = pick(objective(f, "upstream-errors", None)).unwrap();
        assert!((e - failed as f64 / fwd.len() as f64).abs() < 1e-12);
    }
    // This period: reviews open (odd, not divisible by 3) and rejections after 4 days.
    let cl = closing(&w);
    let open = cl.iter().filter(|(_, c)| c.is_none()).count();
    assert_eq!(objective(f, "open", None).measured, Some(open as f64));
    let oldest = cl
        .iter()
        .map(|(c, close)| match close {
            Some((t, _)) => (t - c.time) as f64 / DAY as f64,
            None => (w.generated_at - c.time) as f64 / DAY as f64,
        })
        .fold(0.0f64, f64::max);
    let got = objective(f, "disposal", None).measured.unwrap();
    assert!((got - oldest).abs() < 1e-9, "{got} vs {oldest}");
    assert_eq!(objective(f, "disposal", None).met, Some(false));
    // Previous period: escalated ones stay open at its end.
    let prev_flagged = w.prev.iter().filter(|c| c.flagged).count();
    assert_eq!(
        objective(f, "open", None).previous,
        Some(prev_flagged.div_ceil(5) as f64)
    );
    // Met follows the threshold.
    for o in &f.objectives {
        let want = o.measured.map(|v| match o.threshold.starts_with('≤') {
            true => v <= o.threshold.trim_start_matches("≤ ").parse::<f64>().unwrap(),
            false => v >= o.threshold.trim_start_matches("≥ ").parse::<f64>().unwrap(),
        });
        assert_eq!(o.met, want, "{}", o.id);
    }
    assert!(f
        .review_inputs
        .objectives_not_met
        .contains(&"disposal".to_owned()));
    let controls: Vec<&str> = f.annex_a.iter().map(|c| c.control.as_str()).collect();
    assert!(controls.contains(&"A.2.2"));
    let a22 = f.annex_a.iter().find(|c| c.control == "A.2.2").unwrap();
    assert_eq!(a22.objectives, ["no-secret"]);
}

#[test]
fn systems_show_inventory_risk_and_their_own_mix() {
    let w = world();
    let f = &w.figures;
    let ids: Vec<&str> = f.systems.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "claims-triage", "high risk first: {ids:?}");
    let ct = &f.systems[0];
    assert_eq!(
        (ct.owner.as_str(), ct.impact_assessment.as_str()),
        ("claims-ops", "AIIA-2026-014")
    );
    assert_eq!(ct.risk_tier, "high");
    let mine: Vec<&Call> = w
        .now
        .iter()
        .filter(|c| c.system == "claims-triage")
        .collect();
    assert_eq!(ct.decisions, mine.len() as u64);
    let blocks = mine.iter().filter(|c| c.effect == Effect::Block).count() as u64;
    assert_eq!(ct.mix.block, blocks);
    assert_eq!(
        ct.unapproved_use,
        mine.iter().filter(|c| c.unapproved).count() as u64
    );
    assert_eq!(ct.models[0].label, "gpt-4o");
    assert_eq!(ct.suppliers[0].label, "openai / openai");
    assert_eq!(ct.suppliers[0].count, mine.len() as u64 - blocks);
    let shadow = f.systems.iter().find(|s| s.id == "shadow-bot").unwrap();
    assert!(!shadow.registered);
    assert!(shadow.owner.is_empty());
}

#[test]
fn redactions_are_controls_operating_and_nonconformities_are_counted_per_week() {
    let w = world();
    let c = &w.figures.conformity;
    let now = &w.now;
    assert_eq!(
        c.redacted_calls,
        now.iter().filter(|c| c.effect == Effect::Redact).count() as u64
    );
    assert_eq!(
        c.redacted_findings,
        now.iter()
            .map(|c| u64::from(c.secret_redacted))
            .sum::<u64>()
    );
    let refused = |c: &Call| c.effect == Effect::Block;
    let open_ids = open_ids(&w);
    let nc = now
        .iter()
        .filter(|c| {
            refused(c) || c.unapproved || !c.registered || open_ids.contains(&c.id.as_str())
        })
        .count() as u64;
    assert_eq!(c.nonconforming_calls, nc);
    assert!((c.nonconformity_rate - nc as f64 / now.len() as f64).abs() < 1e-12);
    assert_eq!(c.undisposed_reviews, open_ids.len() as u64);
    assert_eq!(c.weeks, ["2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"]);
    let week = |c: &Call| usize::from(c.time >= T0 + 7 * DAY);
    let series = |label: &str| {
        c.nonconformities
            .iter()
            .chain(&c.operating)
            .find(|s| s.label == label)
            .unwrap()
            .counts
            .clone()
    };
    let mut want = [[0u64; 2]; 4];
    for x in now {
        want[0][week(x)] += u64::from(refused(x));
        want[1][week(x)] += u64::from(x.unapproved);
        want[2][week(x)] += u64::from(!x.registered);
        want[3][week(x)] += u64::from(open_ids.contains(&x.id.as_str()));
    }
    assert_eq!(series("refused by policy"), want[0]);
    assert_eq!(series("unapproved use"), want[1]);
    assert_eq!(series("unregistered AI system"), want[2]);
    assert_eq!(series("undisposed review"), want[3]);
}

#[test]
fn reviews_count_open_and_closed_with_their_age() {
    let w = world();
    let r = &w.figures.reviews;
    let cl = closing(&w);
    let accepted = cl
        .iter()
        .filter(|(_, c)| matches!(c, Some((_, true))))
        .count() as u64;
    let rejected = cl
        .iter()
        .filter(|(_, c)| matches!(c, Some((_, false))))
        .count() as u64;
    assert_eq!(r.flagged, cl.len() as u64);
    assert!(rejected > 0 && accepted > 0);
    assert_eq!(
        (r.accepted, r.rejected, r.closed),
        (accepted, rejected, accepted + rejected)
    );
    assert_eq!(r.open, r.flagged - r.closed);
    assert_eq!(r.max_disposal_days, Some(4.0));
    assert_eq!(r.median_disposal_days, Some(1.0));
    let oldest = r.open_list.first().unwrap();
    assert!((oldest.age_days - (w.generated_at - T0) as f64 / DAY as f64).abs() < 15.0);
    assert!(r
        .open_list
        .windows(2)
        .all(|p| p[0].age_days >= p[1].age_days));
    assert_eq!(
        r.dispositions_elsewhere, 1,
        "only the one of a decision in neither period"
    );
    let prev_flagged = w.prev.iter().filter(|c| c.flagged).count() as u64;
    let written_now = (0..cl.len()).filter(|i| i % 2 == 0 || i % 3 == 0).count() as u64;
    assert_eq!(r.dispositions, written_now + prev_flagged + 1);
}

#[test]
fn the_sample_is_reproducible_and_drawn_from_the_period() {
    let a = world().figures.sample;
    let b = world().figures.sample;
    assert_eq!(a, b);
    assert_eq!(a.seed, "audit-2026");
    assert_eq!(a.rows.len(), 20);
    assert_eq!(a.population, 400);
    let mut ranked: Vec<(u128, String)> = (0..400)
        .map(|i| format!("n-{i}"))
        .map(|id| (super::super::sample::rank(b"audit-2026", &id), id))
        .collect();
    ranked.sort();
    let mut want: Vec<String> = ranked.into_iter().take(20).map(|(_, id)| id).collect();
    want.sort();
    let mut got: Vec<String> = a.rows.iter().map(|r| r.decision_id.clone()).collect();
    got.sort();
    assert_eq!(got, want);
    assert!(a.rows.windows(2).all(|p| p[0].time <= p[1].time));
    assert!(a
        .rows
        .iter()
        .all(|r| r.node == "/data/a" && r.proof_file.ends_with(".tlog-proof")));
}

#[test]
fn review_inputs_compare_with_the_previous_period_and_list_activations() {
    let w = world();
    let r = &w.figures.review_inputs;
    assert_eq!(
        r.previous_period,
        Some(("2026-11-16T00:00:00Z".into(), "2026-11-30T00:00:00Z".into()))
    );
    let change = |n: &str| r.changes.iter().find(|c| c.figure == n).unwrap();
    assert_eq!(change("decisions").current, 400.0);
    assert_eq!(change("decisions").previous, Some(300.0));
    let refused_prev = w.prev.iter().filter(|c| c.effect == Effect::Block).count();
    assert_eq!(
        change("refused by policy").previous,
        Some(refused_prev as f64)
    );
    assert_eq!(r.activations.len(), 1, "only the one inside the period");
    assert!(r.activations[0].approved_by.is_empty());
    let kinds: Vec<&str> = w
        .figures
        .anomalies
        .iter()
        .map(|a| a.kind.as_str())
        .collect();
    assert!(kinds.contains(&"activation_without_approver"), "{kinds:?}");
    assert!(kinds.contains(&"open_reviews"));
    assert!(
        !kinds.contains(&"policy_not_archived"),
        "given with --policy"
    );
}

#[test]
fn a_log_with_injected_anomalies_shows_each_flag() {
    let gen = T0 + 10 * DAY;
    let mut c = Collector::with(
        TimeRange {
            since: Some(T0),
            until: None,
        },
        Settings {
            max_gap: 6 * 3600 * S,
            generated_at: gen,
            ..Settings::default()
        },
    );
    c.node(0, "/data/a");
    let dec = |seq: u64, t: i64, id: &str, flagged: bool| Record {
        log_id: "node-a".into(),
        seq,
        time_unix_nanos: t,
        kind: Some(Kind::Decision(DecisionRecord {
            decision_id: id.into(),
            ai_system_id: "general-assistant".into(),
            ai_system_registered: true,
            policy_content_hash: "ab".repeat(32),
            matched_rules: vec![MatchedRule {
                rule_id: "r".into(),
                annex_a_controls: vec![],
            }],
            effect: if flagged {
                Effect::Review
            } else {
                Effect::Allow
            } as i32,
            ..DecisionRecord::default()
        })),
        ..Record::default()
    };
    let recs = vec![
        event(0, T0, Event::LogStart(LogStart::default())),
        dec(1, T0 + S, "d1", true),
        dec(2, T0 + 2 * S, "d2", false),
        dec(3, T0 + 2 * DAY, "d3", false), // a gap of ~2 days
        event(4, T0 + 3 * DAY, Event::LogStart(LogStart::default())), // a restart
        dec(5, T0 + 3 * DAY + S, "d5", false),
        dec(6, T0 + 3 * DAY, "d6", false), // clock back
        dec(7, gen + DAY, "d7", false),    // future
    ];
    for r in &recs {
        c.add(r);
    }
    let nodes = vec![NodeStatus {
        retention_days: Some(30),
        first_seq: 100,
        oldest_record: Some("2026-12-05T00:00:00Z".into()),
        uncheckpointed: 3,
        ..node()
    }];
    let f = c.finish_with(nodes, "gen".into(), &Texts::default());
    let kinds: Vec<&str> = f.anomalies.iter().map(|a| a.kind.as_str()).collect();
    for k in [
        "time_gap",
        "restart",
        "clock_backwards",
        "future_records",
        "retention_below_policy",
        "records_pruned_in_period",
        "uncheckpointed_records",
        "open_reviews",
        "policy_not_archived",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| **k == "time_gap").count(),
        2,
        "{kinds:?}"
    );
    let gap = f.anomalies.iter().find(|a| a.kind == "time_gap").unwrap();
    assert!(gap.detail.contains("1 d 23 h"), "{}", gap.detail);
    assert_eq!(f.policy.source, "none");
    assert!(f.objectives.is_empty());
    // A clean log has none of them.
    let mut c = Collector::with(
        TimeRange::default(),
        Settings {
            generated_at: gen,
            ..Settings::default()
        },
    );
    c.add(&dec(0, T0, "x", false));
    let f = c.finish_with(vec![node()], "gen".into(), &Texts::default());
    let kinds: Vec<&str> = f.anomalies.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["policy_not_archived"]);
}

#[test]
fn the_page_has_every_section_in_order_and_shows_the_evaluation() {
    let w = world();
    let page = crate::report::html::render(&w.figures);
    let mut at = 0;
    for id in crate::report::html::SECTION_IDS {
        let tag = format!(r#"<section id="s-{id}">"#);
        assert_eq!(page.matches(&tag).count(), 1, "{id}");
        let pos = page.find(&tag).unwrap();
        assert!(pos > at, "{id} in page order");
        at = pos;
    }
    assert_eq!(
        page.matches("<section").count(),
        page.matches("</section>").count()
    );
    for want in [
        "9.1 Objectives",
        "disposal — Reviews disposed within 2 days",
        "NOT MET",
        "claims-triage is a high-risk system",
        "AIIA-2026-014",
        "Nonconformities per week",
        "9.3 Management review inputs",
        "Annex: 9.2 audit sample",
        "seed <code>audit-2026</code>",
        "AI system recording of event logs",
        "activation_without_approver",
    ] {
        assert!(page.contains(want), "{want} missing");
    }
}

#[test]
fn injected_anomalies_are_shown_on_the_page_in_the_chosen_zone() {
    let mut c = Collector::with(
        TimeRange::default(),
        Settings {
            zone: Zone::parse("Europe/Berlin").unwrap(),
            max_gap: 3600 * S,
            generated_at: T0 + DAY,
            ..Settings::default()
        },
    );
    for (seq, t) in [(0, T0), (1, T0 + 5 * 3600 * S), (2, T0 + 3 * DAY)] {
        c.add(&event(seq, t, Event::LogStart(LogStart::default())));
    }
    let f = c.finish_with(
        vec![NodeStatus {
            retention_days: Some(7),
            ..node()
        }],
        "2026-12-01T00:00:00Z".into(),
        &Texts::default(),
    );
    assert_eq!(f.time_zone, "Europe/Berlin");
    let page = crate::report::html::render(&f);
    for k in ["restart", "future_records", "retention_below_policy"] {
        assert!(
            page.contains(&format!("<td>{k}</td>")),
            "{k} not on the page"
        );
    }
    assert!(
        page.contains("2026-12-01 01:00:00 CET"),
        "generated at, in Berlin time"
    );
    assert!(page.contains("times in Europe/Berlin"));
}
