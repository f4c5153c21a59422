//! `[[limits]]`: calls per principal and tokens per AI system, refused with 429 and
//! `retry-after` in each provider's shape, with nothing sent upstream and the refusal in the
//! evidence; tokens charged from the provider's reported usage.

use crate::support::*;

const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");

/// Two calls a minute per principal, 30 tokens an hour for the general assistant (shared with
/// `limits_redis`).
pub const LIMITS: &str = r#"
[[limits]]
id = "calls-per-caller"
scope = "principal"
requests = 2
per = "1m"

[[limits]]
id = "assistant-tokens"
scope = "ai_system"
match = ["general-assistant"]
tokens = 30
per = "1h"
"#;

fn limits_config(mock: &MockProvider) -> String {
    config(mock, LIMITS)
}

#[tokio::test]
async fn calls_over_a_principals_limit_are_refused_with_retry_after() {
    let mock = mock().await;
    let gw = Gateway::start(&limits_config(&mock)).await;
    let url = gw.url("/v1/chat/completions");
    for _ in 0..2 {
        assert_eq!(post(&url, &[OPENAI_AUTH], CHAT).await.status, 200);
    }
    let before = mock.received().len();
    let r = post(&url, &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 429, "{}", r.text());
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&secs), "{secs}");
    assert_eq!(r.json()["error"]["code"], "rate_limited");
    assert_eq!(r.json()["error"]["type"], "rate_limit_error");
    assert!(r.text().contains("calls-per-caller"));
    assert_eq!(
        mock.received().len(),
        before,
        "a refused call sends nothing"
    );
    // Another caller has its own count; the Anthropic route answers in Anthropic's shape.
    let other = ("authorization", "Bearer sk-another-caller-key-9999");
    assert_eq!(post(&url, &[other], CHAT).await.status, 200);
    let m = gw.url("/v1/messages");
    for _ in 0..2 {
        assert_eq!(post(&m, &[ANTHROPIC_AUTH], MESSAGES).await.status, 200);
    }
    let a = post(&m, &[ANTHROPIC_AUTH], MESSAGES).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["error"]["type"], "rate_limit_error");
    let m = metrics(&gw).await;
    assert!(
        m.contains(r#"aimsgate_limit_refusals_total{limit="calls-per-caller",what="requests"} 2"#),
        "{m}"
    );
    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, r.decision_id());
    assert_eq!(d["http_status"], 429);
    assert_eq!(d["effect"], "EFFECT_ERROR");
    assert!(
        d["reason"].as_str().unwrap().starts_with("rate_limited"),
        "{d}"
    );
}

#[tokio::test]
async fn an_ai_systems_token_budget_is_charged_from_the_reported_usage() {
    let mock = mock().await;
    let gw = Gateway::start(&limits_config(&mock)).await;
    let url = gw.url("/v1/chat/completions");
    // The mock reports 12 + 9 = 21 tokens a call: the first two calls are admitted (0, then
    // 21 of 30), the third is over budget. Each caller stays under its own call limit.
    let keys = [
        "sk-caller-one-0001",
        "sk-caller-two-0002",
        "sk-caller-three-0003",
    ];
    let mut last = None;
    for (i, k) in keys.iter().enumerate() {
        let auth = format!("Bearer {k}");
        let r = post(&url, &[("authorization", auth.as_str()), SYSTEM], CHAT).await;
        if i < 2 {
            assert_eq!(r.status, 200, "{}", r.text());
            outcome_eventually(&gw.data_dir(), r.decision_id()).await;
        } else {
            last = Some(r);
        }
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.text().contains("assistant-tokens") && r.text().contains("tokens"));
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(secs > 3000, "the hour's window: {secs}");
    // Calls of other AI systems are not counted against it.
    let free = post(
        &url,
        &[("authorization", "Bearer sk-caller-four-0004")],
        CHAT,
    )
    .await;
    assert_eq!(free.status, 200);
}

#[tokio::test]
async fn a_money_budget_is_charged_at_the_price_tables_rates() {
    let mock = mock().await;
    // 12 input and 9 output tokens a call at 5 and 15 per million: 0.000195 a call.
    let extra = r#"
[[limits]]
id = "assistant-spend"
scope = "ai_system"
match = ["general-assistant"]
cost = 0.0003
per = "1d"

[[prices]]
model = "gpt-4o*"
input = 5.0
output = 15.0
"#;
    let gw = Gateway::start(&config(&mock, extra)).await;
    let url = gw.url("/v1/chat/completions");
    for _ in 0..2 {
        let r = post(&url, &[OPENAI_AUTH, SYSTEM], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
        outcome_eventually(&gw.data_dir(), r.decision_id()).await;
    }
    let r = post(&url, &[OPENAI_AUTH, SYSTEM], CHAT).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.text().contains("assistant-spend") && r.text().contains("cost"));
    // Once spent, the system's budget refuses every call of it, whatever the model or caller.
    let other = r#"{"model":"o3-mini","messages":[{"role":"user","content":"hi"}]}"#;
    let second = ("authorization", "Bearer sk-second-caller-0002");
    assert_eq!(
        post(&url, &[second, SYSTEM], other).await.status,
        429,
        "the system's budget is spent"
    );
}

/// A rule routing the general assistant's calls to the smaller model once any of its token budget
/// `assistant-tokens` is used.
pub const ROUTE_RULE: &str = r#"
[[rule]]
id = "cheaper-once-budget-used"
description = "Once any of the assistant's token budget is used, send calls to the smaller model"
controls = ["A.6.2.6"]
effect = "review"
route_model = "gpt-4o-mini"
when = { limit_used = { limit = "assistant-tokens", at_least = 0.001 } }
"#;

/// The baseline bundle with `extra` appended to its rules, as files for `pol/`.
pub fn baseline_with(extra: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/baseline");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".toml") || name == "tests.toml" {
            continue;
        }
        let mut text = std::fs::read_to_string(&p).unwrap();
        if name == "rules.toml" {
            text.push_str(extra);
        }
        files.push((format!("pol/{name}"), text.into_bytes()));
    }
    files
}

#[tokio::test]
async fn budget_shares_are_policy_facts_a_rule_routes_to_a_cheaper_model() {
    let mock = mock().await;
    let extra = r#"
[policy]
path = "pol"
watch = false

[[limits]]
id = "assistant-tokens"
scope = "ai_system"
match = ["general-assistant"]
tokens = 1000
per = "1h"
"#;
    let rule = ROUTE_RULE;
    let gw = Gateway::start_with_dirs(&config(&mock, extra), &["pol"], &baseline_with(rule)).await;
    let url = gw.url("/v1/chat/completions");
    let big = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#;
    // Nothing used yet: the call goes to the model it asked for.
    let r = post(&url, &[OPENAI_AUTH, SYSTEM], big).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let first = r.decision_id().to_owned();
    outcome_eventually(&gw.data_dir(), &first).await;
    let sent: serde_json::Value =
        serde_json::from_slice(&mock.received().last().unwrap().body).unwrap();
    assert_eq!(sent["model"], "gpt-4o");
    // Its tokens were charged: the next call is flagged and routed to the smaller model.
    let r = post(&url, &[OPENAI_AUTH, SYSTEM], big).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let second = r.decision_id().to_owned();
    let sent: serde_json::Value =
        serde_json::from_slice(&mock.received().last().unwrap().body).unwrap();
    assert_eq!(
        sent["model"], "gpt-4o-mini",
        "the provider got the routed model"
    );
    assert_eq!(
        sent["messages"][0]["content"], "hi",
        "and the same request otherwise"
    );
    let records = export_records(&gw.data_dir());
    let d = decision_of(&records, &first);
    assert_eq!(d["routed_model"], "");
    let d = decision_of(&records, &second);
    assert_eq!(d["requested_model"], "gpt-4o");
    assert_eq!(d["routed_model"], "gpt-4o-mini");
    assert_eq!(d["review_flagged"], true);
    let rules: Vec<&str> = d["matched_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"cheaper-once-budget-used"), "{rules:?}");
    assert!(d["reason"]
        .as_str()
        .unwrap()
        .contains("routed to model gpt-4o-mini"));
}
