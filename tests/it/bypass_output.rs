//! Bypass suite: output enforcement: all matching output rules apply together, unparseable answers never pass under redact/block (items 3, 8).
//! Each case asserts what the mock provider received and what the evidence recorded.
//!
//! The provider here is a canned upstream (below) that answers each call with a body, status and
//! content type chosen by the test, keyed by the prompt text, so answers can carry exactly what
//! the output rules must catch. The gateway runs `policies/healthcare`, whose output rules block
//! `secret.*` and redact `pii.us_ssn` / `financial.*` for the patient-support assistant.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::support::*;

const CARD: &str = "4539 1488 0343 6467";
const CARD_DIGITS: &str = "4539148803436467";
const AWS: &str = "AKIAQX4BZL7NW2MOSR6T";
const PLACEHOLDER: &str = "[FINANCIAL.CREDIT_CARD_1]";

/// One canned answer.
#[derive(Clone)]
struct Canned {
    status: u16,
    content_type: &'static str,
    chunks: Vec<String>,
}

/// A provider that answers with the canned answer whose key the prompt contains, and records
/// every request body it received.
#[derive(Clone)]
struct CannedProvider {
    addr: SocketAddr,
    answers: Arc<Vec<(&'static str, Canned)>>,
    received: Arc<Mutex<Vec<String>>>,
}

impl CannedProvider {
    async fn start(answers: Vec<(&'static str, Canned)>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let me = Self {
            addr: listener.local_addr().unwrap(),
            answers: Arc::new(answers),
            received: Arc::default(),
        };
        let m = me.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let m = m.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let m = m.clone();
                        async move { Ok::<_, Infallible>(m.answer(req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        me
    }

    async fn answer(
        &self,
        req: Request<Incoming>,
    ) -> Response<http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>> {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        self.received.lock().unwrap().push(body.clone());
        let canned = self
            .answers
            .iter()
            .find(|(key, _)| body.contains(key))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no canned answer for {body}"));
        let frames = canned
            .chunks
            .into_iter()
            .map(|c| Ok::<_, Infallible>(Frame::data(Bytes::from(c))));
        let mut r =
            Response::new(StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync());
        *r.status_mut() = StatusCode::from_u16(canned.status).unwrap();
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            canned.content_type.parse().unwrap(),
        );
        r
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

fn gateway_config(p: &CannedProvider) -> String {
    format!(
        r#"data_dir = "data"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[[upstreams]]
name = "openai"
kind = "openai"
base_url = "http://{addr}/v1"
api_key = {{ env = "TEST_UPSTREAM_OPENAI_KEY" }}
first_byte_timeout = "2s"
idle_timeout = "2s"

[[upstreams]]
name = "anthropic"
kind = "anthropic"
base_url = "http://{addr}"
api_key = {{ env = "TEST_UPSTREAM_ANTHROPIC_KEY" }}

[identity]
modes = ["trusted_header"]
[identity.trusted_header]
header = "x-authenticated-user"
groups_header = "x-authenticated-groups"
trusted_peers = ["127.0.0.1/32"]

[policy]
path = "{policy}"
watch = false
"#,
        addr = p.addr,
        policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/healthcare"),
    )
}

const AGENT: [(&str, &str); 3] = [
    ("x-authenticated-user", "agent-7"),
    ("x-authenticated-groups", "support-agents"),
    ("x-aimsgate-ai-system", "patient-support-assistant"),
];

fn chat_request(key: &str, stream: bool) -> String {
    format!(
        r#"{{"model":"gpt-4o-mini","stream":{stream},"messages":[{{"role":"user","content":"Draft a reply ({key})"}}]}}"#
    )
}

fn chat_json(text: &str) -> Vec<String> {
    vec![serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    })
    .to_string()]
}

/// A chat stream carrying `text` in deltas of a few characters.
fn chat_sse(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = chars
        .chunks(6)
        .map(|c| {
            let piece: String = c.iter().collect();
            format!(
                "data: {}\n\n",
                serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
            )
        })
        .collect();
    out.push("data: [DONE]\n\n".into());
    out
}

fn canned(status: u16, content_type: &'static str, chunks: Vec<String>) -> Canned {
    Canned {
        status,
        content_type,
        chunks,
    }
}

/// The outcome record's output findings as (class, action) pairs, and its error kind.
fn outcome_of(records: &[serde_json::Value], id: &str) -> (Vec<(String, i64)>, String) {
    let o = records
        .iter()
        .map(|r| &r["kind"]["Outcome"])
        .find(|o| o["decision_id"] == id)
        .unwrap_or_else(|| panic!("no outcome record for {id}"));
    let findings = o["output_findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["class"].as_str().unwrap().to_owned(),
                        action_code(&f["action"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (
        findings,
        o["error_kind"].as_str().unwrap_or_default().to_owned(),
    )
}

const ALLOWED: i64 = 1;
const REDACTED: i64 = 2;
const BLOCKED: i64 = 3;

/// A gateway on `policies/healthcare` in front of a canned provider.
async fn start(answers: Vec<(&'static str, Canned)>) -> (CannedProvider, Gateway) {
    let provider = CannedProvider::start(answers).await;
    let gw = Gateway::start(&gateway_config(&provider)).await;
    (provider, gw)
}

async fn call(gw: &Gateway, key: &str, stream: bool) -> Resp {
    post(
        &gw.url("/v1/chat/completions"),
        &AGENT,
        &chat_request(key, stream),
    )
    .await
}

/// Each key reached the provider exactly once (the prompts carry nothing to redact).
fn assert_forwarded_once(provider: &CannedProvider, keys: &[&str]) {
    let received = provider.received();
    assert_eq!(received.len(), keys.len(), "{received:?}");
    for key in keys {
        let n = received.iter().filter(|b| b.contains(key)).count();
        assert_eq!(n, 1, "{key}: {received:?}");
    }
}

/// Exactly one outcome record per call, also for withheld answers.
fn assert_one_outcome_each(records: &[serde_json::Value], ids: &[String]) {
    for id in ids {
        let n = records
            .iter()
            .filter(|r| r["kind"]["Outcome"]["decision_id"] == id.as_str())
            .count();
        assert_eq!(n, 1, "{id}");
    }
}

fn card_redacted() -> (String, i64) {
    ("financial.credit_card".to_owned(), REDACTED)
}

#[tokio::test]
async fn all_matching_output_rules_apply_together_in_json_and_sse() {
    let padding = "and some ordinary words in between ".repeat(12);
    let keys = ["case-json-card", "case-json-both", "case-sse-both"];
    let (provider, gw) = start(vec![
        (
            keys[0],
            canned(
                200,
                "application/json",
                chat_json(&format!("The card on file is {CARD}.")),
            ),
        ),
        (
            keys[1],
            canned(
                200,
                "application/json",
                chat_json(&format!("Card {CARD}; key aws_access_key_id={AWS}")),
            ),
        ),
        (
            keys[2],
            canned(
                200,
                "text/event-stream",
                chat_sse(&format!(
                    "Your card {CARD} is on file, {padding}then aws_access_key_id={AWS} and the rest."
                )),
            ),
        ),
    ])
    .await;

    // JSON: the block rule for secrets applies to this call, and the card is still redacted.
    let json_card = call(&gw, keys[0], false).await;
    assert_eq!(json_card.status, 200, "{}", json_card.text());
    assert_eq!(
        json_card.json()["choices"][0]["message"]["content"],
        format!("The card on file is {PLACEHOLDER}.")
    );

    // Both classes in one JSON answer: block wins, the answer is withheld, the rule named.
    let json_both = call(&gw, keys[1], false).await;
    assert_eq!(json_both.status, 403, "{}", json_both.text());
    let text = json_both.text();
    assert!(text.contains("output-block-secrets"), "{text}");
    assert!(!text.contains(AWS) && !text.contains(CARD), "{text}");

    // SSE: the card is redacted in what is released before the secret cuts the stream.
    let sse_both = call(&gw, keys[2], true).await;
    assert_eq!(sse_both.status, 200);
    let text = sse_both.text();
    assert!(text.contains(PLACEHOLDER), "{text}");
    assert!(!text.contains(CARD_DIGITS.get(..8).unwrap()), "{text}");
    assert!(!text.contains("AKIA"), "{text}");
    assert!(!text.contains("the rest"), "{text}");
    assert!(
        text.contains("output_blocked") && text.contains("output-block-secrets"),
        "{text}"
    );
    assert!(!text.contains("[DONE]"), "nothing after the cut: {text}");

    assert_forwarded_once(&provider, &keys);
    let ids: Vec<String> = [&json_card, &json_both, &sse_both]
        .iter()
        .map(|r| r.decision_id().to_owned())
        .collect();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    assert_one_outcome_each(&records, &ids);
    // One access-log line each too: the withheld answer ends its call once.
    let logs = std::fs::read_to_string(data.path().join("stderr.log")).unwrap();
    for id in &ids {
        let lines = logs
            .lines()
            .filter(|l| l.contains("aimsgate::access") && l.contains(id.as_str()))
            .count();
        assert_eq!(lines, 1, "{id}: {logs}");
    }
    let (f, kind) = outcome_of(&records, &ids[0]);
    assert_eq!((f, kind.as_str()), (vec![card_redacted()], ""));
    let (f, kind) = outcome_of(&records, &ids[1]);
    assert!(
        f.contains(&("secret.aws_access_key".into(), BLOCKED)),
        "{f:?}"
    );
    assert!(
        f.contains(&("financial.credit_card".into(), BLOCKED)),
        "withheld with the answer: {f:?}"
    );
    assert_eq!(kind, "output_blocked");
    let (f, kind) = outcome_of(&records, &ids[2]);
    assert!(f.contains(&card_redacted()), "{f:?}");
    assert!(
        f.contains(&("secret.aws_access_key".into(), BLOCKED)),
        "{f:?}"
    );
    assert!(!f.iter().any(|(_, a)| *a == ALLOWED), "{f:?}");
    assert_eq!(kind, "output_blocked");
}

#[tokio::test]
async fn answers_the_proxy_cannot_parse_never_pass_under_redact_or_block() {
    let keys = [
        "case-non-json-200",
        "case-bad-event",
        "case-mixed-case-sse",
        "case-error-card",
    ];
    let (provider, gw) = start(vec![
        (
            keys[0],
            canned(200, "application/json", vec![format!("The card is {CARD}")]),
        ),
        (
            keys[1],
            canned(
                200,
                "text/event-stream",
                vec![
                    chat_sse("Hello").remove(0),
                    format!("data: {{broken {CARD}\n\n"),
                    "data: [DONE]\n\n".into(),
                ],
            ),
        ),
        (
            keys[2],
            canned(
                200,
                "Text/Event-Stream; charset=utf-8",
                chat_sse(&format!("Card {CARD} noted, nothing else.")),
            ),
        ),
        (
            keys[3],
            canned(
                400,
                "application/json",
                vec![serde_json::json!({"error": {"message": format!("invalid payment value {CARD}"), "type": "invalid_request_error", "param": null, "code": null}}).to_string()],
            ),
        ),
    ])
    .await;

    // A 200 that is not JSON is refused, naming the rule, not passed through.
    let non_json = call(&gw, keys[0], false).await;
    assert_eq!(non_json.status, 403, "{}", non_json.text());
    let text = non_json.text();
    assert!(!text.contains(CARD), "{text}");
    assert!(
        text.contains("could not be inspected") && text.contains("output-block-secrets"),
        "{text}"
    );

    // An event that does not parse cuts the stream; its bytes never reach the client, the text
    // before it (scanned) does.
    let bad_event = call(&gw, keys[1], true).await;
    let text = bad_event.text();
    assert!(text.contains("Hello"), "{text}");
    assert!(!text.contains("broken") && !text.contains(CARD), "{text}");
    assert!(text.contains("output_uninspectable"), "{text}");
    assert!(!text.contains("[DONE]"), "nothing after the cut: {text}");

    // `Text/Event-Stream; charset=utf-8` is an event stream: inspected and redacted.
    let mixed = call(&gw, keys[2], true).await;
    let text = mixed.text();
    assert!(text.contains(PLACEHOLDER), "{text}");
    assert!(!text.contains(CARD), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");

    // A non-2xx body is inspected too: the card in the error message is redacted.
    let error = call(&gw, keys[3], false).await;
    assert_eq!(error.status, 400, "the upstream's status is kept");
    assert_eq!(
        error.json()["error"]["message"],
        format!("invalid payment value {PLACEHOLDER}")
    );

    assert_forwarded_once(&provider, &keys);
    let ids: Vec<String> = [&non_json, &bad_event, &mixed, &error]
        .iter()
        .map(|r| r.decision_id().to_owned())
        .collect();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    assert_one_outcome_each(&records, &ids);
    let (f, kind) = outcome_of(&records, &ids[0]);
    assert_eq!(
        (f.len(), kind.as_str()),
        (0, "output_blocked"),
        "nothing was scanned"
    );
    let (_, kind) = outcome_of(&records, &ids[1]);
    assert_eq!(kind, "output_blocked");
    let (f, kind) = outcome_of(&records, &ids[2]);
    assert_eq!((f, kind.as_str()), (vec![card_redacted()], ""));
    let (f, _) = outcome_of(&records, &ids[3]);
    assert_eq!(f, vec![card_redacted()]);
}
