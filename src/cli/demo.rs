//! `aimsgate demo`: the offline first run. Starts the built-in mock provider and the proxy on
//! loopback, sends sample calls through it (clean, with PII, with a secret, from an unregistered
//! system, streaming), and prints what happened to each; then shows what the signed evidence
//! log recorded, what the provider received, and verifies the log offline ([`show`]).

mod show;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use aimsgate::config::{Config, MapEnv, Overrides};
use aimsgate::mock_provider::MockProvider;
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo keeps its evidence log (default: a fresh temporary directory).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MockArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: SocketAddr,
}

struct Sample {
    name: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

/// The AI system registered in the embedded baseline policy.
const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");

const SAMPLES: &[Sample] = &[
    Sample {
        name: "clean chat (OpenAI)",
        path: "/v1/chat/completions",
        headers: &[("authorization", "Bearer sk-demo-caller-key-0001"), SYSTEM],
        body: r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise the benefits of unit tests in one line."}]}"#,
    },
    Sample {
        name: "chat with PII (email, card)",
        path: "/v1/chat/completions",
        headers: &[("authorization", "Bearer sk-demo-caller-key-0001"), SYSTEM],
        body: r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Customer jane.doe@example.com paid with card 4539 1488 0343 6467, draft a receipt."}]}"#,
    },
    Sample {
        name: "chat with a secret (AWS key)",
        path: "/v1/chat/completions",
        headers: &[("authorization", "Bearer sk-demo-caller-key-0001"), SYSTEM],
        body: r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Why does this fail? aws_access_key_id=AKIAQX4BZL7NW2MOSR6T aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"}]}"#,
    },
    Sample {
        name: "unregistered AI system (Anthropic)",
        path: "/v1/messages",
        headers: &[
            ("x-api-key", "sk-ant-demo-caller-0002"),
            ("anthropic-version", "2023-06-01"),
            ("x-aimsgate-ai-system", "shadow-notetaker"),
        ],
        body: r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Take notes of this meeting."}]}"#,
    },
    Sample {
        name: "streaming chat (OpenAI)",
        path: "/v1/chat/completions",
        headers: &[("authorization", "Bearer sk-demo-caller-key-0001"), SYSTEM],
        body: r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello."}]}"#,
    },
    Sample {
        name: "no credential",
        path: "/v1/chat/completions",
        headers: &[],
        body: r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#,
    },
];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(demo(args))
}

pub fn run_mock(args: MockArgs) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        let mock = MockProvider::start(args.listen, false)
            .await
            .context("starting the mock provider")?;
        eprintln!(
            "mock provider on http://{} (OpenAI base {}, Anthropic base {}, Gemini base {}, Bedrock endpoint {}); \
             models mock-error, mock-slow, mock-hang, mock-stall, mock-long and mock-echo-* misbehave on purpose",
            mock.addr,
            mock.openai_base(),
            mock.anthropic_base(),
            mock.gemini_base(),
            mock.bedrock_base()
        );
        tokio::signal::ctrl_c().await?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn demo(args: Args) -> anyhow::Result<ExitCode> {
    let mock = MockProvider::start("127.0.0.1:0".parse()?, true)
        .await
        .context("starting the mock provider")?;
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("aimsgate-demo-{}", std::process::id())),
    };
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        admin_listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir.clone()),
        openai_base_url: Some(mock.openai_base()),
        anthropic_base_url: Some(mock.anthropic_base()),
        gemini_base_url: Some(mock.gemini_base()),
        bedrock_base_url: Some(mock.bedrock_base()),
        ..Default::default()
    };
    let config = Config::embedded_default(&overrides, &MapEnv::default())?;
    let running = aimsgate::proxy::start(config)
        .await
        .context("starting the proxy")?;
    println!(
        "aimsgate demo: proxy on http://{} → mock provider on http://{}",
        running.addr, mock.addr
    );
    println!("evidence data dir: {}\n", data_dir.display());
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    println!(
        "{:<38} {:>6}  {:<38}  answer / error",
        "call", "status", "decision id"
    );
    let mut calls = Vec::new();
    for s in SAMPLES {
        let mut req = http::Request::post(format!("http://{}{}", running.addr, s.path))
            .header("content-type", "application/json");
        for (k, v) in s.headers {
            req = req.header(*k, *v);
        }
        let resp = client
            .request(req.body(Full::new(Bytes::from_static(s.body.as_bytes())))?)
            .await?;
        let status = resp.status().as_u16();
        let decision = resp
            .headers()
            .get("x-aimsgate-decision-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let body = resp.into_body().collect().await?.to_bytes();
        calls.push((s.name, decision.clone()));
        println!(
            "{:<38} {:>6}  {:<38}  {}",
            s.name,
            status,
            decision,
            summary(&body)
        );
    }
    println!(
        "\nthe mock provider received {} request(s)",
        mock.received().len()
    );
    running.shutdown().await;
    show::provider_view(&mock, "paid with card");
    show::decisions(&data_dir, &calls)?;
    let intact = show::verify(&data_dir);
    println!(
        "\nnext: aimsgate report --data-dir {d} --out report.html   (Clause 9 report)\n      aimsgate export --data-dir {d} --format csv    (records for a spreadsheet)",
        d = data_dir.display()
    );
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line describing a response body: the answer text, an error message, or stream size.
fn summary(body: &[u8]) -> String {
    if body.starts_with(b"data:") || body.starts_with(b"event:") {
        let text: String = String::from_utf8_lossy(body)
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter_map(|v| {
                v["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        return format!("(stream) {text}");
    }
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    if let Some(m) = v["error"]["message"].as_str() {
        return format!("error: {m}");
    }
    if let Some(t) = v["choices"][0]["message"]["content"].as_str() {
        return t.to_owned();
    }
    if let Some(t) = v["content"][0]["text"].as_str() {
        return t.to_owned();
    }
    String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned()
}
