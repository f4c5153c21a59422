//! The policy through the proxy: secrets refused with a readable SDK error, card numbers
//! redacted in the body the provider receives, unregistered systems flagged, organisation
//! dictionaries, output rules on streamed and non-streamed answers, and hot reload.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::support::*;

const SECRET_CHAT: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Why does this fail? aws_access_key_id=AKIAQX4BZL7NW2MOSR6T aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"}]}"#;

#[tokio::test]
async fn baseline_refuses_secrets_redacts_cards_and_flags_shadow_ai() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");

    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, sys],
        SECRET_CHAT,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("block-secrets") && msg.contains("how to fix"),
        "{msg}"
    );
    assert_eq!(r.json()["error"]["type"], "permission_error");
    assert!(
        !r.text().contains("AKIAQX4BZL7NW2MOSR6T"),
        "refusals never echo the secret"
    );
    let blocked_id = r.decision_id().to_owned();
    let a = post(
        &gw.url("/v1/messages"),
        &[ANTHROPIC_AUTH],
        &SECRET_CHAT
            .replace("gpt-4o-mini", "claude-sonnet-4-5")
            .replace("\"messages\"", "\"max_tokens\":9,\"messages\""),
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json()["error"]["type"], "permission_error");
    assert_eq!(
        mock.received().len(),
        0,
        "refused calls never reach the provider"
    );

    let card = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Customer jane.doe@example.com paid with 4539 1488 0343 6467; card 4539 1488 0343 6467 again."}]}"#;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], card).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = String::from_utf8(mock.received().pop().unwrap().body.to_vec()).unwrap();
    assert_eq!(
        sent,
        card.replace("4539 1488 0343 6467", "[FINANCIAL.CREDIT_CARD_1]"),
        "only the card value changes, the same value gets the same placeholder"
    );
    let redacted_id = r.decision_id().to_owned();

    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, ("x-aimsgate-ai-system", "shadow-notetaker")],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "flagged, not blocked");
    let shadow_id = r.decision_id().to_owned();
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
    assert_eq!(r.status, 200);
    let clean_id = r.decision_id().to_owned();

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &blocked_id);
    assert_eq!(d["effect"], "EFFECT_BLOCK", "block");
    assert_eq!(d["http_status"], 403);
    assert_eq!(d["matched_rules"][0]["rule_id"], "block-secrets");
    assert!(d["matched_rules"][0]["annex_a_controls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "A.10.3"));
    let d = decision_of(&records, &redacted_id);
    assert_eq!(d["effect"], "EFFECT_REDACT", "redact");
    let classes: Vec<_> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["class"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
                action_code(&f["action"]),
            )
        })
        .collect();
    assert!(
        classes.contains(&("financial.credit_card".into(), 2, 2)),
        "{classes:?}"
    );
    assert!(classes.contains(&("pii.email".into(), 1, 1)), "{classes:?}");
    let d = decision_of(&records, &shadow_id);
    assert_eq!(d["effect"], "EFFECT_REVIEW", "review");
    assert_eq!(d["ai_system_registered"], false);
    assert_eq!(d["ai_system_id"], "shadow-notetaker");
    let d = decision_of(&records, &clean_id);
    assert_eq!(d["effect"], "EFFECT_ALLOW", "allow");
    assert_eq!(d["ai_system_registered"], true);
    assert_eq!(d["ai_system_risk_tier"], "limited");
}

fn bundle(extra_rules: &str) -> Vec<(&'static str, String)> {
    vec![
        ("bundle.toml", "id = \"it-bundle\"\nversion = \"1\"\n[default]\neffect = \"allow\"\ncontrols = [\"A.2.2\"]\n".into()),
        (
            "rules.toml",
            format!("[[rule]]\nid = \"block-secrets\"\ndescription = \"no secrets\"\ncontrols = [\"A.2.2\"]\nwhen = {{ class = \"secret.*\" }}\neffect = \"block\"\nmessage = \"secrets are not allowed\"\nfix = \"remove it\"\n{extra_rules}"),
        ),
        ("dictionaries.toml", "[[dictionary]]\nname = \"codenames\"\nterms = [\"Nightjar\", \"Project Bluebird\"]\n".into()),
        ("output.toml", "[[output]]\nid = \"out-redact-email\"\ndescription = \"no emails in answers\"\ncontrols = [\"A.6.2.8\"]\nclasses = [\"pii.email\"]\naction = \"redact\"\n".into()),
    ]
}

const CODENAME_RULE: &str = "[[rule]]\nid = \"block-codenames\"\ndescription = \"code names stay inside\"\ncontrols = [\"A.2.2\"]\nwhen = { class = \"custom.codenames\" }\neffect = \"block\"\nmessage = \"project code names are confidential\"\nfix = \"remove the code name\"\n";

fn write_bundle(dir: &std::path::Path, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (n, t) in files {
        std::fs::write(dir.join(n), t).unwrap();
    }
}

async fn stream_text(url: &str, body: &str) -> String {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = http::Request::post(url)
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let all = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&all)
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn custom_bundle_dictionaries_output_rules_and_reload() {
    let mock = mock().await;
    let cfg = config(&mock, "[policy]\npath = \"pol\"\nwatch = false\n");
    let mut files = bundle(CODENAME_RULE);
    let dir = tempfile::tempdir().unwrap();
    write_bundle(&dir.path().join("pol"), &files);
    let refs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, t)| (format!("pol/{n}"), t.clone().into_bytes()))
        .collect();
    std::fs::create_dir_all(dir.path()).unwrap();
    let gw = Gateway::start_with_dirs(&cfg, &["pol"], &refs).await;
    let pol = gw.dir.path().join("pol");

    // Organisation dictionary: case-insensitive, whole words.
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"status of project bluebird?"}]}"#).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("block-codenames"));
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"nightjars are birds"}]}"#,
    )
    .await;
    assert_eq!(
        r.status, 200,
        "word boundaries: `nightjars` is not the code name"
    );

    // Output rule: emails in answers are redacted, streamed or not (the echo model repeats the prompt).
    let echo = r#"{"model":"mock-echo-1","messages":[{"role":"user","content":"Reply to bob.smith@example.org about the invoice."}]}"#;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], echo).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        answer.contains("[PII.EMAIL_1]") && !answer.contains("bob.smith@example.org"),
        "{answer}"
    );
    assert!(
        answer.starts_with("Reply to ") && answer.ends_with(" about the invoice."),
        "{answer}"
    );
    let text = stream_text(
        &gw.url("/v1/chat/completions"),
        &echo.replace("\"messages\"", "\"stream\":true,\"messages\""),
    )
    .await;
    assert!(
        text.contains("[PII.EMAIL_1]") && !text.contains("bob.smith"),
        "split across chunks, still redacted: {text}"
    );
    assert!(
        text.starts_with("Reply to ") && text.ends_with(" about the invoice."),
        "{text}"
    );

    // A broken bundle is rejected on SIGHUP; the old one stays active.
    std::fs::write(pol.join("rules.toml"), "[[rule]]\nid = 3\n").unwrap();
    gw.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Nightjar launch date?"}]}"#,
    )
    .await;
    assert_eq!(r.status, 403, "old bundle still enforced");
    assert!(
        gw.logs().contains("policy reload rejected"),
        "{}",
        gw.logs()
    );

    // A valid reload takes effect without dropping an in-flight stream.
    let resp = open_stream(&gw.url("/v1/chat/completions"), "mock-long").await;
    let mut body = resp.into_body();
    body.frame().await.unwrap().unwrap();
    files = bundle("");
    write_bundle(&pol, &files);
    gw.signal("HUP");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Nightjar launch date?"}]}"#).await;
        if r.status == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reload did not take effect"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rest = body
        .collect()
        .await
        .expect("in-flight stream survives the reload")
        .to_bytes();
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let activations: Vec<_> = records
        .iter()
        .filter_map(|r| r["kind"]["Event"]["event"].get("PolicyActivation"))
        .collect();
    assert_eq!(
        activations.len(),
        2,
        "initial + one valid reload, not the broken one: {activations:?}"
    );
    assert_eq!(
        activations[1]["old_content_hash"],
        activations[0]["new_content_hash"]
    );
    assert_ne!(
        activations[1]["new_content_hash"],
        activations[0]["new_content_hash"]
    );
}

#[tokio::test]
async fn output_block_rules_end_streams_with_an_error_event_and_withhold_answers() {
    let mock = mock().await;
    let cfg = config(&mock, "[policy]\npath = \"pol\"\nwatch = false\n");
    let mut files = bundle("");
    files[3].1 = files[3]
        .1
        .replace("action = \"redact\"", "action = \"block\"")
        .replace("out-redact-email", "out-block-email");
    let refs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, t)| (format!("pol/{n}"), t.clone().into_bytes()))
        .collect();
    let gw = Gateway::start_with_dirs(&cfg, &["pol"], &refs).await;
    let echo = r#"{"model":"mock-echo-1","messages":[{"role":"user","content":"Reply to bob.smith@example.org about the invoice."}]}"#;
    // Streamed: text before the value arrives, then an error event; never the value.
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = http::Request::post(gw.url("/v1/chat/completions"))
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(Full::new(Bytes::from(
            echo.replace("\"messages\"", "\"stream\":true,\"messages\""),
        )))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let all =
        String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(!all.contains("bob.smith"), "{all}");
    assert!(
        all.contains("out-block-email") && all.contains("\"error\""),
        "the stream ends with an error event naming the rule: {all}"
    );
    // Not streamed: the answer is withheld with a 403 naming the output rule.
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], echo).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("out-block-email") && !r.text().contains("bob.smith"));
}
