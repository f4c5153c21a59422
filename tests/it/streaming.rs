//! Streaming: SSE passes through chunk by chunk, content intact, for each provider; a client
//! that goes away cancels the upstream call; a stalled upstream ends the stream.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::support::*;

/// Send a streaming request; return (status, frames received, full text).
async fn stream(url: &str, auth: (&str, &str), body: &str) -> (u16, Vec<Bytes>) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = http::Request::post(url)
        .header("content-type", "application/json")
        .header(auth.0, auth.1)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert!(resp.headers().contains_key("x-aimsgate-decision-id"));
    let mut body = resp.into_body();
    let mut frames = Vec::new();
    while let Some(f) = body.frame().await {
        if let Ok(d) = f.unwrap().into_data() {
            frames.push(d);
        }
    }
    (status, frames)
}

fn data_lines(frames: &[Bytes]) -> Vec<serde_json::Value> {
    let all: Vec<u8> = frames.iter().flat_map(|f| f.to_vec()).collect();
    String::from_utf8(all)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn openai_chat_stream_arrives_chunk_by_chunk_and_intact() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let body = r#"{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#;
    let (status, frames) = stream(&gw.url("/v1/chat/completions"), OPENAI_AUTH, body).await;
    assert_eq!(status, 200);
    assert!(
        frames.len() >= 5,
        "expected incremental frames, got {}",
        frames.len()
    );
    let text: String = data_lines(&frames)
        .iter()
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, MOCK_REPLY);
    let all: Vec<u8> = frames.iter().flat_map(|f| f.to_vec()).collect();
    assert!(String::from_utf8(all)
        .unwrap()
        .ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn responses_and_anthropic_streams_arrive_intact() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let (s, frames) = stream(
        &gw.url("/v1/responses"),
        OPENAI_AUTH,
        r#"{"model":"gpt-4o-mini","stream":true,"input":"hi"}"#,
    )
    .await;
    assert_eq!(s, 200);
    let text: String = data_lines(&frames)
        .iter()
        .filter(|v| v["type"] == "response.output_text.delta")
        .map(|v| v["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, MOCK_REPLY);
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let (s, frames) = stream(&gw.url("/v1/messages"), ANTHROPIC_AUTH, body).await;
    assert_eq!(s, 200);
    let text: String = data_lines(&frames)
        .iter()
        .filter(|v| v["type"] == "content_block_delta")
        .map(|v| v["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, MOCK_REPLY);
}

#[tokio::test]
async fn a_client_disconnect_cancels_the_upstream_stream() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let resp = open_stream(&gw.url("/v1/chat/completions"), "mock-long").await;
    let mut body = resp.into_body();
    body.frame().await.unwrap().unwrap();
    drop(body);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while mock.cancelled_streams() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "upstream stream was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stalled_upstream_stream_is_cut_after_its_idle_timeout() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let resp = open_stream(&gw.url("/v1/chat/completions"), "mock-stall").await;
    assert_eq!(resp.status(), 200);
    let started = tokio::time::Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
        .await
        .expect("stream must end, not hang");
    assert!(
        res.is_err(),
        "a cut stream must surface as an error to the client, not a clean end"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
}
