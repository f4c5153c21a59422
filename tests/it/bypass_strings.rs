//! Bypass suite: caller-controlled strings outside the prompt (issue 14, item 9) — the `model`
//! name, `x-request-id`, metric labels, forwarded headers and the query string. Each case
//! asserts what the mock provider received (or that it received nothing) and what the logs,
//! metrics and evidence hold.

use http::Method;

use crate::support::*;

/// A valid-looking AWS access key id the classifier flags (`secrets.aws_access_key`).
const AWS_KEY: &str = "AKIA2E4G6J7K3M5N7P2Q";

#[tokio::test]
async fn a_model_value_must_be_a_model_name_before_anything_stores_it() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let url = gw.url("/v1/chat/completions");
    let mut refused = Vec::new();
    for model in [
        format!("gpt-4o-{AWS_KEY}"),
        "gpt 4o\u{2028}".to_owned(),
        "g".repeat(300),
    ] {
        let body = CHAT.replace("gpt-4o-mini", &model.replace('\u{2028}', "\\u2028"));
        let r = post(&url, &[OPENAI_AUTH], &body).await;
        assert_eq!(r.status, 400, "{model}: {}", r.text());
        let e = &r.json()["error"];
        assert_eq!(e["code"], "bad_field", "{e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains("`model`") && !msg.contains(AWS_KEY), "{msg}");
        refused.push(r.decision_id().to_owned());
    }
    assert!(mock.received().is_empty(), "nothing left the proxy");
    // A real name of each provider's style still passes.
    for model in ["gpt-4o-2024-08-06", "ft:gpt-4o-mini:acme:support:9xYz12ab"] {
        let r = post(&url, &[OPENAI_AUTH], &CHAT.replace("gpt-4o-mini", model)).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
    }
    assert_eq!(mock.received().len(), 2);

    let m = metrics(&gw).await;
    let logs = gw.logs();
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for id in &refused {
        let d = decision_of(&records, id);
        assert_eq!(d["http_status"], 400, "{d}");
        assert!(d.get("model").is_none_or(|m| m == "" || m.is_null()), "{d}");
    }
    let text = serde_json::to_string(&records).unwrap();
    for (what, hay) in [("evidence", &text), ("metrics", &m), ("logs", &logs)] {
        assert!(!hay.contains(AWS_KEY), "the key reached the {what}");
    }
}

#[tokio::test]
async fn a_request_id_carrying_data_is_replaced_everywhere() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let url = gw.url("/v1/chat/completions");

    let r = post(&url, &[OPENAI_AUTH, ("x-request-id", AWS_KEY)], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let echoed = r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(echoed, AWS_KEY);
    assert!(uuid_like(&echoed), "{echoed}");
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["x-request-id"], echoed.as_str());
    let flagged = r.decision_id().to_owned();

    // An ordinary id is kept end to end.
    let r = post(
        &url,
        &[OPENAI_AUTH, ("x-request-id", "req-7f3a-support")],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-request-id"], "req-7f3a-support");
    assert_eq!(
        mock.received().pop().unwrap().headers["x-request-id"],
        "req-7f3a-support"
    );

    // The access log carries the kept id and the generated one, never the flagged value.
    let logs = gw.logs_with(&["req-7f3a-support", &echoed]).await;
    assert!(
        logs.contains("req-7f3a-support") && logs.contains(&echoed),
        "{logs}"
    );
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    assert!(
        decision_of(&records, &flagged).is_object(),
        "the call was recorded"
    );
    let text = serde_json::to_string(&records).unwrap();
    assert!(!text.contains(AWS_KEY) && !logs.contains(AWS_KEY));
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.bytes().filter(|b| *b == b'-').count() == 4
}

#[tokio::test]
async fn metric_labels_come_only_from_configured_names() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let url = gw.url("/v1/chat/completions");
    for i in 0..40 {
        let model = format!("zz-probe-model-{i}");
        let system = format!("probe-system-{i}");
        let r = post(
            &url,
            &[OPENAI_AUTH, ("x-aimsgate-ai-system", &system)],
            &CHAT.replace("gpt-4o-mini", &model),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post(
        &url,
        &[OPENAI_AUTH, ("x-aimsgate-ai-system", "general-assistant")],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let m = metrics_until(&gw, |m| {
        m.lines().any(|l| {
            l.starts_with("aimsgate_requests_total{")
                && l.contains("ai_system=\"general-assistant\"")
        }) && m.lines().any(|l| {
            l.starts_with("aimsgate_requests_total{")
                && l.contains("model=\"other\"")
                && l.ends_with(" 40")
        })
    })
    .await;
    assert!(
        !m.contains("zz-probe-model") && !m.contains("probe-system"),
        "{m}"
    );
    let series: Vec<&str> = m
        .lines()
        .filter(|l| l.starts_with("aimsgate_requests_total{"))
        .collect();
    assert!(
        series.iter().any(|l| l.contains("ai_system=\"other\"")
            && l.contains("model=\"other\"")
            && l.ends_with(" 40")),
        "{series:?}"
    );
    // The registered system and the inventory pattern its model matched.
    assert!(
        series
            .iter()
            .any(|l| l.contains("ai_system=\"general-assistant\"")
                && l.contains("model=\"gpt-4o*\"")),
        "{series:?}"
    );
    assert!(series.len() <= 3, "{series:?}");
    gw.stop().await;
}

#[tokio::test]
async fn forwarded_headers_follow_each_providers_allow_list() {
    let mock = mock().await;
    let (vk, hash) = aimsgate::identity::generate_virtual_key();
    let extra = format!(
        r#"
[keys]
team-openai = {{ file = "openai.key", upstream = "openai" }}
team-anthropic = {{ file = "anthropic.key", upstream = "anthropic" }}

[identity]
modes = ["virtual_key", "pass_through"]
[[identity.virtual_keys]]
hash = "{hash}"
principal = "svc-team"
upstream_key = ["team-openai", "team-anthropic"]
"#
    );
    let cfg = config(&mock, &extra);
    let files: [(&str, &[u8]); 2] = [
        ("openai.key", b"sk-team-openai-1111\n"),
        ("anthropic.key", b"sk-ant-team-2222\n"),
    ];
    let gw = Gateway::start_with(&cfg, &files).await;
    let bearer = format!("Bearer {vk}");
    let caller_headers = [
        ("openai-organization", "org-someone-else"),
        ("openai-project", "proj-someone-else"),
        ("anthropic-beta", "files-api-2025-04-14"),
        ("x-forwarded-for", "10.9.9.9"),
        ("cookie", "session=abc"),
        ("x-custom-debug", "1"),
        ("x-stainless-lang", "python"),
        ("user-agent", "OpenAI/Python 1.0"),
    ];

    // Injected key, OpenAI: account-selecting and unknown headers are dropped.
    let mut h = vec![("authorization", bearer.as_str())];
    h.extend(caller_headers);
    let r = post(&gw.url("/v1/chat/completions"), &h, CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["authorization"], "Bearer sk-team-openai-1111");
    for gone in [
        "openai-organization",
        "openai-project",
        "anthropic-beta",
        "x-forwarded-for",
        "cookie",
        "x-custom-debug",
    ] {
        assert!(up.headers.get(gone).is_none(), "{gone} was forwarded");
    }
    assert_eq!(up.headers["x-stainless-lang"], "python");
    assert_eq!(up.headers["user-agent"], "OpenAI/Python 1.0");

    // Injected key, Anthropic: the version header goes, the beta header does not.
    let mut h = vec![
        ("x-api-key", vk.as_str()),
        ("anthropic-version", "2023-06-01"),
    ];
    h.extend(caller_headers);
    let r = post(&gw.url("/v1/messages"), &h, MESSAGES).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["x-api-key"], "sk-ant-team-2222");
    assert_eq!(up.headers["anthropic-version"], "2023-06-01");
    assert!(up.headers.get("anthropic-beta").is_none());
    assert!(up.headers.get("openai-organization").is_none());

    // The caller's own credential (pass-through): its account headers go with it.
    let mut h = vec![OPENAI_AUTH];
    h.extend(caller_headers);
    let r = post(&gw.url("/v1/chat/completions"), &h, CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["authorization"], OPENAI_AUTH.1);
    assert_eq!(up.headers["openai-organization"], "org-someone-else");
    assert!(up.headers.get("cookie").is_none() && up.headers.get("x-forwarded-for").is_none());
    gw.stop().await;
}

#[tokio::test]
async fn an_upstream_can_list_extra_headers_and_bad_lists_are_refused() {
    let mock = mock().await;
    let listed = config(&mock, "").replacen(
        "name = \"anthropic\"\n",
        "name = \"anthropic\"\nforward_headers = [\"anthropic-beta\"]\n",
        1,
    );
    let gw = Gateway::start(&listed).await;
    let h = [("anthropic-beta", "prompt-caching-2024-07-31")];
    let r = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH, h[0]], MESSAGES).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["anthropic-beta"], "prompt-caching-2024-07-31");
    gw.stop().await;

    let dir = tempfile::tempdir().unwrap();
    for bad in ["authorization", "x-aimsgate-ai-system", "bad header"] {
        let cfg = config(&mock, "").replacen(
            "name = \"anthropic\"\n",
            &format!("name = \"anthropic\"\nforward_headers = [\"{bad}\"]\n"),
            1,
        );
        let path = dir.path().join("aimsgate.toml");
        std::fs::write(&path, cfg).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .args(["serve", "--check", "--config"])
            .arg(&path)
            .env("TEST_UPSTREAM_OPENAI_KEY", "sk-x")
            .env("TEST_UPSTREAM_ANTHROPIC_KEY", "sk-y")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad} accepted");
        assert!(err.contains("forward_headers"), "{err}");
    }
}

#[tokio::test]
async fn the_query_string_reaches_only_apis_that_define_one() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(
        &gw.url(&format!("/v1/chat/completions?api_key={AWS_KEY}&foo=bar")),
        &[OPENAI_AUTH],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        mock.received().pop().unwrap().path_and_query,
        "/v1/chat/completions"
    );

    let r = post(
        &gw.url(&format!("/v1/messages?beta=true&x={AWS_KEY}")),
        &[ANTHROPIC_AUTH],
        MESSAGES,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        mock.received().pop().unwrap().path_and_query,
        "/v1/messages?beta=true"
    );

    let r = send(
        Method::GET,
        &gw.url("/v1/models?limit=5&after_id=claude-3&evil=1"),
        &[ANTHROPIC_AUTH, ("anthropic-version", "2023-06-01")],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    // An Anthropic SDK's model listing goes to the Anthropic upstream (its version header is
    // forwarded only there), with the paging parameters that API defines.
    assert_eq!(up.headers["anthropic-version"], "2023-06-01");
    assert_eq!(up.path_and_query, "/v1/models?limit=5&after_id=claude-3");
    // OpenAI's model list takes none.
    let r = send(
        Method::GET,
        &gw.url("/v1/models?limit=5"),
        &[OPENAI_AUTH],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert!(up.headers.get("anthropic-version").is_none());
    assert_eq!(up.path_and_query, "/v1/models");
    let logs = gw.logs();
    let data = gw.stop().await;
    let text = serde_json::to_string(&export_records(&data.path().join("data"))).unwrap();
    assert!(!text.contains(AWS_KEY) && !logs.contains(AWS_KEY));
}
