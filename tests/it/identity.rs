//! Identity binding through the real binary: virtual keys (with upstream key injection), JWT,
//! trusted headers, and the 401s — credentials never forwarded or logged where they must not be.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::*;

const JWT_SECRET: &str = "test-only-hmac-secret-0123456789abcdef";

fn jwt(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn virtual_keys_and_jwt_bind_principals_and_inject_the_provider_key() {
    let mock = mock().await;
    // Issue the key the way an operator does: `aimsgate keygen --virtual-key`.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["keygen", "--virtual-key"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let key = out
        .split_whitespace()
        .find(|w| w.starts_with("agk_"))
        .unwrap()
        .to_owned();
    let hash = out
        .lines()
        .find_map(|l| l.strip_prefix("hash = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    assert_eq!(hash, aimsgate::identity::hash_virtual_key(&key));
    let extra = format!(
        r#"[keys]
team = {{ file = "team.key", upstream = "openai" }}
[identity]
modes = ["virtual_key", "jwt"]
[[identity.virtual_keys]]
hash = "{hash}"
principal = "svc-support"
groups = ["support"]
upstream_key = "team"
[identity.jwt]
issuer = "https://idp.test/"
audiences = ["aimsgate"]
hmac_secret = {{ file = "jwt.secret" }}
groups_claim = "groups"
"#
    );
    let files: &[(&str, &[u8])] = &[
        ("team.key", b"sk-team-injected-9999\n"),
        ("jwt.secret", JWT_SECRET.as_bytes()),
    ];
    let gw = Gateway::start_with(&config(&mock, &extra), files).await;

    // Virtual key via Authorization (OpenAI SDK style) and via x-api-key (Anthropic SDK style).
    let bearer = format!("Bearer {key}");
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[("authorization", &bearer)],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(
        up.headers["authorization"], "Bearer sk-team-injected-9999",
        "the real provider key is injected"
    );
    // The team key is bound to the `openai` upstream: a call to Anthropic never carries it; it
    // gets that upstream's own configured key instead.
    let r = post(&gw.url("/v1/messages"), &[("x-api-key", &key)], MESSAGES).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["x-api-key"], "sk-ant-upstream-0000");
    assert!(up.headers.get("authorization").is_none());

    let reached_before_refusals = mock.received().len();
    // An unknown virtual key is refused, never passed through.
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[(
            "authorization",
            "Bearer agk_notarealkey0000000000000000000000",
        )],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 401);
    // Pass-through is off in this config: a provider key is not accepted.
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 401);

    assert_eq!(mock.received().len(), reached_before_refusals);
    // JWT: valid → upstream gets the upstream's default key, never the token.
    let good = jwt(
        serde_json::json!({"sub": "alice", "iss": "https://idp.test/", "aud": "aimsgate", "exp": now() + 600, "groups": ["clinicians"]}),
    );
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[("authorization", &format!("Bearer {good}"))],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(
        up.headers["authorization"],
        "Bearer sk-upstream-openai-0000"
    );
    let reached = mock.received().len();
    // Expired, wrong audience, and wrong issuer are 401 in the provider's shape.
    for claims in [
        serde_json::json!({"sub": "alice", "iss": "https://idp.test/", "aud": "aimsgate", "exp": now() - 3600}),
        serde_json::json!({"sub": "alice", "iss": "https://idp.test/", "aud": "other", "exp": now() + 600}),
        serde_json::json!({"sub": "alice", "iss": "https://evil.test/", "aud": "aimsgate", "exp": now() + 600}),
    ] {
        let t = jwt(claims);
        let r = post(&gw.url("/v1/messages"), &[("x-api-key", &t)], MESSAGES).await;
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.json()["error"]["type"], "authentication_error");
        assert!(!r.text().contains(&t), "errors never echo the credential");
    }
    assert_eq!(
        mock.received().len(),
        reached,
        "refused calls never reach the provider"
    );

    let logs = gw.logs_with(&["svc-support", "alice"]).await;
    assert!(
        logs.contains("svc-support") && logs.contains("alice"),
        "principals are logged: {logs}"
    );
    for secret in [
        key.as_str(),
        "sk-team-injected-9999",
        good.as_str(),
        JWT_SECRET,
    ] {
        assert!(!logs.contains(secret), "credential leaked into logs");
    }
}

#[tokio::test]
async fn trusted_headers_are_accepted_only_from_trusted_peers() {
    let mock = mock().await;
    let trusted = "[identity]\nmodes = [\"trusted_header\"]\n[identity.trusted_header]\nheader = \"x-authenticated-user\"\ngroups_header = \"x-authenticated-groups\"\ntrusted_peers = [\"127.0.0.1/32\"]\n";
    let gw = Gateway::start(&config(&mock, trusted)).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[
            ("x-authenticated-user", "bob@corp"),
            ("x-authenticated-groups", "finance"),
        ],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert!(
        up.headers.get("x-authenticated-user").is_none(),
        "identity headers are not forwarded"
    );
    assert_eq!(
        up.headers["authorization"],
        "Bearer sk-upstream-openai-0000"
    );
    assert!(gw.logs_with(&["bob@corp"]).await.contains("bob@corp"));
    drop(gw);

    let untrusted = trusted.replace("127.0.0.1/32", "10.0.0.0/8");
    let gw = Gateway::start(&config(&mock, &untrusted)).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[("x-authenticated-user", "bob@corp")],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
}
