//! Retries and failover across upstreams serving the same model: a dead upstream, a 503-ing
//! one, a 429 with `retry-after`, a fallback the AI system is not approved for (never used), a
//! caller's own key (never sent elsewhere), a stream that is never retried once it started; and
//! every hop in the outcome evidence.

use aimsgate::mock_provider::MockProvider;

use crate::support::*;

const SYSTEMS: &str = r#"
[[system]]
id = "assistant"
name = "Assistant"
owner = "platform"
purpose = "testing failover"
risk_tier = "limited"
upstreams = ["primary", "backup"]
principals = ["*"]

[[system]]
id = "eu-only"
name = "EU-only assistant"
owner = "platform"
purpose = "testing that failover respects upstream approval"
risk_tier = "high"
upstreams = ["primary"]
principals = ["*"]
"#;

/// `primary` at `primary_url` falls over to `backup` (mock `b`); both hold gateway keys.
async fn gateway(primary_url: &str, b: &MockProvider, retry: &str) -> Gateway {
    let cfg = format!(
        r#"data_dir = "data"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[[upstreams]]
name = "primary"
kind = "openai"
base_url = "{primary_url}"
api_key = {{ env = "TEST_UPSTREAM_OPENAI_KEY" }}
connect_timeout = "1s"
first_byte_timeout = "2s"
idle_timeout = "1s"
fallbacks = ["backup"]

[[upstreams]]
name = "backup"
kind = "openai"
base_url = "{backup}"
api_key = {{ file = "backup.key" }}
first_byte_timeout = "2s"
idle_timeout = "1s"

[routing]
openai = "primary"
[routing.retry]
{retry}

[identity]
modes = ["trusted_header", "pass_through"]
[identity.trusted_header]
header = "x-user"
trusted_peers = ["127.0.0.1/32"]

[policy]
path = "pol"
watch = false
"#,
        backup = b.openai_base()
    );
    let files = [
        ("backup.key", &b"sk-backup-upstream-2222\n"[..]),
        (
            "pol/bundle.toml",
            b"id = \"failover-test\"\nversion = \"1\"\n",
        ),
        ("pol/systems.toml", SYSTEMS.as_bytes()),
    ];
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| ((*n).to_owned(), b.to_vec()))
        .collect();
    Gateway::start_with_dirs(&cfg, &["pol"], &files).await
}

const USER: (&str, &str) = ("x-user", "dana");
const ASSISTANT: (&str, &str) = ("x-aimsgate-ai-system", "assistant");
const RETRY: &str = "max_attempts = 3\nbackoff = \"50ms\"\nmax_backoff = \"1500ms\"";

async fn hops(gw: &Gateway, id: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let o = outcome_eventually(&gw.data_dir(), id).await;
    (
        o["hops"].as_array().cloned().unwrap_or_default(),
        o["answered_by"].clone(),
    )
}

#[tokio::test]
async fn a_dead_or_failing_upstream_fails_over_and_every_hop_is_recorded() {
    let (a, b) = (mock().await, mock().await);
    // Dead: nothing listens on the primary's port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/v1", dead.local_addr().unwrap());
    drop(dead);
    let gw = gateway(&dead_url, &b, RETRY).await;
    let r = post(&gw.url("/v1/chat/completions"), &[USER, ASSISTANT], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = b.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].headers["authorization"], "Bearer sk-backup-upstream-2222",
        "the backup gets its own key, never the primary's"
    );
    let (h, by) = hops(&gw, r.decision_id()).await;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(
        (h[0]["upstream"].as_str(), h[0]["reason"].as_str()),
        (Some("primary"), Some("connect_error"))
    );
    assert_eq!(h[0]["status"], 0);
    assert_eq!(by, "backup");
    let m = metrics(&gw).await;
    assert!(
        m.contains(
            r#"aimsgate_upstream_retries_total{upstream="primary",reason="connect_error"} 1"#
        ),
        "{m}"
    );
    drop(gw);

    // 503 from the primary: moved to the backup at once.
    a.fail_with(503, None, None);
    let gw = gateway(&a.openai_base(), &b, RETRY).await;
    let r = post(&gw.url("/v1/chat/completions"), &[USER, ASSISTANT], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(a.received().len(), 1);
    assert_eq!(b.received().len(), 2);
    let (h, by) = hops(&gw, r.decision_id()).await;
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0]["reason"].as_str(), &h[0]["status"]),
        (Some("status_503"), &503.into())
    );
    assert_eq!(h[0]["wait_us"], 0, "a failover does not wait");
    assert_eq!(by, "backup");

    // Both failing: the last answer is relayed as it is, after max_attempts attempts.
    b.fail_with(503, None, None);
    let r = post(&gw.url("/v1/chat/completions"), &[USER, ASSISTANT], CHAT).await;
    assert_eq!(r.status, 503);
    let (h, _) = hops(&gw, r.decision_id()).await;
    let names: Vec<&str> = h.iter().map(|x| x["upstream"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["primary", "backup"],
        "three attempts: two hops, then the answer"
    );
    assert_eq!(a.received().len() + b.received().len(), 1 + 2 + 3);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_wait_on_the_same_upstream() {
    let (a, b) = (mock().await, mock().await);
    a.fail_with(429, Some(1), Some(1));
    // No fallback in play for this system: the retry goes to the same upstream.
    let gw = gateway(&a.openai_base(), &b, RETRY).await;
    let eu = ("x-aimsgate-ai-system", "eu-only");
    let t0 = std::time::Instant::now();
    let r = post(&gw.url("/v1/chat/completions"), &[USER, eu], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        t0.elapsed() >= std::time::Duration::from_secs(1),
        "waited retry-after"
    );
    assert_eq!(a.received().len(), 2);
    assert!(b.received().is_empty());
    let (h, by) = hops(&gw, r.decision_id()).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["reason"], "status_429");
    assert_eq!(h[0]["wait_us"], 1_000_000);
    assert!(by.is_null(), "answered by the selected upstream: {by}");

    // A retry-after longer than max_backoff is not waited for: the 429 is the answer.
    a.fail_with(429, Some(30), Some(1));
    let r = post(&gw.url("/v1/chat/completions"), &[USER, eu], CHAT).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "30");
    assert!(hops(&gw, r.decision_id()).await.0.is_empty());
}

#[tokio::test]
async fn an_unapproved_fallback_or_a_callers_own_key_never_moves_the_call() {
    let (a, b) = (mock().await, mock().await);
    a.fail_with(503, None, None);
    let gw = gateway(&a.openai_base(), &b, RETRY).await;
    // `eu-only` is approved for the primary only: retried there, never sent to the backup.
    let eu = ("x-aimsgate-ai-system", "eu-only");
    let r = post(&gw.url("/v1/chat/completions"), &[USER, eu], CHAT).await;
    assert_eq!(r.status, 503);
    assert_eq!(a.received().len(), 3);
    assert!(b.received().is_empty(), "the unapproved fallback was used");
    let (h, by) = hops(&gw, r.decision_id()).await;
    assert_eq!(h.len(), 2);
    assert!(h.iter().all(|x| x["upstream"] == "primary"));
    assert!(
        h[1]["wait_us"].as_u64().unwrap() > h[0]["wait_us"].as_u64().unwrap(),
        "backoff grows"
    );
    assert!(by.is_null());

    // A caller's own key (pass-through) goes only to the upstream it was sent for.
    let before = a.received().len();
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, ASSISTANT],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(a.received().len(), before + 3);
    assert!(
        b.received().is_empty(),
        "the caller's key went to the backup"
    );
    assert!(a
        .received()
        .iter()
        .skip(before)
        .all(|x| x.headers["authorization"] == OPENAI_AUTH.1));
}

#[tokio::test]
async fn a_started_stream_is_never_retried() {
    let (a, b) = (mock().await, mock().await);
    let gw = gateway(&a.openai_base(), &b, RETRY).await;
    // The primary answers 200 and stalls mid-stream: the client gets what was sent and an
    // error event; nothing is sent again anywhere.
    let body =
        r#"{"model":"mock-stall","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let r = open_stream_with(
        &gw.url("/v1/chat/completions"),
        &[USER, ASSISTANT, ("content-type", "application/json")],
        body,
    )
    .await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-aimsgate-decision-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // The relayed stream ends when the primary goes idle (1 s); whatever it ended with, no
    // other attempt follows.
    let _ = http_body_util::BodyExt::collect(r.into_body()).await;
    let (h, by) = hops(&gw, &id).await;
    assert!(h.is_empty() && by.is_null(), "{h:?} {by}");
    assert_eq!(a.received().len(), 1);
    assert!(b.received().is_empty());
}
