//! The Gemini API routes through a real gateway in front of the mock provider's Gemini side:
//! the model from the path, the caller's `x-goog-api-key`, plain and streamed (`alt=sse`)
//! answers with their usage, a card redacted before it leaves, a credential refused with
//! nothing sent, errors in Google's shape, and the evidence of each call.

use crate::support::*;

const GOOG_AUTH: (&str, &str) = ("x-goog-api-key", "AIza-caller-test-key-0000000000000000");
const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");
const MODEL_PATH: &str = "/v1beta/models/gemini-2.5-flash";

fn body(text: &str) -> String {
    serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": text}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"maxOutputTokens": 64}
    })
    .to_string()
}

#[tokio::test]
async fn gemini_calls_are_enforced_answered_and_recorded() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, &gemini_upstream(&mock))).await;
    let url = |method: &str| gw.url(&format!("{MODEL_PATH}:{method}"));

    // Plain: forwarded to the configured version's path with the caller's key, answered.
    let plain = post(
        &url("generateContent"),
        &[GOOG_AUTH, SYSTEM],
        &body("Hello"),
    )
    .await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(
        plain.json()["candidates"][0]["content"]["parts"][0]["text"],
        aimsgate::mock_provider::MOCK_REPLY
    );
    let up = mock.received().pop().unwrap();
    assert_eq!(
        up.path_and_query,
        "/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(up.headers["x-goog-api-key"], GOOG_AUTH.1);

    // Streamed: asked as server-sent events, relayed as such, forwarded with `alt=sse` only.
    let stream = post(
        &gw.url(&format!(
            "{MODEL_PATH}:streamGenerateContent?alt=sse&key2=x"
        )),
        &[GOOG_AUTH, SYSTEM],
        &body("Hello"),
    )
    .await;
    assert_eq!(stream.status, 200, "{}", stream.text());
    let text: String = stream
        .text()
        .split("\r\n\r\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| {
            let v: serde_json::Value = serde_json::from_str(d).unwrap();
            v["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, aimsgate::mock_provider::MOCK_REPLY);
    assert_eq!(
        mock.received().pop().unwrap().path_and_query,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );

    // A card number is redacted before the body leaves; the rest of the body is unchanged.
    let card = "4539 1488 0343 6467";
    let echo = gw.url("/v1beta/models/gemini-mock-echo:generateContent");
    let red = post(
        &echo,
        &[GOOG_AUTH, SYSTEM],
        &body(&format!("Charge {card} please")),
    )
    .await;
    let up = mock.received().pop().unwrap();
    let sent = String::from_utf8_lossy(&up.body).into_owned();
    assert!(!sent.contains(card), "{sent}");
    assert!(
        sent.contains("Charge ") && sent.contains("Be brief."),
        "{sent}"
    );
    assert!(!red.text().contains(card));

    // A credential is refused in Google's error shape, and nothing is sent.
    let before = mock.received().len();
    let secret = "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o";
    let refused = post(&url("generateContent"), &[GOOG_AUTH, SYSTEM], &body(secret)).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let e = refused.json();
    assert_eq!(e["error"]["code"], 403);
    assert_eq!(e["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        mock.received().len(),
        before,
        "a refused call sends nothing"
    );

    // countTokens and embedContent.
    let count = post(&url("countTokens"), &[GOOG_AUTH, SYSTEM], &body("count me")).await;
    assert_eq!(count.status, 200, "{}", count.text());
    assert_eq!(count.json()["totalTokens"], 12);
    let embed_body =
        r#"{"content":{"parts":[{"text":"embed me"}]},"taskType":"RETRIEVAL_DOCUMENT"}"#;
    let embed = post(
        &gw.url("/v1beta/models/text-embedding-004:embedContent"),
        &[GOOG_AUTH, SYSTEM],
        embed_body,
    )
    .await;
    assert_eq!(embed.status, 200, "{}", embed.text());
    assert_eq!(
        embed.json()["embedding"]["values"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Errors in Google's shape: no key, a key in the URL, a stream without `alt=sse`, an
    // unknown part, a bad method, an upstream failure.
    let no_key = post(&url("generateContent"), &[SYSTEM], &body("hi")).await;
    assert_eq!(no_key.status, 401);
    assert_eq!(no_key.json()["error"]["status"], "UNAUTHENTICATED");
    let in_url = post(
        &gw.url(&format!(
            "{MODEL_PATH}:generateContent?key=AIzaSyD-secret-in-url"
        )),
        &[SYSTEM],
        &body("hi"),
    )
    .await;
    assert_eq!(in_url.status, 401);
    assert!(!in_url.text().contains("AIzaSyD-secret-in-url"));
    let no_sse = post(
        &url("streamGenerateContent"),
        &[GOOG_AUTH, SYSTEM],
        &body("hi"),
    )
    .await;
    assert_eq!(no_sse.status, 400);
    assert!(no_sse.text().contains("alt=sse"), "{}", no_sse.text());
    let odd = r#"{"contents":[{"role":"user","parts":[{"hologram":"x"}]}]}"#;
    let unknown = post(&url("generateContent"), &[GOOG_AUTH, SYSTEM], odd).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"]["status"], "INVALID_ARGUMENT");
    let batch = post(
        &url("batchGenerateContent"),
        &[GOOG_AUTH, SYSTEM],
        &body("hi"),
    )
    .await;
    assert_eq!(batch.status, 404);
    assert_eq!(batch.json()["error"]["status"], "NOT_FOUND");
    let failing = post(
        &gw.url("/v1beta/models/gemini-mock-error:generateContent"),
        &[GOOG_AUTH, SYSTEM],
        &body("hi"),
    )
    .await;
    assert_eq!(failing.status, 500);
    assert_eq!(failing.json()["error"]["status"], "INTERNAL");

    // Evidence: the decisions name the operation, model and upstream; the outcomes carry the
    // usage Google reported, for the stream too. No key and no prompt text in the log.
    let data = gw.data_dir();
    let records = export_records(&data);
    let d = decision_of(&records, plain.decision_id());
    assert_eq!(d["operation"], "generate_content");
    assert_eq!(d["requested_model"], "gemini-2.5-flash");
    assert_eq!(d["upstream"], "gemini");
    assert_eq!(d["model_approved"], true, "{d}");
    let r = decision_of(&records, refused.decision_id());
    assert_eq!(r["effect"], "EFFECT_BLOCK");
    for (resp, streamed) in [(&plain, false), (&stream, true)] {
        let o = outcome_of(&records, resp.decision_id()).expect("outcome record");
        assert_eq!(o["input_tokens"], 12, "{o}");
        assert_eq!(o["output_tokens"], 9, "{o}");
        assert_eq!(o["stream"], streamed);
        assert_eq!(o["output_scan"], "OUTPUT_SCAN_FULL", "{o}");
    }
    let dir = gw.stop().await;
    let v = verify(&dir.path().join("data"));
    assert!(v.status.success());
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir.path().join("data/log")).unwrap() {
        all.extend(std::fs::read(e.unwrap().path()).unwrap_or_default());
    }
    let hay = String::from_utf8_lossy(&all);
    for needle in [
        GOOG_AUTH.1,
        card,
        "Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o",
    ] {
        assert!(!hay.contains(needle), "{needle} in the log");
    }
}

#[tokio::test]
async fn vertex_ai_paths_reach_the_configured_project_with_the_callers_token() {
    let mock = mock().await;
    let base = format!(
        "{}/v1/projects/p-1/locations/europe-west4/publishers/google",
        mock.gemini_base()
    );
    let extra = format!(
        "[[upstreams]]\nname = \"vertex\"\nkind = \"vertex_ai\"\nbase_url = \"{base}\"\nfirst_byte_timeout = \"1s\"\nidle_timeout = \"1s\"\n"
    );
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let token = ("authorization", "Bearer ya29.caller-access-token-0000");
    // The caller's path names another project: the upstream's configuration decides.
    let path = "/v1/projects/other/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse";
    let r = post(&gw.url(path), &[token, SYSTEM], &body("Hello")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("finishReason"));
    let up = mock.received().pop().unwrap();
    assert_eq!(
        up.path_and_query,
        "/v1/projects/p-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    );
    assert_eq!(up.headers["authorization"], token.1);
    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, r.decision_id());
    assert_eq!(
        (d["upstream"].as_str(), d["operation"].as_str()),
        (Some("vertex"), Some("stream_generate_content"))
    );
}
