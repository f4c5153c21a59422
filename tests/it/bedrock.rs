//! The Amazon Bedrock runtime routes through a real gateway in front of the mock provider's
//! Bedrock side: the model from the encoded path, the caller's virtual key as the SigV4 access
//! key id, the upstream request re-signed with the gateway's own AWS credentials, Converse and
//! InvokeModel plain and streamed (AWS event-stream frames decoded and inspected), a card
//! redacted before it leaves, a credential refused with nothing sent, errors in Bedrock's shape
//! (`x-amzn-errortype`), and the evidence of each call.

use aimsgate::providers::eventstream::{to_event, FrameParser};

use crate::support::*;

const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");
const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1%3A0";
const GATEWAY_AKID: &str = "AKIAGATEWAYEXAMPLE01";

fn converse(text: &str) -> String {
    serde_json::json!({
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 64}
    })
    .to_string()
}

fn sigv4(access_key: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={access_key}/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
}

/// The `(event type, payload)` of every frame of an event-stream body.
fn frames(body: &[u8]) -> Vec<(String, String)> {
    let mut p = FrameParser::new(1 << 20);
    let mut out = Vec::new();
    p.push(body, &mut out).unwrap();
    p.finish().unwrap();
    out.into_iter()
        .map(to_event)
        .map(|e| (e.event.unwrap_or_default(), e.data))
        .collect()
}

#[tokio::test]
async fn bedrock_calls_are_enforced_signed_answered_and_recorded() {
    let mock = mock().await;
    let (key, hash) = aimsgate::identity::generate_virtual_key();
    let extra = format!(
        r#"[[upstreams]]
name = "bedrock"
kind = "bedrock"
base_url = "{}"
region = "us-west-2"
first_byte_timeout = "1s"
idle_timeout = "1s"
[identity]
modes = ["virtual_key"]
[[identity.virtual_keys]]
hash = "{hash}"
principal = "svc-bedrock"
"#,
        mock.bedrock_base()
    );
    let gw = Gateway::start_env(
        &config(&mock, &extra),
        &[
            ("AWS_ACCESS_KEY_ID", GATEWAY_AKID),
            ("AWS_SECRET_ACCESS_KEY", "gateway-secret-example-0000"),
            ("AWS_SESSION_TOKEN", ""),
        ],
    )
    .await;
    let auth = sigv4(&key);
    let caller = [
        ("authorization", auth.as_str()),
        ("x-amz-date", "20250101T000000Z"),
        ("x-amz-security-token", "caller-session-token"),
        SYSTEM,
    ];
    let url = |model: &str, action: &str| gw.url(&format!("/model/{model}/{action}"));

    // Converse: forwarded to the encoded path, re-signed with the gateway's credentials (the
    // caller's signature and session token never leave), answered.
    let plain = post(&url(MODEL, "converse"), &caller, &converse("Hello")).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(
        plain.json()["output"]["message"]["content"][0]["text"],
        MOCK_REPLY
    );
    let up = mock.received().pop().unwrap();
    assert_eq!(up.path_and_query, format!("/model/{MODEL}/converse"));
    assert_eq!(up.sigv4_access_key().as_deref(), Some(GATEWAY_AKID));
    let auth_up = up.headers["authorization"].to_str().unwrap();
    assert!(
        auth_up.contains("/us-west-2/bedrock/aws4_request"),
        "{auth_up}"
    );
    assert!(!auth_up.contains(&key));
    assert!(up.headers.get("x-amz-security-token").is_none());
    assert_ne!(up.headers["x-amz-date"], "20250101T000000Z");

    // A card number is redacted before the body leaves (the echo model shows what arrived).
    let card = "4539 1488 0343 6467";
    let echo = "anthropic.claude-mock-echo";
    let red = post(
        &url(echo, "converse"),
        &caller,
        &converse(&format!("Charge {card} please")),
    )
    .await;
    assert_eq!(red.status, 200, "{}", red.text());
    let sent = String::from_utf8_lossy(&mock.received().pop().unwrap().body).into_owned();
    assert!(
        !sent.contains(card) && sent.contains("Charge ") && sent.contains("Be brief."),
        "{sent}"
    );
    assert!(!red.text().contains(card));

    // ConverseStream: event-stream frames relayed whole; the text and usage are read.
    let stream = post(&url(MODEL, "converse-stream"), &caller, &converse("Hello")).await;
    assert_eq!(stream.status, 200, "{}", stream.text());
    assert_eq!(
        stream.headers["content-type"],
        "application/vnd.amazon.eventstream"
    );
    let evs = frames(&stream.body);
    let text: String = evs
        .iter()
        .filter(|(t, _)| t == "contentBlockDelta")
        .map(|(_, d)| {
            let v: serde_json::Value = serde_json::from_str(d).unwrap();
            v["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, MOCK_REPLY);
    assert_eq!(evs.last().unwrap().0, "metadata");

    // An e-mail echoed in a stream is found in the model's output (observed by the baseline).
    let mail = post(
        &url(echo, "converse-stream"),
        &caller,
        &converse("write to jane.doe@example.com"),
    )
    .await;
    assert_eq!(mail.status, 200);

    // InvokeModel in the Anthropic-on-Bedrock shape, plain and streamed (chunks unwrapped).
    let inv_body = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}"#;
    let inv = post(&url(MODEL, "invoke"), &caller, inv_body).await;
    assert_eq!(inv.status, 200, "{}", inv.text());
    assert_eq!(inv.json()["content"][0]["text"], MOCK_REPLY);
    let inv_stream = post(
        &url(MODEL, "invoke-with-response-stream"),
        &caller,
        inv_body,
    )
    .await;
    assert_eq!(inv_stream.status, 200, "{}", inv_stream.text());
    let evs = frames(&inv_stream.body);
    assert!(evs.iter().all(|(t, _)| t == "chunk"));
    assert!(evs.iter().any(|(_, d)| d.contains("content_block_delta")));
    // Another model family's invoke body is an unknown shape.
    let titan = post(
        &url("amazon.titan-text-express-v1", "invoke"),
        &caller,
        r#"{"inputText":"hi"}"#,
    )
    .await;
    assert_eq!(titan.status, 400, "{}", titan.text());
    assert_eq!(titan.headers["x-amzn-errortype"], "ValidationException");

    // A credential is refused in Bedrock's shape, and nothing is sent.
    let before = mock.received().len();
    let secret = "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o";
    let refused = post(&url(MODEL, "converse"), &caller, &converse(secret)).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.headers["x-amzn-errortype"], "AccessDeniedException");
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("secret"));
    assert_eq!(
        mock.received().len(),
        before,
        "a refused call sends nothing"
    );

    // Identity: an AWS access key id of the caller's own cannot be verified; no credential,
    // an unknown virtual key and a bad model id are refused too.
    let own = sigv4("AKIAIOSFODNN7EXAMPLE");
    let r = post(
        &url(MODEL, "converse"),
        &[("authorization", own.as_str()), SYSTEM],
        &converse("hi"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.headers["x-amzn-errortype"], "UnrecognizedClientException");
    assert!(r.text().contains("virtual key"), "{}", r.text());
    let none = post(&url(MODEL, "converse"), &[SYSTEM], &converse("hi")).await;
    assert_eq!(none.status, 401);
    let unknown = sigv4("agk_notarealkey0000000000000000000000000000000");
    let r = post(
        &url(MODEL, "converse"),
        &[("authorization", unknown.as_str()), SYSTEM],
        &converse("hi"),
    )
    .await;
    assert_eq!(r.status, 401);
    let bad = post(&url("a%2F..%2Fb", "converse"), &caller, &converse("hi")).await;
    assert_eq!(bad.status, 404);
    let failing = post(
        &url("anthropic.claude-mock-error", "converse"),
        &caller,
        &converse("hi"),
    )
    .await;
    assert_eq!(failing.status, 500);
    assert_eq!(
        failing.headers["x-amzn-errortype"],
        "InternalServerException"
    );
    assert_eq!(
        mock.received().len(),
        before + 1,
        "only the failing call was sent"
    );

    // Evidence: decisions name the operation, model and upstream; outcomes carry the usage
    // Bedrock reported, for streams too; the e-mail in the echoed stream is an output finding.
    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, plain.decision_id());
    assert_eq!(d["operation"], "converse");
    assert_eq!(
        d["requested_model"],
        "anthropic.claude-3-5-sonnet-20240620-v1:0"
    );
    assert_eq!(d["upstream"], "bedrock");
    assert_eq!(d["model_approved"], true, "{d}");
    assert_eq!(
        decision_of(&records, refused.decision_id())["effect"],
        "EFFECT_BLOCK"
    );
    for (resp, streamed) in [
        (&plain, false),
        (&stream, true),
        (&inv, false),
        (&inv_stream, true),
    ] {
        let o = outcome_eventually(&gw.data_dir(), resp.decision_id()).await;
        assert_eq!(o["input_tokens"], 12, "{o}");
        assert_eq!(o["output_tokens"], 9, "{o}");
        assert_eq!(o["stream"], streamed);
        assert_eq!(o["output_scan"], "OUTPUT_SCAN_FULL", "{o}");
    }
    let o = outcome_eventually(&gw.data_dir(), mail.decision_id()).await;
    let classes: Vec<&str> = o["output_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["class"].as_str())
        .collect();
    assert!(classes.contains(&"pii.email"), "{o}");
    let dir = gw.stop().await;
    assert!(verify(&dir.path().join("data")).status.success());
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir.path().join("data/log")).unwrap() {
        all.extend(std::fs::read(e.unwrap().path()).unwrap_or_default());
    }
    let hay = String::from_utf8_lossy(&all);
    for needle in [
        key.as_str(),
        card,
        "Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o",
        "gateway-secret",
    ] {
        assert!(!hay.contains(needle), "{needle} in the log");
    }
}
