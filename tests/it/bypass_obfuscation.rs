//! Bypass suite: classifier normalisation: zero-width, NBSP, full-width, separators, split values, bare PEM bodies, prose secrets (item 4).
//! Each case asserts what the mock provider received and what the evidence recorded.
//!
//! The gateway runs the shipped baseline policy: credentials (`secret.*`) are refused before
//! anything reaches the provider; card numbers are redacted in the body the provider receives.

use serde_json::{json, Value};

use crate::support::*;

const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");
const CARD_PLACEHOLDER: &str = "[FINANCIAL.CREDIT_CARD_";
/// A throwaway P-256 key (PKCS#8), generated for this test only.
const EC_KEY_BODY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBN1VnvSldTjD6CqU\n\
CK2AC8t/u9Cn15XQZ5AZ8e554OGhRANCAAT5YkLZ4hEfrjEpxr298YzWoNxSKpPR\n\
HaGXhoOJ6ecwtUMlUoyOzOdlF5IWZxGTypNpOX4aCyIAv8IPC/UNVIOK";

/// What one call did: the status, the bodies the provider received and the decision record.
struct Outcome {
    status: u16,
    sent: Vec<String>,
    decision: Value,
}

impl Outcome {
    /// (class, count, action) of every finding in the decision record.
    fn findings(&self) -> Vec<(String, u64, i64)> {
        self.decision["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        (
                            f["class"].as_str().unwrap_or("").to_owned(),
                            f["count"].as_u64().unwrap_or(0),
                            action_code(&f["action"]),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn has(&self, class: &str, action: i64) -> bool {
        self.findings()
            .iter()
            .any(|(c, _, a)| c == class && *a == action)
    }
}

/// Send one chat completion with `messages` under the baseline policy.
async fn chat(messages: Value) -> Outcome {
    let body = json!({"model": "gpt-4o-mini", "messages": messages}).to_string();
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, SYSTEM],
        &body,
    )
    .await;
    let status = r.status.as_u16();
    let id = r.decision_id().to_owned();
    let sent = mock
        .received()
        .iter()
        .map(|x| String::from_utf8_lossy(&x.body).into_owned())
        .collect();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    Outcome {
        status,
        sent,
        decision: decision_of(&records, &id).clone(),
    }
}

async fn user(text: &str) -> Outcome {
    chat(json!([{"role": "user", "content": text}])).await
}

/// The card is redacted: the provider got the placeholder and none of the digit groups; the
/// evidence records one card, redacted (effect 2 = redact, action 2 = redacted).
fn assert_card_redacted(o: &Outcome, what: &str) {
    assert_eq!(o.status, 200, "{what}");
    assert_eq!(o.sent.len(), 1, "{what}");
    let sent = &o.sent[0];
    assert!(sent.contains(CARD_PLACEHOLDER), "{what}: {sent}");
    for group in ["4539", "1488", "0343", "6467", "４５３９"] {
        assert!(
            !sent.contains(group),
            "{what}: `{group}` reached the provider: {sent}"
        );
    }
    assert_eq!(o.decision["effect"], "EFFECT_REDACT", "{what}: redact");
    assert!(
        o.has("financial.credit_card", 2),
        "{what}: {:?}",
        o.findings()
    );
}

/// A credential is refused: nothing reached the provider; the evidence records the block by
/// `block-secrets` with the class (effect 3 = block, action 3 = blocked).
fn assert_blocked(o: &Outcome, class: &str, what: &str) {
    assert_eq!(o.status, 403, "{what}");
    assert!(
        o.sent.is_empty(),
        "{what}: the provider received {:?}",
        o.sent
    );
    assert_eq!(o.decision["effect"], "EFFECT_BLOCK", "{what}: block");
    assert_eq!(
        o.decision["matched_rules"][0]["rule_id"], "block-secrets",
        "{what}"
    );
    assert!(o.has(class, 3), "{what}: {:?}", o.findings());
}

#[tokio::test]
async fn zero_width_characters_inside_a_card_and_a_token() {
    let o = user("pay with 4539\u{200b}1488\u{200c}0343\u{2060}6467\u{feff} today").await;
    assert_card_redacted(&o, "zero-width in card");
    let o = user("token ghp_8aspm4G7Vm\u{200b}SUfOoD6V1vrO\u{ad}Rcmn0iSH2JWh3d").await;
    assert_blocked(&o, "secret.github_token", "zero-width in token");
}

#[tokio::test]
async fn nbsp_between_card_groups() {
    let o = user("card 4539\u{a0}1488\u{a0}0343\u{202f}6467 please").await;
    assert_card_redacted(&o, "NBSP");
}

#[tokio::test]
async fn full_width_card_and_key() {
    let o = user("card ４５３９ １４８８ ０３４３ ６４６７ please").await;
    assert_card_redacted(&o, "full-width card");
    let o = user("ｋｅｙ ＡＫＩＡＱＸ４ＢＺＬ７ＮＷ２ＭＯＳＲ６Ｔ").await;
    assert_blocked(&o, "secret.aws_access_key", "full-width key");
}

#[tokio::test]
async fn card_groups_with_other_separators() {
    for card in [
        "4539.1488.0343.6467",
        "4539/1488/0343/6467",
        "4539  1488  0343  6467",
        "4539 1488-0343.6467",
    ] {
        let o = user(&format!("the card is {card} ok")).await;
        assert_card_redacted(&o, card);
    }
}

#[tokio::test]
async fn card_glued_to_letters() {
    let o = user("ref card4539148803436467x end").await;
    assert_card_redacted(&o, "glued");
    assert!(
        o.sent[0].contains("ref card[FINANCIAL.CREDIT_CARD_1]x end"),
        "{}",
        o.sent[0]
    );
}

#[tokio::test]
async fn card_split_across_two_messages() {
    let o = chat(json!([
        {"role": "user", "content": "my card number starts 4539 1488"},
        {"role": "user", "content": "0343 6467 is the rest"}
    ]))
    .await;
    assert_card_redacted(&o, "two messages");
    let sent: Value = serde_json::from_str(&o.sent[0]).unwrap();
    for i in 0..2 {
        let c = sent["messages"][i]["content"].as_str().unwrap();
        assert!(c.contains(CARD_PLACEHOLDER), "message {i}: {c}");
    }
    assert_eq!(
        o.findings(),
        vec![("financial.credit_card".to_owned(), 1, 2)],
        "one card, counted once"
    );
}

#[tokio::test]
async fn token_split_across_two_content_parts() {
    let o = chat(json!([{"role": "user", "content": [
        {"type": "text", "text": "use ghp_8aspm4G7VmSUfOoD"},
        {"type": "text", "text": "6V1vrORcmn0iSH2JWh3d to push"}
    ]}]))
    .await;
    assert_blocked(&o, "secret.github_token", "two content parts");
    let o = chat(json!([{"role": "user", "content": [
        {"type": "text", "text": "card 4539 14"},
        {"type": "text", "text": "88 0343 6467"}
    ]}]))
    .await;
    assert_card_redacted(&o, "card in two content parts");
}

#[tokio::test]
async fn pem_body_without_armour() {
    let o = user(&format!(
        "here is our key:\n{EC_KEY_BODY}\nwhy does it fail?"
    ))
    .await;
    assert_blocked(&o, "secret.private_key", "bare PEM body");
}

#[tokio::test]
async fn aws_secret_introduced_in_prose() {
    for text in [
        "AWS secret key: Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o",
        "the secret access key is Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o",
    ] {
        let o = user(text).await;
        assert_blocked(&o, "secret.aws_secret_key", text);
    }
}
