//! Exports through the real binary: a gateway run with an allowed, a redacted and a refused
//! call, exported complete, by time range and by AI system, each verified with
//! `aimsgate verify --export --public-key`; a filtered export with the refused call's line
//! deleted fails naming the line; a CSV export is refused by `verify`; `--trust` applies its
//! witness quorum to the export's checkpoint.

use std::path::Path;

use crate::support::*;

const CARD: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Customer paid with 4539 1488 0343 6467."}]}"#;
const SECRET: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"aws_access_key_id=AKIAQX4BZL7NW2MOSR6T aws_secret_access_key=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"}]}"#;

fn lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ok(o: &std::process::Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn decision_line(l: &[serde_json::Value], id: &str) -> Option<usize> {
    l.iter()
        .position(|v| v["type"] == "entry" && v["record"]["kind"]["Decision"]["decision_id"] == id)
}

#[tokio::test]
async fn complete_ranged_and_filtered_exports_verify_and_a_deleted_refusal_is_caught() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let other = ("x-aimsgate-ai-system", "shadow-notetaker");
    let allowed = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    let elsewhere = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, other], CHAT).await;
    assert_eq!(elsewhere.status, 200);
    let redacted = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CARD).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    let refused = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], SECRET).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let data = gw.data_dir();
    let _dir = gw.stop().await;
    let key = data.join("signing.pub");
    let out = tempfile::tempdir().unwrap();

    // Complete: every record, enums by name, times in RFC 3339 and nanoseconds.
    let full = out.path().join("full.jsonl");
    export_file(&data, &[], &full);
    let v = ok(&verify_export_file(&full, &key));
    assert!(v.contains("OK: export of") && v.contains("complete"), "{v}");
    let all = lines(&full);
    let refused_at = decision_line(&all, refused.decision_id()).unwrap();
    let d = &all[refused_at]["record"];
    assert_eq!(d["kind"]["Decision"]["effect"], "EFFECT_BLOCK");
    assert!(d["time"].as_str().unwrap().ends_with('Z'), "{d}");
    assert!(d["time_unix_nanos"].as_i64().unwrap() > 0);
    let red = decision_line(&all, redacted.decision_id()).unwrap();
    assert_eq!(
        all[red]["record"]["kind"]["Decision"]["effect"],
        "EFFECT_REDACT"
    );

    // Time range: from the redacted call up to (not including) the refused one.
    let since = all[red]["record"]["time"].as_str().unwrap().to_owned();
    let until = d["time"].as_str().unwrap().to_owned();
    let ranged = out.path().join("range.jsonl");
    export_file(&data, &["--since", &since, "--until", &until], &ranged);
    let v = ok(&verify_export_file(&ranged, &key));
    assert!(v.contains("complete"), "{v}");
    let r = lines(&ranged);
    assert!(decision_line(&r, redacted.decision_id()).is_some());
    assert!(decision_line(&r, refused.decision_id()).is_none());
    assert!(
        r.iter().any(|l| l["type"] == "boundary"),
        "the edges are shown"
    );

    // Filtered by AI system: the other system's call is listed as omitted, by hash only.
    let filtered = out.path().join("filtered.jsonl");
    let summary = export_file(&data, &["--ai-system", "general-assistant"], &filtered);
    assert!(summary.contains("left out by the filter"), "{summary}");
    let v = ok(&verify_export_file(&filtered, &key));
    assert!(v.contains("listed as omitted"), "{v}");
    let f = lines(&filtered);
    assert!(decision_line(&f, elsewhere.decision_id()).is_none());
    assert!(f.iter().any(|l| l["type"] == "omitted"));
    let at = decision_line(&f, refused.decision_id()).unwrap();

    // The refused call's line deleted from the filtered export: detected, the line named.
    let text = std::fs::read_to_string(&filtered).unwrap();
    let cut: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let tampered = out.path().join("tampered.jsonl");
    std::fs::write(&tampered, cut).unwrap();
    let o = verify_export_file(&tampered, &key);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a deleted refusal must fail");
    assert!(err.contains(&format!("export line {}", at + 1)), "{err}");

    // A trust policy: the log's vkey with no quorum verifies; a quorum of a witness that never
    // cosigned this checkpoint fails.
    let origin = std::fs::read_to_string(data.join("origin")).unwrap();
    let public =
        aimsgate::evidence::keys::PublicKey::parse(&std::fs::read_to_string(&key).unwrap())
            .unwrap();
    let vkey = aimsgate::evidence::note::vkey::log_vkey(origin.trim(), &public);
    let (_, witness) = crate::witness::generate_key(out.path(), "witness.example/w1");
    let trust = |quorum: &str| {
        let p = out.path().join(format!("trust-{quorum}"));
        let w = format!("witness w1 {}\n", witness.to_vkey());
        std::fs::write(&p, format!("log {vkey}\n{w}quorum {quorum}\n")).unwrap();
        p
    };
    let verify_trust = |p: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .arg("verify")
            .arg("--export")
            .arg(&full)
            .arg("--trust")
            .arg(p)
            .output()
            .unwrap()
    };
    let v = ok(&verify_trust(&trust("none")));
    assert!(v.contains("complete"), "{v}");
    let o = verify_trust(&trust("w1"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "an unmet quorum must fail: {err}");
    assert!(err.contains("quorum"), "{err}");

    // CSV carries no integrity: verify says so and points to JSONL.
    let csv = out.path().join("calls.csv");
    export_file(&data, &["--format", "csv"], &csv);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("seq,time,"), "{text}");
    assert!(text.contains("EFFECT_BLOCK"), "{text}");
    let o = verify_export_file(&csv, &key);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("CSV carries no integrity") && err.contains("jsonl"),
        "{err}"
    );
}
