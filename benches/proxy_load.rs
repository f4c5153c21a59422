//! Load benchmark: the same 2 KB chat request, interleaved in one run,
//! (a) straight to a fast mock provider, (b) through nginx (`proxy_pass` with upstream
//! keep-alive — the cost of a bare proxy hop), (c) through a bare hyper pass-through (the same
//! HTTP libraries as aimsgate, no phase: the floor of the stack aimsgate is built on) and (d)
//! through aimsgate with every phase on.
//!
//! Reports, per target: requests/s and p50/p99 at fixed concurrency, unloaded p50/p99 (one
//! connection), CPU µs per request of the proxy process (from /proc), streaming time to first
//! byte, and aimsgate's resident memory before and after the run.
//!
//! `cargo bench --bench proxy_load` runs the full measurement (needs `nginx` on PATH or in
//! /usr/sbin; without it the nginx row is skipped; `redis-server` for the "aimsgate limits
//! (redis)" row, likewise). Under `cargo test` it runs a short smoke pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

struct Settings {
    rounds: usize,
    loaded_for: Duration,
    concurrency: usize,
    unloaded_requests: usize,
    stream_requests: usize,
}

#[path = "proxy_load/passthrough.rs"]
mod passthrough;
#[path = "proxy_load/redis.rs"]
mod redis;

fn main() {
    if let Ok(spec) = std::env::var("AIMSGATE_BENCH_PASSTHROUGH") {
        passthrough::serve(&spec);
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let s = if full {
        let rounds = std::env::var("AIMSGATE_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3);
        Settings {
            rounds,
            loaded_for: Duration::from_secs(4),
            concurrency: 32,
            unloaded_requests: 3000,
            stream_requests: 300,
        }
    } else {
        Settings {
            rounds: 1,
            loaded_for: Duration::from_millis(300),
            concurrency: 4,
            unloaded_requests: 50,
            stream_requests: 5,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(&s, full));
}

struct Target {
    name: &'static str,
    addr: SocketAddr,
    pids: Vec<u32>,
    /// aimsgate's admin listener (for the checkpoint-signature gauge).
    admin: Option<SocketAddr>,
}

#[derive(Default, Clone)]
struct Tally {
    requests: u64,
    secs: f64,
    latencies_us: Vec<u32>,
    cpu_us: u64,
    /// Context switches (voluntary and not, every thread) during the loaded phases.
    switches: u64,
    /// Context switches during the unloaded phases (per call: over `unloaded_us.len()`).
    unloaded_switches: u64,
    /// Checkpoint signatures made during the loaded phases (`None`: not reported).
    signatures: Option<u64>,
    unloaded_us: Vec<u32>,
    ttfb_us: Vec<u32>,
}

async fn run(s: &Settings, full: bool) {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_aimsgate");
    let mock_port = free_port();
    let mut procs: Vec<Child> = Vec::new();
    procs.push(
        Command::new(bin)
            .args(["mock", "--listen", &format!("127.0.0.1:{mock_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mock: SocketAddr = format!("127.0.0.1:{mock_port}").parse().unwrap();
    wait_port(mock).await;

    let mut targets = vec![Target {
        name: "direct (mock)",
        addr: mock,
        pids: vec![],
        admin: None,
    }];
    if let Some(nginx) = find_nginx() {
        let port = free_port();
        let child = start_nginx(&nginx, dir.path(), port, mock_port);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_port(addr).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut pids = vec![child.id()];
        pids.extend(children_of(child.id()));
        procs.push(child);
        targets.push(Target {
            name: "nginx",
            addr,
            pids,
            admin: None,
        });
    } else {
        eprintln!("nginx not found: skipping the bare-proxy baseline");
    }
    // The hyper floor: the same HTTP libraries as aimsgate's hop with no phase at all.
    {
        let port = free_port();
        let child = Command::new(std::env::current_exe().unwrap())
            .env(
                "AIMSGATE_BENCH_PASSTHROUGH",
                format!("127.0.0.1:{port},{mock_port}"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pids = vec![child.id()];
        procs.push(child);
        targets.push(Target {
            name: "hyper pass-through",
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
            pids,
            admin: None,
        });
    }
    // The main row: the embedded defaults' `sync` evidence (the decision record is fsync'd
    // before the call is forwarded).
    let (gw, main) = start_aimsgate(bin, dir.path(), "aimsgate", mock_port, "");
    let gw_pid = gw.id();
    procs.push(gw);
    targets.push(main);
    // The same pipeline with `async` evidence (queued, fsync'd within the interval): every
    // phase still runs and every record is still signed; only the fsync wait is gone.
    let (child, t) = start_aimsgate(
        bin,
        &dir.path().join("async"),
        "aimsgate async",
        mock_port,
        "[evidence]\ndurability = \"async\"",
    );
    procs.push(child);
    targets.push(t);
    // `sync` with commits at least 2 ms apart: more calls share one fsync and one signature
    // (the setting for the signatures-per-call target), at up to 2 ms more latency.
    let (child, t) = start_aimsgate(
        bin,
        &dir.path().join("sync-2ms"),
        "aimsgate sync 2ms",
        mock_port,
        "[evidence]\nmin_commit_interval = \"2ms\"",
    );
    procs.push(child);
    targets.push(t);
    // The main row's config plus a request limit per principal and a token budget per
    // upstream, both too large to refuse: the cost of the in-process rate-limit check and the
    // token charge on every call.
    const LIMITS: &str =
        "[[limits]]\nid = \"rpm\"\nscope = \"principal\"\nrequests = 1000000\nper = \"1s\"\n\
         [[limits]]\nid = \"tpd\"\nscope = \"upstream\"\ntokens = 1000000000000\nper = \"1d\"";
    let (child, t) = start_aimsgate(
        bin,
        &dir.path().join("limits"),
        "aimsgate limits",
        mock_port,
        LIMITS,
    );
    procs.push(child);
    targets.push(t);
    // The same limits with their counters in a local Redis: one EVALSHA round trip to admit,
    // one fire-and-forget MULTI to charge. The Redis server's CPU counts in the row.
    let redis_port = free_port();
    match redis::start(redis_port) {
        Some(server) => {
            wait_port(format!("127.0.0.1:{redis_port}").parse().unwrap()).await;
            let extra = format!(
                "[limits_store]\nbackend = \"redis\"\nurl = \"redis://127.0.0.1:{redis_port}/0\"\n{LIMITS}"
            );
            let (child, mut t) = start_aimsgate(
                bin,
                &dir.path().join("limits-redis"),
                "aimsgate limits (redis)",
                mock_port,
                &extra,
            );
            t.pids.push(server.id());
            procs.push(child);
            procs.push(server);
            targets.push(t);
        }
        None => eprintln!("redis-server not found: skipping the \"aimsgate limits (redis)\" row"),
    }
    // AIMSGATE_BENCH_COMPARE=/path/to/another/aimsgate adds that build as two interleaved rows
    // with the two aimsgate rows' configs: an A/B test that sees the same machine noise.
    if let Ok(other) = std::env::var("AIMSGATE_BENCH_COMPARE") {
        for (sub, name, extra) in [
            ("compare", "aimsgate (compare)", ""),
            (
                "compare-async",
                "aimsgate async (compare)",
                "[evidence]\ndurability = \"async\"",
            ),
        ] {
            let (child, t) = start_aimsgate(
                Path::new(&other),
                &dir.path().join(sub),
                name,
                mock_port,
                extra,
            );
            procs.push(child);
            targets.push(t);
        }
    }
    for t in &targets {
        wait_port(t.addr).await;
    }
    // AIMSGATE_BENCH_ONLY=aimsgate measures one target alone (e.g. while profiling it);
    // several names are separated by commas.
    if let Ok(only) = std::env::var("AIMSGATE_BENCH_ONLY") {
        targets.retain(|t| only.split(',').any(|o| o == t.name));
    }
    let body = Bytes::from(chat_body());
    assert!(
        body.len() >= 2000 && body.len() < 2300,
        "2 KB request, got {}",
        body.len()
    );
    // Warm up every target (connection pools, allocator, page cache).
    for t in &targets {
        let _ = loaded(t.addr, &body, s.concurrency, Duration::from_millis(300)).await;
    }
    let rss_start = rss_kb(gw_pid);
    let mut tallies = vec![Tally::default(); targets.len()];
    let mut rss_rounds = Vec::with_capacity(s.rounds);
    let mut requests_per_round: Vec<u64> = Vec::with_capacity(s.rounds);
    let mut served_before = 0;
    for _ in 0..s.rounds {
        for (i, t) in targets.iter().enumerate() {
            let sig0 = signatures(t.admin).await;
            let cpu0 = cpu_us(&t.pids);
            let sw0 = switches(&t.pids);
            let (n, secs, mut lat) = loaded(t.addr, &body, s.concurrency, s.loaded_for).await;
            let cpu1 = cpu_us(&t.pids);
            let sw1 = switches(&t.pids);
            let sig1 = signatures(t.admin).await;
            let tally = &mut tallies[i];
            if let (Some(a), Some(b)) = (sig0, sig1) {
                *tally.signatures.get_or_insert(0) += b.saturating_sub(a);
            }
            tally.requests += n;
            tally.secs += secs;
            tally.latencies_us.append(&mut lat);
            tally.cpu_us += cpu1.saturating_sub(cpu0);
            tally.switches += sw1.saturating_sub(sw0);
        }
        for (i, t) in targets.iter().enumerate() {
            let sw0 = switches(&t.pids);
            let mut u = unloaded(t.addr, &body, s.unloaded_requests / s.rounds.max(1)).await;
            tallies[i].unloaded_switches += switches(&t.pids).saturating_sub(sw0);
            tallies[i].unloaded_us.append(&mut u);
            let mut f = ttfb(t.addr, s.stream_requests / s.rounds.max(1)).await;
            tallies[i].ttfb_us.append(&mut f);
        }
        rss_rounds.push(rss_kb(gw_pid));
        requests_per_round.push(gw_requests(&tallies, &targets) - served_before);
        served_before = gw_requests(&tallies, &targets);
    }
    let rss_end = rss_kb(gw_pid);
    // The `sync` rows' allowance: one fdatasync of a small append on the same file system.
    let mut fsyncs = fsync_us(dir.path(), if full { 300 } else { 20 });

    println!("\nproxy load benchmark ({}): 2 KB chat request, concurrency {}, {} interleaved round(s) of {:?} per target\n", if full { "full" } else { "smoke" }, s.concurrency, s.rounds, s.loaded_for);
    println!("| target | req/s | p50 ms | p99 ms | unloaded p50 ms | unloaded p99 ms | CPU µs/req (proxy) | stream TTFB p50 ms | TTFB p99 ms | signatures/call | switches/req | unloaded switches/req |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (t, tally) in targets.iter().zip(tallies.iter_mut()) {
        let rps = tally.requests as f64 / tally.secs.max(1e-9);
        let cpu = if t.pids.is_empty() {
            "-".to_string()
        } else {
            format!("{:.1}", tally.cpu_us as f64 / tally.requests.max(1) as f64)
        };
        let sigs = tally.signatures.map_or("-".to_string(), |n| {
            format!("{:.3}", n as f64 / tally.requests.max(1) as f64)
        });
        // Context switches per call (every thread of the target): each is a thread hand-over
        // (a wake-up on another thread, or a thread that slept on I/O or a lock).
        let per = |n: u64, calls: usize| {
            if t.pids.is_empty() {
                "-".to_string()
            } else {
                format!("{:.2}", n as f64 / calls.max(1) as f64)
            }
        };
        let sw = per(tally.switches, tally.requests as usize);
        let usw = per(tally.unloaded_switches, tally.unloaded_us.len());
        println!(
            "| {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {} | {} | {} |",
            t.name,
            rps,
            pct(&mut tally.latencies_us, 50.0),
            pct(&mut tally.latencies_us, 99.0),
            pct(&mut tally.unloaded_us, 50.0),
            pct(&mut tally.unloaded_us, 99.0),
            cpu,
            pct(&mut tally.ttfb_us, 50.0),
            pct(&mut tally.ttfb_us, 99.0),
            sigs,
            sw,
            usw,
        );
    }
    println!(
        "\nfdatasync of a 256-byte append in the data dir's file system: p50 {:.3} ms, p99 {:.3} ms (one fsync: the `sync` rows' allowance)",
        pct(&mut fsyncs, 50.0),
        pct(&mut fsyncs, 99.0)
    );
    println!(
        "\naimsgate RSS: {} KiB after warm-up, {} KiB after the run (after each round: {:?} KiB)",
        rss_start, rss_end, rss_rounds
    );
    // Flat memory: growth over the second half of the rounds, per request served in it.
    if rss_rounds.len() >= 4 {
        let half = rss_rounds.len() / 2;
        let grown = rss_end.saturating_sub(rss_rounds[half - 1]);
        let served: u64 = requests_per_round[half..].iter().sum();
        println!(
            "aimsgate RSS growth over the last {} rounds: {} KiB over {} requests ({:.2} B/request)",
            rss_rounds.len() - half,
            grown,
            served,
            grown as f64 * 1024.0 / served.max(1) as f64
        );
    }
    for t in &tallies {
        assert!(t.requests > 0, "every target served requests");
    }
    // SIGQUIT/SIGTERM, not SIGKILL: nginx's master must take its workers down with it.
    for mut p in procs {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(p.id().to_string())
            .status();
        let _ = p.wait();
    }
}

/// Latencies (µs) of `n` appends of 256 bytes, each followed by fdatasync, to a file in `dir`.
fn fsync_us(dir: &Path, n: usize) -> Vec<u32> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = [b'x'; 256];
    let out = (0..n)
        .map(|_| {
            let t = Instant::now();
            f.write_all(&chunk).unwrap();
            f.sync_data().unwrap();
            t.elapsed().as_micros() as u32
        })
        .collect();
    let _ = std::fs::remove_file(path);
    out
}

/// Requests the main aimsgate row has served so far (loaded phase).
fn gw_requests(tallies: &[Tally], targets: &[Target]) -> u64 {
    targets
        .iter()
        .zip(tallies)
        .filter(|(t, _)| t.name == "aimsgate")
        .map(|(_, t)| t.requests)
        .sum()
}

/// Starts `bin serve` with its data dir under `dir` and `extra` TOML appended to the config.
fn start_aimsgate(
    bin: impl AsRef<std::ffi::OsStr>,
    dir: &Path,
    name: &'static str,
    mock_port: u16,
    extra: &str,
) -> (Child, Target) {
    std::fs::create_dir_all(dir).unwrap();
    let port = free_port();
    let admin_port = free_port();
    let cfg = dir.join("aimsgate.toml");
    std::fs::write(
        &cfg,
        aimsgate_config(dir, port, mock_port, extra).replace(
            "admin_listen = \"127.0.0.1:0\"",
            &format!("admin_listen = \"127.0.0.1:{admin_port}\""),
        ),
    )
    .unwrap();
    let child = Command::new(bin)
        .args(["serve", "--config"])
        .arg(&cfg)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let pids = vec![child.id()];
    let admin = Some(format!("127.0.0.1:{admin_port}").parse().unwrap());
    (
        child,
        Target {
            name,
            addr,
            pids,
            admin,
        },
    )
}

/// The checkpoint-signature gauge from aimsgate's `/metrics` (`None`: no admin listener, or a
/// build that does not report it).
async fn signatures(admin: Option<SocketAddr>) -> Option<u64> {
    let admin = admin?;
    let mut sender = connect(admin).await;
    let req = http::Request::get(format!("http://{admin}/metrics"))
        .header("host", admin.to_string())
        .body(Full::new(Bytes::new()))
        .ok()?;
    let resp = sender.send_request(req).await.ok()?;
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    String::from_utf8_lossy(&body)
        .lines()
        .find(|l| l.starts_with("aimsgate_evidence_checkpoint_signatures "))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

fn aimsgate_config(dir: &Path, port: u16, mock_port: u16, extra: &str) -> String {
    format!(
        r#"data_dir = "{data}"
[server]
listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:0"
[[upstreams]]
name = "openai"
kind = "openai"
base_url = "http://127.0.0.1:{mock_port}/v1"
[[upstreams]]
name = "anthropic"
kind = "anthropic"
base_url = "http://127.0.0.1:{mock_port}"
[telemetry]
log_level = "warn"
{extra}
"#,
        data = dir.join("data").display(),
    ) + &extra_from_env()
}

/// Experiments: AIMSGATE_BENCH_EXTRA appends TOML to the config (`\n` for newlines).
fn extra_from_env() -> String {
    std::env::var("AIMSGATE_BENCH_EXTRA")
        .map(|e| format!("\n{}\n", e.replace("\\n", "\n")))
        .unwrap_or_default()
}

fn chat_body() -> String {
    let prose = "Our quarterly planning meeting covered the migration of the billing service to the new \
        cluster, the hiring plan for the platform team, and the customer feedback we received about the \
        onboarding flow. Please draft a short summary for the leadership update that highlights the \
        risks, the decisions we took and the open questions, in a neutral and factual tone. ";
    let mut content = String::new();
    while content.len() < 1900 {
        content.push_str(prose);
    }
    content.truncate(1900);
    format!(
        r#"{{"model":"gpt-4o-mini","temperature":0.2,"messages":[{{"role":"system","content":"You are a concise assistant."}},{{"role":"user","content":"{content}"}}]}}"#
    )
}

fn request(addr: SocketAddr, body: &Bytes, stream: bool) -> http::Request<Full<Bytes>> {
    let b = if stream {
        Bytes::from_static(
            br#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        )
    } else {
        body.clone()
    };
    http::Request::post("/v1/chat/completions")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-bench-caller-key-000000000000")
        .body(Full::new(b))
        .unwrap()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

async fn one(sender: &mut Sender, addr: SocketAddr, body: &Bytes) -> Result<(), String> {
    sender
        .ready()
        .await
        .map_err(|e| format!("connection not ready: {e}"))?;
    let resp = sender
        .send_request(request(addr, body, false))
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    if status != 200 {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    Ok(())
}

/// `concurrency` keep-alive connections sending back to back for `dur`.
async fn loaded(
    addr: SocketAddr,
    body: &Bytes,
    concurrency: usize,
    dur: Duration,
) -> (u64, f64, Vec<u32>) {
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                if let Err(e) = one(&mut sender, addr, &body).await {
                    // A server may close a keep-alive connection: reconnect once, as clients do.
                    sender = connect(addr).await;
                    if let Err(e2) = one(&mut sender, addr, &body).await {
                        panic!(
                            "request to {addr} failed under load: {e}; after reconnecting: {e2}"
                        );
                    }
                }
                lat.push(t.elapsed().as_micros() as u32);
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all.len() as u64, start.elapsed().as_secs_f64(), all)
}

/// One connection, one request at a time.
async fn unloaded(addr: SocketAddr, body: &Bytes, n: usize) -> Vec<u32> {
    let mut sender = connect(addr).await;
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        one(&mut sender, addr, body).await.unwrap();
        lat.push(t.elapsed().as_micros() as u32);
    }
    lat
}

/// Time to the first body byte of a streaming response.
async fn ttfb(addr: SocketAddr, n: usize) -> Vec<u32> {
    let mut sender = connect(addr).await;
    let mut out = Vec::with_capacity(n);
    let empty = Bytes::new();
    for _ in 0..n {
        sender.ready().await.unwrap();
        let t = Instant::now();
        let resp = sender
            .send_request(request(addr, &empty, true))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let first = body.frame().await;
        out.push(t.elapsed().as_micros() as u32);
        assert!(first.is_some());
        while body.frame().await.is_some() {}
    }
    out
}

fn pct(v: &mut [u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let idx = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    f64::from(v[idx.min(v.len() - 1)]) / 1000.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_port(addr: SocketAddr) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{addr} did not come up");
}

fn find_nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn start_nginx(bin: &Path, dir: &Path, port: u16, mock_port: u16) -> Child {
    let d = dir.join("nginx");
    std::fs::create_dir_all(&d).unwrap();
    let conf = format!(
        r#"worker_processes auto;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 1000000;
  upstream mock {{ server 127.0.0.1:{mock_port}; keepalive 128; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}
}}
"#,
        d = d.display()
    );
    let path = d.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    Command::new(bin)
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for _ in 0..50 {
        out.clear();
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for e in rd.flatten() {
                let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
                    let after = stat.rsplit(')').next().unwrap_or("");
                    let ppid = after
                        .split_whitespace()
                        .nth(1)
                        .and_then(|x| x.parse::<u32>().ok());
                    if ppid == Some(pid) {
                        out.push(p);
                    }
                }
            }
        }
        if !out.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    out
}

/// utime + stime of the processes, in µs.
fn cpu_us(pids: &[u32]) -> u64 {
    let tick = 1_000_000 / 100; // CLK_TCK is 100 on Linux
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .map(|stat| {
            let f: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let u: u64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0);
            let s: u64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0);
            (u + s) * tick
        })
        .sum()
}

/// Voluntary plus involuntary context switches of every live thread of the processes (a
/// thread that exited during the window takes its count with it).
fn switches(pids: &[u32]) -> u64 {
    let tasks = pids
        .iter()
        .filter_map(|p| std::fs::read_dir(format!("/proc/{p}/task")).ok())
        .flat_map(|dir| dir.flatten());
    tasks
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .map(|st| {
            status_field(&st, "voluntary_ctxt_switches:").unwrap_or(0)
                + status_field(&st, "nonvoluntary_ctxt_switches:").unwrap_or(0)
        })
        .sum()
}

/// The number after `key` in a `/proc/.../status` text.
fn status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| status_field(&s, "VmRSS:"))
        .unwrap_or(0)
}
