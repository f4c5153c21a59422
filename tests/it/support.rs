//! Shared fixtures: the mock provider, the real `aimsgate` binary started on ephemeral ports
//! with a config written to a temporary directory, and small HTTP client helpers.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

pub use aimsgate::mock_provider::{MockProvider, MOCK_REPLY};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub async fn mock() -> MockProvider {
    MockProvider::start("127.0.0.1:0".parse().unwrap(), true)
        .await
        .unwrap()
}

/// A config whose upstreams point at `mock`; `extra` is appended verbatim.
pub fn config(mock: &MockProvider, extra: &str) -> String {
    format!(
        r#"data_dir = "data"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
max_body_bytes = 65536
body_read_timeout = "2s"
shutdown_grace = "10s"

[[upstreams]]
name = "openai"
kind = "openai"
base_url = "{o}"
api_key = {{ env = "TEST_UPSTREAM_OPENAI_KEY" }}
first_byte_timeout = "1s"
idle_timeout = "1s"

[[upstreams]]
name = "anthropic"
kind = "anthropic"
base_url = "{a}"
api_key = {{ env = "TEST_UPSTREAM_ANTHROPIC_KEY" }}
first_byte_timeout = "1s"
idle_timeout = "1s"
{extra}
"#,
        o = mock.openai_base(),
        a = mock.anthropic_base()
    )
}

/// A `gemini` upstream on `mock`, to append to [`config`]'s `extra`.
pub fn gemini_upstream(mock: &MockProvider) -> String {
    format!(
        "[[upstreams]]\nname = \"gemini\"\nkind = \"gemini\"\nbase_url = \"{}\"\nfirst_byte_timeout = \"1s\"\nidle_timeout = \"1s\"\n",
        mock.gemini_base()
    )
}

/// The real binary, serving.
pub struct Gateway {
    pub child: Child,
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    /// The guardrail listener, when `[guardrail]` is on.
    pub guardrail: Option<SocketAddr>,
    pub dir: tempfile::TempDir,
}

impl Gateway {
    pub async fn start(config: &str) -> Gateway {
        Self::start_with(config, &[]).await
    }

    /// Start with sub-directories and files (relative paths) created in the config directory.
    pub async fn start_with_dirs(
        config: &str,
        dirs: &[&str],
        files: &[(String, Vec<u8>)],
    ) -> Gateway {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        Self::launch(config, dirs, &refs, &[]).await
    }

    /// Start with extra environment variables for the process.
    pub async fn start_env(config: &str, envs: &[(&str, &str)]) -> Gateway {
        Self::launch(config, &[], &[], envs).await
    }

    /// Start with sub-directories, files and extra environment variables.
    pub async fn start_full(
        config: &str,
        dirs: &[&str],
        files: &[(String, Vec<u8>)],
        envs: &[(&str, &str)],
    ) -> Gateway {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        Self::launch(config, dirs, &refs, envs).await
    }

    /// Start with extra files written into the config directory first.
    pub async fn start_with(config: &str, files: &[(&str, &[u8])]) -> Gateway {
        Self::launch(config, &[], files, &[]).await
    }

    async fn launch(
        config: &str,
        dirs: &[&str],
        files: &[(&str, &[u8])],
        envs: &[(&str, &str)],
    ) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        for d in dirs {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let cfg = dir.path().join("aimsgate.toml");
        std::fs::write(&cfg, config).unwrap();
        let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .arg("serve")
            .arg("--config")
            .arg(&cfg)
            .env("TEST_UPSTREAM_OPENAI_KEY", "sk-upstream-openai-0000")
            .env("TEST_UPSTREAM_ANTHROPIC_KEY", "sk-ant-upstream-0000")
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("gateway did not start in time")
            .unwrap()
            .unwrap_or_else(|| panic!("gateway exited: {}", read(&dir.path().join("stderr.log"))));
        // "aimsgate listening proxy=http://A admin=http://B"
        let addr = field(&line, "proxy=http://");
        let admin = field(&line, "admin=http://");
        let guardrail = line
            .contains("guardrail=http://")
            .then(|| field(&line, "guardrail=http://"));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Gateway {
            child,
            addr,
            admin,
            guardrail,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Everything the gateway logged so far.
    pub fn logs(&self) -> String {
        read(&self.dir.path().join("stderr.log"))
    }

    /// The logs once they contain every one of `needles` (up to 5 s): a relayed answer's access
    /// line is written by its last phase, which runs after the answer's bytes were sent.
    pub async fn logs_with(&self, needles: &[&str]) -> String {
        let mut logs = self.logs();
        for _ in 0..100 {
            if needles.iter().all(|n| logs.contains(n)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            logs = self.logs();
        }
        logs
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap().to_string();
        let ok = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

fn field(line: &str, key: &str) -> SocketAddr {
    let rest = line
        .split(key)
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {line:?}"));
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn decision_id(&self) -> &str {
        self.headers
            .get("x-aimsgate-decision-id")
            .expect("x-aimsgate-decision-id header")
            .to_str()
            .unwrap()
    }
}

pub async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Resp {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(body.into())).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Resp {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn post(url: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    send(Method::POST, url, &h, body.to_owned()).await
}

pub const OPENAI_AUTH: (&str, &str) = ("authorization", "Bearer sk-caller-test-key-1234");
pub const ANTHROPIC_AUTH: (&str, &str) = ("x-api-key", "sk-ant-caller-test-key-5678");

pub const CHAT: &str =
    r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]}"#;
pub const MESSAGES: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello there"}]}"#;

/// Run `aimsgate export --format jsonl` on a data dir and return the decoded records
/// (the `record` object of every entry line).
pub fn export_records(data_dir: &Path) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["export", "--format", "jsonl", "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "entry")
        .map(|v| v["record"].clone())
        .collect()
}

/// The proto number of a finding's action as the export names it (`CLASS_ACTION_REDACTED`
/// is 2), for assertions written against the numbers.
pub fn action_code(v: &serde_json::Value) -> i64 {
    match v.as_str() {
        Some("CLASS_ACTION_ALLOWED") => 1,
        Some("CLASS_ACTION_REDACTED") => 2,
        Some("CLASS_ACTION_BLOCKED") => 3,
        Some(_) => -1,
        None => v.as_i64().unwrap_or(0),
    }
}

/// Run `aimsgate export` with `args` into `out`; returns its stderr summary.
pub fn export_file(data_dir: &Path, args: &[&str], out: &Path) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .arg("export")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "export {args:?} failed: {err}");
    err
}

/// `aimsgate verify --export FILE --public-key KEY`.
pub fn verify_export_file(export: &Path, key: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .arg("verify")
        .arg("--export")
        .arg(export)
        .arg("--public-key")
        .arg(key)
        .output()
        .unwrap()
}

/// The decision record with this id.
pub fn decision_of<'a>(records: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .find(|d| d["decision_id"] == id)
        .unwrap_or_else(|| panic!("no decision record for {id}"))
}

/// `aimsgate verify --data-dir`.
/// The outcome record of decision `id`, if there is one.
pub fn outcome_of(records: &[serde_json::Value], id: &str) -> Option<serde_json::Value> {
    records
        .iter()
        .map(|r| &r["kind"]["Outcome"])
        .find(|o| o["decision_id"] == id)
        .cloned()
}

pub fn verify(data_dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["verify", "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap()
}

impl Gateway {
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// SIGTERM and wait for a clean exit (flushes the final checkpoint).
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.signal("TERM");
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("gateway exits")
            .unwrap();
        assert!(status.success(), "{status:?}");
        self.dir
    }
}

/// Start a streaming OpenAI chat call to `model` on the mock provider; returns the response
/// with its body unread.
pub async fn open_stream(url: &str, model: &str) -> http::Response<hyper::body::Incoming> {
    let body = format!(r#"{{"model":"{model}","stream":true,"messages":[]}}"#);
    open_stream_with(url, &[OPENAI_AUTH], body).await
}

/// [`open_stream`] with any headers and body.
pub async fn open_stream_with(
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> http::Response<hyper::body::Incoming> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body.into())).unwrap();
    client.request(req).await.unwrap()
}

/// The outcome record of decision `id` once it is in the log (its last phase runs after the
/// answer's bytes were sent; up to 5 s).
pub async fn outcome_eventually(data_dir: &Path, id: &str) -> serde_json::Value {
    for _ in 0..100 {
        if let Some(o) = outcome_of(&export_records(data_dir), id) {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no outcome record for {id}")
}

/// The admin listener's `/metrics` text.
/// The metrics page once `ready` holds for it (up to 5 s; the last scrape otherwise): a relayed
/// answer is counted by its last phase, which runs after the answer's bytes were sent.
pub async fn metrics_until(gw: &Gateway, ready: impl Fn(&str) -> bool) -> String {
    let mut m = metrics(gw).await;
    for _ in 0..100 {
        if ready(&m) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        m = metrics(gw).await;
    }
    m
}

pub async fn metrics(gw: &Gateway) -> String {
    let r = send(
        Method::GET,
        &format!("http://{}/metrics", gw.admin),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    r.text()
}

/// A free port below the kernel's ephemeral range. A port handed out by binding port 0 lies
/// inside that range, so while the gateway under test is still starting (LiteLLM takes seconds, redis-server milliseconds),
/// any other test's outgoing connection can take it as its source port, and the readiness probe
/// itself can self-connect to it (TCP simultaneous open). Either makes the gateway's bind fail
/// with "address already in use". Ports below the range are never handed out as source ports.
pub fn free_port() -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let floor = 10_000u16.min(low.saturating_sub(1000));
    let span = u32::from(low - floor);
    let mut seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
    for _ in 0..200 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let port = floor + ((seed >> 8) % span) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {floor}..{low}");
}
