//! Bypass suite: credentials, headers and AI-system selection (issue 14, items 1, 7 and 10).
//! Each case asserts what the mock provider received (or that it received nothing) and what the
//! evidence recorded.

use http::Method;

use crate::support::*;

const SYSTEMS: &str = r#"
[[system]]
id = "support-bot"
name = "Support"
owner = "support"
purpose = "testing"
risk_tier = "limited"
upstreams = ["openai"]
models = ["gpt-4o*"]
principals = ["svc-support"]

[[system]]
id = "finance-bot"
name = "Finance"
owner = "finance"
purpose = "testing (lists nobody: reachable only through a credential mapping)"
risk_tier = "high"
models = ["gpt-4o*"]

[[system]]
id = "hr-bot"
name = "HR"
owner = "hr"
purpose = "testing"
risk_tier = "limited"
groups = ["hr"]
"#;

/// Issued virtual keys of the fixture: `support` (bound to support-bot, key for `openai`),
/// `both` (group hr, keys for `openai` and `thirdparty`), `solo` (no system, key for `openai`).
struct Keys {
    support: String,
    both: String,
    solo: String,
}

async fn gateway(mock: &MockProvider) -> (Gateway, Keys) {
    let (support, h1) = aimsgate::identity::generate_virtual_key();
    let (both, h2) = aimsgate::identity::generate_virtual_key();
    let (solo, h3) = aimsgate::identity::generate_virtual_key();
    let extra = format!(
        r#"
[[upstreams]]
name = "thirdparty"
kind = "openai_compatible"
base_url = "{base}"
first_byte_timeout = "1s"
idle_timeout = "1s"

[keys]
team-openai = {{ file = "openai.key", upstream = "openai" }}
team-third = {{ file = "third.key", upstream = "thirdparty" }}

[routing]
openai = "openai"
anthropic = "anthropic"
[[routing.models]]
pattern = "llama*"
upstream = "thirdparty"

[identity]
modes = ["virtual_key", "trusted_header"]
[[identity.virtual_keys]]
hash = "{h1}"
principal = "svc-support"
ai_system = "support-bot"
upstream_key = "team-openai"
[[identity.virtual_keys]]
hash = "{h2}"
principal = "svc-both"
groups = ["hr"]
upstream_key = ["team-openai", "team-third"]
[[identity.virtual_keys]]
hash = "{h3}"
principal = "svc-solo"
upstream_key = "team-openai"
[identity.trusted_header]
header = "x-authenticated-user"
trusted_peers = ["127.0.0.1/32"]

[policy]
path = "pol"
watch = false
"#,
        base = mock.openai_base()
    );
    let files = vec![
        ("openai.key".to_owned(), b"sk-team-openai-1111\n".to_vec()),
        ("third.key".to_owned(), b"sk-third-party-2222\n".to_vec()),
        (
            "pol/bundle.toml".to_owned(),
            b"id = \"routing-test\"\nversion = \"1\"\n".to_vec(),
        ),
        ("pol/systems.toml".to_owned(), SYSTEMS.as_bytes().to_vec()),
    ];
    let gw = Gateway::start_with_dirs(&config(mock, &extra), &["pol"], &files).await;
    (
        gw,
        Keys {
            support,
            both,
            solo,
        },
    )
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

fn chat(model: &str) -> String {
    CHAT.replace("gpt-4o-mini", model)
}

#[tokio::test]
async fn provider_keys_go_only_to_the_upstream_they_are_bound_to() {
    let mock = mock().await;
    let (gw, k) = gateway(&mock).await;
    let url = gw.url("/v1/chat/completions");

    // The bound upstream gets the bound key.
    let r = post(&url, &[("authorization", &bearer(&k.solo))], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["authorization"], "Bearer sk-team-openai-1111");

    // A model routed to a third-party upstream: the OpenAI team key must not go there, and that
    // upstream has no key of its own, so the call is refused naming the rule.
    let before = mock.received().len();
    let r = post(
        &url,
        &[("authorization", &bearer(&k.solo))],
        &chat("llama-3.1-8b"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("gateway.upstream-credential-binding") && msg.contains("thirdparty"),
        "{msg}"
    );
    assert_eq!(r.json()["error"]["type"], "permission_error");
    assert_eq!(mock.received().len(), before, "nothing left the proxy");
    let refused = r.decision_id().to_owned();

    // A key set with one key per upstream: each upstream gets its own key.
    let r = post(
        &url,
        &[("authorization", &bearer(&k.both))],
        &chat("llama-3.1-8b"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["authorization"], "Bearer sk-third-party-2222");
    let r = post(&url, &[("authorization", &bearer(&k.both))], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["authorization"], "Bearer sk-team-openai-1111");

    // Anthropic is bound to neither team key: it gets its own configured key, never a team key.
    let r = post(&gw.url("/v1/messages"), &[("x-api-key", &k.both)], MESSAGES).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["x-api-key"], "sk-ant-upstream-0000");
    assert!(up.headers.get("authorization").is_none());
    for up in mock.received() {
        let all = format!("{:?}", up.headers);
        if up.path_and_query.contains("messages") {
            assert!(!all.contains("sk-team-openai") && !all.contains("sk-third-party"));
        }
    }

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &refused);
    assert_eq!(d["http_status"], 403);
    assert_eq!(d["upstream"], "thirdparty");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("gateway.upstream-credential-binding"),
        "{d}"
    );
    let text = serde_json::to_string(&records).unwrap();
    assert!(!text.contains("sk-team-openai-1111") && !text.contains("sk-third-party-2222"));
}

#[tokio::test]
async fn repeated_credential_or_identity_headers_are_refused() {
    let mock = mock().await;
    let (gw, k) = gateway(&mock).await;
    let url = gw.url("/v1/chat/completions");
    let ct = ("content-type", "application/json");
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "authorization",
            vec![
                ("authorization", bearer(&k.solo)),
                ("authorization", bearer(&k.support)),
            ],
        ),
        (
            "authorization",
            vec![
                ("authorization", bearer(&k.solo)),
                ("authorization", bearer(&k.solo)),
            ],
        ),
        (
            "x-api-key",
            vec![("x-api-key", k.solo.clone()), ("x-api-key", k.both.clone())],
        ),
        (
            "x-authenticated-user",
            vec![
                ("x-authenticated-user", "alice".to_owned()),
                ("x-authenticated-user", "admin".to_owned()),
            ],
        ),
    ];
    let mut ids = Vec::new();
    for (name, headers) in &cases {
        let mut h: Vec<(&str, &str)> = vec![ct];
        h.extend(headers.iter().map(|(n, v)| (*n, v.as_str())));
        let r = send(Method::POST, &url, &h, CHAT.to_owned()).await;
        assert_eq!(r.status, 401, "{name}: {}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(msg.contains("more than one") && msg.contains(name), "{msg}");
        ids.push(r.decision_id().to_owned());
    }
    assert!(mock.received().is_empty(), "nothing left the proxy");
    // One copy of the trusted header from a trusted peer still works.
    let r = post(&url, &[("x-authenticated-user", "alice")], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for id in &ids {
        let d = decision_of(&records, id);
        assert_eq!(d["http_status"], 401, "{d}");
        assert_eq!(d["principal_id"], "", "no identity was bound: {d}");
    }
}

#[tokio::test]
async fn the_ai_system_header_selects_only_systems_that_list_the_caller() {
    let mock = mock().await;
    let (gw, k) = gateway(&mock).await;
    let url = gw.url("/v1/chat/completions");
    let call = |key: &str, system: &str| {
        let auth = bearer(key);
        let system = system.to_owned();
        let url = url.clone();
        async move {
            post(
                &url,
                &[("authorization", &auth), ("x-aimsgate-ai-system", &system)],
                CHAT,
            )
            .await
        }
    };
    // Bound to support-bot by its key; finance-bot lists nobody: not honoured, recorded.
    let r = call(&k.support, "finance-bot").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let escaped = r.decision_id().to_owned();
    // hr-bot lists the group hr.
    let r = call(&k.both, "hr-bot").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let by_group = r.decision_id().to_owned();
    // A caller with no system of its own cannot select a closed system either.
    let r = call(&k.both, "finance-bot").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let unbound = r.decision_id().to_owned();
    let forwarded = mock.received().len();
    assert_eq!(forwarded, 3);

    // The header value is validated before anything can store it.
    let secret = "AKIAQX4BZL7NW2MOSR6T";
    let bad = [
        secret.to_owned(),
        "hr bot; drop".to_owned(),
        "x".repeat(200),
    ];
    let mut refused = Vec::new();
    for v in &bad {
        let r = call(&k.both, v).await;
        assert_eq!(r.status, 400, "{v}: {}", r.text());
        assert_eq!(r.json()["error"]["type"], "invalid_request_error");
        assert!(!r.text().contains(secret), "never echoed");
        refused.push(r.decision_id().to_owned());
    }
    let r = send(
        Method::POST,
        &url,
        &[
            ("content-type", "application/json"),
            ("authorization", &bearer(&k.both)),
            ("x-aimsgate-ai-system", "hr-bot"),
            ("x-aimsgate-ai-system", "finance-bot"),
        ],
        CHAT.to_owned(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(mock.received().len(), forwarded, "refused calls never left");
    let logs = gw.logs();
    assert!(!logs.contains(secret), "the header value is not logged");

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &escaped);
    assert_eq!(d["ai_system_id"], "support-bot");
    assert_eq!(d["ai_system_refused_selection"], "finance-bot");
    let d = decision_of(&records, &by_group);
    assert_eq!(d["ai_system_id"], "hr-bot");
    assert_eq!(d["ai_system_refused_selection"], "");
    let d = decision_of(&records, &unbound);
    assert_eq!(d["ai_system_id"], "");
    assert_eq!(d["ai_system_refused_selection"], "finance-bot");
    for id in &refused {
        assert_eq!(decision_of(&records, id)["http_status"], 400);
    }
    let text = serde_json::to_string(&records).unwrap();
    assert!(
        !text.contains(secret),
        "the credential never reaches the evidence"
    );
}

#[tokio::test]
async fn a_model_or_upstream_the_system_is_not_approved_for_is_refused() {
    let mock = mock().await;
    let (gw, k) = gateway(&mock).await;
    let url = gw.url("/v1/chat/completions");
    let auth = bearer(&k.support);
    // support-bot approves gpt-4o* on openai only.
    let r = post(&url, &[("authorization", &auth)], &chat("gpt-3.5-turbo")).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("inventory-unapproved-model"), "{msg}");
    let model_id = r.decision_id().to_owned();
    assert!(mock.received().is_empty());
    let r = post(&url, &[("authorization", &auth)], CHAT).await;
    assert_eq!(r.status, 200, "approved model: {}", r.text());

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &model_id);
    assert_eq!(d["model_approved"], false);
    let rules: Vec<&str> = d["matched_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["inventory-unapproved-model"]);
    assert_eq!(
        d["matched_rules"][0]["annex_a_controls"],
        serde_json::json!(["A.6.2.5", "A.10.3"])
    );
}
