//! End-to-end with the official `openai` and `anthropic` Python SDKs from PyPI, pointed at the
//! proxy by base URL only. Needs the virtualenv that `scripts/test.sh` creates (`.venv`), so it
//! is `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` runs it with `--include-ignored`.

use crate::support::*;

#[tokio::test]
#[ignore = "needs the Python SDK virtualenv; run scripts/test.sh"]
async fn official_python_sdks_work_through_the_proxy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "no {}: run scripts/test.sh, which creates it",
        python.display()
    );
    let mock = mock().await;
    let (_key, hash) = aimsgate::identity::generate_virtual_key();
    let extra = format!("[identity]\nmodes = [\"virtual_key\", \"pass_through\"]\n[[identity.virtual_keys]]\nhash = \"{hash}\"\nprincipal = \"e2e\"\n");
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let out = tokio::process::Command::new(&python)
        .arg(root.join("tests/e2e/sdk_check.py"))
        .env("AIMSGATE_URL", format!("http://{}", gw.addr))
        .env("EXPECTED_REPLY", MOCK_REPLY)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "SDK check failed:\n{stdout}\n{stderr}"
    );
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
