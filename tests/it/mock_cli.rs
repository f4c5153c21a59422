//! `aimsgate mock --listen ADDR`, the standalone mock provider: every supported API, plain and
//! streamed, directly and with `serve` pointed at it by the base-URL flags' upstreams.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

#[tokio::test]
async fn the_standalone_mock_speaks_every_api_and_serve_runs_against_it() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["mock", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // "mock provider on http://127.0.0.1:PORT (OpenAI base ..."
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_owned();
    let at = |p: &str| format!("http://{addr}{p}");
    let chat = post(&at("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(chat.json()["choices"][0]["message"]["content"], MOCK_REPLY);
    let msg = r#"{"model":"claude-sonnet-4-5","max_tokens":8,"stream":true,"messages":[]}"#;
    let stream = post(&at("/v1/messages"), &[ANTHROPIC_AUTH], msg).await;
    assert!(stream.text().contains("message_stop"), "{}", stream.text());
    let gem = r#"{"contents":[{"parts":[{"text":"hi"}]}]}"#;
    let g = post(
        &at("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
        &[],
        gem,
    )
    .await;
    assert_eq!(g.text().matches("data: ").count(), 6, "{}", g.text());
    assert!(g.text().contains("\"finishReason\":\"STOP\""));

    let cfg = format!(
        "data_dir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
         [[upstreams]]\nname = \"openai\"\nkind = \"openai\"\nbase_url = \"http://{addr}/v1\"\n\
         [[upstreams]]\nname = \"anthropic\"\nkind = \"anthropic\"\nbase_url = \"http://{addr}\"\n\
         [[upstreams]]\nname = \"gemini\"\nkind = \"gemini\"\nbase_url = \"http://{addr}\"\n"
    );
    let gw = Gateway::start(&cfg).await;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(
        &gw.url("/v1beta/models/gemini-2.5-flash:generateContent"),
        &[("x-goog-api-key", "AIza-caller-0000")],
        gem,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["candidates"][0]["content"]["parts"][0]["text"],
        MOCK_REPLY
    );
    child.kill().await.unwrap();
}
