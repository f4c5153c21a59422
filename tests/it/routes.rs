//! Every route, non-streaming: status, the upstream path, the body forwarded byte-for-byte,
//! and the headers aimsgate adds or honours.

use crate::support::*;
use http::Method;

#[tokio::test]
async fn every_route_reaches_the_right_upstream_path_byte_for_byte() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let cases: &[(&str, &str, (&str, &str), &str)] = &[
        ("/v1/chat/completions", "/v1/chat/completions", OPENAI_AUTH, "  {\"model\": \"gpt-4o-mini\",\n \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\ud83d\\ude00\"}] }"),
        ("/v1/responses", "/v1/responses", OPENAI_AUTH, r#"{"model":"gpt-4o-mini","input":"Write a haiku"}"#),
        ("/v1/embeddings", "/v1/embeddings", OPENAI_AUTH, r#"{"model":"text-embedding-3-small","input":["a","b"]}"#),
        ("/v1/completions", "/v1/completions", OPENAI_AUTH, r#"{"model":"gpt-3.5-turbo-instruct","prompt":"Say hi"}"#),
        ("/v1/messages", "/v1/messages", ANTHROPIC_AUTH, MESSAGES),
        ("/v1/messages/count_tokens", "/v1/messages/count_tokens", ANTHROPIC_AUTH, r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"count me"}]}"#),
    ];
    for (path, upstream_path, auth, body) in cases {
        let before = mock.received().len();
        let r = post(&gw.url(path), &[*auth], body).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(!r.decision_id().is_empty());
        let got = mock.received();
        assert_eq!(got.len(), before + 1, "{path}");
        let last = got.last().unwrap();
        assert_eq!(last.path_and_query, *upstream_path);
        assert_eq!(
            &last.body[..],
            body.as_bytes(),
            "{path}: body must be forwarded unchanged"
        );
    }
    let r = send(Method::GET, &gw.url("/v1/models"), &[OPENAI_AUTH], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["object"], "list");
    assert_eq!(mock.received().last().unwrap().path_and_query, "/v1/models");
}

#[tokio::test]
async fn responses_carry_ids_and_trace_context_goes_upstream() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[
            OPENAI_AUTH,
            ("traceparent", tp),
            ("x-request-id", "req-abc-123"),
        ],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-request-id"], "req-abc-123");
    let d1 = r.decision_id().to_owned();
    let up = mock.received().pop().unwrap();
    let sent_tp = up.headers["traceparent"].to_str().unwrap();
    assert!(
        sent_tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{sent_tp}"
    );
    assert!(
        !sent_tp.contains("00f067aa0ba902b7"),
        "a new span id for the upstream hop"
    );
    assert_eq!(up.headers["x-request-id"], "req-abc-123");
    // Without them, both are created; decision ids are unique.
    let r2 = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert!(r2.headers.contains_key("x-request-id"));
    assert_ne!(r2.decision_id(), d1);
    assert!(mock
        .received()
        .pop()
        .unwrap()
        .headers
        .contains_key("traceparent"));
}

#[tokio::test]
async fn pass_through_forwards_the_callers_key_and_strips_internal_headers() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[
            OPENAI_AUTH,
            ("x-aimsgate-ai-system", "support"),
            ("connection", "keep-alive"),
            ("openai-organization", "org-42"),
        ],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200);
    let up = mock.received().pop().unwrap();
    assert_eq!(
        up.headers["authorization"],
        "Bearer sk-caller-test-key-1234"
    );
    assert!(up.headers.get("x-aimsgate-ai-system").is_none());
    assert_eq!(up.headers["openai-organization"], "org-42");
    let r = post(
        &gw.url("/v1/messages"),
        &[ANTHROPIC_AUTH, ("anthropic-version", "2023-06-01")],
        MESSAGES,
    )
    .await;
    assert_eq!(r.status, 200);
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["x-api-key"], "sk-ant-caller-test-key-5678");
    assert_eq!(up.headers["anthropic-version"], "2023-06-01");
}

#[tokio::test]
async fn a_request_cannot_steer_the_proxy_to_another_host() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[
            OPENAI_AUTH,
            ("host", "evil.example.com"),
            ("x-forwarded-host", "evil.example.com"),
        ],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let up = mock.received().pop().unwrap();
    assert_eq!(up.headers["host"], mock.addr.to_string().as_str());
    // Path tricks never escape the route table.
    let r = post(
        &gw.url("/v1/chat/completions/../../admin"),
        &[OPENAI_AUTH],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn models_route_to_configured_upstreams_and_the_allow_list_holds() {
    let mock = mock().await;
    let local = MockProvider::start("127.0.0.1:0".parse().unwrap(), true)
        .await
        .unwrap();
    let extra = format!(
        "[[upstreams]]\nname = \"local\"\nkind = \"openai_compatible\"\nbase_url = \"{}\"\n\
         [routing]\nallow_unlisted_models = false\n\
         [[routing.models]]\npattern = \"llama*\"\nupstream = \"local\"\n\
         [[routing.models]]\npattern = \"gpt-4o-mini\"\nupstream = \"openai\"\n",
        local.openai_base()
    );
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"llama-3.1-8b","messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(local.received().len(), 1);
    assert_eq!(mock.received().len(), 0);
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    assert_eq!(mock.received().len(), 1);
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"gpt-5-secret-preview","messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("allow-list"));
    assert_eq!(
        mock.received().len() + local.received().len(),
        2,
        "refused calls never leave the proxy"
    );
}
