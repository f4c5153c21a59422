//! Bad input and failing upstreams: each has a defined answer in the provider's error shape.

use http::Method;

use crate::support::*;

#[tokio::test]
async fn client_errors_use_the_providers_error_shape() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    // Malformed JSON → 400, OpenAI shape on OpenAI routes, Anthropic shape on Anthropic routes.
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        "{\"model\": \"gpt-4o\", \"messages\": [",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "malformed_body");
    assert!(r.headers.contains_key("x-aimsgate-decision-id"));
    let r = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH], "not json").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["type"], "error");
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    // Oversize → 413 (limit 64 KiB in the test config), with and without content-length.
    let big = format!(
        "{{\"model\":\"gpt-4o\",\"messages\":[{{\"role\":\"user\",\"content\":\"{}\"}}]}}",
        "a".repeat(70_000)
    );
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["code"], "body_too_large");
    // Unknown route → 404; wrong method → 405 with Allow.
    let r = post(&gw.url("/v1/images/generations"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "unknown_route");
    let r = send(
        Method::GET,
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        "",
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "POST");
    let r = send(
        Method::DELETE,
        &gw.url("/v1/messages"),
        &[ANTHROPIC_AUTH, ("anthropic-version", "2023-06-01")],
        "",
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    // Missing credential → 401.
    let r = post(
        &gw.url("/v1/messages"),
        &[("anthropic-version", "2023-06-01")],
        MESSAGES,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    assert_eq!(mock.received().len(), 0, "nothing reached the provider");
    // JSON that is valid but not an object, and duplicate keys (an ambiguity attack).
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], "[1,2,3]").await;
    assert_eq!(r.status, 400);
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"a","messages":[{"role":"user","content":"x","content":"y"}]}"#,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn upstream_failures_map_to_502_and_504() {
    let mock = mock().await;
    // An upstream on a closed port: 502.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let extra = format!("[[upstreams]]\nname = \"down\"\nkind = \"openai_compatible\"\nbase_url = \"http://{closed}/v1\"\n[[routing.models]]\npattern = \"down-*\"\nupstream = \"down\"\n");
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"down-1","messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "upstream_unreachable");
    assert_eq!(r.headers["x-should-retry"], "true");
    // An upstream that never answers: 504 after first_byte_timeout (1 s in the test config).
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"mock-hang","messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json()["error"]["code"], "upstream_timeout");
    let r = post(
        &gw.url("/v1/messages"),
        &[ANTHROPIC_AUTH],
        r#"{"model":"mock-hang","max_tokens":5,"messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json()["error"]["type"], "timeout_error");
    // An upstream error is relayed as the provider sent it.
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"mock-error","messages":[]}"#,
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["message"], "mock upstream failure");
    assert!(r.headers.contains_key("x-aimsgate-decision-id"));
}

#[tokio::test]
async fn a_slow_body_gets_408_and_the_gateway_keeps_serving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-slow-client-0000\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"model\":";
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .expect("gateway must answer a slow body");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn arbitrary_garbage_never_crashes_the_gateway() {
    use tokio::io::AsyncWriteExt;
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let payloads: &[&[u8]] = &[
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: \xff\xfe\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: -5\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\nauthorization: Bearer k\r\n\r\nzz\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00",
    ];
    for p in payloads {
        let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
        let _ = s.write_all(p).await;
        let _ = s.shutdown().await;
    }
    let body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800 lone surrogate \\u0000\"}]}";
    let _ = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], body).await;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200, "the gateway still serves after garbage");
    assert!(!gw.logs().contains("panicked"), "{}", gw.logs());
}
