//! Evidence through the real binary: every decision leaves a signed record that verifies
//! offline and holds no prompt text or credentials; tampering is located; the proxy fails
//! closed (503) when the log cannot be written; `kill -9` loses no acknowledged record.

use std::path::Path;
use std::time::Duration;

use crate::support::*;

const PROMPT: &str = "Summarise the Q3 churn analysis for the board";

#[tokio::test]
async fn every_call_leaves_verifiable_signed_evidence_without_content() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let body =
        format!(r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"{PROMPT}"}}]}}"#);
    let ok = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, ("x-aimsgate-ai-system", "general-assistant")],
        &body,
    )
    .await;
    assert_eq!(ok.status, 200);
    let stream = post(&gw.url("/v1/messages"), &[ANTHROPIC_AUTH], r#"{"model":"claude-sonnet-4-5","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#).await;
    assert_eq!(stream.status, 200);
    let unauth = post(&gw.url("/v1/chat/completions"), &[], &body).await;
    assert_eq!(unauth.status, 401);
    let missing = post(&gw.url("/v1/nope"), &[OPENAI_AUTH], "{}").await;
    assert_eq!(missing.status, 404);
    let down = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH],
        r#"{"model":"mock-hang","messages":[]}"#,
    )
    .await;
    assert_eq!(down.status, 504);
    let data = gw.data_dir();
    let dir = gw.stop().await;

    let v = verify(&data);
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let records = export_records(&data);
    let d = decision_of(&records, ok.decision_id());
    assert_eq!(d["effect"], "EFFECT_ALLOW");
    assert_eq!(
        d["principal_id"], d["credential_fingerprint"],
        "pass-through principal is the key's fingerprint"
    );
    assert_eq!(d["policy_bundle_id"], "aimsgate-baseline");
    assert_eq!(d["requested_model"], "gpt-4o-mini");
    assert_eq!(d["upstream"], "openai");
    assert_eq!(d["trace_id"].as_str().unwrap().len(), 32);
    assert_eq!(d["model_approved"], true, "inventory facts are recorded");
    assert_eq!(d["upstream_approved"], true);
    assert_eq!(d["review_flagged"], false);
    assert!(
        decision_of(&records, unauth.decision_id())["model_approved"].is_null(),
        "no policy evaluation, no approval fact"
    );
    let outcome = |id: &str| outcome_of(&records, id);
    let o = outcome(ok.decision_id()).expect("outcome record");
    assert_eq!(o["upstream_status"], 200);
    assert_eq!(o["input_tokens"], 12);
    assert_eq!(o["output_tokens"], 9);
    assert_eq!(o["output_scan"], "OUTPUT_SCAN_FULL", "answer fully scanned");
    assert_eq!(
        o["error_kind"], "",
        "a completed answer is not a client disconnect"
    );
    let o = outcome(stream.decision_id()).expect("outcome record for the stream");
    assert_eq!(o["stream"], true);
    assert_eq!(o["error_kind"], "");
    assert_eq!(o["output_tokens"], 9);
    assert_eq!(o["output_scan"], "OUTPUT_SCAN_FULL");
    for (r, status) in [(&unauth, 401), (&missing, 404)] {
        let d = decision_of(&records, r.decision_id());
        assert_eq!(d["effect"], "EFFECT_ERROR", "error");
        assert_eq!(d["http_status"], status);
    }
    // Forwarded, then the upstream timed out: the outcome record says so.
    assert_eq!(
        decision_of(&records, down.decision_id())["http_status"],
        0,
        "the decision was to forward"
    );
    let o = outcome(down.decision_id()).expect("outcome record for the failed upstream");
    assert_eq!(o["upstream_status"], 0);
    assert_eq!(o["error_kind"], "upstream_timeout");

    // Nothing sensitive in the log files or the export.
    let mut all = Vec::new();
    for e in walk(&data) {
        all.extend(std::fs::read(e).unwrap());
    }
    let hay = String::from_utf8_lossy(&all);
    for needle in [
        PROMPT,
        "sk-caller-test-key-1234",
        "sk-ant-caller-test-key-5678",
        "sk-upstream-openai-0000",
    ] {
        assert!(
            !hay.contains(needle),
            "`{needle}` leaked into the evidence data dir"
        );
    }
    drop(dir);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn tampering_with_the_log_is_detected_and_located() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    for _ in 0..5 {
        assert_eq!(
            post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT)
                .await
                .status,
            200
        );
    }
    let data = gw.data_dir();
    let _dir = gw.stop().await;
    assert!(verify(&data).status.success());
    let seg = walk(&data.join("log"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();
    let v = verify(&data);
    assert!(!v.status.success(), "a flipped byte must fail verification");
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(
        msg.contains("seq") || msg.contains("record"),
        "the fault is located: {msg}"
    );
}

#[tokio::test]
async fn the_proxy_fails_closed_when_the_log_cannot_be_written() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "[evidence]\nsegment_bytes = 1\n")).await;
    assert_eq!(
        post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Every future segment file is a link to /dev/full: each write fails with ENOSPC.
    let log = gw.data_dir().join("log");
    let mut links = Vec::new();
    for seq in 0..2000u64 {
        let p = log.join(format!("{seq:020}.seg"));
        // The writer may create a segment concurrently: only link the names still free.
        if std::os::unix::fs::symlink("/dev/full", &p).is_ok() {
            links.push(p);
        }
    }
    let before = mock.received().len();
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "evidence_unavailable");
    assert_eq!(
        mock.received().len(),
        before,
        "no decision without evidence: nothing was forwarded"
    );
    let ready = send(
        http::Method::GET,
        &format!("http://{}/readyz", gw.admin),
        &[],
        "",
    )
    .await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert!(gw.logs().contains("fail closed"), "{}", gw.logs());
    let metrics = send(
        http::Method::GET,
        &format!("http://{}/metrics", gw.admin),
        &[],
        "",
    )
    .await
    .text();
    assert!(
        metrics.contains("aimsgate_evidence_fail_closed_refusals_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("aimsgate_evidence_healthy 0"), "{metrics}");
    // The disk recovers: the proxy serves again.
    for l in links {
        std::fs::remove_file(l).unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT)
            .await
            .status
            == 200
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn fail_open_forwards_when_configured() {
    let mock = mock().await;
    let gw = Gateway::start(&config(
        &mock,
        "[evidence]\nsegment_bytes = 1\nfail_open = true\n",
    ))
    .await;
    assert_eq!(
        post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT)
            .await
            .status,
        200
    );
    let log = gw.data_dir().join("log");
    for seq in 0..2000u64 {
        let p = log.join(format!("{seq:020}.seg"));
        let _ = std::os::unix::fs::symlink("/dev/full", &p);
    }
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200, "fail_open = true forwards anyway");
    assert!(
        gw.logs().contains("fail_open = true"),
        "and says so in its logs"
    );
}

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_record() {
    let mock = mock().await;
    let shared = tempfile::tempdir().unwrap();
    let data = shared.path().join("data");
    let cfg = config(&mock, "").replace(
        "data_dir = \"data\"",
        &format!("data_dir = \"{}\"", data.display()),
    );
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..4u64 {
        let mut gw = Gateway::start(&cfg).await;
        let url = gw.url("/v1/chat/completions");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let client: hyper_util::client::legacy::Client<
                    _,
                    http_body_util::Full<bytes::Bytes>,
                > = hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build_http();
                let mut ids = Vec::new();
                loop {
                    let req = http::Request::post(&url)
                        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
                        .body(http_body_util::Full::new(bytes::Bytes::from_static(
                            CHAT.as_bytes(),
                        )))
                        .unwrap();
                    match client.request(req).await {
                        Ok(resp) if resp.status() == 200 => {
                            let id = resp.headers()["x-aimsgate-decision-id"]
                                .to_str()
                                .unwrap()
                                .to_owned();
                            use http_body_util::BodyExt;
                            if resp.into_body().collect().await.is_ok() {
                                ids.push(id);
                            }
                        }
                        _ => return ids,
                    }
                }
            }));
        }
        // A different moment in each round.
        tokio::time::sleep(Duration::from_millis(150 + 170 * round)).await;
        gw.signal("KILL");
        let _ = gw.child.wait().await;
        for t in tasks {
            acknowledged.extend(t.await.unwrap());
        }
    }
    assert!(acknowledged.len() > 20, "load ran: {}", acknowledged.len());
    // Restart: recovery truncates any torn tail and continues the chain.
    let gw = Gateway::start(&cfg).await;
    assert_eq!(
        post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT)
            .await
            .status,
        200
    );
    let _ = gw.stop().await;
    let v = verify(&data);
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let records = export_records(&data);
    let ids: std::collections::HashSet<&str> = records
        .iter()
        .filter_map(|r| r["kind"]["Decision"]["decision_id"].as_str())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !ids.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged calls lost their record: {lost:?}",
        lost.len()
    );
}
