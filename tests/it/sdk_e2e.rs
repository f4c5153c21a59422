//! End-to-end with the official `openai`, `anthropic` and `google-genai` Python SDKs from PyPI,
//! pointed at the proxy by base URL only. Needs the virtualenv that `scripts/test.sh` creates (`.venv`), so it
//! is `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` runs it with `--include-ignored`.

use crate::support::*;

/// Runs an SDK script from `tests/e2e/` against `gw` with the virtualenv's Python; its stdout
/// (`ok <case>` lines) once it exited 0.
async fn run_script(gw: &Gateway, script: &str) -> String {
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
