//! The guard phases on a pipeline built from the embedded defaults (baseline policy) over a
//! temporary data dir: what a gateway's assertions become, what is rewritten, what is recorded.

use super::*;
use crate::proxy::pipeline::tests::{conn, pipeline};

const CARD: &str = "4539 1488 0343 6467";
const ORIGIN: GuardOrigin = GuardOrigin {
    gateway: "litellm",
    hook: "pre_call",
};

fn headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_static("Bearer sk-gateway-unit-test-1"),
    );
    h
}

fn chat(content: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"{content}"}}]}}"#
    ))
}

fn asserted(user: &str) -> Asserted {
    Asserted {
        user: Some(user.into()),
        groups: vec!["team:payments".into()],
        ai_system: Some("general-assistant".into()),
        model: None,
    }
}

#[tokio::test]
async fn a_card_is_redacted_and_clean_text_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let (h, op) = (headers(), Operation::ChatCompletions);
    let mut c = p.guard_call(&conn(), &h, ORIGIN);
    let body = chat(&format!("charge {CARD}"));
    let g = p
        .guard_request(&mut c, &conn(), &h, op, &asserted("u-1"), body)
        .await
        .unwrap();
    let Guarded::Rewritten(sent) = g else {
        panic!("a card is redacted: {g:?}");
    };
    let sent = String::from_utf8(sent.to_vec()).unwrap();
    assert!(!sent.contains(CARD) && sent.contains("charge "), "{sent}");
    assert_eq!(c.effect(), Some("redact"));
    assert!(
        c.forwarded_or_kept(),
        "the decision is durable before the answer"
    );
    assert_eq!(c.guard, Some(ORIGIN));
    p.guard_end(c, StreamEnd::Complete);

    let mut c = p.guard_call(&conn(), &h, ORIGIN);
    let g = p
        .guard_request(&mut c, &conn(), &h, op, &asserted("u-1"), chat("hello"))
        .await
        .unwrap();
    assert_eq!(g, Guarded::Unchanged);
    assert_eq!(c.effect(), Some("allow"));
    p.guard_end(c, StreamEnd::Complete);
}

#[tokio::test]
async fn the_gateways_user_and_groups_live_in_its_credentials_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let h = headers();
    let mut c = p.guard_call(&conn(), &h, ORIGIN);
    p.guard_request(
        &mut c,
        &conn(),
        &h,
        Operation::ChatCompletions,
        &asserted("u-42"),
        chat("hi"),
    )
    .await
    .unwrap();
    let principal = c.principal.clone().unwrap();
    let (gw, user) = principal.id.rsplit_once('/').unwrap();
    assert_eq!(user, "u-42");
    assert!(
        !gw.is_empty(),
        "prefixed by the gateway credential's principal"
    );
    assert!(principal.groups.contains(&format!("{gw}/team:payments")));
    assert_eq!(c.ai_system(), Some("general-assistant"));
    p.guard_end(c, StreamEnd::Complete);
}

#[tokio::test]
async fn a_user_that_is_a_credential_or_has_spaces_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let h = headers();
    for bad in [
        "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o",
        "two words",
        &"x".repeat(300),
    ] {
        let mut c = p.guard_call(&conn(), &h, ORIGIN);
        let err = p
            .guard_request(
                &mut c,
                &conn(),
                &h,
                Operation::ChatCompletions,
                &asserted(bad),
                chat("hi"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::BadField { field: "user", .. }),
            "{bad}: {err}"
        );
        assert!(
            !err.to_string().contains("Jx9vQ2"),
            "the value is not echoed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_inspected_under_the_calls_output_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let h = headers();
    let mut c = p.guard_call(&conn(), &h, ORIGIN);
    p.guard_request(
        &mut c,
        &conn(),
        &h,
        Operation::ChatCompletions,
        &asserted("u-1"),
        chat("hi"),
    )
    .await
    .unwrap();
    let id = c.decision_id.clone();
    let answer = format!(
        r#"{{"object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assistant","content":"card {CARD}"}}}}],"usage":{{"prompt_tokens":3,"completion_tokens":4}}}}"#
    );
    // The baseline observes personal data in answers: unchanged, and counted.
    let g = p.guard_answer(c, 200, inspect::ContentKind::Json, Bytes::from(answer));
    assert_eq!(g.unwrap(), Guarded::Unchanged);
    // Let the queued outcome reach the writer before closing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.shared.evidence.close().unwrap();
    let mut out = Vec::new();
    crate::evidence::export(
        dir.path(),
        &crate::evidence::ExportFilter::default(),
        crate::evidence::ExportFormat::Jsonl,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let outcome = text
        .lines()
        .find(|l| l.contains("\"Outcome\"") && l.contains(&id))
        .expect("the outcome of the same decision");
    assert!(outcome.contains("financial."), "{outcome}");
    assert!(outcome.contains("\"output_tokens\":4"), "{outcome}");
    assert!(!text.contains(CARD), "no content in the evidence");
}
