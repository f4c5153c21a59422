use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message as _;
use serde_json::Value;

use super::mapping::{any, json_of as json, log_record, DECISION_EVENT, OUTCOME_EVENT};
use super::transport::{grpc_frame, grpc_outcome, grpc_unframe, http_outcome, Sent};
use super::*;
use crate::evidence::proto::{
    ClassAction, ClassFinding, DecisionRecord, Effect, MatchedRule, OutcomeRecord, Record,
};

fn attr(r: &LogRecord, key: &str) -> Option<Value> {
    r.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .map(json)
}

fn durable(kind: record::Kind, seq: u64) -> DurableRecord {
    DurableRecord {
        record: Record {
            log_id: "example.com/aimsgate/test".into(),
            seq,
            time_unix_nanos: 1_764_749_826_000_000_001,
            prev_body_hash: vec![7; 32],
            kind: Some(kind),
            ..Record::default()
        },
        entry_hash: [0xab; 32],
    }
}

fn cp() -> CoveringCheckpoint {
    CoveringCheckpoint {
        size: 10,
        root: [0xcd; 32],
        key_id: "k1".into(),
    }
}

fn blocked_decision() -> record::Kind {
    record::Kind::Decision(DecisionRecord {
        decision_id: "d-1".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        principal_id: "alice".into(),
        provider: "openai".into(),
        upstream: "openai".into(),
        operation: "chat".into(),
        requested_model: "gpt-4o-mini".into(),
        ai_system_id: "support-bot".into(),
        effect: Effect::Block as i32,
        reason: "rule secrets-block refused secret.aws_access_key".into(),
        http_status: 403,
        findings: vec![ClassFinding {
            class: "secret.aws_access_key".into(),
            count: 2,
            action: ClassAction::Blocked as i32,
            test_values: 0,
        }],
        matched_rules: vec![MatchedRule {
            rule_id: "secrets-block".into(),
            annex_a_controls: vec!["A.7.4".into(), "A.6.2.6".into()],
        }],
        ..DecisionRecord::default()
    })
}

#[test]
fn a_decision_maps_to_the_genai_conventions_with_the_export_as_body() {
    let r = durable(blocked_decision(), 3);
    let log = log_record(&r, &cp(), 5).unwrap();
    assert_eq!(log.event_name, DECISION_EVENT);
    assert_eq!(log.time_unix_nano, 1_764_749_826_000_000_001);
    assert_eq!(log.observed_time_unix_nano, 5);
    assert_eq!(log.severity_text, "WARN");
    assert_eq!(log.trace_id.len(), 16);
    assert_eq!(log.trace_id[0], 0x4b);
    let body = json(log.body.as_ref().unwrap());
    assert_eq!(
        body,
        crate::evidence::record_json(&r.record),
        "body = export"
    );
    for (k, v) in [
        ("event.name", Value::from(DECISION_EVENT)),
        ("gen_ai.operation.name", "chat".into()),
        ("gen_ai.provider.name", "openai".into()),
        ("gen_ai.request.model", "gpt-4o-mini".into()),
        ("aimsgate.decision.id", "d-1".into()),
        ("aimsgate.decision.effect", "block".into()),
        (
            "aimsgate.decision.rule_ids",
            serde_json::json!(["secrets-block"]),
        ),
        (
            "aimsgate.decision.annex_a_controls",
            serde_json::json!(["A.6.2.6", "A.7.4"]),
        ),
        (
            "aimsgate.request.data_classes",
            serde_json::json!(["secret.aws_access_key"]),
        ),
        ("aimsgate.request.finding_count", 2.into()),
        ("aimsgate.principal.id", "alice".into()),
        ("http.response.status_code", 403.into()),
        ("aimsgate.log.index", 3.into()),
        ("aimsgate.log.id", "example.com/aimsgate/test".into()),
        ("aimsgate.log.entry_hash", "ab".repeat(32).into()),
        ("aimsgate.log.checkpoint.size", 10.into()),
        ("aimsgate.log.checkpoint.root_hash", "cd".repeat(32).into()),
        ("aimsgate.log.key_id", "k1".into()),
    ] {
        assert_eq!(attr(&log, k), Some(v), "{k}");
    }
    assert_eq!(
        attr(&log, "aimsgate.policy.version"),
        None,
        "empty is left out"
    );
}

#[test]
fn a_decision_made_without_the_limits_store_says_which_fail_mode() {
    let log = log_record(&durable(blocked_decision(), 1), &cp(), 5).unwrap();
    assert_eq!(
        attr(&log, "aimsgate.limits.fail_mode"),
        None,
        "the store answered"
    );
    let record::Kind::Decision(mut d) = blocked_decision() else {
        unreachable!()
    };
    d.limits_fail_mode = "fail_closed".into();
    d.http_status = 503;
    let log = log_record(&durable(record::Kind::Decision(d), 1), &cp(), 5).unwrap();
    assert_eq!(
        attr(&log, "aimsgate.limits.fail_mode"),
        Some("fail_closed".into())
    );
}

#[test]
fn an_outcome_carries_usage_and_events_are_not_pushed() {
    let o = record::Kind::Outcome(OutcomeRecord {
        decision_id: "d-1".into(),
        upstream_status: 502,
        input_tokens: Some(12),
        output_tokens: Some(30),
        latency_us: 1500,
        error_kind: "upstream_error".into(),
        ..OutcomeRecord::default()
    });
    let log = log_record(&durable(o, 4), &cp(), 0).unwrap();
    assert_eq!(log.event_name, OUTCOME_EVENT);
    assert_eq!(log.severity_text, "WARN");
    assert!(log.trace_id.is_empty());
    assert_eq!(attr(&log, "gen_ai.usage.input_tokens"), Some(12.into()));
    assert_eq!(attr(&log, "gen_ai.usage.output_tokens"), Some(30.into()));
    assert_eq!(attr(&log, "error.type"), Some("upstream_error".into()));
    assert_eq!(attr(&log, "http.response.status_code"), Some(502.into()));
    let ev = record::Kind::Event(crate::evidence::proto::EventRecord { event: None });
    assert!(log_record(&durable(ev, 5), &cp(), 0).is_none());
}

#[test]
fn json_values_convert_faithfully() {
    let v = serde_json::json!({"a": [1, -2, true, null, "x", 1.5], "big": u64::MAX, "o": {}});
    let back = json(&any(&v));
    assert_eq!(back["a"], v["a"]);
    assert_eq!(back["o"], v["o"]);
    assert_eq!(
        back["big"],
        u64::MAX.to_string(),
        "beyond i64: decimal text"
    );
}

#[test]
fn grpc_frames_round_trip_and_answers_are_classified() {
    let f = grpc_frame(b"hello");
    assert_eq!(&f[..5], &[0, 0, 0, 0, 5]);
    assert_eq!(grpc_unframe(&f), Some(&b"hello"[..]));
    assert_eq!(grpc_unframe(&f[..7]), None, "a cut frame");
    assert_eq!(grpc_unframe(&[1, 0, 0, 0, 0]), None, "compressed");
    let resp = ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess {
            rejected_log_records: 2,
            error_message: String::new(),
        }),
    };
    let body = grpc_frame(&resp.encode_to_vec());
    let none = HeaderMap::new();
    assert_eq!(
        grpc_outcome(Some(0), &none, &none, &body),
        Sent::Done { rejected: 2 }
    );
    let mut t = HeaderMap::new();
    t.insert("grpc-message", HeaderValue::from_static("try later"));
    assert!(
        matches!(grpc_outcome(Some(14), &t, &none, &[]), Sent::Retry(m, None) if m.contains("try later"))
    );
    assert!(matches!(
        grpc_outcome(Some(3), &none, &none, &[]),
        Sent::Refused(_)
    ));
    assert!(matches!(
        grpc_outcome(None, &none, &none, &[]),
        Sent::Retry(..)
    ));
    assert_eq!(
        http_outcome(StatusCode::OK, &resp.encode_to_vec(), None),
        Sent::Done { rejected: 2 }
    );
    assert_eq!(
        http_outcome(StatusCode::OK, &[], None),
        Sent::Done { rejected: 0 }
    );
    let after = Some(Duration::from_secs(3));
    assert!(matches!(
        http_outcome(StatusCode::SERVICE_UNAVAILABLE, &[], after),
        Sent::Retry(_, a) if a == after
    ));
    assert!(matches!(
        http_outcome(StatusCode::TOO_MANY_REQUESTS, &[], None),
        Sent::Retry(..)
    ));
    assert!(matches!(
        http_outcome(StatusCode::BAD_REQUEST, &[], None),
        Sent::Refused(_)
    ));
}

fn settings(url: &str, queue: usize) -> SiemSettings {
    SiemSettings {
        url: url.parse().unwrap(),
        protocol: crate::config::SiemProtocol::Http,
        headers: Vec::new(),
        ca_certs: Vec::new(),
        service_name: "aimsgate-test".into(),
        queue_capacity: queue,
        batch_size: queue,
        batch_timeout: Duration::from_millis(10),
        timeout: Duration::from_millis(500),
        max_retries: 1,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
    }
}

fn dropped(m: &SiemMetrics, reason: &'static str) -> u64 {
    m.dropped.get_or_create(&DropLabels { reason }).get()
}

#[tokio::test]
async fn a_full_queue_drops_the_newest_and_a_dead_receiver_drops_after_retries() {
    // A closed port: bind, take the address, let it go.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let metrics = SiemMetrics::default();
    let siem = Siem::start(
        &settings(&format!("http://{addr}/v1/logs"), 4),
        metrics.clone(),
    )
    .unwrap();
    let sink = siem.sink().unwrap();
    assert!(sink.wants(&blocked_decision()));
    let records: Vec<DurableRecord> = (0..10).map(|i| durable(blocked_decision(), i)).collect();
    let start = std::time::Instant::now();
    sink.durable(records, &cp());
    assert!(
        start.elapsed() < Duration::from_millis(50),
        "the sink never waits"
    );
    let queued_or_taken = 10 - dropped(&metrics, "queue_full");
    assert!((4..=8).contains(&queued_or_taken), "{queued_or_taken}");
    for _ in 0..200 {
        if dropped(&metrics, "export_failed") == queued_or_taken {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(dropped(&metrics, "export_failed"), queued_or_taken);
    assert_eq!(metrics.exported.get(), 0);
    assert_eq!(metrics.export_failures.get(), 2, "first try and one retry");
    assert_eq!(metrics.queue_depth.get(), 0);
    // At shutdown what is queued gets one attempt, no retries.
    sink.durable(vec![durable(blocked_decision(), 11)], &cp());
    drop(sink);
    let start = std::time::Instant::now();
    siem.shutdown(Duration::from_secs(5)).await;
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(dropped(&metrics, "export_failed"), queued_or_taken + 1);
    assert_eq!(metrics.export_failures.get(), 3);
    assert!(siem.sink().is_none(), "gone after shutdown");
}

/// The export's JSON as OTLP can carry it: an unsigned number beyond `i64` as decimal text.
fn as_otlp(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_some() => {
            Value::String(n.to_string())
        }
        Value::Array(a) => Value::Array(a.iter().map(as_otlp).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), as_otlp(v))).collect()),
        other => other.clone(),
    }
}

proptest::proptest! {
    #[test]
    fn any_outcome_body_is_the_export(
        seq in proptest::prelude::any::<u64>(),
        time in proptest::prelude::any::<i64>(),
        latency in proptest::prelude::any::<u64>(),
        tokens in proptest::option::of(proptest::prelude::any::<u64>()),
        status in proptest::prelude::any::<u32>(),
        id in ".{0,40}",
        class in "[a-z.]{0,20}",
        count in proptest::prelude::any::<u32>(),
        scan in proptest::prelude::any::<i32>(),
    ) {
        let mut r = durable(
            record::Kind::Outcome(OutcomeRecord {
                decision_id: id,
                upstream_status: status,
                latency_us: latency,
                input_tokens: tokens,
                output_scan: scan,
                output_findings: vec![ClassFinding {
                    class,
                    count,
                    action: scan,
                    test_values: 0,
                }],
                ..OutcomeRecord::default()
            }),
            seq,
        );
        r.record.time_unix_nanos = time;
        let log = log_record(&r, &cp(), 0).unwrap();
        let body = json(log.body.as_ref().unwrap());
        proptest::prop_assert_eq!(body, as_otlp(&crate::evidence::record_json(&r.record)));
        proptest::prop_assert_eq!(log.time_unix_nano, u64::try_from(time).unwrap_or(0));
    }
}
