//! The last phase runs exactly once per call, whichever way the call ends: one outcome record
//! for every forwarded call (answered whole, streamed, streamed and abandoned, upstream down,
//! upstream silent), none for a call refused before forwarding (its decision record says how it
//! ended), and one access-log line for each. (A withheld answer is counted in
//! `bypass_output`.)

use std::time::Duration;

use http_body_util::BodyExt;

use crate::support::*;

fn count(records: &[serde_json::Value], kind: &str, id: &str) -> usize {
    records
        .iter()
        .filter(|r| r["kind"][kind]["decision_id"] == id)
        .count()
}

/// Access-log lines of one call (JSON log format).
fn access_lines(logs: &str, id: &str) -> usize {
    logs.lines()
        .filter(|l| l.contains("aimsgate::access") && l.contains(id))
        .count()
}

#[tokio::test]
async fn every_call_ends_once_with_one_outcome_when_forwarded_and_one_log_line() {
    let mock = mock().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let extra = format!(
        "[[upstreams]]\nname = \"down\"\nkind = \"openai_compatible\"\nbase_url = \"http://{closed}/v1\"\n[[routing.models]]\npattern = \"down-*\"\nupstream = \"down\"\n[telemetry]\nlog_format = \"json\"\n"
    );
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let chat = gw.url("/v1/chat/completions");
    let mut forwarded = Vec::new();
    let mut refused = Vec::new();

    let plain = post(&chat, &[OPENAI_AUTH], CHAT).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    forwarded.push(("plain", plain.decision_id().to_owned()));

    let stream = open_stream(&chat, "gpt-4o-mini").await;
    assert_eq!(stream.status(), 200);
    let id = stream.headers()["x-aimsgate-decision-id"]
        .to_str()
        .unwrap()
        .to_owned();
    stream.into_body().collect().await.unwrap();
    forwarded.push(("stream", id));

    // A stream the client abandons after its first chunk (the upstream stalls).
    let mut stalled = open_stream(&chat, "mock-stall").await;
    assert_eq!(stalled.status(), 200);
    let id = stalled.headers()["x-aimsgate-decision-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = stalled.body_mut().frame().await;
    drop(stalled);
    forwarded.push(("client gone", id));

    let down = post(&chat, &[OPENAI_AUTH], r#"{"model":"down-1","messages":[]}"#).await;
    assert_eq!(down.status, 502, "{}", down.text());
    forwarded.push(("upstream down", down.decision_id().to_owned()));

    let hang = post(
        &chat,
        &[OPENAI_AUTH],
        r#"{"model":"mock-hang","messages":[]}"#,
    )
    .await;
    assert_eq!(hang.status, 504, "{}", hang.text());
    forwarded.push(("upstream timeout", hang.decision_id().to_owned()));

    let secret = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"}]}"#;
    let blocked = post(&chat, &[OPENAI_AUTH], secret).await;
    assert_eq!(blocked.status, 403, "{}", blocked.text());
    refused.push(("policy block", blocked.decision_id().to_owned()));

    let anonymous = post(&chat, &[], CHAT).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    refused.push(("unauthenticated", anonymous.decision_id().to_owned()));

    let malformed = post(&chat, &[OPENAI_AUTH], "{not json").await;
    assert_eq!(malformed.status, 400, "{}", malformed.text());
    refused.push(("malformed", malformed.decision_id().to_owned()));

    // Streamed outcomes are recorded when their bodies end; wait for the last log line.
    let all = forwarded.iter().chain(&refused);
    let mut logs = String::new();
    for _ in 0..100 {
        logs = gw.logs();
        if all.clone().all(|(_, id)| access_lines(&logs, id) > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for (path, id) in &forwarded {
        assert_eq!(
            count(&records, "Decision", id),
            1,
            "{path}: decision records"
        );
        assert_eq!(count(&records, "Outcome", id), 1, "{path}: outcome records");
        assert_eq!(access_lines(&logs, id), 1, "{path}: access-log lines");
    }
    for (path, id) in &refused {
        assert_eq!(
            count(&records, "Decision", id),
            1,
            "{path}: decision records"
        );
        assert_eq!(count(&records, "Outcome", id), 0, "{path}: outcome records");
        assert_eq!(access_lines(&logs, id), 1, "{path}: access-log lines");
    }
    let outcome = |id: &str| {
        records
            .iter()
            .find(|r| r["kind"]["Outcome"]["decision_id"] == id)
            .map(|r| {
                r["kind"]["Outcome"]["error_kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap()
    };
    assert_eq!(outcome(&forwarded[0].1), "");
    assert_eq!(outcome(&forwarded[1].1), "");
    assert_eq!(outcome(&forwarded[2].1), "client_gone");
    assert_eq!(outcome(&forwarded[3].1), "upstream_unreachable");
    assert_eq!(outcome(&forwarded[4].1), "upstream_timeout");
}

#[tokio::test]
async fn answers_relayed_just_before_shutdown_keep_their_outcome_records() {
    // A relayed answer's last phase runs after its bytes were sent; stopping the gateway at
    // once must still wait for it (the call holds its connection's drain slot).
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let chat = gw.url("/v1/chat/completions");
    let mut ids = Vec::new();
    for _ in 0..16 {
        let r = post(&chat, &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
        ids.push(r.decision_id().to_owned());
    }
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for id in &ids {
        assert_eq!(count(&records, "Outcome", id), 1, "{id}: outcome records");
    }
}
