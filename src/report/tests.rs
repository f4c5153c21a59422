//! Report tests: figures from records built in memory (every figure family), the time
//! filter and argument parsing, the HTML page's structure and escaping, and `build` over
//! real logs (one, two nodes, and a tampered one that must be flagged unverified).
use std::path::Path;

use crate::evidence::proto::{
    event_record::Event, record::Kind, ClassAction, ClassFinding, DecisionRecord, Effect,
    EventRecord, FailModeChange, MatchedRule, MonitorEffect, OutcomeRecord, PolicyActivation,
    Record,
};

use super::*;

mod evaluation;

const T0: i64 = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z

fn rule(id: &str, controls: &[&str]) -> MatchedRule {
    MatchedRule {
        rule_id: id.into(),
        annex_a_controls: controls.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn found(class: &str, count: u32, action: ClassAction) -> ClassFinding {
    ClassFinding {
        class: class.into(),
        count,
        action: action as i32,
        test_values: 0,
    }
}

fn dec(id: &str, system: &str, model: &str, effect: Effect) -> DecisionRecord {
    DecisionRecord {
        decision_id: id.into(),
        ai_system_id: system.into(),
        ai_system_registered: system == "general-assistant",
        upstream: "openai".into(),
        requested_model: model.into(),
        policy_bundle_id: "aimsgate-baseline".into(),
        policy_version: "1.0.0".into(),
        policy_content_hash: "abc".into(),
        effect: effect as i32,
        matched_rules: vec![rule("default", &["A.2.2", "A.6.2.8"])],
        ..DecisionRecord::default()
    }
}

fn rec(seq: u64, secs: i64, kind: Kind) -> Record {
    Record {
        log_id: "node-a".into(),
        seq,
        time_unix_nanos: T0 + secs * 1_000_000_000,
        kind: Some(kind),
        ..Record::default()
    }
}

fn outcome(id: &str, status: u32, latency_ms: u64, error: &str) -> Kind {
    Kind::Outcome(OutcomeRecord {
        decision_id: id.into(),
        upstream_status: status,
        latency_us: latency_ms * 1000,
        time_to_first_byte_us: latency_ms * 500,
        input_tokens: Some(10),
        output_tokens: Some(5),
        error_kind: error.into(),
        ..OutcomeRecord::default()
    })
}

/// One of every kind of call the report distinguishes.
fn sample() -> Vec<Record> {
    let ga = "general-assistant";
    let allowed = dec("d-allow", ga, "gpt-4o-mini", Effect::Allow);
    let mut redacted = dec("d-redact", ga, "gpt-4o-mini", Effect::Redact);
    redacted.matched_rules = vec![rule("redact-card-and-ssn", &["A.10.3", "A.5.4"])];
    redacted.findings = vec![
        found("financial.credit_card", 2, ClassAction::Redacted),
        found("pii.email", 1, ClassAction::Allowed),
    ];
    let mut blocked = dec("d-block", ga, "gpt-4o-mini", Effect::Block);
    blocked.matched_rules = vec![rule("block-secrets", &["A.2.2", "A.9.2", "A.10.3"])];
    blocked.findings = vec![found("secret.aws_access_key", 1, ClassAction::Blocked)];
    blocked.http_status = 403;
    let mut shadow = dec("d-shadow", "shadow-notes", "claude-x", Effect::Review);
    shadow.upstream = "anthropic".into();
    shadow.matched_rules = vec![rule("review-unregistered-system", &["A.4.2"])];
    let mut flagged_redact = dec("d-redact-review", ga, "gpt-4o-mini", Effect::Redact);
    flagged_redact.reason = "redacted pii.us_ssn (redact-card-and-ssn); flagged for review".into();
    flagged_redact.matched_rules = vec![
        rule("redact-card-and-ssn", &["A.10.3"]),
        rule("review-unapproved-model", &["A.6.2.5"]),
    ];
    let mut unauth = DecisionRecord {
        decision_id: "d-401".into(),
        effect: Effect::Error as i32,
        http_status: 401,
        reason: "unauthenticated: no credential".into(),
        ..DecisionRecord::default()
    };
    unauth.policy_bundle_id = String::new();
    let mut not_routable = dec("d-model", ga, "llama-9", Effect::Error);
    not_routable.matched_rules.clear();
    not_routable.reason = "model_not_allowed: no upstream serves llama-9".into();
    not_routable.http_status = 403;
    let mut monitored = dec("d-monitor", ga, "gpt-4o-mini", Effect::Allow);
    monitored.monitor_effects = vec![MonitorEffect {
        rule_id: "pilot-block-streaming".into(),
        would_have: Effect::Block as i32,
    }];
    let event = |e: Event| Kind::Event(EventRecord { event: Some(e) });
    vec![
        rec(
            0,
            0,
            event(Event::PolicyActivation(PolicyActivation {
                bundle_id: "aimsgate-baseline".into(),
                version: "1.0.0".into(),
                new_content_hash: "abc".into(),
                ..PolicyActivation::default()
            })),
        ),
        rec(1, 10, Kind::Decision(allowed)),
        rec(2, 11, outcome("d-allow", 200, 10, "")),
        rec(3, 70, Kind::Decision(redacted)),
        rec(4, 71, outcome("d-redact", 200, 20, "")),
        rec(5, 130, Kind::Decision(blocked)),
        rec(6, 190, Kind::Decision(shadow)),
        rec(7, 191, outcome("d-shadow", 500, 30, "")),
        rec(8, 250, Kind::Decision(flagged_redact)),
        rec(
            9,
            251,
            outcome("d-redact-review", 0, 1000, "upstream_timeout"),
        ),
        rec(10, 300, Kind::Decision(unauth)),
        rec(11, 310, Kind::Decision(not_routable)),
        rec(12, 320, Kind::Decision(monitored)),
        rec(13, 321, outcome("d-monitor", 200, 40, "client_gone")),
        rec(
            14,
            330,
            event(Event::FailMode(FailModeChange {
                fail_open: true,
                reason: "disk full".into(),
            })),
        ),
    ]
}

fn figures(range: TimeRange) -> Figures {
    let mut c = Collector::new(range);
    for r in sample() {
        c.add(&r);
    }
    let node = figures::NodeStatus {
        verified: true,
        ..Default::default()
    };
    c.finish(vec![node], "now".into())
}

#[test]
fn totals_mix_and_violation_rate() {
    let f = figures(TimeRange::default());
    let t = &f.totals;
    assert_eq!((t.decisions, t.outcomes, t.events), (8, 5, 2));
    let m = &t.mix;
    assert_eq!(
        (m.allow, m.redact, m.block, m.review, m.error, m.flagged),
        (2, 2, 1, 1, 2, 2)
    );
    // Evaluated: all but the 401 and the routing refusal; violations: 2 redact, block, review.
    assert_eq!((t.evaluated, t.violations), (6, 4));
    assert!((t.violation_rate - 4.0 / 6.0).abs() < 1e-9);
    assert!(f.verified);
    let p: Vec<(&str, u64)> = f
        .policies
        .iter()
        .map(|p| (p.bundle_id.as_str(), p.decisions))
        .collect();
    assert_eq!(p, [("(none)", 1), ("aimsgate-baseline", 7)]);
}

#[test]
fn classes_rules_refusals_flags_and_shadow_ai() {
    let f = figures(TimeRange::default());
    let card = f
        .data_classes
        .iter()
        .find(|c| c.class == "financial.credit_card")
        .unwrap();
    assert_eq!((card.requests, card.found, card.redacted), (1, 2, 2));
    let key = f
        .data_classes
        .iter()
        .find(|c| c.class == "secret.aws_access_key")
        .unwrap();
    assert_eq!((key.found, key.blocked, key.allowed), (1, 1, 0));
    let c = |v: &[figures::Count]| -> Vec<(String, u64)> {
        v.iter().map(|c| (c.label.clone(), c.count)).collect()
    };
    assert_eq!(c(&f.refusals), [("block-secrets".into(), 1)]);
    assert_eq!(
        c(&f.flagged),
        [
            ("redact-card-and-ssn".into(), 1),
            ("review-unapproved-model".into(), 1),
            ("review-unregistered-system".into(), 1)
        ]
    );
    assert_eq!(c(&f.unregistered_systems), [("shadow-notes".into(), 1)]);
    let u = &f.unapproved_models;
    assert_eq!((u.routing_refusals, u.policy_matches), (1, 1));
    assert_eq!(
        c(&u.models),
        [("gpt-4o-mini".into(), 1), ("llama-9".into(), 1)]
    );
    assert_eq!(f.monitor.len(), 1);
    assert_eq!(
        (f.monitor[0].would_have.as_str(), f.monitor[0].count),
        ("block", 1)
    );
    let redact = f
        .rules
        .iter()
        .find(|r| r.rule_id == "redact-card-and-ssn")
        .unwrap();
    assert_eq!((redact.decisions, redact.mix.redact), (2, 2));
}

#[test]
fn annex_a_controls_are_counted_once_per_decision_in_document_order() {
    let f = figures(TimeRange::default());
    assert_eq!(f.annex_a.len(), 38, "every Annex A control is listed");
    assert_eq!(f.annex_a[0].control, "A.2.2");
    assert_eq!(f.annex_a[37].control, "A.10.4");
    let cited: Vec<&str> = f
        .annex_a
        .iter()
        .filter(|c| c.decisions > 0)
        .map(|c| c.control.as_str())
        .collect();
    assert_eq!(
        cited,
        ["A.2.2", "A.4.2", "A.5.4", "A.6.2.5", "A.6.2.8", "A.9.2", "A.10.3"]
    );
    assert!(f
        .annex_a
        .iter()
        .all(|c| !c.title.is_empty() && !c.ask_for.is_empty()));
    let a628 = f.annex_a.iter().find(|c| c.control == "A.6.2.8").unwrap();
    assert_eq!(a628.title, "AI system recording of event logs");
    assert_eq!(a628.coverage, "records");
    let a255 = f.annex_a.iter().find(|c| c.control == "A.5.5").unwrap();
    assert_eq!((a255.coverage.as_str(), a255.decisions), ("none", 0));
    let a22 = &f.annex_a[0];
    // default (allow, monitor-allow) and block-secrets.
    assert_eq!(a22.decisions, 3);
    assert_eq!(a22.rules, ["block-secrets", "default"]);
    let a103 = f.annex_a.iter().find(|c| c.control == "A.10.3").unwrap();
    assert_eq!(a103.decisions, 3, "redact, block, redact+review");
}

#[test]
fn latency_errors_tokens_and_events() {
    let f = figures(TimeRange::default());
    let l = &f.latency.total;
    assert_eq!(l.samples, 5);
    // Histogram percentiles: never below the exact value, at most 0.1% above it.
    let near = |got: f64, want: f64| got >= want && got <= want * 1.001;
    assert!(near(l.p50_ms, 30.0), "{l:?}");
    assert!(near(l.p95_ms, 1000.0) && near(l.p99_ms, 1000.0), "{l:?}");
    let openai = f
        .latency
        .by_upstream
        .iter()
        .find(|p| p.label == "openai")
        .unwrap();
    assert_eq!(openai.samples, 4);
    let anthropic = f
        .latency
        .by_upstream
        .iter()
        .find(|p| p.label == "anthropic")
        .unwrap();
    assert_eq!(anthropic.samples, 1);
    assert!(near(anthropic.p50_ms, 30.0), "{anthropic:?}");
    let e = &f.errors;
    assert_eq!(
        (
            e.forwarded,
            e.upstream_ok,
            e.upstream_5xx,
            e.upstream_failures
        ),
        (5, 3, 1, 1)
    );
    assert!((e.upstream_error_rate - 0.4).abs() < 1e-9);
    assert_eq!((e.answered_4xx, e.answered_5xx), (3, 0));
    let statuses: Vec<(&str, u64)> = e
        .answered_statuses
        .iter()
        .map(|c| (c.label.as_str(), c.count))
        .collect();
    assert_eq!(statuses, [("HTTP 403", 2), ("HTTP 401", 1)]);
    assert_eq!(e.error_kinds.len(), 2);
    assert_eq!((f.tokens.input, f.tokens.output), (50, 25));
    assert_eq!(f.events.fail_open_started, 1);
    assert_eq!(f.events.rows[0].kind, "policy_activation");
    assert_eq!(
        f.events.rows[0].detail,
        "aimsgate-baseline 1.0.0 (content hash abc…)"
    );
    assert_eq!(f.events.rows[1].detail, "fail-open: disk full");
}

#[test]
fn volume_buckets_follow_the_range_and_the_time_filter_applies() {
    let f = figures(TimeRange::default());
    let v = &f.volume;
    assert_eq!(v.bucket_seconds, 10);
    assert_eq!(v.buckets.len(), 34, "0 s .. 330 s in 10 s buckets");
    assert_eq!(v.buckets[0], "2026-01-01T00:00:00Z");
    assert_eq!(v.buckets[33], "2026-01-01T00:05:30Z");
    let ga = &v.by_system[0];
    assert_eq!((ga.label.as_str(), ga.total), ("general-assistant", 6));
    assert_eq!(ga.counts.iter().sum::<u64>(), 6);
    let upstreams: Vec<&str> = v.by_upstream.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(upstreams, ["openai", "(none)", "anthropic"]);

    let range = TimeRange {
        since: Some(T0 + 60 * 1_000_000_000),
        until: Some(T0 + 200 * 1_000_000_000),
    };
    let f = figures(range);
    assert_eq!((f.totals.decisions, f.totals.outcomes), (3, 2));
    assert_eq!(f.period.since.as_deref(), Some("2026-01-01T00:01:00Z"));
    assert_eq!(f.volume.bucket_seconds, 10);
    assert_eq!(f.volume.buckets.len(), 14);
}

#[test]
fn time_arguments_accept_rfc3339_and_dates() {
    assert_eq!(
        parse_time("2026-01-01T00:00:00Z", Bound::Since).unwrap(),
        T0
    );
    assert_eq!(parse_time("2026-01-01", Bound::Since).unwrap(), T0);
    assert_eq!(
        parse_time("2026-01-01", Bound::Until).unwrap(),
        T0 + 86_400 * 1_000_000_000,
        "a plain --until date includes that day"
    );
    assert_eq!(
        parse_time("2026-01-01T01:00:00+01:00", Bound::Since).unwrap(),
        T0
    );
    for bad in ["yesterday", "2026-13-01", "", "2026-01-01 00:00"] {
        assert!(parse_time(bad, Bound::Since).is_err(), "{bad}");
    }
    let r = build(&ReportRequest {
        data_dirs: vec!["x".into()],
        range: TimeRange {
            since: Some(T0),
            until: Some(T0),
        },
        generated_at: 0,
        trust: None,
        ..ReportRequest::default()
    });
    assert!(matches!(r, Err(ReportError::Args(_))));
    assert!(build(&ReportRequest::default()).is_err());
}

#[test]
fn html_is_self_contained_escaped_and_has_every_chart() {
    let mut records = sample();
    let mut hostile = dec(
        "d-x",
        "<script>alert(1)</script>",
        "m\"><img src=x onerror=alert(2)>",
        Effect::Review,
    );
    hostile.matched_rules = vec![rule("review-unregistered-system", &["A.4.2"])];
    records.push(rec(99, 5, Kind::Decision(hostile)));
    let mut c = Collector::new(TimeRange::default());
    for r in &records {
        c.add(r);
    }
    let f = c.finish(
        vec![figures::NodeStatus {
            verified: true,
            data_dir: "/data/<node>".into(),
            ..Default::default()
        }],
        "now".into(),
    );
    let page = html::render(&f);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains("default-src 'none'"));
    let lower = page.to_ascii_lowercase();
    for banned in ["<script", "<img", "<link", "<iframe", "<object", "https://"] {
        assert!(!lower.contains(banned), "{banned} in the page");
    }
    for tag in lower.split('<').skip(1) {
        let inside = tag.split('>').next().unwrap();
        for attr in [" src=", " href=", " onerror=", " onload="] {
            assert!(!inside.contains(attr), "{attr} in <{inside}>");
        }
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("/data/&lt;node&gt;"));
    for id in crate::report::html::CHART_IDS {
        assert_eq!(
            page.matches(&format!(r#"<svg id="{id}""#)).count(),
            1,
            "{id}"
        );
    }
    assert_eq!(
        page.matches("<svg ").count(),
        crate::report::html::CHART_IDS.len()
    );
    assert!(page.contains(r#"class="banner ok""#));
    assert!(!page.contains("UNVERIFIED"));
    assert!(page.contains("switched to fail-open 1 time(s)"));
    for t in ["<table", "</table>", "<svg", "</svg>", "<tr>", "</tr>"] {
        assert!(page.matches(t).count() > 0);
    }
    assert_eq!(
        page.matches("<table").count(),
        page.matches("</table>").count()
    );
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
}

#[test]
fn an_unverified_node_is_announced_everywhere() {
    let mut c = Collector::new(TimeRange::default());
    for r in sample() {
        c.add(&r);
    }
    let bad = figures::NodeStatus {
        data_dir: "/n2".into(),
        summary: "FAILED: record seq 3 at log/x: field `signature`: altered".into(),
        ..Default::default()
    };
    let good = figures::NodeStatus {
        verified: true,
        ..Default::default()
    };
    let f = c.finish(vec![good, bad], "now".into());
    assert!(!f.verified);
    let page = html::render(&f);
    assert!(page.contains("<title>UNVERIFIED"));
    assert!(page.contains(r#"class="banner bad""#));
    assert!(page.contains("field `signature`: altered"));
    assert!(page.contains("NOT backed by a verified evidence log"));
}

fn real_log(dir: &Path, decisions: u64, segment_bytes: u64) {
    use crate::evidence::{load_or_create_key, Durability, EvidenceLog, LogConfig};
    let (key, _) = load_or_create_key(dir).unwrap();
    let mut cfg = LogConfig::new(dir);
    cfg.segment_bytes = segment_bytes;
    cfg.durability = Durability::Async {
        max_delay: std::time::Duration::from_millis(50),
    };
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..decisions {
            let mut d = dec(
                &format!("d-{i}"),
                "general-assistant",
                "gpt-4o",
                Effect::Allow,
            );
            if i % 2 == 1 {
                d.effect = Effect::Block as i32;
                d.matched_rules = vec![rule("block-secrets", &["A.2.2"])];
            }
            log.append(Kind::Decision(d)).await.unwrap();
            log.append(outcome(&format!("d-{i}"), 200, 5, ""))
                .await
                .unwrap();
        }
    });
    log.close().unwrap();
}

#[test]
fn build_verifies_and_merges_nodes_and_flags_a_tampered_one() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    real_log(a.path(), 4, 64 << 20);
    real_log(b.path(), 6, 64 << 20);
    let req = ReportRequest {
        data_dirs: vec![a.path().into(), b.path().into()],
        range: TimeRange::default(),
        generated_at: T0,
        trust: None,
        ..ReportRequest::default()
    };
    let f = build(&req).unwrap();
    assert!(f.verified, "{:?}", f.nodes);
    assert_eq!(f.totals.decisions, 10);
    assert_eq!(f.totals.mix.block, 5);
    assert_eq!(f.latency.total.samples, 10);
    assert_eq!(f.nodes.len(), 2);
    for n in &f.nodes {
        assert!(
            n.verified && n.gaps == "none" && n.checkpoints_verified >= 1,
            "{n:?}"
        );
        assert_eq!(n.records_read, n.records_verified);
        assert!(n.oldest_record.is_some());
    }
    assert_eq!(f.nodes[1].records_in_period, 13, "log start + 12 records");
    assert_eq!(f.generated_at, "2026-01-01T00:00:00Z");

    // Flip one byte inside the last record's body of node b: the report is unverified.
    let seg = std::fs::read_dir(b.path().join("log"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0x01;
    std::fs::write(&seg, bytes).unwrap();
    let f = build(&req).unwrap();
    assert!(!f.verified);
    assert!(f.nodes[0].verified);
    assert!(!f.nodes[1].verified);
    assert!(
        f.nodes[1].summary.starts_with("FAILED"),
        "{}",
        f.nodes[1].summary
    );
}

#[test]
fn labels_from_requests_are_capped() {
    let long = "m".repeat(10_000);
    let mut c = Collector::new(TimeRange::default());
    c.add(&rec(
        0,
        0,
        Kind::Decision(dec("d", "sys", &long, Effect::Allow)),
    ));
    let f = c.finish(Vec::new(), "now".into());
    let label = &f.volume.by_model[0].label;
    assert_eq!(label.chars().count(), 120);
    assert!(label.ends_with('…'));
    assert!(!f.verified, "no node, nothing verified");
}

#[test]
fn a_pruned_prefix_is_reported_as_retention_coverage() {
    use crate::evidence::{load_or_create_key, prune};
    let a = tempfile::tempdir().unwrap();
    real_log(a.path(), 60, 4096);
    let (key, _) = load_or_create_key(a.path()).unwrap();
    let first = prune(a.path(), &key, i64::MAX).unwrap().expect("pruned");
    assert!(first > 0);
    let f = build(&ReportRequest {
        data_dirs: vec![a.path().into()],
        range: TimeRange::default(),
        generated_at: T0,
        trust: None,
        ..ReportRequest::default()
    })
    .unwrap();
    assert!(f.verified, "{:?}", f.nodes);
    let n = &f.nodes[0];
    assert_eq!(n.first_seq, first);
    assert_eq!(n.records_read, n.records_verified);
    assert_eq!(
        n.records_read + first,
        122,
        "log start + 60 decisions + 60 outcomes + the RetentionPrune record"
    );
    let page = html::render(&f);
    assert!(page.contains(&format!("records 0..{first} pruned (signed anchor)")));
}

#[test]
fn a_long_log_keeps_only_calls_in_flight() {
    // 20,000 forwarded calls, each outcome read a few records after its decision (as calls
    // overlap in a real log): what the collector keeps per call is gone once the outcome is in.
    let mut c = Collector::new(TimeRange::default());
    let mut seq = 0;
    let mut add = |c: &mut Collector, kind: Kind| {
        seq += 1;
        c.add(&rec(seq, 1, kind));
    };
    for i in 0..20_000u64 {
        let d = dec(
            &format!("d-{i}"),
            "general-assistant",
            "gpt-4o-mini",
            Effect::Allow,
        );
        add(&mut c, Kind::Decision(d));
        if i >= 3 {
            add(
                &mut c,
                outcome(&format!("d-{}", i - 3), 200, 1 + i % 50, ""),
            );
        }
    }
    assert_eq!(c.calls_in_flight(), 3);
    let f = c.finish(Vec::new(), String::new());
    assert_eq!(f.latency.total.samples, 19_997);
    let openai = &f.latency.by_upstream[0];
    assert_eq!((openai.label.as_str(), openai.samples), ("openai", 19_997));
    assert!(
        openai.p99_ms >= 49.0 && openai.p99_ms <= 50.05,
        "{openai:?}"
    );
}
