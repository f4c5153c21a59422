//! The Clause 9 report over a real log an auditor would sign off: traffic through a gateway,
//! a review recorded through the running gateway's control socket, the policy read from the
//! archive beside the log, objectives, per-system view, nonconformities, the seeded 9.2 sample
//! with proofs that `verify --proof` accepts, each section rendered alone in headless Chromium
//! (DOM and screenshot), and the PDF printed by Chromium and read back with `pdftotext`.
//!
//! Chromium and poppler-utils are required (CI installs them): these tests fail, not skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::report::{chromium, report, traffic};
use crate::support::*;

const SHADOW: (&str, &str) = ("x-aimsgate-ai-system", "shadow-notetaker");

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

fn objective<'a>(f: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    f["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("objective {id}"))
}

fn json(out: &Output) -> serde_json::Value {
    ok(out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_reviewed_archived_log_gives_the_full_clause9_report_in_html_and_pdf() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    traffic(&gw).await;
    let url = gw.url("/v1/chat/completions");
    assert_eq!(post(&url, &[OPENAI_AUTH, SHADOW], CHAT).await.status, 200);
    let data = gw.data_dir();
    // Both shadow-system calls are flagged for review; the first is accepted now, through the
    // running gateway (its control socket), the second stays open.
    let records = export_records(&data);
    let flagged: Vec<String> = records
        .iter()
        .filter_map(|r| {
            let d = &r["kind"]["Decision"];
            (d["ai_system_id"] == "shadow-notetaker")
                .then(|| d["decision_id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(flagged.len(), 2);
    let out = Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["review", "--data-dir"])
        .arg(&data)
        .args(["--decision-id", &flagged[0], "--disposition", "accepted"])
        .args([
            "--by",
            "Dana Auditor",
            "--note",
            "note-taker trial, approved by the AI board",
        ])
        .output()
        .unwrap();
    ok(&out);
    let dir = gw.stop().await;
    let key = data.join("signing.pub");
    let key = key.to_str().unwrap();
    let proofs = dir.path().join("proofs");
    let dirs = [data.clone()];

    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--public-key",
            key,
            "--sample",
            "4",
            "--sample-seed",
            "it-seed",
            "--tz",
            "Europe/Berlin",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        report(&dirs, &a)
    };
    let f = json(&run(&[
        "--format",
        "json",
        "--proof-dir",
        proofs.to_str().unwrap(),
    ]));

    // The policy comes from the archive beside the log, and re-hashes.
    assert_eq!(f["policy"]["source"], "archive", "{}", f["policy"]);
    let activation = records
        .iter()
        .find_map(|r| r["kind"]["Event"]["event"].get("PolicyActivation"))
        .unwrap();
    assert_eq!(f["policy"]["content_hash"], activation["new_content_hash"]);
    assert_eq!(f["trust"]["pinned"], true);

    // Objectives (the baseline's seven), against the traffic sent: one card redacted, one
    // secret refused, two calls from an unregistered system, one unapproved model refused.
    assert_eq!(f["objectives"].as_array().unwrap().len(), 7);
    let m = |id: &str| {
        (
            objective(&f, id)["measured"].as_f64(),
            objective(&f, id)["met"].as_bool(),
        )
    };
    assert_eq!(m("no-credential-to-provider"), (Some(0.0), Some(true)));
    assert_eq!(m("no-card-or-ssn-to-provider"), (Some(0.0), Some(true)));
    assert_eq!(m("no-unregistered-ai"), (Some(2.0), Some(false)));
    assert_eq!(m("no-unapproved-model"), (Some(1.0), Some(false)));
    assert_eq!(m("upstream-errors-below-1pct"), (Some(0.0), Some(true)));
    let p95 = objective(&f, "assistant-latency-p95");
    assert_eq!(p95["ai_system"], "general-assistant");
    assert!(p95["measured"].as_f64().unwrap() > 0.0);
    assert_eq!(p95["met"], true);

    // Systems, with the inventory.
    let systems = f["systems"].as_array().unwrap();
    let ga = systems
        .iter()
        .find(|s| s["id"] == "general-assistant")
        .unwrap();
    assert_eq!(
        (&ga["owner"], &ga["risk_tier"], &ga["registered"]),
        (&"platform-team".into(), &"limited".into(), &true.into())
    );
    assert!(ga["impact_assessment"]
        .as_str()
        .unwrap()
        .starts_with("AIIA-"));
    assert_eq!(ga["decisions"], 5);
    assert_eq!(ga["unapproved_use"], 1);
    let shadow = systems
        .iter()
        .find(|s| s["id"] == "shadow-notetaker")
        .unwrap();
    assert_eq!(
        (
            &shadow["registered"],
            &shadow["decisions"],
            &shadow["open_reviews"]
        ),
        (&false.into(), &2.into(), &1.into())
    );

    // Controls operating against nonconformities; reviews.
    let c = &f["conformity"];
    assert_eq!(
        (
            &c["redacted_calls"],
            &c["refusals"],
            &c["unregistered"],
            &c["unapproved_use"]
        ),
        (&1.into(), &2.into(), &2.into(), &1.into())
    );
    assert_eq!(c["undisposed_reviews"], 1);
    let r = &f["reviews"];
    assert_eq!(
        (&r["flagged"], &r["closed"], &r["accepted"], &r["open"]),
        (&2.into(), &1.into(), &1.into(), &1.into())
    );
    assert_eq!(r["open_list"][0]["decision_id"], flagged[1].as_str());
    let kinds: Vec<&str> = f["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"open_reviews"), "{kinds:?}");
    assert!(
        kinds.contains(&"activation_without_approver"),
        "the baseline names no approver"
    );
    assert!(!kinds.contains(&"policy_not_archived"), "{kinds:?}");
    assert!(
        f["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["severity"] != "high"),
        "{}",
        f["anomalies"]
    );

    // The 9.2 sample: seeded, reproducible, each proof checks offline.
    let rows = f["sample"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(f["sample"]["population"], 7);
    for row in rows {
        let file = proofs.join(row["proof_file"].as_str().unwrap());
        let out = Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .args(["verify", "--proof"])
            .arg(&file)
            .args(["--public-key", key])
            .output()
            .unwrap();
        let msg = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{msg}");
        assert!(msg.contains(row["decision_id"].as_str().unwrap()), "{msg}");
    }
    let listing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(proofs.join("sample.json")).unwrap()).unwrap();
    assert_eq!(listing["seed"], "it-seed");
    let again = json(&run(&["--format", "json"]));
    assert_eq!(
        again["sample"]["rows"], f["sample"]["rows"],
        "the same seed draws the same sample"
    );
    // The changes since the last report: a previous report (this one's JSON, edited to be an
    // older one: fewer decisions, the unregistered-AI objective met, no anomalies, built before
    // the policy was activated) is compared with this run.
    let mut last = f.clone();
    last["totals"]["decisions"] = serde_json::json!(1);
    last["anomalies"] = serde_json::json!([]);
    last["generated_at"] = serde_json::json!("2000-01-01T00:00:00Z");
    for o in last["objectives"].as_array_mut().unwrap() {
        if o["id"] == "no-unregistered-ai" {
            o["met"] = serde_json::json!(true);
        }
    }
    let last_path = dir.path().join("last-report.json");
    std::fs::write(&last_path, serde_json::to_vec(&last).unwrap()).unwrap();
    let since = json(&run(&[
        "--format",
        "json",
        "--previous-report",
        last_path.to_str().unwrap(),
    ]));
    let s = &since["review_inputs"]["since_last_report"];
    assert_eq!(s["generated_at"], "2000-01-01T00:00:00Z", "{s}");
    assert_eq!(s["changes"][0]["figure"], "decisions");
    assert_eq!(s["changes"][0]["previous"], 1.0);
    assert_eq!(
        s["changes"][0]["current"].as_f64(),
        f["totals"]["decisions"].as_f64()
    );
    assert_eq!(
        s["objectives_changed"],
        serde_json::json!(["no-unregistered-ai: met → not met"])
    );
    for k in &kinds {
        assert!(
            s["new_anomalies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == k),
            "{k}: {s}"
        );
    }
    assert_eq!(s["activations_since"].as_array().unwrap().len(), 1, "{s}");
    assert!(f["review_inputs"]["since_last_report"].is_null());
    let page = dir.path().join("since.html");
    ok(&run(&[
        "--previous-report",
        last_path.to_str().unwrap(),
        "--out",
        page.to_str().unwrap(),
    ]));
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(page.contains(r#"id="since-last-report""#));
    assert!(page.contains("no-unregistered-ai: met → not met"));
    let bad = report(&dirs, &["--previous-report", key]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--previous-report"));
    let other = json(&report(
        &dirs,
        &[
            "--format",
            "json",
            "--public-key",
            key,
            "--sample",
            "4",
            "--sample-seed",
            "another",
        ],
    ));
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["sample"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["decision_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&other).len(), 4);

    // Every section, rendered alone in Chromium: its DOM and a screenshot that is not blank.
    let html = dir.path().join("report.html");
    ok(&run(&["--out", html.to_str().unwrap()]));
    let page = std::fs::read_to_string(&html).unwrap();
    let dom = String::from_utf8(chromium(&html, &["--dump-dom"]).await.stdout).unwrap();
    let section = |id: &str| -> String {
        dom.split(&format!(r#"<section id="s-{id}">"#))
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or_else(|| panic!("section {id} not in the DOM"))
            .to_owned()
    };
    let expect: [(&str, &[&str]); 16] = [
        (
            "anomalies",
            &["open_reviews", "activation_without_approver"],
        ),
        (
            "objectives",
            &["no-unregistered-ai", "NOT MET", "archive beside the log"],
        ),
        (
            "systems",
            &["platform-team", "NOT IN INVENTORY", "shadow-notetaker"],
        ),
        (
            "conformity",
            &["Controls operating: 1 call(s)", "chart-nonconformities"],
        ),
        (
            "reviews",
            &[
                "2 call(s) flagged for review: 1 closed (1 accepted",
                &flagged[1],
            ],
        ),
        ("integrity", &["verified"]),
        ("volume", &["chart-volume-system"]),
        ("policies", &["aimsgate-baseline"]),
        ("classes", &["financial.credit_card"]),
        ("refusals", &["block-secrets"]),
        ("latency", &["chart-latency"]),
        (
            "annex-a",
            &["AI system recording of event logs", "ask for elsewhere"],
        ),
        (
            "review-inputs",
            &["9.3 Management review inputs", "NOT RECORDED"],
        ),
        ("events", &["policy_activation", "review_disposition"]),
        ("sample", &["seed <code>it-seed</code>", "public key file"]),
        ("notes", &["Controls operating = "]),
    ];
    assert_eq!(expect.len(), aimsgate::report::html::SECTION_IDS.len());
    let blank_page = dir.path().join("blank.html");
    std::fs::write(
        &blank_page,
        page.replace("</head>", "<style>main>*{display:none}</style></head>"),
    )
    .unwrap();
    let shot = |p: &Path, png: &PathBuf| {
        let png = png.clone();
        let p = p.to_owned();
        async move {
            chromium(
                &p,
                &[
                    "--window-size=1100,1400",
                    &format!("--screenshot={}", png.display()),
                ],
            )
            .await;
            let b = std::fs::read(&png).unwrap();
            assert!(b.starts_with(b"\x89PNG\r\n\x1a\n"));
            b.len()
        }
    };
    let blank = shot(&blank_page, &dir.path().join("blank.png")).await;
    for ((id, wants), listed) in expect.iter().zip(aimsgate::report::html::SECTION_IDS) {
        assert_eq!(*id, listed, "sections in page order");
        let s = section(id);
        assert!(s.contains("<h2"), "{id} has a heading");
        for w in *wants {
            assert!(s.contains(w), "section {id}: {w:?} missing");
        }
        let alone = dir.path().join(format!("s-{id}.html"));
        let css = format!("<style>main>*:not(#s-{id}){{display:none}}</style></head>");
        std::fs::write(&alone, page.replace("</head>", &css)).unwrap();
        let size = shot(&alone, &dir.path().join(format!("s-{id}.png"))).await;
        assert!(
            size > blank + 1_500,
            "section {id} renders ({size} bytes against a blank {blank})"
        );
    }
    assert!(!page.contains("AKIAQX4BZL7NW2MOSR6T") && !page.contains("4539 1488"));
    assert!(page.contains("times in Europe/Berlin") && page.contains(" CET"));

    // The PDF, printed by Chromium, read back.
    let pdf = dir.path().join("report.pdf");
    let err = ok(&run(&["--format", "pdf", "--out", pdf.to_str().unwrap()]));
    assert!(
        err.contains("audit sample of 4 decision(s), seed it-seed"),
        "{err}"
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&text.stdout);
    for want in [
        "9.1 Objectives",
        "AI systems",
        "Controls operating and nonconformities",
        "9.3 Management review inputs",
        "Annex: 9.2 audit sample",
        "CET",
    ] {
        assert!(text.contains(want), "{want:?} not in the PDF text");
    }
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let pages: u32 = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap()))
        .unwrap();
    assert!(pages >= 3, "{pages} page(s)");

    // Usage errors.
    let out = report(&dirs, &["--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2), "pdf needs --out");
    let out = report(&dirs, &["--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA"));
}
