//! End-to-end with the official `openai`, `anthropic`, `google-genai` and `boto3` Python SDKs
//! from PyPI, pointed at the proxy by base URL (boto3: `endpoint_url`) only. Needs the virtualenv that `scripts/test.sh` creates (`.venv`), so it
//! is `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` runs it with `--include-ignored`.

use crate::support::*;

/// Runs an SDK script from `tests/e2e/` against `gw` with the virtualenv's Python; its stdout
/// (`ok <case>` lines) once it exited 0.
async fn run_script(gw: &Gateway, script: &str) -> String {
    run_script_env(gw, script, &[]).await
}

/// [`run_script`] with extra environment variables.
async fn run_script_env(gw: &Gateway, script: &str, envs: &[(&str, &str)]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "no {}: run scripts/test.sh, which creates it",
        python.display()
    );
    let out = tokio::process::Command::new(&python)
        .arg(root.join(script))
        .env("AIMSGATE_URL", format!("http://{}", gw.addr))
        .env("EXPECTED_REPLY", MOCK_REPLY)
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}

#[tokio::test]
#[ignore = "needs the Python SDK virtualenv; run scripts/test.sh"]
async fn official_python_sdks_work_through_the_proxy() {
    let mock = mock().await;
    let (_key, hash) = aimsgate::identity::generate_virtual_key();
    let extra = format!("[identity]\nmodes = [\"virtual_key\", \"pass_through\"]\n[[identity.virtual_keys]]\nhash = \"{hash}\"\nprincipal = \"e2e\"\n");
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let stdout = run_script(&gw, "tests/e2e/sdk_check.py").await;
    for case in [
        "openai chat",
        "openai chat stream",
        "openai responses",
        "openai responses stream",
        "openai embeddings",
        "openai models",
        "anthropic messages",
        "anthropic messages stream",
        "anthropic count_tokens",
        "openai refusal error",
        "anthropic auth error",
        "openai policy refusal",
        "anthropic policy refusal",
    ] {
        assert!(
            stdout.contains(&format!("ok {case}")),
            "missing `{case}` in:\n{stdout}"
        );
    }
    // Every SDK call that passed reached the mock.
    assert!(mock.received().len() >= 9);
}

#[tokio::test]
#[ignore = "needs the Python SDK virtualenv; run scripts/test.sh"]
async fn the_google_gen_ai_sdk_works_through_the_proxy() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, &gemini_upstream(&mock))).await;
    let stdout = run_script(&gw, "tests/e2e/gemini_check.py").await;
    for case in [
        "gemini generate_content",
        "gemini usage",
        "gemini generate_content_stream",
        "gemini redaction",
        "gemini stream redaction",
        "gemini policy refusal",
        "gemini count_tokens",
        "gemini embed_content",
        "gemini upstream error",
    ] {
        assert!(
            stdout.contains(&format!("ok {case}")),
            "missing `{case}` in:\n{stdout}"
        );
    }
    // What the mock received: the SDK's calls under the configured API version, the card
    // redacted, and nothing for the refused call.
    let got = mock.received();
    assert!(got
        .iter()
        .all(|r| r.path_and_query.starts_with("/v1beta/models/")));
    assert!(got
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body).contains("4539 1488 0343 6467")));
    assert!(got
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body)
            .contains("Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o")));
    assert_eq!(
        got.len(),
        7,
        "every call but the refused and unroutable ones"
    );
    let records = export_records(&gw.data_dir());
    let ops: Vec<&str> = records
        .iter()
        .filter_map(|r| r["kind"]["Decision"]["operation"].as_str())
        .collect();
    for op in [
        "generate_content",
        "stream_generate_content",
        "gemini_count_tokens",
        "batch_embed_contents",
    ] {
        assert!(ops.contains(&op), "{op}: {ops:?}");
    }
}

#[tokio::test]
#[ignore = "needs the Python SDK virtualenv; run scripts/test.sh"]
async fn boto3_bedrock_runtime_works_through_the_proxy() {
    let mock = mock().await;
    let (key, hash) = aimsgate::identity::generate_virtual_key();
    let extra = format!(
        "[[upstreams]]\nname = \"bedrock\"\nkind = \"bedrock\"\nbase_url = \"{}\"\nfirst_byte_timeout = \"1s\"\nidle_timeout = \"1s\"\n[identity]\nmodes = [\"virtual_key\"]\n[[identity.virtual_keys]]\nhash = \"{hash}\"\nprincipal = \"e2e-bedrock\"\n",
        mock.bedrock_base()
    );
    let gw = Gateway::start_env(
        &config(&mock, &extra),
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAGATEWAYE2E00001"),
            ("AWS_SECRET_ACCESS_KEY", "gateway-e2e-secret"),
        ],
    )
    .await;
    let stdout = run_script_env(
        &gw,
        "tests/e2e/bedrock_check.py",
        &[("AIMSGATE_VKEY", &key)],
    )
    .await;
    for case in [
        "bedrock converse",
        "bedrock usage",
        "bedrock converse_stream",
        "bedrock stream usage",
        "bedrock redaction",
        "bedrock stream redaction",
        "bedrock policy refusal",
        "bedrock stream policy refusal",
        "bedrock own aws key refused",
        "bedrock upstream error",
        "bedrock invoke_model",
        "bedrock invoke_model_with_response_stream",
    ] {
        assert!(
            stdout.contains(&format!("ok {case}")),
            "missing `{case}` in:\n{stdout}"
        );
    }
    // What the mock received: signed by the gateway, never by the caller's key; the card
    // redacted; nothing for the refused calls.
    let got = mock.received();
    let paths: Vec<&str> = got.iter().map(|r| r.path_and_query.as_str()).collect();
    assert_eq!(got.len(), 7, "every call but the refused ones: {paths:?}");
    for r in &got {
        assert_eq!(r.sigv4_access_key().as_deref(), Some("AKIAGATEWAYE2E00001"));
        assert!(!String::from_utf8_lossy(&r.body).contains("4539 1488 0343 6467"));
    }
    let records = export_records(&gw.data_dir());
    let ops: Vec<&str> = records
        .iter()
        .filter_map(|r| r["kind"]["Decision"]["operation"].as_str())
        .collect();
    for op in [
        "converse",
        "converse_stream",
        "invoke_model",
        "invoke_model_stream",
    ] {
        assert!(ops.contains(&op), "{op}: {ops:?}");
    }
}
