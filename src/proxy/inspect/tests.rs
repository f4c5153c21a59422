#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;

use super::*;
use crate::classify::{Classifier, ClassifierOptions};
use crate::evidence::proto::{ClassAction, OutputScan};
use crate::policy::{OutputAction, OutputEntry, OutputPlan, RuleRef};
use crate::providers::extract::Api;
use crate::proxy::body::{Inspected, Inspector};
use crate::proxy::outcome::InspectReport;
use crate::taxonomy::ClassPattern;
use crate::taxonomy::BUILTIN_CLASSES;

const CARD: &str = "4539 1488 0343 6467";
const AWS: &str = "AKIAQX4BZL7NW2MOSR6T";

mod eventstream;

fn clf() -> Arc<Classifier> {
    Arc::new(Classifier::new(&ClassifierOptions::default()).unwrap())
}

fn entry(id: &str, classes: &[&str], action: OutputAction, monitor: bool) -> OutputEntry {
    OutputEntry {
        classes: classes
            .iter()
            .map(|c| ClassPattern::parse(c).unwrap())
            .collect(),
        action,
        rule: RuleRef {
            id: id.into(),
            controls: Arc::from(Vec::new()),
        },
        monitor,
    }
}

/// The shape of `policies/healthcare/output.toml`.
fn healthcare_plan() -> OutputPlan {
    OutputPlan {
        entries: vec![
            entry(
                "output-block-secrets",
                &["secret.*"],
                OutputAction::Block,
                false,
            ),
            entry(
                "output-redact-ids",
                &["pii.us_ssn", "financial.*"],
                OutputAction::Redact,
                false,
            ),
            entry(
                "output-observe-phi",
                &["health.*", "pii.*"],
                OutputAction::Observe,
                false,
            ),
            entry(
                "pilot-output-redact-names",
                &["pii.person_name"],
                OutputAction::Redact,
                true,
            ),
        ],
    }
}

fn mode() -> OutputMode {
    OutputMode::from_plan(&healthcare_plan())
}

#[test]
fn per_class_actions_agree_with_the_plan_that_explain_prints() {
    let plan = healthcare_plan();
    let m = OutputMode::from_plan(&plan);
    assert!(m.enforcing());
    for class in BUILTIN_CLASSES.iter().copied().chain(["custom.x"]) {
        let want = plan
            .action_for(class)
            .map_or(OutputAction::Observe, |a| a.0);
        assert_eq!(m.action(class), want, "{class}");
    }
    assert_eq!(m.action("financial.credit_card"), OutputAction::Redact);
    assert_eq!(m.action("secret.jwt"), OutputAction::Block);
    assert_eq!(
        m.action("pii.person_name"),
        OutputAction::Observe,
        "monitor only"
    );
    assert_eq!(
        m.blocking_rule("secret.aws_access_key"),
        Some("output-block-secrets")
    );
    assert!(!OutputMode::from_plan(&OutputPlan {
        entries: vec![entry("m", &["*"], OutputAction::Block, true)]
    })
    .enforcing());
}

#[test]
fn content_types_are_compared_case_insensitively_with_parameters() {
    let of = |s: &'static str| ContentKind::of(Some(&HeaderValue::from_static(s)));
    assert_eq!(
        of("Text/Event-Stream; charset=utf-8"),
        ContentKind::EventStream
    );
    assert_eq!(of("TEXT/EVENT-STREAM"), ContentKind::EventStream);
    assert_eq!(of("Application/JSON;charset=UTF-8"), ContentKind::Json);
    assert_eq!(of("application/problem+JSON"), ContentKind::Json);
    assert_eq!(of("text/plain"), ContentKind::Other);
    assert_eq!(of("text/event-streamx"), ContentKind::Other);
    assert_eq!(ContentKind::of(None), ContentKind::Missing);
}

fn chat_answer(text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    }))
    .unwrap()
}

fn run(success: bool, content: ContentKind, body: &[u8]) -> (Buffered, InspectReport) {
    let mut report = InspectReport::default();
    let answer = Answer {
        api: Api::OpenAiChat,
        success,
        content,
        body,
    };
    let v = enforce_buffered(&answer, &clf(), &mode(), &mut report);
    (v, report)
}

fn action_of(r: &InspectReport, class: &str) -> ClassAction {
    r.findings
        .iter()
        .find(|t| t.class == class)
        .map(|t| t.action)
        .unwrap_or_else(|| panic!("no {class} in {:?}", r.findings))
}

#[test]
fn a_redact_rule_still_applies_when_a_block_rule_applies_too() {
    let body = chat_answer(&format!("The card on file is {CARD}."));
    let (v, r) = run(true, ContentKind::Json, &body);
    let Buffered::Rewritten(out) = v else {
        panic!("{v:?}")
    };
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains(CARD), "{out}");
    assert!(out.contains("[FINANCIAL.CREDIT_CARD_1]"), "{out}");
    assert_eq!(
        action_of(&r, "financial.credit_card"),
        ClassAction::Redacted
    );
    assert_eq!(r.usage.output_tokens, Some(4));
}

#[test]
fn a_blocked_class_withholds_the_whole_answer_and_names_the_rule() {
    let body = chat_answer(&format!("Card {CARD}, key aws_access_key_id={AWS}"));
    let (v, r) = run(true, ContentKind::Json, &body);
    assert_eq!(
        v,
        Buffered::Withhold(Withheld::Blocked {
            rule: "output-block-secrets".into(),
            class: "secret.aws_access_key".into()
        })
    );
    // Nothing of the answer reached the client.
    assert_eq!(action_of(&r, "secret.aws_access_key"), ClassAction::Blocked);
    assert_eq!(action_of(&r, "financial.credit_card"), ClassAction::Blocked);
}

#[test]
fn answers_that_cannot_be_inspected_are_withheld() {
    let uninspectable = |v: &Buffered| matches!(v, Buffered::Withhold(Withheld::Uninspectable { rule, .. }) if rule == "output-block-secrets");
    let plain = format!("The card is {CARD}");
    let (v, _) = run(true, ContentKind::Json, plain.as_bytes());
    assert!(uninspectable(&v), "non-JSON 200: {v:?}");
    let (v, _) = run(true, ContentKind::Missing, plain.as_bytes());
    assert!(uninspectable(&v), "no content type: {v:?}");
    let (v, _) = run(true, ContentKind::Other, &chat_answer("hello"));
    assert!(uninspectable(&v), "text/plain: {v:?}");
    let (v, _) = run(true, ContentKind::Json, br#"{"text":"hello"}"#);
    assert!(uninspectable(&v), "wrong shape: {v:?}");
    let dup = br#"{"choices":[],"choices":[{"message":{"content":"x"}}]}"#;
    let (v, _) = run(true, ContentKind::Json, dup);
    assert!(uninspectable(&v), "duplicate keys: {v:?}");
    let (v, _) = run(false, ContentKind::Other, b"\xff\xfe card");
    assert!(uninspectable(&v), "binary error body: {v:?}");
    // A clean answer of the right shape passes unchanged.
    let (v, r) = run(true, ContentKind::Json, &chat_answer("hello"));
    assert_eq!(v, Buffered::Unchanged);
    assert_eq!(r.scan, OutputScan::Full);
}

#[test]
fn every_string_of_the_answer_is_inspected_not_only_the_model_text() {
    let body = serde_json::to_vec(&serde_json::json!({
        "choices": [{"message": {"content": "ok"}}],
        "extra": {"note": format!("card {CARD}")}
    }))
    .unwrap();
    let (v, _) = run(true, ContentKind::Json, &body);
    let Buffered::Rewritten(out) = v else {
        panic!("{v:?}")
    };
    assert!(!String::from_utf8(out).unwrap().contains(CARD));
    // A value to redact in an object key cannot be rewritten: withheld.
    let key = format!(r#"{{"choices":[{{"message":{{"content":"ok"}}}}],"{CARD}":1}}"#);
    let (v, _) = run(true, ContentKind::Json, key.as_bytes());
    assert!(
        matches!(v, Buffered::Withhold(Withheld::Uninspectable { .. })),
        "{v:?}"
    );
}

#[test]
fn error_bodies_are_inspected_as_json_or_text() {
    let json = serde_json::to_vec(&serde_json::json!({
        "error": {"message": format!("invalid value {CARD}"), "type": "invalid_request_error"}
    }))
    .unwrap();
    let (v, r) = run(false, ContentKind::Json, &json);
    let Buffered::Rewritten(out) = v else {
        panic!("{v:?}")
    };
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        out["error"]["message"],
        "invalid value [FINANCIAL.CREDIT_CARD_1]"
    );
    assert_eq!(
        action_of(&r, "financial.credit_card"),
        ClassAction::Redacted
    );
    let text = format!("Bad Gateway: {CARD}");
    let (v, _) = run(false, ContentKind::Other, text.as_bytes());
    assert_eq!(
        v,
        Buffered::Rewritten(b"Bad Gateway: [FINANCIAL.CREDIT_CARD_1]".to_vec())
    );
    let secret = format!("upstream echoed aws_access_key_id={AWS}");
    let (v, _) = run(false, ContentKind::Other, secret.as_bytes());
    assert!(
        matches!(v, Buffered::Withhold(Withheld::Blocked { .. })),
        "{v:?}"
    );
    let (v, _) = run(false, ContentKind::Other, b"");
    assert_eq!(v, Buffered::Unchanged);
}

fn chat_event(content: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
    )
}

/// Feed `chunks` through an inspector; the bytes the client gets, and whether it was cut.
fn stream(insp: &mut SseInspector, chunks: &[String]) -> (String, bool) {
    let mut out = Vec::new();
    for c in chunks {
        match insp.on_chunk(Bytes::from(c.clone())) {
            Inspected::Pass(b) => out.extend_from_slice(&b),
            Inspected::Stop(b) => {
                out.extend_from_slice(&b);
                return (String::from_utf8(out).unwrap(), true);
            }
        }
    }
    if let Some(b) = insp.on_end() {
        out.extend_from_slice(&b);
    }
    (String::from_utf8(out).unwrap(), false)
}

fn split(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(5)
        .map(|c| chat_event(&c.iter().collect::<String>()))
        .collect()
}

#[test]
fn a_stream_redacts_what_it_releases_before_a_block_cuts_it() {
    let text = format!(
        "Your card {CARD} is on file. {}Then the key aws_access_key_id={AWS} and more text after it.",
        "padding words ".repeat(30)
    );
    let mut chunks = split(&text);
    chunks.push("data: [DONE]\n\n".into());
    let mut insp = SseInspector::new(Api::OpenAiChat, Some(clf()), mode());
    let (out, cut) = stream(&mut insp, &chunks);
    assert!(cut, "{out}");
    let digits: String = CARD.split(' ').collect::<Vec<_>>().join("");
    assert!(!out.contains(&digits[..8]), "no card digits: {out}");
    assert!(out.contains("[FINANCIAL.CREDIT_CARD_1]"), "{out}");
    assert!(!out.contains("AKIA"), "{out}");
    assert!(!out.contains("and more text"), "{out}");
    assert!(out.contains("output-block-secrets"), "{out}");
    assert!(out.contains("output_blocked"), "{out}");
    let r = insp.report();
    assert_eq!(
        action_of(&r, "financial.credit_card"),
        ClassAction::Redacted
    );
    assert_eq!(action_of(&r, "secret.aws_access_key"), ClassAction::Blocked);
}

#[test]
fn a_stream_without_a_blocked_class_is_redacted_to_its_end() {
    let mut chunks = split(&format!("Card {CARD} and that is all."));
    chunks.push("data: [DONE]\n\n".into());
    let mut insp = SseInspector::new(Api::OpenAiChat, Some(clf()), mode());
    let (out, cut) = stream(&mut insp, &chunks);
    assert!(!cut, "{out}");
    assert!(out.contains("[FINANCIAL.CREDIT_CARD_1]"), "{out}");
    assert!(out.contains("that is all."), "{out}");
    assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
}

#[test]
fn an_unparseable_event_cuts_an_enforced_stream_and_passes_an_observed_one() {
    let chunks = vec![
        chat_event("Hello"),
        format!("data: {{not json {CARD}\n\n"),
        chat_event(" world"),
    ];
    let mut insp = SseInspector::new(Api::OpenAiChat, Some(clf()), mode());
    let (out, cut) = stream(&mut insp, &chunks);
    assert!(cut);
    assert!(
        out.contains("Hello"),
        "held-back text is scanned and released first: {out}"
    );
    assert!(!out.contains("not json"), "{out}");
    assert!(!out.contains(" world"), "{out}");
    assert!(out.contains("output_uninspectable"), "{out}");
    assert!(out.contains("output-block-secrets"), "{out}");
    // No rule blocks or redacts: bytes pass through exactly.
    let mut insp = SseInspector::new(Api::OpenAiChat, Some(clf()), OutputMode::observe());
    let (out, cut) = stream(&mut insp, &chunks);
    assert!(!cut);
    assert_eq!(out, chunks.concat());
}

#[test]
fn an_anthropic_stream_is_cut_with_its_own_error_event() {
    let ev = |name: &str, v: serde_json::Value| format!("event: {name}\ndata: {v}\n\n");
    let chunks = vec![
        ev(
            "content_block_start",
            serde_json::json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        ev(
            "content_block_delta",
            serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": format!("key aws_access_key_id={AWS} ")}}),
        ),
        ev(
            "content_block_stop",
            serde_json::json!({"type": "content_block_stop", "index": 0}),
        ),
    ];
    let mut insp = SseInspector::new(Api::AnthropicMessages, Some(clf()), mode());
    let (out, cut) = stream(&mut insp, &chunks);
    assert!(cut, "{out}");
    assert!(!out.contains(AWS), "{out}");
    assert!(out.contains("event: error\ndata: {"), "{out}");
}

#[test]
fn the_scanner_applies_a_block_list_and_a_redact_list_together() {
    use crate::classify::StreamScanner;
    let pats = |l: &[&str]| l.iter().map(|c| ClassPattern::parse(c).unwrap()).collect();
    let mut s = StreamScanner::with_actions(clf(), pats(&["secret.*"]), pats(&["financial.*"]));
    let mut out = String::new();
    out.push_str(&s.push(&format!("card {CARD} then ")).text);
    let step = s.push(&format!("aws_access_key_id={AWS} tail"));
    out.push_str(&step.text);
    let end = s.finish();
    out.push_str(&end.text);
    assert!(step.blocked || end.blocked, "{out}");
    assert_eq!(
        out,
        "card [FINANCIAL.CREDIT_CARD_1] then aws_access_key_id="
    );
}
