//! `aimsgate report` through the real binary: traffic of every kind (allowed, redacted,
//! refused, unregistered system, unapproved model with an upstream 500) through a gateway in
//! front of the mock provider, then the JSON figures are checked and the HTML page is rendered
//! in headless Chromium (DOM and screenshot). Also two nodes in one report, and a tampered
//! node that makes the report unverified (exit 1).
//!
//! Chromium is required (`apt-get install -y chromium`; CI installs it): without it these
//! tests fail, they do not skip.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const SYSTEM: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");
const CARD: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Customer paid with 4539 1488 0343 6467, please check."}]}"#;
const SECRET: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Why does this fail? aws_access_key_id=AKIAQX4BZL7NW2MOSR6T"}]}"#;
const UNAPPROVED: &str = r#"{"model":"mock-error","messages":[{"role":"user","content":"hi"}]}"#;

/// Sends two allowed calls, one redacted, one refused, one from an unregistered system and
/// one to a model the system is not approved for (refused by `inventory-unapproved-model`).
pub async fn traffic(gw: &Gateway) {
    let url = gw.url("/v1/chat/completions");
    for _ in 0..2 {
        assert_eq!(post(&url, &[OPENAI_AUTH, SYSTEM], CHAT).await.status, 200);
    }
    assert_eq!(post(&url, &[OPENAI_AUTH, SYSTEM], CARD).await.status, 200);
    assert_eq!(post(&url, &[OPENAI_AUTH, SYSTEM], SECRET).await.status, 403);
    let shadow = ("x-aimsgate-ai-system", "shadow-notetaker");
    assert_eq!(post(&url, &[OPENAI_AUTH, shadow], CHAT).await.status, 200);
    assert_eq!(
        post(&url, &[OPENAI_AUTH, SYSTEM], UNAPPROVED).await.status,
        403
    );
}

pub fn report(dirs: &[PathBuf], extra: &[&str]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"));
    c.arg("report");
    for d in dirs {
        c.arg("--data-dir").arg(d);
    }
    c.args(extra).output().unwrap()
}

fn json_report(dirs: &[PathBuf]) -> (Output, serde_json::Value) {
    let out = report(dirs, &["--format", "json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn count(list: &serde_json::Value, label: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .map_or(0, |c| c["count"].as_u64().unwrap())
}

/// Runs headless Chromium on `page` with `args`; fails (never skips) when it is missing.
pub async fn chromium(page: &Path, args: &[&str]) -> Output {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the report test renders the HTML in headless Chromium; install it with `apt-get install -y chromium` (CI installs it)"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut c = tokio::process::Command::new(CHROMIUM);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), c.output())
        .await
        .expect("chromium finished within 120 s")
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn report_counts_the_traffic_and_renders_in_chromium() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    traffic(&gw).await;
    let data = gw.data_dir();
    let dir = gw.stop().await;

    let (out, f) = json_report(std::slice::from_ref(&data));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f["format"], "aimsgate-clause9-report v2");
    assert_eq!(f["verified"], true);
    let node = &f["nodes"][0];
    assert_eq!(node["verified"], true);
    assert_eq!(node["gaps"], "none");
    assert!(node["checkpoints_verified"].as_u64().unwrap() >= 1);
    let t = &f["totals"];
    assert_eq!(t["decisions"], 6);
    let mix = &t["mix"];
    assert_eq!(
        [
            &mix["allow"],
            &mix["redact"],
            &mix["block"],
            &mix["review"],
            &mix["error"]
        ],
        [2, 1, 2, 1, 0]
    );
    assert_eq!(t["violations"], 4);
    assert_eq!(count(&f["refusals"], "block-secrets"), 1);
    assert_eq!(count(&f["refusals"], "inventory-unapproved-model"), 1);
    assert_eq!(count(&f["unregistered_systems"], "shadow-notetaker"), 1);
    assert_eq!(count(&f["flagged"], "review-unregistered-system"), 1);
    assert_eq!(f["unapproved_models"]["policy_matches"], 1);
    assert_eq!(count(&f["unapproved_models"]["models"], "mock-error"), 1);
    let card = f["data_classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "financial.credit_card")
        .expect("card class");
    assert_eq!((&card["found"], &card["redacted"]), (&1.into(), &1.into()));
    let e = &f["errors"];
    assert_eq!(e["forwarded"], 4);
    assert_eq!(e["upstream_5xx"], 0);
    assert_eq!(count(&e["answered_statuses"], "HTTP 403"), 2);
    assert_eq!(f["latency"]["total"]["samples"], 4);
    assert!(f["latency"]["total"]["p99_ms"].as_f64().unwrap() > 0.0);
    let ga = &f["volume"]["by_system"][0];
    assert_eq!(
        (&ga["label"], &ga["total"]),
        (&"general-assistant".into(), &5.into())
    );
    let controls: Vec<&str> = f["annex_a"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["control"].as_str().unwrap())
        .collect();
    for c in ["A.2.2", "A.4.2", "A.6.2.5", "A.10.3"] {
        assert!(controls.contains(&c), "{c} in {controls:?}");
    }
    let text = serde_json::to_string(&f).unwrap();
    for secret in [
        "AKIAQX4BZL7NW2MOSR6T",
        "4539 1488",
        "sk-caller-test-key-1234",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the report");
    }

    // The HTML page, rendered by Chromium.
    let html = dir.path().join("report.html");
    let out = report(
        std::slice::from_ref(&data),
        &["--out", html.to_str().unwrap()],
    );
    assert!(out.status.success());
    let source = std::fs::read_to_string(&html).unwrap();
    assert!(!source.contains("AKIAQX4BZL7NW2MOSR6T"));
    let dom = chromium(&html, &["--dump-dom"]).await;
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert_eq!(
        dom.matches("<svg ").count(),
        aimsgate::report::html::CHART_IDS.len(),
        "every chart in the DOM"
    );
    for id in aimsgate::report::html::CHART_IDS {
        assert!(dom.contains(&format!(r#"id="{id}""#)), "{id} rendered");
    }
    let volume = dom
        .split(r#"id="chart-volume-system""#)
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .unwrap();
    assert_eq!(
        volume.matches(r#"class="bar""#).count(),
        dom_bars_expected(&f),
        "one bar segment per non-zero (bucket, system)"
    );
    assert!(dom.contains(r#"<div class="tile" id="tile-decisions"><b>6</b>"#));
    assert!(dom.contains(r#"<div class="tile" id="tile-block"><b>2</b>"#));
    assert!(dom.contains("shadow-notetaker"));
    assert!(dom.contains("block-secrets"));
    assert!(dom.contains("Integrity: all 1 log(s) verified"));
    assert!(!dom.contains("UNVERIFIED"));

    let png = dir.path().join("report.png");
    chromium(
        &html,
        &[
            "--window-size=1100,2400",
            &format!("--screenshot={}", png.display()),
        ],
    )
    .await;
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 60_000,
        "a screenshot of a rendered page, not a blank one ({} bytes)",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("AIMSGATE_KEEP_REPORT") {
        std::fs::copy(&html, Path::new(&keep).with_extension("html")).unwrap();
        std::fs::copy(&png, Path::new(&keep).with_extension("png")).unwrap();
    }
}

/// Non-zero (bucket, system) cells in the JSON volume figures.
fn dom_bars_expected(f: &serde_json::Value) -> usize {
    f["volume"]["by_system"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["counts"].as_array().unwrap())
        .filter(|c| c.as_u64().unwrap() > 0)
        .count()
}

#[tokio::test]
async fn two_nodes_make_one_report_and_a_tampered_node_makes_it_unverified() {
    let mock = mock().await;
    let a = Gateway::start(&config(&mock, "")).await;
    let b = Gateway::start(&config(&mock, "")).await;
    traffic(&a).await;
    traffic(&b).await;
    let url = b.url("/v1/chat/completions");
    assert_eq!(post(&url, &[OPENAI_AUTH, SYSTEM], CHAT).await.status, 200);
    let dirs = vec![a.data_dir(), b.data_dir()];
    let _da = a.stop().await;
    let _db = b.stop().await;

    let (out, f) = json_report(&dirs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f["verified"], true);
    let nodes = f["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().all(|n| n["verified"] == true));
    assert_ne!(
        nodes[0]["keys"], nodes[1]["keys"],
        "each node has its own key"
    );
    assert_eq!(f["totals"]["decisions"], 13);
    assert_eq!(f["totals"]["mix"]["allow"], 5);
    assert_eq!(count(&f["refusals"], "block-secrets"), 2);
    assert_eq!(count(&f["unregistered_systems"], "shadow-notetaker"), 2);
    assert_eq!(f["latency"]["total"]["samples"], 9);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("13 decisions from 2 node(s)"), "{stderr}");

    // Alter one byte of a record in node b: exit 1, and the page says UNVERIFIED.
    let seg = std::fs::read_dir(dirs[1].join("log"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&seg, bytes).unwrap();
    let (out, f) = json_report(&dirs);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(f["verified"], false);
    assert_eq!(f["nodes"][0]["verified"], true);
    assert_eq!(f["nodes"][1]["verified"], false);
    let html = dirs[0].join("tampered.html");
    let out = report(&dirs, &["--out", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let dom = chromium(&html, &["--dump-dom"]).await;
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(dom.contains("<title>UNVERIFIED"));
    assert!(dom.contains(r#"class="banner bad""#));
    assert!(dom.contains("NOT backed by a verified evidence log"));

    // A data dir that does not exist is a usage error, not an unverified log.
    let out = report(&[dirs[0].join("missing")], &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
}
