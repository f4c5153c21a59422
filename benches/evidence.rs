//! Evidence benchmarks: signed durable appends per second with group commit under
//! concurrency, verify throughput, and the latency a `Sync`-mode append pays (p50/p99).
//! Run: `cargo bench --bench evidence`. Figures print as `evidence/...` lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::time::{Duration, Instant};

use aimsgate::evidence::proto::{record::Kind, DecisionRecord};
use aimsgate::evidence::{verify_dir, EvidenceLog, KeyPair, LogConfig};
use criterion::{criterion_group, criterion_main, Criterion};

fn decision(i: u64) -> Kind {
    Kind::Decision(DecisionRecord {
        decision_id: format!("0193a000-0000-7000-8000-{i:012}"),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        principal_id: format!("team-{}", i % 20),
        auth_method: "api_key".into(),
        ai_system_id: format!("system-{}", i % 10),
        provider: "openai".into(),
        operation: "chat.completions".into(),
        requested_model: "gpt-4o-mini".into(),
        policy_bundle_id: "baseline".into(),
        policy_version: "1".into(),
        effect: 1,
        reason: "allowed by default".into(),
        ..Default::default()
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Appends `n` records from `tasks` concurrent appenders; returns records/s and checkpoint
/// signatures per record.
fn appends_per_sec(dir: &std::path::Path, tasks: u64, n: u64) -> (f64, f64) {
    let (key, _) = aimsgate::evidence::load_or_create_key(dir).unwrap();
    let (log, _) = EvidenceLog::open(LogConfig::new(dir), key).unwrap();
    let rt = rt();
    let start = Instant::now();
    rt.block_on(async {
        let mut hs = Vec::new();
        for t in 0..tasks {
            let log = log.clone();
            hs.push(tokio::spawn(async move {
                for i in 0..n / tasks {
                    log.append(decision(t * n + i)).await.unwrap();
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    let el = start.elapsed();
    let signed = log.health().signatures;
    log.close().unwrap();
    (n as f64 / el.as_secs_f64(), signed as f64 / n as f64)
}

/// A `/proc/self/status` memory line in MiB (0 where unavailable).
fn rss_mib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Full-size runs under `cargo bench`; a short smoke pass under `cargo test --benches`.
fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn bench(c: &mut Criterion) {
    // EVIDENCE_BENCH_DIR keeps the logs there; with EVIDENCE_BENCH_VERIFY_ONLY set too, an
    // earlier run's logs are verified again without appending (for profiling the verifiers);
    // EVIDENCE_BENCH_APPEND_ONLY stops after the append figures (for profiling the writer).
    let tmp = tempfile::tempdir().unwrap();
    let root = std::env::var_os("EVIDENCE_BENCH_DIR").map_or(tmp.path().to_owned(), Into::into);
    let verify_only = std::env::var_os("EVIDENCE_BENCH_VERIFY_ONLY").is_some();
    let (records, latency_samples) = if full() { (100_000, 2000) } else { (500, 20) };
    // Throughput under concurrency (one-shot figures; criterion measures the per-op costs).
    for tasks in [64u64, 512].into_iter().filter(|_| !verify_only) {
        let d = root.join(format!("tp{tasks}"));
        let (r, sigs) = appends_per_sec(&d, tasks, records);
        println!(
            "evidence/append_sync_group_commit tasks={tasks}: {r:.0} records/s, {sigs:.4} checkpoint signatures/record (process RSS {} MiB, peak {} MiB)",
            rss_mib("VmRSS:"),
            rss_mib("VmHWM:")
        );
    }
    if std::env::var_os("EVIDENCE_BENCH_APPEND_ONLY").is_some() {
        return;
    }
    let d = root.join("tp512");
    // Verify runs are short: take the best of three (other builds share the cores).
    let best = |f: &dyn Fn() -> u64| {
        let mut runs: Vec<(Duration, u64)> = (0..3)
            .map(|_| {
                let start = Instant::now();
                let n = f();
                (start.elapsed(), n)
            })
            .collect();
        runs.sort();
        let (el, n) = runs[0];
        let all: Vec<String> = runs
            .iter()
            .map(|(e, n)| format!("{:.0}", *n as f64 / e.as_secs_f64()))
            .collect();
        format!(
            "{n} records in {el:?} = {:.0} records/s (best of 3: {})",
            n as f64 / el.as_secs_f64(),
            all.join(", ")
        )
    };
    println!(
        "evidence/verify_dir: {}",
        best(&|| verify_dir(&d).unwrap().records)
    );

    let mut exported = Vec::new();
    aimsgate::evidence::export(
        &d,
        &Default::default(),
        aimsgate::evidence::ExportFormat::Jsonl,
        &mut exported,
    )
    .unwrap();
    let pubtext = std::fs::read_to_string(d.join("signing.pub")).unwrap();
    println!(
        "evidence/verify_export: {}",
        best(&|| {
            aimsgate::evidence::verify_export(exported.as_slice(), &pubtext)
                .unwrap()
                .records
        })
    );

    if verify_only {
        return;
    }
    // Sync-mode latency of a single appender (each append waits for its own fsync).
    let (log, _) =
        EvidenceLog::open(LogConfig::new(tmp.path().join("lat")), KeyPair::generate()).unwrap();
    let rt = rt();
    let mut lat: Vec<Duration> = rt.block_on(async {
        let mut v = Vec::new();
        for i in 0..latency_samples {
            let t = Instant::now();
            log.append(decision(i)).await.unwrap();
            v.push(t.elapsed());
        }
        v
    });
    lat.sort();
    println!(
        "evidence/append_sync_latency: p50 {:?} p99 {:?}",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );

    let mut g = c.benchmark_group("evidence");
    g.sample_size(20);
    let key = KeyPair::generate();
    let body = vec![7u8; 300];
    let sig = key.sign(&body);
    let public = key.public();
    g.bench_function("ed25519_sign_300B", |b| b.iter(|| key.sign(&body)));
    g.bench_function("ed25519_verify_300B", |b| {
        b.iter(|| public.verify(&body, &sig))
    });
    g.bench_function("append_sync_single", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            rt.block_on(log.append(decision(i))).unwrap()
        })
    });
    g.finish();
    log.close().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
