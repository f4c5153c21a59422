//! Process lifecycle: `serve --check`, the admin probes, and graceful shutdown that drains
//! in-flight streams.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::support::*;

fn check(config: &str) -> std::process::Output {
    check_in(tempfile::tempdir().unwrap().path(), config)
}

/// `serve --check` on `config` written as `dir/c.toml` (relative paths resolve in `dir`).
fn check_in(dir: &std::path::Path, config: &str) -> std::process::Output {
    let path = dir.join("c.toml");
    std::fs::write(&path, config).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["serve", "--check", "--config"])
        .arg(&path)
        .env("TEST_UPSTREAM_OPENAI_KEY", "k")
        .env("TEST_UPSTREAM_ANTHROPIC_KEY", "k")
        .output()
        .unwrap()
}

#[tokio::test]
async fn serve_check_validates_and_names_file_and_key() {
    let mock = mock().await;
    let ok = check(&config(&mock, ""));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("configuration OK"));
    let bad = check(&config(&mock, "[routing]\nopenai = \"nowhere\"\n"));
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("c.toml") && err.contains("routing.openai") && err.contains("nowhere"),
        "{err}"
    );
    let typo = check(&config(&mock, "[telemetry]\nlog_formt = \"json\"\n"));
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("log_formt"));
    // Zero-config defaults are valid too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["serve", "--check"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("127.0.0.1:8080"));
}

#[tokio::test]
async fn serve_check_refuses_a_virtual_key_naming_an_unregistered_ai_system() {
    let mock = mock().await;
    let key = |system: &str| {
        config(
            &mock,
            &format!(
                "[identity]\nmodes = [\"virtual_key\"]\n[[identity.virtual_keys]]\nhash = \"sha256:{}\"\nprincipal = \"svc\"\nai_system = \"{system}\"\n",
                "0".repeat(64)
            ),
        )
    };
    let ok = check(&key("general-assistant"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // A typo used to pass and silently bypass that system's rules.
    let typo = check(&key("general-asistant"));
    assert_eq!(typo.status.code(), Some(2));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(
        err.contains("identity.virtual_keys[0].ai_system")
            && err.contains("`general-asistant`")
            && err.contains("did you mean `general-assistant`?"),
        "{err}"
    );
}

#[tokio::test]
async fn admin_probes_answer_on_their_own_port() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    assert_ne!(gw.admin.port(), gw.addr.port());
    let r = send(
        Method::GET,
        &format!("http://{}/healthz", gw.admin),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(Method::GET, &format!("http://{}/readyz", gw.admin), &[], "").await;
    assert_eq!(r.status, 200);
    let r = send(Method::GET, &format!("http://{}/healthz", gw.addr), &[], "").await;
    assert_eq!(r.status, 404, "probes are not on the proxy port");
}

#[tokio::test]
async fn sigterm_drains_an_in_flight_stream_then_exits() {
    let mock = mock().await;
    let cfg = config(&mock, "").replace("shutdown_grace = \"10s\"", "shutdown_grace = \"60s\"");
    let mut gw = Gateway::start(&cfg).await;
    let resp = open_stream(&gw.url("/v1/chat/completions"), "mock-long").await;
    let mut body = resp.into_body();
    body.frame().await.unwrap().unwrap();
    gw.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // New connections are no longer accepted...
    assert!(
        tokio::net::TcpStream::connect(gw.addr).await.is_err() || {
            let c2: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
            c2.request(
                http::Request::get(gw.url("/v1/models"))
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            )
            .await
            .is_err()
        }
    );
    // ...but the in-flight stream runs to its end.
    let rest = tokio::time::timeout(Duration::from_secs(60), body.collect())
        .await
        .expect("drained in time")
        .expect("stream completes");
    let text = String::from_utf8_lossy(&rest.to_bytes()).into_owned();
    assert!(
        text.contains("tok1999 ") && text.ends_with("data: [DONE]\n\n"),
        "stream cut short"
    );
    let status = tokio::time::timeout(Duration::from_secs(15), gw.child.wait())
        .await
        .expect("process exits")
        .unwrap();
    assert!(status.success(), "clean exit after drain: {status:?}");
}

#[tokio::test]
async fn serve_check_validates_the_signing_key_and_data_dir() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |cfg: &str| check_in(dir.path(), cfg);
    let cfg = config(&mock, "");
    let ok = run(&cfg);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("generated on first start"));
    assert!(!dir.path().join("data").exists(), "--check creates nothing");

    let data = dir.path().join("data");
    let keygen = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["keygen", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let ok = run(&cfg);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("signing key "));

    use std::os::unix::fs::PermissionsExt as _;
    let key = data.join("signing.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = run(&cfg);
    assert_eq!(loose.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&loose.stderr).contains("chmod 600"));

    std::fs::write(&key, "not a key").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bad = run(&cfg);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("signing key"));

    let missing_secret = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["serve", "--check", "--config"])
        .arg(dir.path().join("c.toml"))
        .env_remove("TEST_UPSTREAM_OPENAI_KEY")
        .env("TEST_UPSTREAM_ANTHROPIC_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(missing_secret.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_secret.stderr).contains("TEST_UPSTREAM_OPENAI_KEY"));
}

#[tokio::test]
async fn the_signing_key_can_come_from_the_environment_and_rotation_is_recorded() {
    let mock = mock().await;
    // First run: the key the data dir generates on first start.
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    let first = std::fs::read_to_string(gw.data_dir().join("signing.pub")).unwrap();
    let dir = gw.stop().await;

    // Second run on the same data dir: the key comes from an environment variable (bare base64
    // seed, as a Kubernetes Secret would hold it) and is never written to disk.
    let seed = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
    let cfg = config(
        &mock,
        "[evidence]\nsigning_key = { env = \"AIMSGATE_TEST_SIGNING_KEY\" }\n",
    );
    std::fs::write(dir.path().join("aimsgate.toml"), &cfg).unwrap();
    let secret_before = std::fs::read(dir.path().join("data/signing.key")).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["serve", "--config"])
        .arg(dir.path().join("aimsgate.toml"))
        .env("TEST_UPSTREAM_OPENAI_KEY", "k")
        .env("TEST_UPSTREAM_ANTHROPIC_KEY", "k")
        .env("AIMSGATE_TEST_SIGNING_KEY", seed)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stdout.take().unwrap()));
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = line
        .split("proxy=http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let r = post(
        &format!("http://{addr}/v1/chat/completions"),
        &[OPENAI_AUTH],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200);
    let id = r.decision_id().to_owned();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status();
    assert!(child.wait().await.unwrap().success());

    let data = dir.path().join("data");
    let second = std::fs::read_to_string(data.join("signing.pub")).unwrap();
    assert_ne!(first, second, "signing.pub names the configured key");
    // The configured secret is never written to the data dir, and the data-dir secret it
    // replaced is deleted once the rotation is logged: a retired key never stays on disk.
    let left: Vec<Vec<u8>> = std::iter::once(data.join("signing.key"))
        .chain(
            std::fs::read_dir(data.join("keys"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "key")),
        )
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    assert!(
        left.is_empty(),
        "no secret stays in the data dir (had {} bytes before)",
        secret_before.len()
    );
    let out = verify(&data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = export_records(&data);
    // Key ids are C2SP key hashes under the log's origin.
    let origin = std::fs::read_to_string(data.join("origin")).unwrap();
    let public = aimsgate::evidence::PublicKey::parse(&second).unwrap();
    let key_id = aimsgate::evidence::keys::log_key_id(origin.trim(), public.key.as_bytes());
    let text = serde_json::to_string(&records).unwrap();
    assert!(
        text.contains(&key_id),
        "records signed with the configured key"
    );
    assert!(
        text.to_lowercase().contains("rotat"),
        "the key change is recorded"
    );
    decision_of(&records, &id);
}

#[tokio::test]
async fn demo_runs_offline_and_shows_decisions_redaction_and_verification() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["demo", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = |call: &str| {
        text.lines()
            .rfind(|l| l.starts_with(call))
            .unwrap_or_else(|| panic!("no row for {call}: {text}"))
            .to_owned()
    };
    assert!(
        row("chat with PII").contains("redact")
            && row("chat with PII").contains("financial.credit_card")
    );
    assert!(row("chat with a secret").contains("block-secrets"));
    assert!(row("unregistered AI system").contains("review"));
    assert!(row("no credential").contains("error"));
    assert!(text.contains("[FINANCIAL.CREDIT_CARD_1]"), "{text}");
    assert!(
        !text.contains("4539 1488 0343 6467"),
        "the provider never saw the card"
    );
    assert!(text.contains("offline verification: OK"), "{text}");
    assert!(verify(&dir.path().join("data")).status.success());
}
