//! The phases one by one, on a pipeline built from the embedded defaults (baseline policy) over
//! a temporary data dir: no listener, no upstream. The whole pipeline through the binary is
//! tested in `tests/it`.

use std::path::Path;

use super::*;
use crate::config::env::MapEnv;
use crate::config::{Config, Overrides};
use crate::evidence::{export, ExportFilter, ExportFormat};
use crate::providers::Family;

const CARD: &str = "4539 1488 0343 6467";

/// A pipeline on the embedded defaults over `dir` (also the guardrail tests' fixture).
pub(crate) fn pipeline(dir: &Path) -> Pipeline {
    let overrides = Overrides {
        data_dir: Some(dir.to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        admin_listen: Some("127.0.0.1:0".into()),
        ..Overrides::default()
    };
    let config = Config::embedded_default(&overrides, &MapEnv::default()).unwrap();
    Pipeline {
        shared: Arc::new(Shared::build(config).unwrap()),
    }
}

pub(crate) fn conn() -> ConnInfo {
    ConnInfo {
        drain: None,
        peer: "127.0.0.1:40000".parse().unwrap(),
        client_cert: None,
        tls: false,
    }
}

fn parts(method: &str, path: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

fn call(p: &Pipeline, parts: &Parts) -> Call {
    Call::new(&conn(), &parts.headers, p.shared.active.load_full())
}

const AUTH: (&str, &str) = ("authorization", "Bearer sk-caller-unit-test-1");

fn chat(content: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"{content}"}}]}}"#
    ))
}

/// Route, identify, parse, select, classify, decide and enforce one chat body.
fn through_enforce(p: &Pipeline, c: &mut Call, body: Bytes) -> Result<Bytes, Error> {
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let op = p.route(c, &req.method, &req.uri)?;
    p.identify(c, &conn(), &req.headers)?;
    let ex = p.parse(c, op, &body)?;
    p.vet_model(c)?;
    p.select_upstream(c, op)?;
    let scan = p.classify(c, ex.as_ref());
    p.decide(c, &scan)?;
    p.enforce(c, &scan, ex.as_ref(), body)
}

/// A plain call through every phase up to its committed decision record.
async fn committed(p: &Pipeline) -> Call {
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(p, &req);
    through_enforce(p, &mut c, chat("hello")).unwrap();
    p.commit_decision(&mut c).await.unwrap();
    c
}

/// Close the log and read back every record's `kind` object.
fn records(p: &Pipeline, dir: &Path) -> Vec<serde_json::Value> {
    p.shared.evidence.close().unwrap();
    let mut out = Vec::new();
    export(dir, &ExportFilter::default(), ExportFormat::Jsonl, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "entry")
        .map(|v| v["record"]["kind"].clone())
        .collect()
}

/// How many records of `kind` (`Decision`, `Outcome`) name decision `id`, and the first.
fn of(records: &[serde_json::Value], kind: &str, id: &str) -> (usize, serde_json::Value) {
    let mine: Vec<&serde_json::Value> = records
        .iter()
        .map(|r| &r[kind])
        .filter(|r| r["decision_id"] == id)
        .collect();
    let first = mine.first().map(|r| (*r).clone()).unwrap_or_default();
    (mine.len(), first)
}

#[tokio::test]
async fn route_fixes_the_operation_its_api_and_the_error_family() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/messages", &[]);
    let mut c = call(&p, &req);
    assert_eq!(
        p.route(&mut c, &req.method, &req.uri).unwrap(),
        Operation::Messages
    );
    assert_eq!(
        (c.api, c.family),
        (Some(Api::AnthropicMessages), Family::Anthropic)
    );
    // The shared models route follows the SDK's headers; a bodiless route has no API.
    let req = parts("GET", "/v1/models", &[("anthropic-version", "2023-06-01")]);
    let mut c = call(&p, &req);
    assert_eq!(
        p.route(&mut c, &req.method, &req.uri).unwrap(),
        Operation::Models
    );
    assert_eq!((c.api, c.family), (None, Family::Anthropic));
    let req = parts("POST", "/v1/nope", &[("x-api-key", "k")]);
    let mut c = call(&p, &req);
    assert!(matches!(
        p.route(&mut c, &req.method, &req.uri),
        Err(Error::UnknownRoute { .. })
    ));
    assert_eq!((c.op, c.family), (None, Family::Anthropic));
}

#[tokio::test]
async fn identify_binds_one_principal_and_refuses_ambiguous_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    p.identify(&mut c, &conn(), &req.headers).unwrap();
    let principal = c.principal.as_ref().unwrap();
    assert!(!principal.fingerprint.is_empty());
    assert!(!principal.id.contains("sk-caller-unit-test-1"));
    let twice = parts("POST", "/v1/chat/completions", &[AUTH, AUTH]);
    let mut c = call(&p, &twice);
    let err = p.identify(&mut c, &conn(), &twice.headers).unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    assert!(c.principal.is_none());
    let none = parts("POST", "/v1/chat/completions", &[]);
    let mut c = call(&p, &none);
    assert!(p.identify(&mut c, &conn(), &none.headers).is_err());
}

#[tokio::test]
async fn a_card_is_counted_decided_redact_and_redacted_in_the_body_sent() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    let sent = through_enforce(&p, &mut c, chat(&format!("refund card {CARD} today"))).unwrap();
    let d = c.decision.as_ref().unwrap();
    assert_eq!(d.effect.kind(), "redact");
    assert!(d.rules.iter().any(|r| &*r.id == "redact-card-and-ssn"));
    assert_eq!(
        c.class_actions,
        vec![ClassTally {
            class: "financial.credit_card".into(),
            count: 1,
            action: ClassAction::Redacted,
            test_values: 0,
        }]
    );
    let sent = String::from_utf8(sent.to_vec()).unwrap();
    assert!(
        !sent.contains(CARD) && sent.contains("refund card"),
        "{sent}"
    );
    assert_eq!(c.upstream_name.as_deref(), Some("openai"));
    assert_eq!(c.model.as_deref(), Some("gpt-4o-mini"));
}

#[tokio::test]
async fn a_secret_is_refused_by_enforce_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    let body = chat("aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o");
    match through_enforce(&p, &mut c, body) {
        Err(Error::Refused { rule, .. }) => assert_eq!(rule, "block-secrets"),
        other => panic!("{other:?}"),
    }
    assert!(c
        .class_actions
        .iter()
        .all(|t| t.action == ClassAction::Blocked));
    assert!(!c.class_actions.is_empty());
}

#[tokio::test]
async fn a_model_name_carrying_data_is_refused_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    let body = Bytes::from(format!(r#"{{"model":"{CARD}","messages":[]}}"#));
    let op = p.route(&mut c, &req.method, &req.uri).unwrap();
    p.parse(&mut c, op, &body).unwrap();
    assert!(matches!(p.vet_model(&mut c), Err(Error::BadField { .. })));
    assert_eq!(c.model, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_gets_one_decision_record_and_no_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    let body = chat("aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o");
    let err = through_enforce(&p, &mut c, body).unwrap_err();
    let id = c.decision_id.clone();
    let resp = p.fail(c, err).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()[respond::DECISION_ID], id.as_str());
    assert!(resp.headers().contains_key(respond::LOG_INDEX));
    let all = records(&p, dir.path());
    let (n, decision) = of(&all, "Decision", &id);
    assert_eq!(n, 1);
    assert_eq!(decision["http_status"], 403);
    assert_eq!(of(&all, "Outcome", &id).0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_call_that_fails_upstream_gets_one_outcome_and_no_second_decision() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let c = committed(&p).await;
    assert_eq!(c.decision_record, DecisionRecord::Committed);
    let id = c.decision_id.clone();
    let err = Error::UpstreamUnreachable {
        upstream: "openai".into(),
        reason: "connection refused".into(),
    };
    let resp = p.fail(c, err).await;
    assert_eq!(resp.status(), 502);
    // Let the queued outcome reach the writer before closing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let all = records(&p, dir.path());
    let (n, outcome) = of(&all, "Outcome", &id);
    assert_eq!(n, 1, "{all:?}");
    assert_eq!(outcome["error_kind"], "upstream_unreachable");
    assert_eq!(of(&all, "Decision", &id).0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_of_a_relayed_answer_records_its_inspection() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let mut c = committed(&p).await;
    c.status = Some(200);
    c.upstream_status = Some(200);
    let id = c.decision_id.clone();
    let report = InspectReport {
        findings: vec![ClassTally {
            class: "pii.email".into(),
            count: 2,
            action: ClassAction::Allowed,
            test_values: 0,
        }],
        ..InspectReport::default()
    };
    let stats = BodyStats {
        end: StreamEnd::ClientGone,
        bytes: 10,
        first_byte: Some(Duration::from_millis(1)),
    };
    p.finish(c, stats, Some(report));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let all = records(&p, dir.path());
    let (n, outcome) = of(&all, "Outcome", &id);
    assert_eq!(n, 1, "{all:?}");
    assert_eq!(outcome["error_kind"], "client_gone");
    assert_eq!(outcome["upstream_status"], 200);
    assert_eq!(outcome["output_findings"][0]["class"], "pii.email");
    assert_eq!(outcome["output_findings"][0]["count"], 2);
}

#[tokio::test]
async fn a_call_keeps_its_connections_drain_slot_until_its_last_phase_has_run() {
    // The listener's shutdown waits for every slot of its connection limit; a relayed answer's
    // last phase runs in its own task after the connection may be gone, so the call holds one.
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let limit = Arc::new(tokio::sync::Semaphore::new(1));
    let permit = limit.clone().try_acquire_owned().unwrap();
    let conn = ConnInfo {
        drain: Some(crate::proxy::call::DrainGuard::new(permit)),
        ..conn()
    };
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let c = Call::new(&conn, &req.headers, p.shared.active.load_full());
    drop(conn);
    assert_eq!(
        limit.available_permits(),
        0,
        "the call still holds the slot"
    );
    p.finish(c, BodyStats::none(StreamEnd::Complete), None);
    assert_eq!(limit.available_permits(), 1, "finish gave it back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_test_card_is_redacted_like_a_real_one_and_recorded_as_a_test_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let req = parts("POST", "/v1/chat/completions", &[AUTH]);
    let mut c = call(&p, &req);
    let body = chat("smoke test with 4111 1111 1111 1111 and a real 4539 1488 0343 6467");
    let sent = through_enforce(&p, &mut c, body).unwrap();
    let sent = String::from_utf8(sent.to_vec()).unwrap();
    assert!(
        !sent.contains("4111 1111 1111 1111") && !sent.contains(CARD),
        "{sent}"
    );
    assert_eq!(
        c.class_actions,
        vec![ClassTally {
            class: "financial.credit_card".into(),
            count: 2,
            action: ClassAction::Redacted,
            test_values: 1,
        }]
    );
    p.commit_decision(&mut c).await.unwrap();
    let id = c.decision_id.clone();
    let all = records(&p, dir.path());
    let (_, decision) = of(&all, "Decision", &id);
    assert_eq!(decision["findings"][0]["count"], 2, "{decision}");
    assert_eq!(decision["findings"][0]["test_values"], 1, "{decision}");
}
