//! `[limits_store] backend = "redis"`: two aimsgate processes share one Redis (a real
//! `redis-server` child on a free port, with a password): calls through both count against one
//! request limit and one token budget; with Redis gone, fail-closed refuses with 503 and
//! fail-open admits, and each decision record says which. Fails, never skips, when
//! `redis-server` is missing (`.ci/run` installs Debian's `redis-server`).

use std::time::Duration;

use crate::support::*;

const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");
const PASSWORD: &str = "redis-test-pw-7f3a91";

/// A `redis-server` child, killed on drop.
struct Redis {
    child: std::process::Child,
    port: u16,
}

impl Redis {
    fn start() -> Redis {
        Self::on(free_port())
    }

    fn on(port: u16) -> Redis {
        let mut child = std::process::Command::new("redis-server")
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--requirepass", PASSWORD])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is missing: install it with `apt-get install -y redis-server`");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Redis { child, port };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not listen on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn conn(&self) -> redis::aio::MultiplexedConnection {
        let mut info = redis::IntoConnectionInfo::into_connection_info(self.url()).unwrap();
        info.redis.password = Some(PASSWORD.into());
        let client = redis::Client::open(info).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }

    /// The tokens charged to `key`'s window, once they reach `at_least`.
    async fn tokens_reach(&self, key: &str, at_least: u64) -> u64 {
        let mut c = self.conn().await;
        for _ in 0..100 {
            let t: Option<u64> = redis::cmd("HGET")
                .arg(key)
                .arg("t")
                .query_async(&mut c)
                .await
                .unwrap();
            if t.is_some_and(|t| t >= at_least) {
                return t.unwrap_or(0);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{key} never reached {at_least} tokens");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn store_config(mock: &MockProvider, redis: &Redis, on_error: &str, limits: &str) -> String {
    let extra = format!(
        r#"
[limits_store]
backend = "redis"
url = "{url}"
password = {{ env = "TEST_REDIS_PASSWORD" }}
key_prefix = "it:"
timeout = "200ms"
on_error = "{on_error}"
{limits}"#,
        url = redis.url()
    );
    config(mock, &extra)
}

async fn start(config: &str) -> Gateway {
    Gateway::start_env(config, &[("TEST_REDIS_PASSWORD", PASSWORD)]).await
}

fn fail_mode(d: &serde_json::Value) -> &str {
    d.get("limits_fail_mode")
        .and_then(|m| m.as_str())
        .unwrap_or("")
}

#[tokio::test]
async fn two_replicas_count_against_one_shared_limit_and_budget() {
    let redis = Redis::start();
    let mock = mock().await;
    let cfg = store_config(&mock, &redis, "fail_closed", crate::limits::LIMITS);
    let (a, b) = (start(&cfg).await, start(&cfg).await);
    let (ua, ub) = (a.url("/v1/chat/completions"), b.url("/v1/chat/completions"));
    // Two calls a minute for one caller, wherever they land.
    for url in [&ua, &ub] {
        let r = post(url, &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let before = mock.received().len();
    let r = post(&ub, &[OPENAI_AUTH], CHAT).await;
    assert_eq!(
        r.status,
        429,
        "the fourth call, on the other replica: {}",
        r.text()
    );
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&secs), "one call every 30 s: {secs}");
    assert_eq!(r.json()["error"]["code"], "rate_limited");
    assert!(r.text().contains("calls-per-caller"));
    assert_eq!(
        mock.received().len(),
        before,
        "a refused call sends nothing"
    );
    let d = decision_of(&export_records(&b.data_dir()), r.decision_id()).clone();
    assert_eq!(d["http_status"], 429);
    assert_eq!(fail_mode(&d), "", "the store answered");

    // 21 tokens a call (12 + 9): charged by one replica, seen by the other. The calls
    // above were not tagged with the AI system, so the budget starts empty.
    let key = "it:w:assistant-tokens:general-assistant";
    let one = ("authorization", "Bearer sk-caller-one-0001");
    let two = ("authorization", "Bearer sk-caller-two-0002");
    let three = ("authorization", "Bearer sk-caller-three-0003");
    assert_eq!(post(&ua, &[one, SYSTEM], CHAT).await.status, 200);
    assert_eq!(redis.tokens_reach(key, 21).await, 21);
    assert_eq!(
        post(&ub, &[two, SYSTEM], CHAT).await.status,
        200,
        "21 of 30"
    );
    assert_eq!(redis.tokens_reach(key, 42).await, 42);
    let r = post(&ua, &[three, SYSTEM], CHAT).await;
    assert_eq!(r.status, 429, "42 of 30, charged through b: {}", r.text());
    assert!(r.text().contains("assistant-tokens") && r.text().contains("tokens"));
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(secs > 3000, "the hour's window: {secs}");
    for gw in [&a, &b] {
        assert!(
            !gw.logs().contains(PASSWORD),
            "the password is never logged"
        );
    }
}

#[tokio::test]
async fn with_redis_down_fail_closed_refuses_and_fail_open_admits_and_both_say_so() {
    let redis = Redis::start();
    let mock = mock().await;
    let limits =
        "[[limits]]\nid = \"calls\"\nscope = \"principal\"\nrequests = 100\nper = \"1m\"\n";
    let closed = start(&store_config(&mock, &redis, "fail_closed", limits)).await;
    let open = start(&store_config(&mock, &redis, "fail_open", limits)).await;
    let (uc, uo) = (
        closed.url("/v1/chat/completions"),
        open.url("/v1/chat/completions"),
    );
    for url in [&uc, &uo] {
        assert_eq!(post(url, &[OPENAI_AUTH], CHAT).await.status, 200);
    }
    let port = redis.port;
    drop(redis);

    let before = mock.received().len();
    let r = post(&uc, &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "limits_unavailable");
    assert!(r.text().contains("fail closed"), "{}", r.text());
    assert_eq!(
        mock.received().len(),
        before,
        "a refused call sends nothing"
    );
    let d = decision_of(&export_records(&closed.data_dir()), r.decision_id()).clone();
    assert_eq!(d["http_status"], 503);
    assert_eq!(fail_mode(&d), "fail_closed", "{d}");

    let r = post(&uo, &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let d = decision_of(&export_records(&open.data_dir()), r.decision_id()).clone();
    assert_eq!(fail_mode(&d), "fail_open", "{d}");

    let m = metrics(&closed).await;
    assert!(
        m.contains(r#"aimsgate_limits_store_errors_total{op="admit",mode="fail_closed"} 1"#),
        "{m}"
    );
    let m = metrics(&open).await;
    assert!(
        m.contains(r#"aimsgate_limits_store_errors_total{op="admit",mode="fail_open"} 1"#),
        "{m}"
    );

    // Redis back on its port: the connection comes back by itself.
    let _redis = Redis::on(port);
    let mut status = http::StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = post(&uc, &[OPENAI_AUTH], CHAT).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "reconnected after Redis came back");
    for gw in [&closed, &open] {
        assert!(
            !gw.logs().contains(PASSWORD),
            "the password is never logged"
        );
    }
}

#[tokio::test]
async fn budget_shares_in_redis_are_policy_facts_for_every_replica() {
    let mock = mock().await;
    let redis = Redis::start();
    let limits = r#"
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
    let cfg = store_config(&mock, &redis, "fail_closed", limits);
    let files = super::limits::baseline_with(super::limits::ROUTE_RULE);
    let env = [("TEST_REDIS_PASSWORD", PASSWORD)];
    let a = Gateway::start_full(&cfg, &["pol"], &files, &env).await;
    let b = Gateway::start_full(&cfg, &["pol"], &files, &env).await;
    let big = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#;
    let r = post(&a.url("/v1/chat/completions"), &[OPENAI_AUTH, SYSTEM], big).await;
    assert_eq!(r.status, 200, "{}", r.text());
    outcome_eventually(&a.data_dir(), r.decision_id()).await;
    // Replica b has seen no call: the share it reads is the one a charged in Redis.
    let mut routed = false;
    for _ in 0..50 {
        let r = post(&b.url("/v1/chat/completions"), &[OPENAI_AUTH, SYSTEM], big).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let sent: serde_json::Value =
            serde_json::from_slice(&mock.received().last().unwrap().body).unwrap();
        if sent["model"] == "gpt-4o-mini" {
            let d = decision_of(&export_records(&b.data_dir()), r.decision_id()).clone();
            assert_eq!(d["routed_model"], "gpt-4o-mini");
            routed = true;
            break;
        }
        // The charge is sent after the answer, from a task of its own: wait for it to land.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(routed, "replica b routed on the budget replica a used");
}
