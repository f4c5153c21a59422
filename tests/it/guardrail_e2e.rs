//! Guardrail mode end to end with the real gateways from their registries: a LiteLLM proxy
//! (PyPI `litellm==1.110.2`) with aimsgate as its `generic_guardrail_api` guardrail, and
//! Portkey's gateway (npm `@portkey-ai/gateway@1.15.2`) with aimsgate as its `default.webhook`
//! guardrail. Through each, a prompt with a credential is refused, a card number arrives
//! redacted at the mock provider, and the decisions are in aimsgate's signed log, which
//! verifies. Needs the installs of `scripts/e2e_gateways.sh` (run by `scripts/test.sh`), so it
//! is `#[ignore]`d in a plain `cargo test`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use super::guardrail::{guard_config, CARD, SECRET};
use crate::support::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Start a gateway on a free port and wait until `probe` (a path) answers 200. A start that
/// lost its port to another process anyway is retried on a new port; any other early exit
/// fails with the gateway's log.
async fn launch(
    log_path: &Path,
    secs: u64,
    probe: &str,
    command: impl Fn(u16) -> Command,
) -> (Child, String) {
    for _ in 0..3 {
        let port = free_port();
        let log = std::fs::File::create(log_path).unwrap();
        let mut child = command(port)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        match ready(&format!("{base}{probe}"), log_path, &mut child, secs).await {
            Ok(()) => return (child, base),
            Err(log) if log.contains("address already in use") || log.contains("EADDRINUSE") => {
                eprintln!("{base}: port taken while starting, retrying on another");
            }
            Err(log) => panic!("{base}: exited before it was ready: {log}"),
        }
    }
    panic!("no port held through three starts")
}

/// Wait until `url` answers 200 (the gateway is up). `Err` with its log when it exited first;
/// a panic with its log when it is not ready in `secs`.
async fn ready(url: &str, log: &Path, child: &mut Child, secs: u64) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("exited with {status}: {log}"));
        }
        // `send` expects a listener: probe the port first.
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let r = tokio::time::timeout(
                Duration::from_secs(5),
                send(http::Method::GET, url, &[], ""),
            )
            .await;
            if matches!(r, Ok(ref r) if r.status == 200) {
                return Ok(());
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} not ready in {secs} s: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn require(path: &Path) -> PathBuf {
    assert!(
        path.exists(),
        "no {}: run scripts/e2e_gateways.sh (scripts/test.sh does)",
        path.display()
    );
    path.to_path_buf()
}

/// The decisions the gateway named `gateway` asked for.
fn decisions_by(records: &[Value], gateway: &str) -> Vec<Value> {
    records
        .iter()
        .map(|r| r["kind"]["Decision"].clone())
        .filter(|d| d["guardrail_gateway"] == gateway)
        .collect()
}

fn chat(content: &str) -> String {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}).to_string()
}

#[tokio::test]
#[ignore = "needs the LiteLLM install of scripts/e2e_gateways.sh; run scripts/test.sh"]
async fn litellm_proxy_with_aimsgate_as_its_guardrail() {
    let litellm = require(&root().join(".venv-litellm/bin/litellm"));
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    let guard: SocketAddr = gw.guardrail.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("litellm.yaml");
    std::fs::write(
        &cfg,
        format!(
            r#"model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {base}
      api_key: sk-upstream-mock-0000
guardrails:
  - guardrail_name: aimsgate
    litellm_params:
      guardrail: generic_guardrail_api
      mode: [pre_call, post_call]
      api_base: http://{guard}
      api_key: sk-litellm-guard-key-0001
      default_on: true
      unreachable_fallback: fail_closed
      additional_provider_specific_params:
        ai_system: general-assistant
general_settings:
  master_key: sk-master-e2e-0000
"#,
            base = mock.openai_base()
        ),
    )
    .unwrap();
    let log_path = dir.path().join("litellm.log");
    let home = dir.path().to_path_buf();
    let (_child, base) = launch(&log_path, 120, "/health/liveliness", |port| {
        let mut c = Command::new(&litellm);
        c.arg("--config")
            .arg(&cfg)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("LITELLM_TELEMETRY", "False")
            .env("HOME", &home)
            .current_dir(&home);
        c
    })
    .await;
    let url = format!("{base}/v1/chat/completions");
    let auth = ("authorization", "Bearer sk-master-e2e-0000");

    // A credential: refused by aimsgate, so LiteLLM answers 400 and the provider sees nothing.
    let before = mock.received().len();
    let r = post(
        &url,
        &[auth],
        &chat(&format!("Why does this fail? {SECRET}")),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("aimsgate decision"), "{}", r.text());
    assert_eq!(mock.received().len(), before, "nothing sent when refused");

    // A card: the provider receives it redacted; the caller gets the answer.
    let r = post(
        &url,
        &[auth],
        &chat(&format!("Charge {CARD} for the order.")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let received = mock.received();
    let sent = String::from_utf8_lossy(&received.last().expect("the call reached the mock").body)
        .into_owned();
    assert!(sent.contains("Charge ") && !sent.contains(CARD), "{sent}");

    let records = export_records(&gw.data_dir());
    let d = decisions_by(&records, "litellm");
    let effects: Vec<&str> = d.iter().map(|d| d["effect"].as_str().unwrap()).collect();
    assert!(
        effects.contains(&"EFFECT_BLOCK") && effects.contains(&"EFFECT_REDACT"),
        "{effects:?}"
    );
    assert!(d.iter().all(|d| d["ai_system_id"] == "general-assistant"));
    // The redacted call's answer was checked post-call under the same decision.
    let redacted = d.iter().find(|d| d["effect"] == "EFFECT_REDACT").unwrap();
    let o = outcome_eventually(&gw.data_dir(), redacted["decision_id"].as_str().unwrap()).await;
    assert_eq!(o["upstream_status"], 200, "{o}");
    let dir = gw.stop().await;
    let v = verify(&dir.path().join("data"));
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}

#[tokio::test]
#[ignore = "needs the Portkey install of scripts/e2e_gateways.sh; run scripts/test.sh"]
async fn portkey_gateway_with_aimsgate_as_its_webhook_guardrail() {
    let server = require(
        &root().join("tests/e2e/portkey/node_modules/@portkey-ai/gateway/build/start-server.js"),
    );
    let mock = mock().await;
    let gw = Gateway::start(&guard_config(&mock, "")).await;
    let guard: SocketAddr = gw.guardrail.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("portkey.log");
    let (_child, base) = launch(&log_path, 60, "/", |port| {
        let mut c = Command::new("node");
        c.arg(&server)
            .arg(format!("--port={port}"))
            .arg("--headless")
            .current_dir(dir.path());
        c
    })
    .await;
    let hook = |id: &str| {
        json!({"type": "guardrail", "id": id, "deny": true, "checks": [{"id": "default.webhook",
            "parameters": {"webhookURL": format!("http://{guard}/portkey/webhook"),
                "headers": {"Authorization": "Bearer sk-portkey-hook-key-0002"},
                "timeout": 5000, "failOnError": true}}]})
    };
    let config = json!({
        "provider": "openai",
        "api_key": "sk-upstream-mock-0000",
        "custom_host": mock.openai_base(),
        "before_request_hooks": [hook("aimsgate-in")],
        "after_request_hooks": [hook("aimsgate-out")],
    })
    .to_string();
    let url = format!("{base}/v1/chat/completions");
    let headers = [
        ("x-portkey-config", config.as_str()),
        (
            "x-portkey-metadata",
            r#"{"_user":"alice","ai_system":"general-assistant"}"#,
        ),
    ];

    // A credential: aimsgate's verdict is false, Portkey denies with its 446.
    let before = mock.received().len();
    let r = post(
        &url,
        &headers,
        &chat(&format!("Why does this fail? {SECRET}")),
    )
    .await;
    assert_eq!(r.status.as_u16(), 446, "{}", r.text());
    assert!(
        r.text().contains("refused by aimsgate policy"),
        "{}",
        r.text()
    );
    assert_eq!(mock.received().len(), before, "nothing sent when refused");

    // A card: the transformed request is what the provider receives.
    let r = post(
        &url,
        &headers,
        &chat(&format!("Charge {CARD} for the order.")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let received = mock.received();
    let sent = String::from_utf8_lossy(&received.last().expect("the call reached the mock").body)
        .into_owned();
    assert!(sent.contains("Charge ") && !sent.contains(CARD), "{sent}");

    let records = export_records(&gw.data_dir());
    let d = decisions_by(&records, "portkey");
    assert_eq!(d.len(), 2, "the after hook found its decision: {d:?}");
    let redacted = d
        .iter()
        .find(|d| d["effect"] == "EFFECT_REDACT")
        .expect("a redaction");
    assert!(redacted["principal_id"]
        .as_str()
        .unwrap()
        .ends_with("/alice"));
    let o = outcome_eventually(&gw.data_dir(), redacted["decision_id"].as_str().unwrap()).await;
    assert_eq!(o["upstream_status"], 200, "the after hook's answer: {o}");
    let dir = gw.stop().await;
    let v = verify(&dir.path().join("data"));
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}
